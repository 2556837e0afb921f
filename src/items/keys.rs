//! `--key`, `--index` and `--sort`: read against the table's declared keys and indexes, so
//! that a wrong name or type is an error before any request.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;

use super::{Expression, ItemsError};
use crate::schema::{Item, Rule, Violation};
use crate::stack::{KeySpec, KeyType, TableSpec};

/// The keys a read uses: the table's, or an index's.
#[derive(Debug, Clone)]
pub struct KeySchema {
    pub index: Option<String>,
    pub partition: KeySpec,
    pub sort: Option<KeySpec>,
}

/// The table's keys, or those of its index `index` (an error names the declared indexes).
pub fn key_schema(spec: &TableSpec, index: Option<&str>) -> Result<KeySchema, ItemsError> {
    let Some(name) = index else {
        return Ok(KeySchema {
            index: None,
            partition: spec.partition_key.clone(),
            sort: spec.sort_key.clone(),
        });
    };
    if let Some(g) = spec.global_indexes.iter().find(|g| g.name == name) {
        return Ok(KeySchema {
            index: Some(name.into()),
            partition: g.partition_key.clone(),
            sort: g.sort_key.clone(),
        });
    }
    if let Some(l) = spec.local_indexes.iter().find(|l| l.name == name) {
        return Ok(KeySchema {
            index: Some(name.into()),
            partition: spec.partition_key.clone(),
            sort: Some(l.sort_key.clone()),
        });
    }
    let names: Vec<&str> = spec
        .global_indexes
        .iter()
        .map(|g| g.name.as_str())
        .chain(spec.local_indexes.iter().map(|l| l.name.as_str()))
        .collect();
    let help = match crate::suggest::closest(name, names.iter().copied()) {
        Some(s) => format!("did you mean {s}?"),
        None if names.is_empty() => format!("table {} declares no indexes", spec.logical),
        None => format!("declared indexes: {}", names.join(", ")),
    };
    Err(ItemsError::usage(
        format!("table {} has no index {name}", spec.logical),
        help,
    ))
}

/// `name=value,name=value` against `keys`: every part names a key attribute. A value may hold
/// commas: a part without `=` continues the one before; a part `name=...` whose name is no
/// key attribute is an error (a misspelt name must not become part of a value).
pub fn parse_key(
    text: &str,
    keys: &KeySchema,
) -> Result<Vec<(KeySpec, AttributeValue)>, ItemsError> {
    let all: Vec<&KeySpec> = std::iter::once(&keys.partition)
        .chain(keys.sort.as_ref())
        .collect();
    let mut parts: Vec<(&KeySpec, String)> = Vec::new();
    for part in text.split(',') {
        let named = part.split_once('=').map(|(n, v)| (n.trim(), v));
        match (named, parts.last_mut()) {
            (Some((name, value)), _) => {
                let Some(key) = all.iter().find(|k| k.name == name) else {
                    return Err(not_a_key(part, &all));
                };
                if parts.iter().any(|(k, _)| k.name == key.name) {
                    return Err(ItemsError::usage(
                        format!("--key names {} twice", key.name),
                        "name each key attribute once",
                    ));
                }
                parts.push((key, value.to_string()));
            }
            (None, Some((_, value))) => {
                value.push(',');
                value.push_str(part);
            }
            (None, None) => return Err(not_a_key(part, &all)),
        }
    }
    parts
        .into_iter()
        .map(|(k, v)| Ok((k.clone(), key_value(k, &v)?)))
        .collect()
}

fn not_a_key(part: &str, keys: &[&KeySpec]) -> ItemsError {
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    let written: Vec<String> = names.iter().map(|n| format!("{n}=...")).collect();
    ItemsError::usage(
        format!(
            "--key {part:?} does not name a key attribute (the key attributes here: {})",
            names.join(", ")
        ),
        format!(
            "write --key {} (a value cannot hold `,NAME=`)",
            written.join(",")
        ),
    )
}

