//! Items as plain JSON (the command line, JSON Lines files, output) and as DynamoDB JSON (an
//! export's data files), converted to and from DynamoDB's attribute values.
//!
//! Plain JSON: strings, numbers, booleans, null, objects (maps) and arrays (lists). What JSON
//! has no word for is an object with one key: `{"$ss": ["a"]}` a string set, `{"$ns": [1]}` a
//! number set, `{"$bs": ["AAE="]}` a binary set, `{"$b": "AAE="}` binary (base64), `{"$n":
//! "1.000000000000000000001"}` a number past a double's 15 digits. Where the schema declares
//! an attribute a set, a JSON array is that set; where it declares binary, a string is base64.
//! Output always uses the explicit forms, so that it reads back as it was.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use super::violation::{Rule, Violation};
use super::{Field, FieldSpec, FieldType, ItemSchema, find};

/// One item: attribute name to value.
pub type Item = HashMap<String, AttributeValue>;

/// The plain JSON object `json` as an item; `schema` says which arrays are sets and which
/// strings are binary.
///
/// # Errors
/// A violation at the path of each value that cannot be an attribute value (the first only).
pub fn item_from_json(json: &Value, schema: Option<&ItemSchema>) -> Result<Item, Violation> {
    let Value::Object(map) = json else {
        return Err(Violation::new(
            "",
            Rule::Type,
            "an item must be a JSON object",
        ));
    };
    map_from_json(map, schema.map(|s| s.fields.as_slice()), "")
}

fn map_from_json(
    map: &Map<String, Value>,
    fields: Option<&[Field]>,
    path: &str,
) -> Result<Item, Violation> {
    map.iter()
        .map(|(name, value)| {
            let spec = fields.and_then(|f| find(f, name));
            let at = join(path, name);
            Ok((name.clone(), value_from_json(value, spec, &at)?))
        })
        .collect()
}

/// A plain JSON value as an attribute value, guided by its declaration `spec`.
///
/// # Errors
/// A violation at `path` for a value that cannot be an attribute value.
pub fn value_from_json(
    value: &Value,
    spec: Option<&FieldSpec>,
    path: &str,
) -> Result<AttributeValue, Violation> {
    let kind = spec.map(|s| s.kind);
    Ok(match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) if kind == Some(FieldType::Binary) => {
            AttributeValue::B(Blob::new(base64(s, path)?))
        }
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => match kind {
            Some(FieldType::StringSet) => set_from_json("$ss", items, path)?,
            Some(FieldType::NumberSet) => set_from_json("$ns", items, path)?,
            Some(FieldType::BinarySet) => set_from_json("$bs", items, path)?,
            _ => {
                let element = spec.and_then(|s| s.items.as_deref());
                AttributeValue::L(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| value_from_json(v, element, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?,
                )
            }
        },
        Value::Object(map) => match explicit(map) {
            Some((tag, inner)) => explicit_from_json(tag, inner, path)?,
            None => AttributeValue::M(map_from_json(
                map,
                spec.and_then(|s| s.fields.as_deref()),
                path,
            )?),
        },
    })
}

/// `{"$ss": [...]}` and the other one-key forms.
fn explicit(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    let (tag, inner) = map.iter().next()?;
    (map.len() == 1 && ["$ss", "$ns", "$bs", "$b", "$n"].contains(&tag.as_str()))
        .then_some((tag.as_str(), inner))
}

fn explicit_from_json(tag: &str, inner: &Value, path: &str) -> Result<AttributeValue, Violation> {
    match (tag, inner) {
        ("$b", Value::String(s)) => Ok(AttributeValue::B(Blob::new(base64(s, path)?))),
        ("$n", Value::String(s)) => Ok(AttributeValue::N(number(s, path)?)),
        ("$ss" | "$ns" | "$bs", Value::Array(items)) => set_from_json(tag, items, path),
        _ => Err(Violation::new(
            path,
            Rule::Type,
            format!(
                "{tag} takes {}",
                if tag == "$b" || tag == "$n" {
                    "a string"
                } else {
                    "an array"
                }
            ),
        )),
    }
}

