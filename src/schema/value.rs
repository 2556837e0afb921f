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
/// strings are binary. Every value that cannot be an attribute value is a violation at its
/// path and is left out; the rest is converted, so that the item can still be checked.
pub fn item_from_json(json: &Value, schema: Option<&ItemSchema>) -> (Item, Vec<Violation>) {
    let mut out = Vec::new();
    let Value::Object(map) = json else {
        out.push(Violation::new(
            "",
            Rule::Type,
            format!("an item must be a JSON object, found {}", json_type(json)),
        ));
        return (Item::new(), out);
    };
    let item = map_from_json(map, schema.map(|s| s.fields.as_slice()), "", &mut out);
    (item, out)
}

fn map_from_json(
    map: &Map<String, Value>,
    fields: Option<&[Field]>,
    path: &str,
    out: &mut Vec<Violation>,
) -> Item {
    map.iter()
        .filter_map(|(name, value)| {
            let spec = fields.and_then(|f| find(f, name));
            let value = convert(value, spec, &join(path, name), out)?;
            Some((name.clone(), value))
        })
        .collect()
}

/// A plain JSON value as an attribute value, guided by its declaration `spec`.
///
/// # Errors
/// The first violation (at `path` or within) of a value that cannot be an attribute value.
pub fn value_from_json(
    value: &Value,
    spec: Option<&FieldSpec>,
    path: &str,
) -> Result<AttributeValue, Violation> {
    let mut out = Vec::new();
    match convert(value, spec, path, &mut out) {
        Some(v) if out.is_empty() => Ok(v),
        _ => Err(out.swap_remove(0)),
    }
}

/// `value` converted, or `None` with its problems pushed to `out`.
fn convert(
    value: &Value,
    spec: Option<&FieldSpec>,
    path: &str,
    out: &mut Vec<Violation>,
) -> Option<AttributeValue> {
    let kind = spec.map(|s| s.kind);
    let mut attempt = |r: Result<AttributeValue, Violation>| r.map_err(|v| out.push(v)).ok();
    match value {
        Value::Null => Some(AttributeValue::Null(true)),
        Value::Bool(b) => Some(AttributeValue::Bool(*b)),
        Value::Number(n) => Some(AttributeValue::N(n.to_string())),
        Value::String(s) if kind == Some(FieldType::Binary) => {
            attempt(base64(s, path).map(|b| AttributeValue::B(Blob::new(b))))
        }
        Value::String(s) => Some(AttributeValue::S(s.clone())),
        Value::Array(items) => match kind {
            Some(FieldType::StringSet) => set_from_json("$ss", items, path, out),
            Some(FieldType::NumberSet) => set_from_json("$ns", items, path, out),
            Some(FieldType::BinarySet) => set_from_json("$bs", items, path, out),
            _ => {
                let element = spec.and_then(|s| s.items.as_deref());
                let before = out.len();
                let list: Vec<AttributeValue> = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| convert(v, element, &format!("{path}[{i}]"), out))
                    .collect();
                (out.len() == before).then_some(AttributeValue::L(list))
            }
        },
        Value::Object(map) => match explicit(map, path) {
            Ok(Some((tag, inner))) => explicit_from_json(tag, inner, path, out),
            Ok(None) => Some(AttributeValue::M(map_from_json(
                map,
                spec.and_then(|s| s.fields.as_deref()),
                path,
                out,
            ))),
            Err(v) => attempt(Err(v)),
        },
    }
}

/// The explicit forms, `{"$ss": [...]}` and the others.
const FORMS: [&str; 5] = ["$ss", "$ns", "$bs", "$b", "$n"];

/// `{"$ss": [...]}` and the other one-key forms; a one-key object whose key starts with `$`
/// and is none of them is a misspelt form.
fn explicit<'m>(
    map: &'m Map<String, Value>,
    path: &str,
) -> Result<Option<(&'m str, &'m Value)>, Violation> {
    let Some((tag, inner)) = map.iter().next().filter(|_| map.len() == 1) else {
        return Ok(None);
    };
    if FORMS.contains(&tag.as_str()) {
        return Ok(Some((tag.as_str(), inner)));
    }
    if tag.starts_with('$') {
        return Err(Violation::new(
            path,
            Rule::Type,
            format!(
                "{tag:?} is not an explicit form: use {} (a map whose one key starts with $ cannot be written)",
                FORMS.join(", ")
            ),
        ));
    }
    Ok(None)
}