/// A key value from the command line, as the key's declared type.
pub fn key_value(key: &KeySpec, text: &str) -> Result<AttributeValue, ItemsError> {
    if text.is_empty() {
        return Err(ItemsError::usage(
            format!("--key {}= has an empty value", key.name),
            "DynamoDB key values are never empty: give the value after =",
        ));
    }
    match key.key_type {
        KeyType::String => Ok(AttributeValue::S(text.to_string())),
        KeyType::Number if number(text.trim()) => Ok(AttributeValue::N(text.trim().to_string())),
        KeyType::Number => Err(ItemsError::usage(
            format!("{} is a number key; {text:?} is not a number", key.name),
            "write the number without quotes, like 42 or 1.5",
        )),
        KeyType::Binary => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(|b| AttributeValue::B(Blob::new(b)))
            .map_err(|_| {
                ItemsError::usage(
                    format!("{} is a binary key; {text:?} is not base64", key.name),
                    "write binary keys in base64",
                )
            }),
    }
}

/// A number DynamoDB takes: decimal, in its range.
fn number(text: &str) -> bool {
    text.parse::<f64>().is_ok_and(f64::is_finite)
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && crate::schema::number_problem(text).is_none()
}

/// The full primary key of one item (GetItem, DeleteItem): the partition key and, when the
/// table has one, the sort key.
pub fn primary_key(spec: &TableSpec, text: &str) -> Result<Item, ItemsError> {
    let keys = key_schema(spec, None)?;
    let given = parse_key(text, &keys)?;
    let missing: Vec<&str> = std::iter::once(&keys.partition)
        .chain(keys.sort.as_ref())
        .filter(|k| !given.iter().any(|(g, _)| g.name == k.name))
        .map(|k| k.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(ItemsError::usage(
            format!(
                "--key lacks {} of table {}",
                missing.join(" and "),
                spec.logical
            ),
            "an item is named by its whole primary key: --key pk=...,sk=...",
        ));
    }
    Ok(given.into_iter().map(|(k, v)| (k.name, v)).collect())
}

/// The KeyConditionExpression of a query: `--key` names the partition key (and may give the
/// sort key's value), `--sort` a condition on the sort key (`= v`, `< v`, `<= v`, `> v`, `>= v`,
/// `begins_with v`, `between a and b`).
pub fn key_condition(
    keys: &KeySchema,
    key: &str,
    sort: Option<&str>,
) -> Result<Expression, ItemsError> {
    let given = parse_key(key, keys)?;
    let mut expr = Expression::default();
    let Some((_, pk)) = given.iter().find(|(k, _)| k.name == keys.partition.name) else {
        return Err(ItemsError::usage(
            format!("--key lacks the partition key {}", keys.partition.name),
            format!("write --key {}=...", keys.partition.name),
        ));
    };
    let (n, v) = (
        expr.name("#k", &keys.partition.name),
        expr.value(":k", pk.clone()),
    );
    expr.text = format!("{n} = {v}");
    let sort_value = given
        .iter()
        .find(|(k, _)| Some(&k.name) == keys.sort.as_ref().map(|s| &s.name));
    match (sort_value, sort) {
        (Some(_), Some(_)) => Err(ItemsError::usage(
            "--key gives the sort key and --sort a condition on it",
            "use one of them",
        )),
        (Some((_, value)), None) => {
            let (n, v) = (
                expr.name("#k", &keys.sort.as_ref().expect("a sort key").name),
                expr.value(":k", value.clone()),
            );
            expr.text.push_str(&format!(" AND {n} = {v}"));
            Ok(expr)
        }
        (None, Some(condition)) => {
            sort_condition(keys, condition, &mut expr)?;
            Ok(expr)
        }
        (None, None) => Ok(expr),
    }
}