fn set_from_json(tag: &str, items: &[Value], path: &str) -> Result<AttributeValue, Violation> {
    if items.is_empty() {
        return Err(Violation::new(
            path,
            Rule::Type,
            "an empty set: DynamoDB stores no empty sets; leave the attribute out",
        ));
    }
    let element = |i: usize| format!("{path}[{i}]");
    let wrong = |i: usize, what: &str| {
        Violation::new(
            &element(i),
            Rule::Type,
            format!("a {} holds {what}", set_name(tag)),
        )
    };
    let mut strings = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let text = match (tag, item) {
            ("$ns", Value::Number(n)) => n.to_string(),
            ("$ns", Value::String(s)) => number(s, &element(i))?,
            ("$ns", _) => return Err(wrong(i, "numbers")),
            (_, Value::String(s)) => s.clone(),
            _ => return Err(wrong(i, "strings")),
        };
        if strings.contains(&text) {
            return Err(Violation::new(
                &element(i),
                Rule::Type,
                format!("{text:?} is twice in the set"),
            ));
        }
        strings.push(text);
    }
    Ok(match tag {
        "$ss" => AttributeValue::Ss(strings),
        "$ns" => AttributeValue::Ns(strings),
        _ => AttributeValue::Bs(
            strings
                .iter()
                .enumerate()
                .map(|(i, s)| Ok(Blob::new(base64(s, &element(i))?)))
                .collect::<Result<_, Violation>>()?,
        ),
    })
}

fn set_name(tag: &str) -> &'static str {
    match tag {
        "$ns" => "number set",
        "$bs" => "binary set",
        _ => "string set",
    }
}

fn base64(text: &str, path: &str) -> Result<Vec<u8>, Violation> {
    BASE64
        .decode(text)
        .map_err(|e| Violation::new(path, Rule::Type, format!("binary must be base64: {e}")))
}

/// A number's text as DynamoDB takes it.
fn number(text: &str, path: &str) -> Result<String, Violation> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.parse::<f64>().is_ok_and(f64::is_finite)
        && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
    if ok {
        Ok(t.to_string())
    } else {
        Err(Violation::new(
            path,
            Rule::Type,
            format!("{text:?} is not a number"),
        ))
    }
}

/// An item as plain JSON, explicit forms for sets and binary (see the module).
pub fn item_to_json(item: &Item) -> Value {
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    Value::Object(
        names
            .into_iter()
            .map(|n| (n.clone(), value_to_json(&item[n])))
            .collect(),
    )
}

/// One attribute value as plain JSON.
pub fn value_to_json(value: &AttributeValue) -> Value {
    let tagged = |tag: &str, v: Value| Value::Object(Map::from_iter([(tag.to_string(), v)]));
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number_to_json(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::B(b) => tagged("$b", Value::String(BASE64.encode(b.as_ref()))),
        AttributeValue::Ss(s) => tagged("$ss", s.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(n) => tagged("$ns", n.iter().map(|n| number_to_json(n)).collect()),
        AttributeValue::Bs(b) => tagged(
            "$bs",
            b.iter()
                .map(|b| Value::String(BASE64.encode(b.as_ref())))
                .collect(),
        ),
        AttributeValue::L(l) => Value::Array(l.iter().map(value_to_json).collect()),
        AttributeValue::M(m) => item_to_json(m),
        _ => Value::Null,
    }
}

/// A JSON number when JSON holds it exactly (whole numbers in 64 bits, or up to 15
/// significant digits); else `{"$n": "..."}`.
fn number_to_json(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(u) = text.parse::<u64>() {
        return Value::from(u);
    }
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let digits = mantissa
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    match text.parse::<f64>() {
        Ok(f) if significant <= 15 && f.is_finite() => serde_json::Number::from_f64(f)
            .map_or_else(|| Value::String(text.to_string()), Value::Number),
        _ => Value::Object(Map::from_iter([(
            "$n".to_string(),
            Value::String(text.to_string()),
        )])),
    }
}

/// A value in DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, `{"M": {...}}`, ...), as export
/// data files write items.
///
/// # Errors
/// A violation at `path` for anything that is not DynamoDB JSON.
pub fn from_dynamodb_json(value: &Value, path: &str) -> Result<AttributeValue, Violation> {
    let bad = || Violation::new(path, Rule::Type, "not a DynamoDB JSON attribute value");
    let Value::Object(map) = value else {
        return Err(bad());
    };
    let (tag, inner) = map
        .iter()
        .next()
        .filter(|_| map.len() == 1)
        .ok_or_else(bad)?;
    let strings = |v: &Value| -> Result<Vec<String>, Violation> {
        v.as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|s| s.as_str().map(str::to_string).ok_or_else(bad))
            .collect()
    };
    Ok(match (tag.as_str(), inner) {
        ("S", Value::String(s)) => AttributeValue::S(s.clone()),
        ("N", Value::String(s)) => AttributeValue::N(number(s, path)?),
        ("B", Value::String(s)) => AttributeValue::B(Blob::new(base64(s, path)?)),
        ("BOOL", Value::Bool(b)) => AttributeValue::Bool(*b),
        ("NULL", Value::Bool(true)) => AttributeValue::Null(true),
        ("SS", v) => AttributeValue::Ss(strings(v)?),
        ("NS", v) => AttributeValue::Ns(strings(v)?),
        ("BS", v) => AttributeValue::Bs(
            strings(v)?
                .iter()
                .map(|s| Ok(Blob::new(base64(s, path)?)))
                .collect::<Result<_, Violation>>()?,
        ),
        ("L", Value::Array(items)) => AttributeValue::L(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| from_dynamodb_json(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        ("M", Value::Object(m)) => AttributeValue::M(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), from_dynamodb_json(v, &join(path, k))?)))
                .collect::<Result<_, Violation>>()?,
        ),
        _ => return Err(bad()),
    })
}

