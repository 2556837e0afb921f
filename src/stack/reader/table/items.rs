//! `[tables.NAME.items]`: the table's item schema (see `crate::schema`), read with spans, and
//! checked against the table: every key of the table and its indexes declared with its key
//! type, the TTL attribute a timestamp in epoch seconds.

use toml::de::{DeTable, DeValue};

use crate::schema::{Auto, Field, FieldSpec, FieldType, ItemSchema, Pattern, TimestampFormat};
use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, Value, entry};

const FIELD_KEYS: &[&str] = &[
    "type", "required", "default", "enum", "pattern", "min", "max", "integer", "items", "fields",
    "format", "auto",
];

pub(super) use super::item_keys::TableKeys;

impl Reader<'_> {
    /// Reads `items` of `[tables.NAME]`, checked against `keys`; `None` when absent or wrong.
    pub(super) fn item_schema(
        &mut self,
        t: &DeTable<'_>,
        table: &str,
        keys: &TableKeys<'_>,
    ) -> Option<ItemSchema> {
        let (_, value) = entry(t, "items")?;
        let what = format!("[tables.{table}.items]");
        let fields_table = self.as_table(value, &what)?;
        let mut schema = ItemSchema {
            strict: self.opt_bool(fields_table, "strict").unwrap_or(false),
            fields: Vec::new(),
        };
        let mut sites = Vec::new();
        for (key, field) in fields_table.iter() {
            let name = key.get_ref().to_string();
            if name == "strict" {
                continue;
            }
            if let Some(spec) = self.field_spec(field, &name, schema.strict) {
                sites.push((name.clone(), key.span().start..field.span().end));
                schema.fields.push(Field { name, spec });
            }
        }
        self.check_against_table(&mut schema, &sites, value.span(), &what, keys);
        self.key_rules(fields_table, keys);
        Some(schema)
    }

    fn field_spec(&mut self, value: &Value<'_>, path: &str, strict: bool) -> Option<FieldSpec> {
        let what = format!("attribute {path}");
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, FIELD_KEYS, &format!("in the declaration of {path}"));
        let kind = self.field_type(t, value, &what)?;
        let mut spec = FieldSpec {
            kind,
            required: self.opt_bool(t, "required").unwrap_or(false),
            integer: self.opt_bool(t, "integer").unwrap_or(false),
            ..FieldSpec::default()
        };
        self.only_for(t, "integer", kind, &[FieldType::Number]);
        self.field_rules(t, &mut spec, path);
        self.field_nested(t, &mut spec, path, strict);
        self.field_timestamp(t, &mut spec);
        self.field_default(t, &mut spec, path, strict);
        Some(spec)
    }

    fn field_type(&mut self, t: &DeTable<'_>, value: &Value<'_>, what: &str) -> Option<FieldType> {
        let names: Vec<String> = FieldType::ALL
            .iter()
            .map(|k| format!("{:?}", k.as_str()))
            .collect();
        let Some(v) = entry(t, "type").map(|(_, v)| v) else {
            self.problem(
                Problem::new(format!("{what} has no type"), value.span(), "here")
                    .help(format!("add type = one of {}", names.join(", "))),
            );
            return None;
        };
        let text = self.string(v, "type")?;
        let choices: Vec<(&str, FieldType)> =
            FieldType::ALL.iter().map(|k| (k.as_str(), *k)).collect();
        self.one_of(
            &text,
            &choices,
            "attribute type",
            "not an attribute type",
            &format!("use one of {}", names.join(", ")),
        )
    }

    /// A rule `key` written for a type it does not apply to is a problem at the rule.
    fn only_for(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        kind: FieldType,
        types: &[FieldType],
    ) -> bool {
        let Some((k, _)) = entry(t, key) else {
            return false;
        };
        if types.contains(&kind) {
            return true;
        }
        let names: Vec<&str> = types.iter().map(|k| k.as_str()).collect();
        self.problem(
            Problem::new(
                format!("{key} does not apply to a {}", kind.as_str()),
                k.span(),
                "not for this type",
            )
            .help(format!("{key} applies to: {}", names.join(", "))),
        );
        false
    }

    /// `pattern`, `enum`, `min` and `max`.
    fn field_rules(&mut self, t: &DeTable<'_>, spec: &mut FieldSpec, path: &str) {
        let kind = spec.kind;
        if self.only_for(t, "pattern", kind, &[FieldType::String])
            && let Some(text) = entry(t, "pattern").and_then(|(_, v)| self.string(v, "pattern"))
        {
            match regex::Regex::new(text.get_ref()) {
                Ok(re) => spec.pattern = Some(Pattern(re)),
                Err(e) => self.problem(
                    Problem::new(
                        format!("pattern of {path} is not a regular expression"),
                        text.span(),
                        "invalid",
                    )
                    .help(
                        e.to_string()
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    ),
                ),
            }
        }
        if self.only_for(t, "enum", kind, &[FieldType::String, FieldType::Number]) {
            spec.allowed = self.enum_values(t, kind);
        }
        let sized: Vec<FieldType> = FieldType::ALL
            .into_iter()
            .filter(|k| k.has_size())
            .collect();
        for bound in ["min", "max"] {
            if self.only_for(t, bound, kind, &sized) {
                let n = entry(t, bound).and_then(|(_, v)| self.number(v, bound));
                *(if bound == "min" {
                    &mut spec.min
                } else {
                    &mut spec.max
                }) = n;
            }
        }
        if let (Some(min), Some(max), Some((_, v))) = (spec.min, spec.max, entry(t, "max"))
            && min > max
        {
            self.problem(
                Problem::new(
                    format!("max of {path} is below its min"),
                    v.span(),
                    "below min",
                )
                .help("make max at least min"),
            );
        }
    }

    fn enum_values(&mut self, t: &DeTable<'_>, kind: FieldType) -> Vec<serde_json::Value> {
        let Some((_, value)) = entry(t, "enum") else {
            return Vec::new();
        };
        let want = if kind == FieldType::Number {
            "numbers"
        } else {
            "strings"
        };
        let fits = |v: &DeValue<'_>| match kind {
            FieldType::Number => matches!(v, DeValue::Integer(_) | DeValue::Float(_)),
            _ => matches!(v, DeValue::String(_)),
        };
        match value.get_ref() {
            DeValue::Array(items)
                if !items.is_empty() && items.iter().all(|i| fits(i.get_ref())) =>
            {
                items.iter().map(|i| to_json(i.get_ref())).collect()
            }
            _ => {
                self.problem(
                    Problem::new(
                        format!("enum must be a list of {want}"),
                        value.span(),
                        "expected a list",
                    )
                    .help(format!("write enum = [...] with the {want} allowed")),
                );
                Vec::new()
            }
        }
    }

    /// `items` of a list and `fields` of a map, read as declarations themselves.
    fn field_nested(&mut self, t: &DeTable<'_>, spec: &mut FieldSpec, path: &str, strict: bool) {
        if self.only_for(t, "items", spec.kind, &[FieldType::List])
            && let Some((_, v)) = entry(t, "items")
        {
            spec.items = self
                .field_spec(v, &format!("{path}[]"), strict)
                .map(Box::new);
        }
        if self.only_for(t, "fields", spec.kind, &[FieldType::Map])
            && let Some((_, v)) = entry(t, "fields")
            && let Some(fields) = self.as_table(v, "fields")
        {
            let mut read = Vec::new();
            for (key, field) in fields.iter() {
                let name = key.get_ref().to_string();
                if let Some(inner) = self.field_spec(field, &format!("{path}.{name}"), strict) {
                    read.push(Field { name, spec: inner });
                }
            }
            spec.fields = Some(read);
        }
    }

    fn field_timestamp(&mut self, t: &DeTable<'_>, spec: &mut FieldSpec) {
        let timestamp = [FieldType::Timestamp];
        if self.only_for(t, "format", spec.kind, &timestamp)
            && let Some(text) = entry(t, "format").and_then(|(_, v)| self.string(v, "format"))
        {
            let choices: Vec<(&str, TimestampFormat)> = TimestampFormat::ALL
                .iter()
                .map(|f| (f.as_str(), *f))
                .collect();
            spec.format = self
                .one_of(
                    &text,
                    &choices,
                    "timestamp format",
                    "not a format",
                    "use \"iso8601\", \"epoch-seconds\" or \"epoch-millis\"",
                )
                .unwrap_or_default();
        }
        if self.only_for(t, "auto", spec.kind, &timestamp)
            && let Some(text) = entry(t, "auto").and_then(|(_, v)| self.string(v, "auto"))
        {
            spec.auto = self.one_of(
                &text,
                &[("create", Auto::Create), ("update", Auto::Update)],
                "auto",
                "not create or update",
                "use auto = \"create\" (set when the item is put new) or auto = \"update\" (set on every write)",
            );
        }
    }

    /// A default must itself follow the declaration it belongs to.
    fn field_default(&mut self, t: &DeTable<'_>, spec: &mut FieldSpec, path: &str, strict: bool) {
        let Some((_, value)) = entry(t, "default") else {
            return;
        };
        let json = to_json(value.get_ref());
        let problems: Vec<String> = match crate::schema::value_from_json(&json, Some(spec), path) {
            Err(v) => vec![v.to_string()],
            Ok(av) => ItemSchema {
                strict,
                fields: Vec::new(),
            }
            .check_value(spec, &av, path)
            .iter()
            .map(ToString::to_string)
            .collect(),
        };
        if problems.is_empty() {
            spec.default = Some(json);
        } else {
            self.problem(
                Problem::new(
                    format!(
                        "the default of {path} breaks its own declaration: {}",
                        problems.join("; ")
                    ),
                    value.span(),
                    "invalid default",
                )
                .help("give a default that the declaration allows"),
            );
        }
    }

    fn number(&mut self, value: &Value<'_>, what: &str) -> Option<f64> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
            _ => None,
        };
        if let Some(n) = parsed.filter(|n| !n.is_finite()) {
            self.problem(
                Problem::new(
                    format!("{what} must be a finite number, found {n}"),
                    value.span(),
                    "not finite",
                )
                .help("write a number within a double's range (about ±1.8e308), or leave the bound out"),
            );
            return None;
        }
        if parsed.is_none() {
            self.problem(
                Problem::new(
                    format!(
                        "{what} must be a number, found {}",
                        value.get_ref().type_str()
                    ),
                    value.span(),
                    "expected a number",
                )
                .help("write a number, without quotes"),
            );
        }
        parsed
    }
}

/// A TOML value as plain JSON (see `crate::schema`).
fn to_json(value: &DeValue<'_>) -> serde_json::Value {
    use serde_json::Value;
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .map_or(Value::Null, Value::from),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|i| to_json(i.get_ref())).collect()),
        DeValue::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.get_ref().to_string(), to_json(v.get_ref())))
                .collect(),
        ),
    }
}