fn sort_condition(
    keys: &KeySchema,
    condition: &str,
    expr: &mut Expression,
) -> Result<(), ItemsError> {
    let on = match &keys.index {
        Some(i) => format!("index {i}"),
        None => "the table".to_string(),
    };
    let Some(sort) = &keys.sort else {
        return Err(ItemsError::usage(
            format!("--sort: {on} has no sort key"),
            "leave --sort out, or query an index with a sort key",
        ));
    };
    let syntax = "write --sort \"= v\", \"< v\", \"<= v\", \"> v\", \">= v\", \"begins_with v\" or \"between a and b\"";
    let (op, rest) = condition
        .trim()
        .split_once(' ')
        .ok_or_else(|| ItemsError::usage(format!("--sort {condition:?} has no value"), syntax))?;
    let n = expr.name("#k", &sort.name);
    let mut value = |text: &str| -> Result<String, ItemsError> {
        Ok(expr.value(":k", key_value(sort, text.trim())?))
    };
    let clause = match op {
        "=" | "<" | "<=" | ">" | ">=" => format!("{n} {op} {}", value(rest)?),
        "begins_with" if sort.key_type == KeyType::Number => {
            return Err(ItemsError::usage(
                format!("--sort begins_with: the sort key {} is a number", sort.name),
                "use =, <, <=, >, >= or between on numbers",
            ));
        }
        "begins_with" => format!("begins_with({n}, {})", value(rest)?),
        "between" => {
            let (low, high) = rest.split_once(" and ").ok_or_else(|| {
                ItemsError::usage(
                    format!("--sort {condition:?}: between takes \"a and b\""),
                    syntax,
                )
            })?;
            let (low, high) = (key_value(sort, low.trim())?, key_value(sort, high.trim())?);
            if above(&low, &high) {
                return Err(ItemsError::usage(
                    format!("--sort {condition:?}: the lower bound is above the upper one"),
                    "write between LOW and HIGH (DynamoDB refuses a lower bound above the upper)",
                ));
            }
            let (low, high) = (expr.value(":k", low), expr.value(":k", high));
            format!("{n} BETWEEN {low} AND {high}")
        }
        other => {
            return Err(ItemsError::usage(
                format!("--sort: unknown condition {other:?}"),
                syntax,
            ));
        }
    };
    expr.text.push_str(&format!(" AND {clause}"));
    Ok(())
}

/// Whether `a` sorts after `b` as DynamoDB compares key values: numbers by value, strings
/// by their UTF-8 bytes, binary by bytes.
fn above(a: &AttributeValue, b: &AttributeValue) -> bool {
    match (a, b) {
        (AttributeValue::N(a), AttributeValue::N(b)) => {
            a.parse::<f64>().ok() > b.parse::<f64>().ok()
        }
        (AttributeValue::S(a), AttributeValue::S(b)) => a.as_bytes() > b.as_bytes(),
        (AttributeValue::B(a), AttributeValue::B(b)) => a.as_ref() > b.as_ref(),
        _ => false,
    }
}

/// DynamoDB's longest partition key value, in bytes (quotas: "Partition key value").
const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// DynamoDB's longest sort key value, in bytes (quotas: "Sort key value").
const MAX_SORT_KEY_BYTES: usize = 1024;

/// The longest value the key attribute `name` may hold: a sort key's of any index is the
/// tighter limit.
fn max_key_bytes(spec: &TableSpec, name: &str) -> usize {
    let sort = spec.sort_key.iter().any(|k| k.name == name)
        || spec
            .global_indexes
            .iter()
            .any(|g| g.sort_key.as_ref().is_some_and(|k| k.name == name))
        || spec.local_indexes.iter().any(|l| l.sort_key.name == name);
    if sort {
        MAX_SORT_KEY_BYTES
    } else {
        MAX_PARTITION_KEY_BYTES
    }
}

/// What DynamoDB itself requires of an item, schema or not: the table's keys present, and
/// every key attribute of the table and its indexes of its key type.
pub fn key_violations(spec: &TableSpec, item: &Item) -> Vec<Violation> {
    let table_keys: Vec<&KeySpec> = std::iter::once(&spec.partition_key)
        .chain(spec.sort_key.as_ref())
        .collect();
    let mut out = Vec::new();
    for key in spec.key_attributes() {
        let table_key = table_keys.iter().any(|k| k.name == key.name);
        match item.get(&key.name) {
            None if table_key => out.push(Violation::new(
                &key.name,
                Rule::Required,
                "is required (a key of the table)",
            )),
            None => {}
            Some(value) if !key_type_matches(key.key_type, value) => out.push(Violation::new(
                &key.name,
                Rule::Type,
                format!(
                    "expected a {} (a key), found {}",
                    key.key_type.as_str(),
                    crate::schema::type_name(value)
                ),
            )),
            Some(value) => out.extend(key_value_violation(spec, &key.name, value)),
        }
    }
    out
}

/// An empty or too long key value.
fn key_value_violation(spec: &TableSpec, name: &str, value: &AttributeValue) -> Option<Violation> {
    let bytes = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        _ => return None,
    };
    let max = max_key_bytes(spec, name);
    let why = if bytes == 0 {
        "a key cannot be empty (DynamoDB refuses empty key values)".to_string()
    } else if bytes > max {
        format!("a key value of {bytes} bytes; DynamoDB takes up to {max} for this key")
    } else {
        return None;
    };
    Some(Violation::new(name, Rule::Limit, why))
}

