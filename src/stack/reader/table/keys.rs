//! Key attributes: a table's and its indexes' keys, attribute names, one type per attribute.

use std::ops::Range;

use toml::Spanned;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::limits;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::spec::{KeySpec, KeyType};

const KEY_KEYS: &[&str] = &["name", "type"];

/// A key attribute and where it is declared, to find attributes declared with two types.
pub(super) type KeySite = (KeySpec, Range<usize>);

impl Reader<'_> {
    pub(super) fn key_spec(
        &mut self,
        value: &Value<'_>,
        what: &str,
        sites: &mut Vec<KeySite>,
    ) -> Option<KeySpec> {
        let t = self.as_table(value, what)?;
        self.unknown_keys(t, KEY_KEYS, &format!("in {what}"));
        let name = self
            .required(t, "name", || {
                Problem::new(format!("{what} has no name"), value.span(), "here").help(format!(
                    "write {what} = {{ name = \"pk\", type = \"string\" }}"
                ))
            })
            .and_then(|v| {
                let name = self.string(v, &format!("{what} name"))?;
                let name = self.attribute_name(name, &format!("{what} name"))?;
                Some(Spanned::new(v.span(), name))
            });
        let key_type = match entry(t, "type") {
            Some((_, v)) => {
                let s = self.string(v, &format!("{what} type"))?;
                self.one_of(
                    &s,
                    &[
                        ("string", KeyType::String),
                        ("number", KeyType::Number),
                        ("binary", KeyType::Binary),
                    ],
                    "key type",
                    "not a key type",
                    "use \"string\", \"number\" or \"binary\"",
                )
            }
            None => {
                self.problem(
                    Problem::new(format!("{what} has no type"), value.span(), "here")
                        .help("add type = \"string\", \"number\" or \"binary\""),
                );
                None
            }
        };
        let spec = KeySpec {
            name: name?.into_inner(),
            key_type: key_type?,
        };
        sites.push((spec.clone(), value.span()));
        Some(spec)
    }

    /// A DynamoDB attribute name: 1 to 255 bytes ([`limits::MAX_ATTRIBUTE_NAME`]).
    pub(super) fn attribute_name(&mut self, name: Spanned<String>, what: &str) -> Option<String> {
        let len = name.get_ref().len();
        if (1..=limits::MAX_ATTRIBUTE_NAME).contains(&len) {
            return Some(name.into_inner());
        }
        let (message, label) = if len == 0 {
            (format!("{what} is empty"), "empty")
        } else {
            (
                format!(
                    "{what} has {len} bytes, more than DynamoDB's {}",
                    limits::MAX_ATTRIBUTE_NAME
                ),
                "too long",
            )
        };
        self.problem(
            Problem::new(message, name.span(), label)
                .help("DynamoDB attribute names have 1 to 255 bytes"),
        );
        None
    }

    /// DynamoDB defines each key attribute once, with one type.
    pub(super) fn check_key_types(&mut self, sites: &[KeySite]) {
        for (i, (key, span)) in sites.iter().enumerate() {
            if let Some((first, first_span)) = sites[..i]
                .iter()
                .find(|(k, _)| k.name == key.name && k.key_type != key.key_type)
            {
                let problem = Problem::new(
                    format!(
                        "attribute {:?} is declared as {} here but as {} before",
                        key.name,
                        key.key_type.as_str(),
                        first.key_type.as_str()
                    ),
                    span.clone(),
                    format!("{} here", key.key_type.as_str()),
                )
                .also(first_span.clone(), format!("{} here", first.key_type.as_str()))
                .help("an attribute has one type wherever it is used as a key; use the same type, or another attribute");
                self.problem(problem);
            }
        }
    }
}
