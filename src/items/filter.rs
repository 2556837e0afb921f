//! `--filter`: conditions on attributes joined by `and`, turned into a FilterExpression with
//! placeholders. A condition is `PATH OP VALUE` (`=`, `<>`, `<`, `<=`, `>`, `>=`,
//! `begins_with`, `contains`) or `PATH exists` / `PATH not_exists`; PATH is an attribute name,
//! `a.b` into a map or `lines[0]` into a list; VALUE is JSON (`"paid"`, `10`, `true`), with sets and binary in the
//! explicit forms of `crate::schema`.

use super::{Expression, ItemsError};
use crate::schema::{FieldSpec, FieldType, ItemSchema};

const SYNTAX: &str = "write conditions like 'status = \"paid\" and total > 10' (strings in double quotes); operators: = <> < <= > >= begins_with contains exists not_exists";

/// The FilterExpression `text` says. With a schema, paths are checked against it (a strict
/// schema's undeclared attributes are errors) and values take the declared types (a JSON
/// array is a set where the attribute is one).
///
/// # Errors
/// [`ItemsError::Usage`] for text that is not conditions joined by `and`.
pub fn parse(text: &str, schema: Option<&ItemSchema>) -> Result<Expression, ItemsError> {
    let mut expr = Expression::default();
    let mut rest = text.trim();
    let mut clauses = Vec::new();
    loop {
        let (clause, after) = condition(text, rest, schema, &mut expr)?;
        clauses.push(clause);
        let after = after.trim_start();
        if after.is_empty() {
            break;
        }
        let joined = after
            .strip_prefix("and")
            .or_else(|| after.strip_prefix("AND"))
            .filter(|r| r.is_empty() || r.starts_with(char::is_whitespace))
            .ok_or_else(|| bad(text, &format!("expected `and` before {after:?}")))?;
        rest = joined.trim_start();
        if rest.is_empty() {
            return Err(bad(text, "a condition is missing after the last `and`"));
        }
    }
    expr.text = clauses.join(" AND ");
    Ok(expr)
}

fn bad(text: &str, why: &str) -> ItemsError {
    ItemsError::usage(format!("--filter {text:?}: {why}"), SYNTAX)
}

/// One condition at the start of `rest` (of the whole `text`), and what follows it.
fn condition<'t>(
    text: &str,
    rest: &'t str,
    schema: Option<&ItemSchema>,
    expr: &mut Expression,
) -> Result<(String, &'t str), ItemsError> {
    let (path, rest) = word(rest).ok_or_else(|| bad(text, "expected an attribute name"))?;
    let (op, rest) =
        word(rest).ok_or_else(|| bad(text, &format!("expected an operator after {path}")))?;
    let (at, spec) = attribute(text, path, schema, expr)?;
    match op {
        "exists" => return Ok((format!("attribute_exists({at})"), rest)),
        "not_exists" => return Ok((format!("attribute_not_exists({at})"), rest)),
        "=" | "<>" | "<" | "<=" | ">" | ">=" | "begins_with" | "contains" => {}
        "!=" => return Err(bad(text, "use <> for not equal")),
        other => return Err(bad(text, &format!("unknown operator {other:?}"))),
    }
    let rest = rest.trim_start();
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    let value = match values.next() {
        Some(Ok(v)) => v,
        _ => {
            return Err(bad(
                text,
                &format!("expected a JSON value after {op} (strings in double quotes)"),
            ));
        }
    };
    let after = &rest[values.byte_offset()..];
    let element;
    let spec = match (op, spec) {
        ("contains", Some(s)) => {
            element = contained(s);
            element.as_ref()
        }
        (_, s) => s,
    };
    let av = crate::schema::value_from_json(&value, spec, path)
        .map_err(|v| bad(text, &v.to_string()))?;
    let v = expr.value(":f", av);
    let clause = match op {
        "begins_with" | "contains" => format!("{op}({at}, {v})"),
        _ => format!("{at} {op} {v}"),
    };
    Ok((clause, after))
}

/// What `contains` looks for in an attribute declared `spec`: an element of a set or list,
/// or a substring.
fn contained(spec: &FieldSpec) -> Option<FieldSpec> {
    let kind = match spec.kind {
        FieldType::StringSet | FieldType::String => FieldType::String,
        FieldType::NumberSet => FieldType::Number,
        FieldType::BinarySet | FieldType::Binary => FieldType::Binary,
        FieldType::List => return spec.items.as_deref().cloned(),
        _ => return None,
    };
    Some(FieldSpec {
        kind,
        ..FieldSpec::default()
    })
}