fn explicit_from_json(
    tag: &str,
    inner: &Value,
    path: &str,
    out: &mut Vec<Violation>,
) -> Option<AttributeValue> {
    let result = match (tag, inner) {
        ("$b", Value::String(s)) => base64(s, path).map(|b| AttributeValue::B(Blob::new(b))),
        ("$n", Value::String(s)) => number(s, path).map(AttributeValue::N),
        ("$ss" | "$ns" | "$bs", Value::Array(items)) => {
            return set_from_json(tag, items, path, out);
        }
        _ => Err(Violation::new(
            path,
            Rule::Type,
            format!(
                "{tag} takes {}, found {}",
                if tag == "$b" || tag == "$n" {
                    "a string"
                } else {
                    "an array"
                },
                json_type(inner)
            ),
        )),
    };
    result.map_err(|v| out.push(v)).ok()
}

/// A set's elements; empty sets and duplicates are DynamoDB's rules (`limits.rs`).
fn set_from_json(
    tag: &str,
    items: &[Value],
    path: &str,
    out: &mut Vec<Violation>,
) -> Option<AttributeValue> {
    let before = out.len();
    let mut strings = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let wrong = |what: &str| {
            Violation::new(
                &at,
                Rule::Type,
                format!(
                    "a {} holds {what}, found {}",
                    set_name(tag),
                    json_type(item)
                ),
            )
        };
        let text = match (tag, item) {
            ("$ns", Value::Number(n)) => Ok(n.to_string()),
            ("$ns", Value::String(s)) => number(s, &at),
            ("$ns", _) => Err(wrong("numbers")),
            ("$bs", Value::String(s)) => base64(s, &at).map(|_| s.clone()),
            (_, Value::String(s)) => Ok(s.clone()),
            _ => Err(wrong("strings")),
        };
        match text {
            Ok(t) => strings.push(t),
            Err(v) => out.push(v),
        }
    }
    if out.len() > before {
        return None;
    }
    Some(match tag {
        "$ss" => AttributeValue::Ss(strings),
        "$ns" => AttributeValue::Ns(strings),
        _ => AttributeValue::Bs(
            strings
                .iter()
                .map(|s| Blob::new(BASE64.decode(s).unwrap_or_default()))
                .collect(),
        ),
    })
}

/// What a JSON value is, for messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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

/// A number's text as DynamoDB takes it: decimal digits with a sign, a point and an
/// exponent. Its range and digits are DynamoDB's limits (`limits.rs`), checked on the item.
fn number(text: &str, path: &str) -> Result<String, Violation> {
    let t = text.trim();
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mantissa = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let digits = mantissa.replacen('.', "", 1);
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && exponent.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.len() < 10 && e.chars().all(|c| c.is_ascii_digit())
        });
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

/// The attributes of an item in DynamoDB JSON (`{"pk": {"S": "..."}, ...}`), as export data
/// files write items; like [`item_from_json`], every problem is reported and the rest kept.
pub fn item_from_dynamodb_json(map: &Map<String, Value>) -> (Item, Vec<Violation>) {
    let mut out = Vec::new();
    let item = map
        .iter()
        .filter_map(|(name, value)| {
            from_dynamodb_json(value, name)
                .map_err(|v| out.extend(v))
                .ok()
                .map(|v| (name.clone(), v))
        })
        .collect();
    (item, out)
}

/// A value in DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, `{"M": {...}}`, ...).
///
/// # Errors
/// Every violation at `path` or within, for anything that is not DynamoDB JSON.
pub fn from_dynamodb_json(value: &Value, path: &str) -> Result<AttributeValue, Vec<Violation>> {
    let bad = || {
        let shown = value.to_string();
        let shown = match shown.char_indices().nth(60) {
            Some((i, _)) => format!("{}...", &shown[..i]),
            None => shown,
        };
        vec![Violation::new(
            path,
            Rule::Type,
            format!(
                "not a DynamoDB JSON attribute value (one of S, N, B, BOOL, NULL, SS, NS, BS, L, M, like {{\"S\": \"text\"}}): found {shown}"
            ),
        )]
    };
    let Some((tag, inner)) = value
        .as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.iter().next())
    else {
        return Err(bad());
    };
    let strings = |v: &Value| -> Result<Vec<String>, Vec<Violation>> {
        v.as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|s| s.as_str().map(str::to_string).ok_or_else(bad))
            .collect()
    };
    let one = |r: Result<AttributeValue, Violation>| r.map_err(|v| vec![v]);
    match (tag.as_str(), inner) {
        ("S", Value::String(s)) => Ok(AttributeValue::S(s.clone())),
        ("N", Value::String(s)) => one(number(s, path).map(AttributeValue::N)),
        ("B", Value::String(s)) => one(base64(s, path).map(|b| AttributeValue::B(Blob::new(b)))),
        ("BOOL", Value::Bool(b)) => Ok(AttributeValue::Bool(*b)),
        ("NULL", Value::Bool(true)) => Ok(AttributeValue::Null(true)),
        ("SS", v) => Ok(AttributeValue::Ss(strings(v)?)),
        ("NS", v) => {
            let numbers = strings(v)?;
            for n in &numbers {
                one(number(n, path).map(AttributeValue::N))?;
            }
            Ok(AttributeValue::Ns(numbers))
        }
        ("BS", v) => Ok(AttributeValue::Bs(
            strings(v)?
                .iter()
                .map(|s| base64(s, path).map(Blob::new).map_err(|v| vec![v]))
                .collect::<Result<_, _>>()?,
        )),
        ("L", Value::Array(items)) => dynamodb_list(items, path).map(AttributeValue::L),
        ("M", Value::Object(m)) => dynamodb_map(m, path).map(AttributeValue::M),
        _ => Err(bad()),
    }
}

