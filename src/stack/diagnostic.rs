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
        // One copy of the source, shared by every problem (a file may have thousands).
        let named = NamedSource::new(path, Arc::<str>::from(source));
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
    code: NamedSource<Arc<str>>,
    pub problem: Problem,
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

fn to_source_span(span: &Range<usize>) -> SourceSpan {
    SourceSpan::new(span.start.into(), span.end.saturating_sub(span.start))
}
