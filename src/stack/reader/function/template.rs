//! References (`${table.orders.name}`) inside a string value.

use std::ops::Range;

use toml::Spanned;

use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::typed::{Reader, RefSite, Value};
use crate::stack::reference::{self, Segment, Template};

impl Reader<'_> {
    /// Reads references in a string value. `value` is the TOML value, whose span includes quotes.
    pub(super) fn template(
        &mut self,
        text: &Spanned<String>,
        value: &Value<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<Template> {
        // Spans inside the string are exact for plain strings; for strings with escapes, point
        // at the whole value rather than at a wrong place.
        let raw = &self.source[value.span()];
        let inner_start = value.span().start + 1;
        let exact = raw.len() == text.get_ref().len() + 2;
        let at = |range: Range<usize>| {
            if exact {
                inner_start + range.start..inner_start + range.end
            } else {
                value.span()
            }
        };
        let parts = match reference::split(text.get_ref()) {
            Ok(parts) => parts,
            Err(range) => {
                self.problem(
                    Problem::new("unclosed reference", at(range), "no closing '}'")
                        .help("close it with '}'; write $${ for a literal ${"),
                );
                return None;
            }
        };
        let mut segments = Vec::new();
        let mut ok = true;
        for (raw_ref, text) in parts {
            let Some(raw_ref) = raw_ref else {
                segments.push(Segment::Text(text));
                continue;
            };
            let span = at(raw_ref.range.clone());
            if let Some(name) = raw_ref.text.strip_prefix("inputs.") {
                match self.input(name, span, declared) {
                    Some(r) => segments.push(Segment::Ref(r)),
                    None => ok = false,
                }
                continue;
            }
            match reference::interpret(&raw_ref.text) {
                Err(why) => {
                    self.problem(
                        Problem::new(
                            format!("{why} in ${{{}}}", raw_ref.text),
                            span,
                            "not a reference stackctl knows",
                        )
                        .help(reference::FORMS),
                    );
                    ok = false;
                }
                Ok(r) => {
                    if let Some(problem) = declared.check(&r.target, span.clone()) {
                        self.problem(problem);
                        ok = false;
                    } else {
                        if let Some(to) = r.target.address() {
                            self.references.push(RefSite {
                                from: Address::Function(function.to_string()),
                                to,
                                span,
                            });
                        }
                        segments.push(Segment::Ref(r));
                    }
                }
            }
        }
        ok.then_some(Template { segments })
    }
}
