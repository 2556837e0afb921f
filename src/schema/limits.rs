//! What DynamoDB refuses in any item, with a schema or without: numbers outside its range or
//! precision, empty sets, duplicate set elements, nesting deeper than 32 levels, items over
//! 400 KB. Checked before a write so that an invalid item writes nothing. Key values (empty,
//! too long) are checked with the table's keys (`crate::items::keys`).
//!
//! Sources: Amazon DynamoDB Developer Guide, "Supported data types and naming rules" (numbers:
//! 38 digits, 1E-130 to 9.9999999999999999999999999999999999999E+125; sets), "Service,
//! account, and table quotas" (item size 400 KB, nesting 32 levels) and "Item sizes and
//! formats" (how an item's size is counted).

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;

use super::value::{Item, join};
use super::violation::{Rule, Violation};

/// The largest item: 400 KB, attribute names included.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Levels of lists and maps one attribute may nest.
pub const MAX_DEPTH: usize = 32;
/// Significant digits a number may have.
pub const MAX_DIGITS: usize = 38;
/// A number's first significant digit is at most at 10^125 and at least at 10^-130.
const MAX_POWER: i64 = 125;
const MIN_POWER: i64 = -130;

/// Every value of `item` DynamoDB would refuse, and the item's size when over 400 KB.
pub fn dynamodb_violations(item: &Item) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    for name in names {
        walk(&item[name], name, 0, &mut out);
    }
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        out.push(Violation::new(
            "",
            Rule::Limit,
            format!("the item is {size} bytes; DynamoDB stores items up to 400 KB ({MAX_ITEM_BYTES} bytes, names included)"),
        ));
    }
    out
}

fn walk(value: &AttributeValue, path: &str, depth: usize, out: &mut Vec<Violation>) {
    let limit = |message: String| Violation::new(path, Rule::Limit, message);
    match value {
        AttributeValue::N(n) => out.extend(number_problem(n).map(limit)),
        AttributeValue::Ss(s) => duplicates(s.iter().map(|s| s.clone().into_bytes()), path, out),
        AttributeValue::Bs(b) => duplicates(b.iter().map(|b| b.as_ref().to_vec()), path, out),
        AttributeValue::Ns(ns) => {
            for (i, n) in ns.iter().enumerate() {
                if let Some(p) = number_problem(n) {
                    out.push(Violation::new(&format!("{path}[{i}]"), Rule::Limit, p));
                }
            }
            duplicates(ns.iter().map(|n| canonical(n).into_bytes()), path, out);
        }
        AttributeValue::L(_) | AttributeValue::M(_) if depth >= MAX_DEPTH => {
            out.push(limit(format!(
                "nests deeper than {MAX_DEPTH} levels of lists and maps, DynamoDB's limit"
            )));
        }
        AttributeValue::L(l) => {
            for (i, v) in l.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), depth + 1, out);
            }
        }
        AttributeValue::M(m) => {
            let mut names: Vec<&String> = m.keys().collect();
            names.sort();
            for name in names {
                walk(&m[name], &join(path, name), depth + 1, out);
            }
        }
        _ => {}
    }
    let empty = match value {
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => s.is_empty(),
        AttributeValue::Bs(b) => b.is_empty(),
        _ => false,
    };
    if empty {
        out.push(Violation::new(
            path,
            Rule::Type,
            "an empty set: DynamoDB stores no empty sets; leave the attribute out",
        ));
    }
}

/// A set's elements that equal an earlier one (numbers compared by value).
fn duplicates(elements: impl Iterator<Item = Vec<u8>>, path: &str, out: &mut Vec<Violation>) {
    let mut seen = HashSet::new();
    for (i, e) in elements.enumerate() {
        if !seen.insert(e.clone()) {
            out.push(Violation::new(
                &format!("{path}[{i}]"),
                Rule::Type,
                format!(
                    "{:?} is twice in the set (DynamoDB refuses duplicate set elements)",
                    String::from_utf8_lossy(&e)
                ),
            ));
        }
    }
}

/// A number's sign, significant digits (no leading or trailing zeros) and the power of ten of
/// its first digit; `None` for zero or text that is not a number.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0');
    if digits.is_empty() {
        return None;
    }
    let power = int.len() as i64 - leading as i64 - 1 + exponent;
    Some((negative, digits.to_string(), power))
}

