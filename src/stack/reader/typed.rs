//! The reader's state and its typed accessors: each reads one value of a TOML tree and
//! reports a wrong type, a missing key or a value out of range at the value's span.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;

pub(super) type Value<'i> = Spanned<DeValue<'i>>;
pub(super) type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;

/// A reference from one resource to another, where it is written.
#[derive(Debug, Clone)]
pub struct RefSite {
    pub from: Address,
    pub to: Address,
    pub span: Range<usize>,
}

/// What reading has found so far: the problems and where references are written.
pub(super) struct Reader<'s> {
    /// The file's text, for spans inside strings.
    pub(super) source: &'s str,
    pub(super) problems: Vec<Problem>,
    pub(super) references: Vec<RefSite>,
}

impl<'s> Reader<'s> {
    pub(super) fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// `text` when it has at most `max` characters; otherwise a problem naming the limit.
    pub(super) fn at_most(
        &mut self,
        text: &Spanned<String>,
        what: &str,
        max: usize,
        service: &str,
    ) -> Option<String> {
        let len = text.get_ref().chars().count();
        if len <= max {
            return Some(text.get_ref().clone());
        }
        self.problem(
            Problem::new(
                format!("{what} has {len} characters, more than {service}'s {max}"),
                text.span(),
                "too long",
            )
            .help(format!("shorten the {what} to {max} characters")),
        );
        None
    }

