//! The item schema against its table (see `items.rs`): every key of the table and its indexes
//! declared with its key type, table keys always given (no `default`, no `required = false`),
//! the TTL attribute a timestamp in epoch seconds.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::keys::KeySite;
use crate::schema::{FieldSpec, FieldType, ItemSchema, TimestampFormat};
use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, entry};
use crate::stack::spec::KeyType;

/// A declared attribute and the span of its declaration.
pub(super) type FieldSite = (String, Range<usize>);

/// What the schema is checked against: the table's keys and indexes' keys (table keys first,
/// `table_keys` of them), and its TTL attribute with where it is written.
pub(super) struct TableKeys<'a> {
    pub sites: &'a [KeySite],
    pub table_keys: usize,
    pub ttl: Option<(String, Range<usize>)>,
}

impl Reader<'_> {
    /// The table's keys are in every item as the writer gives them: `default` and
    /// `required = false` on their declarations would be rules never applied.
    pub(super) fn key_rules(&mut self, fields: &DeTable<'_>, keys: &TableKeys<'_>) {
        for (key, key_span) in &keys.sites[..keys.table_keys] {
            let Some(DeValue::Table(t)) = entry(fields, &key.name).map(|(_, v)| v.get_ref()) else {
                continue;
            };
            if let Some((k, _)) = entry(t, "default") {
                self.problem(
                    Problem::new(
                        format!("key attribute {:?} cannot have a default", key.name),
                        k.span(),
                        "default on a key",
                    )
                    .also(key_span.clone(), "key attribute")
                    .help("every item gives its own key: remove the default"),
                );
            }
            if let Some((_, v)) = entry(t, "required")
                && matches!(v.get_ref(), DeValue::Boolean(false))
            {
                self.problem(
                    Problem::new(
                        format!("key attribute {:?} is always required", key.name),
                        v.span(),
                        "required = false on a key",
                    )
                    .also(key_span.clone(), "key attribute")
                    .help("remove required = false: DynamoDB refuses an item without its key"),
                );
            }
        }
    }

    /// Every key attribute declared with its key type (table keys made required), and the
    /// TTL attribute a timestamp in epoch seconds; a problem points at both lines.
    pub(super) fn check_against_table(
        &mut self,
        schema: &mut ItemSchema,
        sites: &[FieldSite],
        items_span: Range<usize>,
        what: &str,
        keys: &TableKeys<'_>,
    ) {
        for (i, (key, key_span)) in keys.sites.iter().enumerate() {
            let Some(field) = schema.fields.iter_mut().find(|f| f.name == key.name) else {
                self.problem(
                    Problem::new(
                        format!("key attribute {:?} is not declared in {what}", key.name),
                        key_span.clone(),
                        "key attribute",
                    )
                    .also(items_span.clone(), "item schema")
                    .help(format!(
                        "declare {} = {{ type = \"{}\" }} in {what}",
                        key.name,
                        key.key_type.as_str()
                    )),
                );
                continue;
            };
            if i < keys.table_keys {
                field.spec.required = true;
            }
            if !key_fits(key.key_type, &field.spec) {
                let site = sites
                    .iter()
                    .find(|(n, _)| *n == key.name)
                    .map_or(items_span.clone(), |(_, s)| s.clone());
                self.problem(
                    Problem::new(
                        format!(
                            "attribute {:?} is declared {} in {what}, but it is a {} key",
                            key.name,
                            field.spec.kind.as_str(),
                            key.key_type.as_str()
                        ),
                        site,
                        format!("{} here", field.spec.kind.as_str()),
                    )
                    .also(
                        key_span.clone(),
                        format!("{} key here", key.key_type.as_str()),
                    )
                    .help(format!(
                        "declare it type = \"{}\", as the key is",
                        key.key_type.as_str()
                    )),
                );
            }
        }
        if let Some((ttl, ttl_span)) = &keys.ttl {
            self.check_ttl(schema, sites, items_span, what, ttl, ttl_span);
        }
    }

    fn check_ttl(
        &mut self,
        schema: &ItemSchema,
        sites: &[FieldSite],
        items_span: Range<usize>,
        what: &str,
        ttl: &str,
        ttl_span: &Range<usize>,
    ) {
        let help = format!(
            "declare {ttl} = {{ type = \"timestamp\", format = \"epoch-seconds\" }}: DynamoDB's TTL reads whole seconds since 1970"
        );
        let (span, found) = match (schema.field(ttl), sites.iter().find(|(n, _)| n == ttl)) {
            (Some(spec), Some((_, span))) => {
                if spec.kind == FieldType::Timestamp && spec.format == TimestampFormat::EpochSeconds
                {
                    return;
                }
                (span.clone(), format!("declared {}", describe(spec)))
            }
            _ => (items_span, format!("not declared in {what}")),
        };
        self.problem(
            Problem::new(
                format!("the TTL attribute {ttl:?} is {found}"),
                span,
                "not epoch seconds",
            )
            .also(ttl_span.clone(), "TTL attribute")
            .help(help),
        );
    }
}

fn describe(spec: &FieldSpec) -> String {
    match spec.kind {
        FieldType::Timestamp => format!("a timestamp in {}", spec.format.as_str()),
        kind => format!("a {}", kind.as_str()),
    }
}

/// A key of `key_type` can hold the declared attribute's values.
fn key_fits(key_type: KeyType, spec: &FieldSpec) -> bool {
    match (key_type, spec.kind) {
        (KeyType::String, FieldType::String)
        | (KeyType::Number, FieldType::Number)
        | (KeyType::Binary, FieldType::Binary) => true,
        (KeyType::String, FieldType::Timestamp) => spec.format == TimestampFormat::Iso8601,
        (KeyType::Number, FieldType::Timestamp) => spec.format != TimestampFormat::Iso8601,
        _ => false,
    }
}