/// Why DynamoDB refuses the number `text`, if it does.
pub fn number_problem(text: &str) -> Option<String> {
    let (_, digits, power) = decimal(text)?;
    if digits.len() > MAX_DIGITS {
        return Some(format!(
            "{text} has {} significant digits; DynamoDB keeps up to {MAX_DIGITS}",
            digits.len()
        ));
    }
    (!(MIN_POWER..=MAX_POWER).contains(&power)).then(|| {
        format!(
            "{text} is outside DynamoDB's number range: 1E-130 to 9.9999999999999999999999999999999999999E+125 in magnitude (and 0)"
        )
    })
}

/// One text for numbers of equal value: `1`, `1.0` and `10E-1` are `+1e0`.
fn canonical(text: &str) -> String {
    match decimal(text) {
        Some((negative, digits, power)) => {
            format!("{}{digits}e{power}", if negative { '-' } else { '+' })
        }
        None => "0".into(),
    }
}

/// The size DynamoDB counts for an item: names' UTF-8 bytes plus values' sizes (strings and
/// binary their bytes, numbers 1 byte per 2 significant digits plus 1, booleans and null 1,
/// lists and maps 3 plus 1 per element plus their contents).
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(n, v)| n.len() + value_size(v)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    let number = |n: &String| decimal(n).map_or(1, |(_, d, _)| d.len().div_ceil(2)) + 1;
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
        AttributeValue::Ns(n) => n.iter().map(number).sum(),
        AttributeValue::Bs(b) => b.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(n, v)| 1 + n.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::item_from_json;
    use super::*;

    fn problems(json: serde_json::Value) -> Vec<String> {
        let (item, conversion) = item_from_json(&json, None);
        assert_eq!(conversion, []);
        dynamodb_violations(&item)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn numbers_outside_dynamodb_range_or_precision_are_refused() {
        let digits39 = "1".repeat(39);
        assert_eq!(
            problems(
                json!({"a": {"$n": "1e200"}, "b": {"$n": "1e-131"}, "c": {"$n": digits39},
                "ok": {"$n": "9.9999999999999999999999999999999999999E+125"}, "z": 0,
                "tiny": {"$n": "-1E-130"}, "zeros": {"$n": "100000000000000000000000000000000000000000000000000"}})
            ),
            [
                "a: 1e200 is outside DynamoDB's number range: 1E-130 to 9.9999999999999999999999999999999999999E+125 in magnitude (and 0)",
                "b: 1e-131 is outside DynamoDB's number range: 1E-130 to 9.9999999999999999999999999999999999999E+125 in magnitude (and 0)",
                format!("c: {digits39} has 39 significant digits; DynamoDB keeps up to 38")
                    .as_str(),
            ]
        );
    }

    #[test]
    fn sets_nesting_and_size_follow_dynamodb() {
        let mut deep = json!(1);
        for _ in 0..33 {
            deep = json!([deep]);
        }
        assert_eq!(
            problems(
                json!({"ns": {"$ns": [1, 1.0, "10E-1", 2]}, "ss": {"$ss": ["a", "b", "a"]},
                "deep": deep, "bs": {"$bs": ["AA==", "AA=="]}})
            ),
            [
                "bs[1]: \"\\0\" is twice in the set (DynamoDB refuses duplicate set elements)",
                "deep[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nests deeper than 32 levels of lists and maps, DynamoDB's limit",
                "ns[1]: \"+1e0\" is twice in the set (DynamoDB refuses duplicate set elements)",
                "ns[2]: \"+1e0\" is twice in the set (DynamoDB refuses duplicate set elements)",
                "ss[2]: \"a\" is twice in the set (DynamoDB refuses duplicate set elements)",
            ]
        );
        let big = "x".repeat(MAX_ITEM_BYTES);
        assert_eq!(
            problems(json!({"pk": big})),
            [
                "the item is 409602 bytes; DynamoDB stores items up to 400 KB (409600 bytes, names included)"
            ]
        );
        assert_eq!(
            item_size(
                &item_from_json(
                    &json!({"ab": "xyz", "n": 123, "l": [true, {"k": null}]}),
                    None
                )
                .0
            ),
            5 + 4 + (1 + 3 + (1 + 1) + (1 + 3 + (1 + 1 + 1)))
        );
    }
}
