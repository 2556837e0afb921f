//! Checking an item against its schema: every rule an attribute breaks, with its path.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::value::{Item, join, value_to_json};
use super::violation::{Rule, Violation};
use super::{Field, FieldSpec, FieldType, ItemSchema, TimestampFormat};

impl ItemSchema {
    /// Every violation of `item`, in the schema's order, then undeclared attributes by name.
    pub fn check(&self, item: &Item) -> Vec<Violation> {
        let mut out = Vec::new();
        check_map(&self.fields, self.strict, item, "", &mut out);
        out
    }

    /// The violations of one value declared as `spec`, at `path`.
    pub fn check_value(
        &self,
        spec: &FieldSpec,
        value: &AttributeValue,
        path: &str,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        check_value(spec, self.strict, value, path, &mut out);
        out
    }
}

fn check_map(fields: &[Field], strict: bool, map: &Item, path: &str, out: &mut Vec<Violation>) {
    for field in fields {
        let at = join(path, &field.name);
        match map.get(&field.name) {
            Some(value) => check_value(&field.spec, strict, value, &at, out),
            None if field.spec.required => {
                out.push(Violation::new(&at, Rule::Required, "is required"));
            }
            None => {}
        }
    }
    if strict {
        let mut undeclared: Vec<&String> = map
            .keys()
            .filter(|k| !fields.iter().any(|f| &f.name == *k))
            .collect();
        undeclared.sort();
        for name in undeclared {
            out.push(Violation::new(
                &join(path, name),
                Rule::Undeclared,
                "is not declared in the schema (strict)",
            ));
        }
    }
}

fn check_value(
    spec: &FieldSpec,
    strict: bool,
    value: &AttributeValue,
    path: &str,
    out: &mut Vec<Violation>,
) {
    if !type_matches(spec, value) {
        out.push(Violation::new(
            path,
            Rule::Type,
            format!("expected {}, found {}", expected(spec), type_name(value)),
        ));
        return;
    }
    if spec.kind == FieldType::Timestamp {
        if let Some(v) = timestamp_violation(spec.format, value, path) {
            out.push(v);
        }
        return;
    }
    check_enum(spec, value, path, out);
    if let (Some(pattern), AttributeValue::S(s)) = (&spec.pattern, value)
        && !pattern.0.is_match(s)
    {
        out.push(Violation::new(
            path,
            Rule::Pattern,
            format!("{s:?} does not match {}", pattern.0.as_str()),
        ));
    }
    check_size(spec, value, path, out);
    if let (true, AttributeValue::N(n)) = (spec.integer, value)
        && n.parse::<f64>().is_ok_and(|f| f.fract() != 0.0)
    {
        out.push(Violation::new(
            path,
            Rule::Integer,
            format!("{n} is not a whole number"),
        ));
    }
    match value {
        AttributeValue::L(items) => {
            if let Some(element) = &spec.items {
                for (i, item) in items.iter().enumerate() {
                    check_value(element, strict, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        AttributeValue::M(map) => {
            if let Some(fields) = &spec.fields {
                check_map(fields, strict, map, path, out);
            }
        }
        _ => {}
    }
}

fn type_matches(spec: &FieldSpec, value: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (spec.kind, value) {
        (FieldType::Timestamp, V::S(_)) => spec.format == TimestampFormat::Iso8601,
        (FieldType::Timestamp, V::N(_)) => spec.format != TimestampFormat::Iso8601,
        (kind, value) => {
            matches!(
                (kind, value),
                (FieldType::String, V::S(_))
                    | (FieldType::Number, V::N(_))
                    | (FieldType::Binary, V::B(_))
                    | (FieldType::Boolean, V::Bool(_))
                    | (FieldType::Null, V::Null(_))
                    | (FieldType::Map, V::M(_))
                    | (FieldType::List, V::L(_))
                    | (FieldType::StringSet, V::Ss(_))
                    | (FieldType::NumberSet, V::Ns(_))
                    | (FieldType::BinarySet, V::Bs(_))
            )
        }
    }
}

fn expected(spec: &FieldSpec) -> String {
    match (spec.kind, spec.format) {
        (FieldType::Timestamp, TimestampFormat::Iso8601) => {
            "an ISO 8601 timestamp (a string)".into()
        }
        (FieldType::Timestamp, f) => format!("a timestamp in {} (a number)", f.as_str()),
        (kind, _) => format!("a {}", kind.as_str()),
    }
}

/// The type of a value, as the schema names types.
pub fn type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "a string",
        AttributeValue::N(_) => "a number",
        AttributeValue::B(_) => "binary",
        AttributeValue::Bool(_) => "a boolean",
        AttributeValue::Null(_) => "null",
        AttributeValue::M(_) => "a map",
        AttributeValue::L(_) => "a list",
        AttributeValue::Ss(_) => "a string set",
        AttributeValue::Ns(_) => "a number set",
        AttributeValue::Bs(_) => "a binary set",
        _ => "an unknown type",
    }
}

/// Year 9999's last second: later epoch values are taken for milliseconds by mistake.
const MAX_EPOCH_SECONDS: f64 = 253_402_300_799.0;

fn timestamp_violation(
    format: TimestampFormat,
    value: &AttributeValue,
    path: &str,
) -> Option<Violation> {
    let bad = |why: String| Some(Violation::new(path, Rule::Format, why));
    match (format, value) {
        (TimestampFormat::Iso8601, AttributeValue::S(s)) => {
            if DateTime::from_str(s, Format::DateTime).is_ok() {
                return None;
            }
            bad(match in_utc(s) {
                Some(utc) => format!(
                    "{s:?} has a UTC offset: write timestamps in UTC with Z ({utc}), so that string order is time order"
                ),
                None => {
                    format!("{s:?} is not an ISO 8601 timestamp in UTC like 2026-11-24T10:00:00Z")
                }
            })
        }
        (format, AttributeValue::N(n)) => {
            let max = match format {
                TimestampFormat::EpochMillis => MAX_EPOCH_SECONDS * 1000.0,
                _ => MAX_EPOCH_SECONDS,
            };
            match n.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && (0.0..=max).contains(&f) => None,
                _ => bad(format!(
                    "{n} is not a whole number of {} since 1970 (0 to {max})",
                    unit(format)
                )),
            }
        }
        _ => None,
    }
}

/// An RFC 3339 timestamp with an offset (`...+02:00`) as the same time in UTC with Z.
fn in_utc(text: &str) -> Option<String> {
    let split = text.len().checked_sub(6)?;
    let (local, offset) = (text.get(..split)?, text.get(split..)?);
    let sign = match offset.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = offset[1..].split_once(':')?;
    let seconds = sign * (hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60);
    let local = DateTime::from_str(&format!("{local}Z"), Format::DateTime).ok()?;
    DateTime::from_fractional_secs(local.secs() - seconds, local.subsec_nanos() as f64 / 1e9)
        .fmt(Format::DateTime)
        .ok()
}

fn unit(format: TimestampFormat) -> &'static str {
    match format {
        TimestampFormat::EpochMillis => "milliseconds",
        _ => "seconds",
    }
}