/// A path (`a`, `a.b`, `lines[0].sku`) as placeholders, and its declaration in `schema`.
fn attribute<'s>(
    text: &str,
    path: &str,
    schema: Option<&'s ItemSchema>,
    expr: &mut Expression,
) -> Result<(String, Option<&'s FieldSpec>), ItemsError> {
    let mut at = String::new();
    let mut spec: Option<&FieldSpec> = None;
    let mut fields = schema.map(|s| s.fields.as_slice());
    for (i, part) in path.split('.').enumerate() {
        let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if name.is_empty() || name.starts_with(['#', ':']) {
            return Err(bad(
                text,
                &format!(
                    "{path:?} is not an attribute path: write names as they are, like status or address.city or lines[0].sku (stackctl makes the #name placeholders)"
                ),
            ));
        }
        spec = match fields {
            Some(f) => f.iter().find(|f| f.name == name).map(|f| &f.spec),
            None => None,
        };
        if spec.is_none() && fields.is_some() && schema.is_some_and(|s| s.strict) {
            let place = if i == 0 {
                String::new()
            } else {
                format!(" in {}", path.rsplit_once('.').map_or("", |p| p.0))
            };
            return Err(bad(
                text,
                &format!("{name} is not declared{place} in the table's item schema (strict)"),
            ));
        }
        if i > 0 {
            at.push('.');
        }
        at.push_str(&expr.name("#f", name));
        if !indexes.is_empty() {
            for index in format!("[{indexes}").split_inclusive(']') {
                let n = index.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
                let Some(n) = n.filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                else {
                    return Err(bad(
                        text,
                        &format!("{path:?}: a list index is a number in brackets, like lines[0]"),
                    ));
                };
                at.push_str(&format!("[{n}]"));
                spec = spec.and_then(|s| s.items.as_deref());
            }
        }
        fields = spec.and_then(|s| s.fields.as_deref());
    }
    Ok((at, spec))
}

/// The next whitespace-separated word of `text`, and the rest.
fn word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (end > 0).then(|| (&text[..end], &text[end..]))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;

    #[test]
    fn conditions_become_a_filter_expression() {
        let e = parse(
            r#"status = "paid and more" and total >= 10 and address.city exists"#,
            None,
        )
        .unwrap();
        assert_eq!(
            e.text,
            "#f0 = :f0 AND #f1 >= :f1 AND attribute_exists(#f2.#f3)"
        );
        assert_eq!(e.values[":f0"], AttributeValue::S("paid and more".into()));
        assert_eq!(e.names["#f3"], "city");
    }

    #[test]
    fn bad_filters_say_what_is_expected() {
        let err = |t: &str| parse(t, None).unwrap_err().to_string();
        assert_eq!(
            err("status = paid"),
            "--filter \"status = paid\": expected a JSON value after = (strings in double quotes)"
        );
        assert_eq!(
            err("status like \"x\""),
            "--filter \"status like \\\"x\\\"\": unknown operator \"like\""
        );
        assert_eq!(
            err("a = 1 or b = 2"),
            "--filter \"a = 1 or b = 2\": expected `and` before \"or b = 2\""
        );
        for text in ["a = 1 and ", "a = 1 and"] {
            assert_eq!(
                err(text),
                format!("--filter {text:?}: a condition is missing after the last `and`")
            );
        }
        assert_eq!(
            err("#x = 1"),
            "--filter \"#x = 1\": \"#x\" is not an attribute path: write names as they are, like status or address.city or lines[0].sku (stackctl makes the #name placeholders)"
        );
        assert_eq!(
            err("lines[x].sku = 1"),
            "--filter \"lines[x].sku = 1\": \"lines[x].sku\": a list index is a number in brackets, like lines[0]"
        );
    }

    #[test]
    fn the_schema_checks_paths_and_types_values() {
        let spec = |kind| FieldSpec {
            kind,
            ..FieldSpec::default()
        };
        let line = FieldSpec {
            fields: Some(vec![crate::schema::Field {
                name: "sku".into(),
                spec: spec(FieldType::String),
            }]),
            ..spec(FieldType::Map)
        };
        let schema = ItemSchema {
            strict: true,
            fields: vec![
                crate::schema::Field {
                    name: "tags".into(),
                    spec: spec(FieldType::StringSet),
                },
                crate::schema::Field {
                    name: "lines".into(),
                    spec: FieldSpec {
                        items: Some(Box::new(line)),
                        ..spec(FieldType::List)
                    },
                },
            ],
        };
        let e = parse(
            r#"tags = ["t0"] and lines[0].sku = "x" and tags contains "a""#,
            Some(&schema),
        )
        .unwrap();
        assert_eq!(
            e.text,
            "#f0 = :f0 AND #f1[0].#f2 = :f1 AND contains(#f0, :f2)"
        );
        assert_eq!(e.values[":f0"], AttributeValue::Ss(vec!["t0".into()]));
        assert_eq!(e.values[":f2"], AttributeValue::S("a".into()));
        let err = |t: &str| parse(t, Some(&schema)).unwrap_err().to_string();
        assert_eq!(
            err("nosuch = 1"),
            "--filter \"nosuch = 1\": nosuch is not declared in the table's item schema (strict)"
        );
        assert_eq!(
            err("lines[0].qty = 1"),
            "--filter \"lines[0].qty = 1\": qty is not declared in lines[0] in the table's item schema (strict)"
        );
    }
}