fn key_type_matches(key_type: KeyType, value: &AttributeValue) -> bool {
    matches!(
        (key_type, value),
        (KeyType::String, AttributeValue::S(_))
            | (KeyType::Number, AttributeValue::N(_))
            | (KeyType::Binary, AttributeValue::B(_))
    )
}

/// The item's primary key as text (`pk=ORDER#1,sk=v0`): to find two items with one key, and
/// to name an item in messages.
pub fn key_text(spec: &TableSpec, item: &Item) -> String {
    std::iter::once(&spec.partition_key)
        .chain(spec.sort_key.as_ref())
        .map(|k| {
            let value = item
                .get(&k.name)
                .map(crate::schema::value_to_json)
                .unwrap_or_default();
            match value {
                serde_json::Value::String(s) => format!("{}={s}", k.name),
                other => format!("{}={other}", k.name),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The item's primary key attributes.
pub fn key_of(spec: &TableSpec, item: &Item) -> Item {
    std::iter::once(&spec.partition_key)
        .chain(spec.sort_key.as_ref())
        .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(sort: KeyType) -> KeySchema {
        KeySchema {
            index: None,
            partition: KeySpec {
                name: "pk".into(),
                key_type: KeyType::String,
            },
            sort: Some(KeySpec {
                name: "sk".into(),
                key_type: sort,
            }),
        }
    }

    #[test]
    fn sort_conditions_become_key_conditions() {
        let e = key_condition(&keys(KeyType::String), "pk=ORDER#1", Some("begins_with v")).unwrap();
        assert_eq!(e.text, "#k0 = :k0 AND begins_with(#k1, :k1)");
        assert_eq!(e.values[":k1"], AttributeValue::S("v".into()));
        let e = key_condition(&keys(KeyType::Number), "pk=a,b", Some("between 1 and 5")).unwrap();
        assert_eq!(e.text, "#k0 = :k0 AND #k1 BETWEEN :k1 AND :k2");
        assert_eq!(e.values[":k0"], AttributeValue::S("a,b".into()));
        let e = key_condition(&keys(KeyType::Number), "pk=a,sk=3", None).unwrap();
        assert_eq!(e.text, "#k0 = :k0 AND #k1 = :k1");
    }

    #[test]
    fn wrong_keys_and_conditions_are_refused() {
        let err = |r: Result<Expression, ItemsError>| r.unwrap_err().to_string();
        assert_eq!(
            err(key_condition(
                &keys(KeyType::Number),
                "pk=a",
                Some("begins_with 1")
            )),
            "--sort begins_with: the sort key sk is a number"
        );
        assert_eq!(
            err(key_condition(&keys(KeyType::Number), "pk=a", Some("> x"))),
            "sk is a number key; \"x\" is not a number"
        );
        assert_eq!(
            err(key_condition(&keys(KeyType::String), "id=a", None)),
            "--key \"id=a\" does not name a key attribute (the key attributes here: pk, sk)"
        );
        assert_eq!(
            err(key_condition(
                &keys(KeyType::String),
                "pk=ORDER#2,sk=v0,zz=1",
                None
            )),
            "--key \"zz=1\" does not name a key attribute (the key attributes here: pk, sk)"
        );
        assert_eq!(
            err(key_condition(&keys(KeyType::String), "pk=", None)),
            "--key pk= has an empty value"
        );
        assert_eq!(
            err(key_condition(
                &keys(KeyType::Number),
                "pk=a",
                Some("between 20 and 10")
            )),
            "--sort \"between 20 and 10\": the lower bound is above the upper one"
        );
        assert_eq!(
            err(key_condition(
                &keys(KeyType::Number),
                "pk=a",
                Some("= 1e200")
            )),
            "sk is a number key; \"1e200\" is not a number"
        );
        let e = key_condition(&keys(KeyType::Number), "pk=a", Some("between 9 and 10")).unwrap();
        assert_eq!(e.values[":k2"], AttributeValue::N("10".into()));
        assert_eq!(
            err(key_condition(
                &keys(KeyType::String),
                "pk=a",
                Some("like x")
            )),
            "--sort: unknown condition \"like\""
        );
    }
}