/// The elements of a DynamoDB JSON list (`{"L": [...]}`), or every violation within.
fn dynamodb_list(items: &[Value], path: &str) -> Result<Vec<AttributeValue>, Vec<Violation>> {
    let mut out = Vec::new();
    let list: Vec<AttributeValue> = items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            from_dynamodb_json(v, &format!("{path}[{i}]"))
                .map_err(|v| out.extend(v))
                .ok()
        })
        .collect();
    if out.is_empty() { Ok(list) } else { Err(out) }
}

/// The attributes of a DynamoDB JSON map (`{"M": {...}}`), or every violation within.
fn dynamodb_map(m: &serde_json::Map<String, Value>, path: &str) -> Result<Item, Vec<Violation>> {
    let mut out = Vec::new();
    let map: Item = m
        .iter()
        .filter_map(|(k, v)| {
            from_dynamodb_json(v, &join(path, k))
                .map_err(|v| out.extend(v))
                .ok()
                .map(|v| (k.clone(), v))
        })
        .collect();
    if out.is_empty() { Ok(map) } else { Err(out) }
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

    use super::super::dynamodb_violations;
    use super::*;

    fn converted(json: &Value, schema: Option<&ItemSchema>) -> Item {
        let (item, problems) = item_from_json(json, schema);
        assert_eq!(problems, []);
        item
    }

    #[test]
    fn explicit_forms_read_back_as_they_were_written() {
        let written = json!({
            "pk": "A#1", "n": 12, "f": 1.5, "big": {"$n": "12345678901234567890.123"},
            "b": {"$b": "AAEC"}, "tags": {"$ss": ["x", "y"]}, "nums": {"$ns": [1, 2.5]},
            "blobs": {"$bs": ["AA=="]}, "ok": true, "none": null,
            "lines": [{"sku": "s", "qty": 2}]
        });
        let item = converted(&written, None);
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
        let item = converted(&json!({"tags": ["a"], "b": "AAE="}), Some(&schema));
        assert_eq!(item["tags"], AttributeValue::Ss(vec!["a".into()]));
        assert_eq!(item["b"], AttributeValue::B(Blob::new(vec![0, 1])));
        let problems = |json: Value| -> Vec<String> {
            dynamodb_violations(&converted(&json, Some(&schema)))
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            problems(json!({"tags": []})),
            ["tags: an empty set: DynamoDB stores no empty sets; leave the attribute out"]
        );
        assert_eq!(
            problems(json!({"tags": ["a", "a"]})),
            ["tags[1]: \"a\" is twice in the set (DynamoDB refuses duplicate set elements)"]
        );
    }

    #[test]
    fn every_problem_of_an_item_is_reported_and_the_rest_converted() {
        let (item, problems) = item_from_json(
            &json!({"pk": "A", "x": {"$xyz": 1}, "n": {"$n": "1,5"}, "l": [1, {"$b": "!"}],
                "s": {"$ns": [1, "a", true]}, "m": {"k": {"$ss": "a"}}}),
            None,
        );
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "x: \"$xyz\" is not an explicit form: use $ss, $ns, $bs, $b, $n (a map whose one key starts with $ cannot be written)",
                "n: \"1,5\" is not a number",
                "l[1]: binary must be base64: Invalid symbol 33, offset 0.",
                "s[1]: \"a\" is not a number",
                "s[2]: a number set holds numbers, found a boolean",
                "m.k: $ss takes an array, found a string",
            ]
        );
        let mut names: Vec<&String> = item.keys().collect();
        names.sort();
        assert_eq!(names, ["m", "pk"]);
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
        let err =
            from_dynamodb_json(&json!({"M": {"a": {"Q": 1}, "b": {"N": "x"}}}), "top").unwrap_err();
        let err: Vec<String> = err.iter().map(ToString::to_string).collect();
        assert_eq!(
            err,
            [
                "top.a: not a DynamoDB JSON attribute value (one of S, N, B, BOOL, NULL, SS, NS, BS, L, M, like {\"S\": \"text\"}): found {\"Q\":1}",
                "top.b: \"x\" is not a number",
            ]
        );
    }
}