fn check_enum(spec: &FieldSpec, value: &AttributeValue, path: &str, out: &mut Vec<Violation>) {
    if spec.allowed.is_empty() {
        return;
    }
    let found = match value {
        AttributeValue::S(s) => spec.allowed.iter().any(|a| a.as_str() == Some(s)),
        AttributeValue::N(n) => {
            let n = n.parse::<f64>().ok();
            spec.allowed
                .iter()
                .any(|a| a.as_f64().is_some() && a.as_f64() == n)
        }
        _ => true,
    };
    if !found {
        let allowed: Vec<String> = spec.allowed.iter().map(ToString::to_string).collect();
        out.push(Violation::new(
            path,
            Rule::Enum,
            format!(
                "{} is not one of {}",
                value_to_json(value),
                allowed.join(", ")
            ),
        ));
    }
}

fn check_size(spec: &FieldSpec, value: &AttributeValue, path: &str, out: &mut Vec<Violation>) {
    let (size, what) = match value {
        AttributeValue::N(n) => match n.parse::<f64>() {
            Ok(f) => (f, None),
            Err(_) => return,
        },
        AttributeValue::S(s) => (s.chars().count() as f64, Some("characters")),
        AttributeValue::B(b) => (b.as_ref().len() as f64, Some("bytes")),
        AttributeValue::L(l) => (l.len() as f64, Some("elements")),
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => (s.len() as f64, Some("elements")),
        AttributeValue::Bs(b) => (b.len() as f64, Some("elements")),
        _ => return,
    };
    let shown = |bound: f64| fmt_number(bound);
    let message = |word: &str, bound: f64| match what {
        None => format!("{} is {word} {}", value_to_json(value), shown(bound)),
        Some(unit) => format!("has {} {unit}, {word} {}", shown(size), shown(bound)),
    };
    if let Some(min) = spec.min
        && size < min
    {
        out.push(Violation::new(path, Rule::Min, message("below min", min)));
    }
    if let Some(max) = spec.max
        && size > max
    {
        out.push(Violation::new(path, Rule::Max, message("above max", max)));
    }
}

fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Field, Pattern, item_from_json};
    use super::*;

    fn field(name: &str, spec: FieldSpec) -> Field {
        Field {
            name: name.into(),
            spec,
        }
    }

    fn orders() -> ItemSchema {
        let line = FieldSpec {
            kind: FieldType::Map,
            fields: Some(vec![
                field(
                    "sku",
                    FieldSpec {
                        required: true,
                        ..FieldSpec::default()
                    },
                ),
                field(
                    "qty",
                    FieldSpec {
                        kind: FieldType::Number,
                        min: Some(1.0),
                        integer: true,
                        ..FieldSpec::default()
                    },
                ),
            ]),
            ..FieldSpec::default()
        };
        ItemSchema {
            strict: true,
            fields: vec![
                field(
                    "pk",
                    FieldSpec {
                        required: true,
                        pattern: Some(Pattern(regex::Regex::new("^ORDER#[0-9]+$").unwrap())),
                        ..FieldSpec::default()
                    },
                ),
                field(
                    "status",
                    FieldSpec {
                        allowed: vec![json!("new"), json!("paid")],
                        ..FieldSpec::default()
                    },
                ),
                field(
                    "total",
                    FieldSpec {
                        kind: FieldType::Number,
                        min: Some(0.0),
                        ..FieldSpec::default()
                    },
                ),
                field(
                    "code",
                    FieldSpec {
                        max: Some(3.0),
                        ..FieldSpec::default()
                    },
                ),
                field(
                    "lines",
                    FieldSpec {
                        kind: FieldType::List,
                        items: Some(Box::new(line)),
                        ..FieldSpec::default()
                    },
                ),
                field(
                    "expires_at",
                    FieldSpec {
                        kind: FieldType::Timestamp,
                        format: TimestampFormat::EpochSeconds,
                        ..FieldSpec::default()
                    },
                ),
                field(
                    "created_at",
                    FieldSpec {
                        kind: FieldType::Timestamp,
                        ..FieldSpec::default()
                    },
                ),
            ],
        }
    }

    fn violations(json: serde_json::Value) -> Vec<String> {
        let schema = orders();
        let item = item_from_json(&json, Some(&schema)).0;
        schema
            .check(&item)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_valid_item_has_no_violation() {
        let item = json!({"pk": "ORDER#1", "status": "paid", "total": 0, "lines": [{"sku": "a", "qty": 2}],
            "expires_at": 1_900_000_000, "created_at": "2026-11-24T10:00:00Z"});
        assert_eq!(violations(item), Vec::<String>::new());
    }

    #[test]
    fn every_rule_names_its_path() {
        let item = json!({"pk": "order-1", "status": "lost", "total": -1, "code": "abcd", "lines": [{"qty": 1}, {"sku": "b", "qty": -1.5}],
            "expires_at": 1.5, "created_at": "yesterday", "extra": 1});
        assert_eq!(
            violations(item),
            [
                "pk: \"order-1\" does not match ^ORDER#[0-9]+$",
                "status: \"lost\" is not one of \"new\", \"paid\"",
                "total: -1 is below min 0",
                "code: has 4 characters, above max 3",
                "lines[0].sku: is required",
                "lines[1].qty: -1.5 is below min 1",
                "lines[1].qty: -1.5 is not a whole number",
                "expires_at: 1.5 is not a whole number of seconds since 1970 (0 to 253402300799)",
                "created_at: \"yesterday\" is not an ISO 8601 timestamp in UTC like 2026-11-24T10:00:00Z",
                "extra: is not declared in the schema (strict)",
            ]
        );
        assert_eq!(
            violations(json!({"pk": "ORDER#1", "created_at": "2026-11-24T10:00:00.5+02:00"})),
            [
                "created_at: \"2026-11-24T10:00:00.5+02:00\" has a UTC offset: write timestamps in UTC with Z (2026-11-24T08:00:00.5Z), so that string order is time order"
            ]
        );
        assert_eq!(
            violations(json!({"total": "1"})),
            [
                "pk: is required",
                "total: expected a number, found a string",
            ]
        );
    }
}