    pub(super) fn as_table<'a, 'i>(
        &mut self,
        value: &'a Value<'i>,
        what: &str,
    ) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.problem(
                    Problem::new(
                        format!("{what} must be a table, found {}", other.type_str()),
                        value.span(),
                        "expected a table",
                    )
                    .help("write it as [section] or { key = value }"),
                );
                None
            }
        }
    }

    /// A region code that AWS has opened (see [`crate::aws::regions`]).
    pub(super) fn region(&mut self, value: &Value<'_>) -> Option<String> {
        let region = self.string(value, "region")?;
        match crate::aws::regions::check(region.get_ref()) {
            Ok(()) => Some(region.into_inner()),
            Err(problem) => {
                self.problem(
                    Problem::new(problem.message, region.span(), "not a region").help(problem.help),
                );
                None
            }
        }
    }

    pub(super) fn string(&mut self, value: &Value<'_>, what: &str) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            other => {
                self.problem(
                    Problem::new(
                        format!("{what} must be a string, found {}", other.type_str()),
                        value.span(),
                        "expected a string",
                    )
                    .help("put the value in double quotes"),
                );
                None
            }
        }
    }

    pub(super) fn int(
        &mut self,
        value: &Value<'_>,
        what: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => {
                let digits = i.as_str().replace('_', "");
                match i64::from_str_radix(&digits, i.radix()) {
                    Ok(n) => Some(n),
                    // A whole number past i64 is still a number: say it is too large, not
                    // that it is of the wrong type.
                    Err(_) => {
                        self.too_large(value, what, &range, digits.starts_with('-'));
                        return None;
                    }
                }
            }
            _ => None,
        };
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            Some(n) => {
                let (message, label) = if n > *range.end() {
                    (format!("{what} = {n} is too large"), "too large")
                } else {
                    (format!("{what} = {n} is too small"), "too small")
                };
                self.out_of_range(value, what, &range, message, label);
                None
            }
            None => {
                self.problem(
                    Problem::new(
                        format!(
                            "{what} must be a whole number, found {}",
                            value.get_ref().type_str()
                        ),
                        value.span(),
                        "expected a whole number",
                    )
                    .help(format!(
                        "write a number between {} and {}, without quotes",
                        range.start(),
                        range.end()
                    )),
                );
                None
            }
        }
    }

    /// A whole number too far out of `range` to be held at all.
    pub(super) fn too_large(
        &mut self,
        value: &Value<'_>,
        what: &str,
        range: &std::ops::RangeInclusive<i64>,
        negative: bool,
    ) {
        let (message, label) = if negative {
            (format!("{what} is too small"), "too small")
        } else {
            (format!("{what} is too large"), "too large")
        };
        self.out_of_range(value, what, range, message, label);
    }

    /// A number outside `range`, said with `message` and `label`.
    fn out_of_range(
        &mut self,
        value: &Value<'_>,
        what: &str,
        range: &std::ops::RangeInclusive<i64>,
        message: String,
        label: &str,
    ) {
        self.problem(Problem::new(message, value.span(), label).help(format!(
            "{what} must be between {} and {}",
            range.start(),
            range.end()
        )));
    }

    pub(super) fn opt_int(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        entry(t, key).and_then(|(_, v)| self.int(v, key, range))
    }

    pub(super) fn opt_bool(&mut self, t: &DeTable<'_>, key: &str) -> Option<bool> {
        let (_, value) = entry(t, key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.problem(
                    Problem::new(
                        format!("{key} must be true or false, found {}", other.type_str()),
                        value.span(),
                        "expected true or false",
                    )
                    .help("write true or false, without quotes"),
                );
                None
            }
        }
    }

    /// `key` of `t` read by `read`: `Some(None)` when absent, `None` when it has a problem.
    pub(super) fn optional<T>(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Value<'_>) -> Option<T>,
    ) -> Option<Option<T>> {
        match entry(t, key) {
            None => Some(None),
            Some((_, value)) => read(self, value).map(Some),
        }
    }

    /// The value of `key` in `t`; when there is none, the problem `missing` makes is reported.
    pub(super) fn required<'a, 'i>(
        &mut self,
        t: &'a DeTable<'i>,
        key: &str,
        missing: impl FnOnce() -> Problem,
    ) -> Option<&'a Value<'i>> {
        match entry(t, key) {
            Some((_, value)) => Some(value),
            None => {
                self.problem(missing());
                None
            }
        }
    }

    /// The choice `text` names among `choices`; otherwise "unknown `what` ..." at the text,
    /// with `label` under it and `help`.
    pub(super) fn one_of<T: Copy>(
        &mut self,
        text: &Spanned<String>,
        choices: &[(&str, T)],
        what: &str,
        label: &str,
        help: &str,
    ) -> Option<T> {
        let name = text.get_ref().as_str();
        if let Some((_, choice)) = choices.iter().find(|(n, _)| *n == name) {
            return Some(*choice);
        }
        self.problem(
            Problem::new(format!("unknown {what} {name:?}"), text.span(), label).help(help),
        );
        None
    }

    /// The string `key` of `t`, which `owner` (`what`) must have; `example` shows it written.
    pub(super) fn required_string(
        &mut self,
        t: &DeTable<'_>,
        owner: &Key<'_>,
        what: &str,
        key: &str,
        example: &str,
    ) -> Option<Spanned<String>> {
        let value = self.required(t, key, || {
            Problem::new(
                format!("{what} has no {key}"),
                owner.span(),
                "declared here",
            )
            .help(format!("add {example}"))
        })?;
        self.string(value, key)
    }

    pub(super) fn unknown_keys(&mut self, t: &DeTable<'_>, allowed: &[&str], place: &str) {
        for (key, _) in t.iter() {
            let name = key.get_ref();
            if allowed.contains(&name.as_ref()) {
                continue;
            }
            let suggestion = crate::suggest::closest(name, allowed.iter().copied());
            let help = match suggestion {
                Some(s) => format!("did you mean {s:?}?"),
                None => format!("known keys {place}: {}", allowed.join(", ")),
            };
            self.problem(
                Problem::new(
                    format!("unknown key {name:?} {place}"),
                    key.span(),
                    "unknown key",
                )
                .help(help),
            );
        }
    }
}

impl Reader<'_> {
    pub(super) fn string_list(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        help: &str,
    ) -> Option<Vec<Spanned<String>>> {
        let Some((_, value)) = entry(t, key) else {
            return Some(Vec::new());
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                Problem::new(
                    format!("{key} must be a list of strings"),
                    value.span(),
                    "expected a list",
                )
                .help(help),
            );
            return None;
        };
        items.iter().map(|i| self.string(i, key)).collect()
    }
}

pub(super) fn entry<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<(&'a Key<'i>, &'a Value<'i>)> {
    t.iter().find(|(k, _)| k.get_ref() == key)
}
