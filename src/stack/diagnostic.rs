//! Errors in a stack file: every problem found, each pointing at the text that causes it.

use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};

/// One problem in the stack file, with where it is and how to fix it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub message: String,
    pub span: Range<usize>,
    pub label: String,
    pub help: Option<String>,
    /// Other places that take part in the problem (the first declaration of a duplicate, the
    /// other members of a reference cycle).
    pub related: Vec<(Range<usize>, String)>,
}

impl Problem {
    pub fn new(message: impl Into<String>, span: Range<usize>, label: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            span,
            label: label.into(),
            help: None,
            related: Vec::new(),
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn also(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }
}

/// A stack file that cannot be used, with all of its problems, each rendered on its own.
#[derive(Debug)]
pub struct StackFileError {
    pub path: String,
    pub problems: Vec<ProblemReport>,
}

impl StackFileError {
    pub fn new(path: &str, source: &str, problems: Vec<Problem>) -> Self {
        // One copy of the source, indexed once, shared by every problem (a file may have
        // thousands).
        let named = NamedSource::new(path, Indexed::new(source));
        StackFileError {
            path: path.to_string(),
            problems: problems
                .into_iter()
                .map(|problem| ProblemReport {
                    code: named.clone(),
                    problem,
                })
                .collect(),
        }
    }

    /// A problem with the file as a whole (it cannot be read), with no text to point at.
    pub fn unreadable(path: &str, message: String, help: &str) -> Self {
        Self::new(path, "", vec![Problem::new(message, 0..0, "").help(help)])
    }
}

/// A [`Problem`] together with the source it points into, as miette renders it.
#[derive(Debug, thiserror::Error)]
#[error("{}", problem.message)]
pub struct ProblemReport {
    code: NamedSource<Indexed>,
    pub problem: Problem,
}

impl ProblemReport {
    /// Where the problem starts: line and column, both from 1 (columns count characters);
    /// `None` for a problem with the file as a whole.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        use miette::SourceCode;
        if self.code.inner().is_empty() {
            return None;
        }
        let span = to_source_span(&(self.problem.span.start..self.problem.span.start));
        let contents = self.code.inner().read_span(&span, 0, 0).ok()?;
        Some((contents.line() + 1, contents.column() + 1))
    }
}

impl Diagnostic for ProblemReport {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.problem
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.code.inner().is_empty() {
            None
        } else {
            Some(&self.code)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.code.inner().is_empty() {
            return None;
        }
        let primary = LabeledSpan::new_primary_with_span(
            Some(self.problem.label.clone()),
            to_source_span(&self.problem.span),
        );
        let related = self.problem.related.iter().map(|(span, label)| {
            LabeledSpan::new_with_span(Some(label.clone()), to_source_span(span))
        });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// The stack file's text with where each line starts, so that showing a problem reads only the
/// lines around it. miette's own `str` source counts lines from the start of the file for each
/// problem: 16,000 problems in a 670 KB file took minutes.
#[derive(Debug, Clone)]
pub struct Indexed {
    text: Arc<str>,
    /// Byte offset of each line's first byte.
    line_starts: Arc<Vec<usize>>,
}

impl Indexed {
    fn new(text: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Indexed {
            text: Arc::from(text),
            line_starts: Arc::new(line_starts),
        }
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl miette::SourceCode for Indexed {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let line = self
            .line_starts
            .partition_point(|&start| start <= span.offset())
            .saturating_sub(1);
        let first = line.saturating_sub(context_lines_before);
        let window = self.line_starts[first];
        // miette reads an empty span at the very start of its text differently from one
        // further in: read those (rare) from the whole text, as it would.
        if span.is_empty() && span.offset() == window && window > 0 {
            return self
                .text
                .read_span(span, context_lines_before, context_lines_after);
        }
        let shifted = SourceSpan::new((span.offset() - window).into(), span.len());
        let inner =
            self.text[window..].read_span(&shifted, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            SourceSpan::new((inner.span().offset() + window).into(), inner.span().len()),
            inner.line() + first,
            inner.column(),
            // As miette counts it: newlines from the start of the file to the window's end.
            inner.line_count() + first,
        )))
    }
}

fn to_source_span(span: &Range<usize>) -> SourceSpan {
    SourceSpan::new(span.start.into(), span.end.saturating_sub(span.start))
}

#[cfg(test)]
mod tests {
    use miette::SourceCode;

    use super::*;

    /// The indexed source shows exactly what miette's own `str` source shows, for every span
    /// and context, on text with empty lines, CRLF and multi-byte characters.
    #[test]
    fn indexed_spans_read_as_miette_reads_them() {
        let text = "[stack]\nname = \"é\"\r\n\n[functions.f]\nmemory = 99999\n\ncode = \"x\"\nlast";
        let indexed = Indexed::new(text);
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for &start in &boundaries {
            for &end in boundaries.iter().filter(|&&e| e >= start) {
                for context in [0, 1, 2] {
                    let span = SourceSpan::new(start.into(), end - start);
                    let ours = indexed.read_span(&span, context, context);
                    let theirs = text.read_span(&span, context, context);
                    match (ours, theirs) {
                        (Ok(a), Ok(b)) => {
                            assert_eq!(
                                (a.data(), a.span(), a.line(), a.column(), a.line_count()),
                                (b.data(), b.span(), b.line(), b.column(), b.line_count()),
                                "span {start}..{end}, context {context}"
                            );
                        }
                        (a, b) => assert_eq!(a.is_ok(), b.is_ok(), "span {start}..{end}"),
                    }
                }
            }
        }
    }
}
