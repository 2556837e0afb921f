//! `--filter`: conditions on attributes joined by `and`, turned into a FilterExpression with
//! placeholders. A condition is `PATH OP VALUE` (`=`, `<>`, `<`, `<=`, `>`, `>=`,
//! `begins_with`, `contains`) or `PATH exists` / `PATH not_exists`; PATH is an attribute name,
//! or `a.b` into a map; VALUE is JSON (`"paid"`, `10`, `true`), with sets and binary in the
//! explicit forms of `crate::schema`.

use super::{Expression, ItemsError};

const SYNTAX: &str = "write conditions like 'status = \"paid\" and total > 10' (strings in double quotes); operators: = <> < <= > >= begins_with contains exists not_exists";

/// The FilterExpression `text` says.
pub fn parse(text: &str) -> Result<Expression, ItemsError> {
    let mut expr = Expression::default();
    let mut rest = text.trim();
    let mut clauses = Vec::new();
    loop {
        let (clause, after) = condition(rest, &mut expr)?;
        clauses.push(clause);
        let after = after.trim_start();
        if after.is_empty() {
            break;
        }
        rest = after
            .strip_prefix("and ")
            .or_else(|| after.strip_prefix("AND "))
            .ok_or_else(|| bad(text, &format!("expected `and` before {after:?}")))?;
    }
    expr.text = clauses.join(" AND ");
    Ok(expr)
}

fn bad(text: &str, why: &str) -> ItemsError {
    ItemsError::usage(format!("--filter {text:?}: {why}"), SYNTAX)
}

/// One condition at the start of `text`, and what follows it.
fn condition<'t>(text: &'t str, expr: &mut Expression) -> Result<(String, &'t str), ItemsError> {
    let (path, rest) = word(text).ok_or_else(|| bad(text, "expected an attribute name"))?;
    let (op, rest) =
        word(rest).ok_or_else(|| bad(text, &format!("expected an operator after {path}")))?;
    let names: Vec<String> = path.split('.').map(|p| expr.name("#f", p)).collect();
    let at = names.join(".");
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
    let av = crate::schema::value_from_json(&value, None, path)
        .map_err(|v| bad(text, &v.to_string()))?;
    let v = expr.value(":f", av);
    let clause = match op {
        "begins_with" | "contains" => format!("{op}({at}, {v})"),
        _ => format!("{at} {op} {v}"),
    };
    Ok((clause, after))
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
        let e =
            parse(r#"status = "paid and more" and total >= 10 and address.city exists"#).unwrap();
        assert_eq!(
            e.text,
            "#f0 = :f0 AND #f1 >= :f1 AND attribute_exists(#f2.#f3)"
        );
        assert_eq!(e.values[":f0"], AttributeValue::S("paid and more".into()));
        assert_eq!(e.names["#f3"], "city");
    }

    #[test]
    fn bad_filters_say_what_is_expected() {
        let err = |t: &str| parse(t).unwrap_err().to_string();
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
    }
}