/// `path.name`, or `name` at the top.
pub(super) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn explicit_forms_read_back_as_they_were_written() {
        let written = json!({
            "pk": "A#1", "n": 12, "f": 1.5, "big": {"$n": "12345678901234567890.123"},
            "b": {"$b": "AAEC"}, "tags": {"$ss": ["x", "y"]}, "nums": {"$ns": [1, 2.5]},
            "blobs": {"$bs": ["AA=="]}, "ok": true, "none": null,
            "lines": [{"sku": "s", "qty": 2}]
        });
        let item = item_from_json(&written, None).unwrap();
        assert_eq!(
            item["tags"],
            AttributeValue::Ss(vec!["x".into(), "y".into()])
        );
        assert_eq!(item["b"], AttributeValue::B(Blob::new(vec![0, 1, 2])));
        assert_eq!(item_to_json(&item), written);
    }

    #[test]
    fn the_schema_makes_arrays_sets_and_strings_binary() {
        let mut schema = ItemSchema::default();
        for (name, kind) in [("tags", FieldType::StringSet), ("b", FieldType::Binary)] {
            schema.fields.push(Field {
                name: name.into(),
                spec: FieldSpec {
                    kind,
                    ..FieldSpec::default()
                },
            });
        }
        let item = item_from_json(&json!({"tags": ["a"], "b": "AAE="}), Some(&schema)).unwrap();
        assert_eq!(item["tags"], AttributeValue::Ss(vec!["a".into()]));
        assert_eq!(item["b"], AttributeValue::B(Blob::new(vec![0, 1])));
        let err = item_from_json(&json!({"tags": []}), Some(&schema)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tags: an empty set: DynamoDB stores no empty sets; leave the attribute out"
        );
        let err = item_from_json(&json!({"tags": ["a", "a"]}), Some(&schema)).unwrap_err();
        assert_eq!(err.to_string(), "tags[1]: \"a\" is twice in the set");
    }

    #[test]
    fn dynamodb_json_reads_every_type() {
        let v =
            json!({"M": {"a": {"L": [{"N": "1"}, {"SS": ["x"]}, {"NULL": true}, {"B": "AA=="}]}}});
        let value = from_dynamodb_json(&v, "").unwrap();
        assert_eq!(
            value_to_json(&value),
            json!({"a": [1, {"$ss": ["x"]}, null, {"$b": "AA=="}]})
        );
        assert!(from_dynamodb_json(&json!({"Q": 1}), "x").is_err());
    }
}
