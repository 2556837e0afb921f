//! The rules SNS holds a subscription's filter policy on message attributes to, checked where
//! the filter is written: SNS's Subscribe and SetSubscriptionAttributes refuse a policy that
//! breaks them (InvalidParameter), which would fail an apply half-way. Source: "Filter policy
//! constraints in Amazon SNS"
//! (<https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html>)
//! and the operators of "Amazon SNS subscription filter policies"
//! (<https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html>).

use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, Value};

/// A filter policy names at most five message attributes.
const MAX_KEYS: usize = 5;
/// The product of the number of values of every attribute may not exceed 150.
const MAX_COMBINATIONS: usize = 150;
/// The operators a value of a filter policy on message attributes may be, besides an exact
/// string, number or boolean.
const OPERATORS: &[&str] = &[
    "prefix",
    "suffix",
    "anything-but",
    "numeric",
    "exists",
    "equals-ignore-case",
    "cidr",
];

impl Reader<'_> {
    /// Checks the filter `t` (written at `value`) against SNS's rules: at most five
    /// attributes, each a non-empty list of values or operators, at most 150 combinations.
    /// Whether it keeps them (each fault is reported).
    pub(super) fn filter_rules(&mut self, t: &DeTable<'_>, value: &Value<'_>) -> bool {
        let mut ok = true;
        if t.len() > MAX_KEYS {
            self.problem(
                Problem::new(
                    format!("filter names {} message attributes", t.len()),
                    value.span(),
                    "too many attributes",
                )
                .help(format!(
                    "SNS takes at most {MAX_KEYS} attributes in a filter policy"
                )),
            );
            ok = false;
        }
        let mut combinations: usize = 1;
        for (key, values) in t.iter() {
            let name = key.get_ref();
            let DeValue::Array(items) = values.get_ref() else {
                self.problem(
                    Problem::new(
                        format!("the filter's {name} must be a list of the values it may have"),
                        values.span(),
                        "not a list",
                    )
                    .help(format!(
                        "write {name} = [\"refund\"] (SNS matches any value of the list)"
                    )),
                );
                ok = false;
                continue;
            };
            if items.is_empty() {
                self.problem(
                    Problem::new(
                        format!("the filter's {name} lists no value"),
                        values.span(),
                        "empty",
                    )
                    .help(format!(
                        "SNS refuses an empty list: name the values {name} may have, or remove it"
                    )),
                );
                ok = false;
                continue;
            }
            combinations = combinations.saturating_mul(items.len());
            for item in items.iter() {
                ok &= self.filter_value(name, item);
            }
        }
        if combinations > MAX_COMBINATIONS {
            self.problem(
                Problem::new(
                    format!("the filter has {combinations} combinations of values"),
                    value.span(),
                    "too many values",
                )
                .help(format!("SNS takes at most {MAX_COMBINATIONS} (the product of the lengths of the lists): list fewer values")),
            );
            ok = false;
        }
        ok
    }

    /// One value of the filter's attribute `name`: a string, number or boolean, or a table of
    /// one operator (`{ prefix = "ref" }`).
    fn filter_value(&mut self, name: &str, item: &Value<'_>) -> bool {
        let operator = match item.get_ref() {
            DeValue::String(_) | DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) => {
                return true;
            }
            DeValue::Table(op) if op.len() == 1 => op.iter().next(),
            _ => None,
        };
        let Some((op, operand)) = operator else {
            self.problem(
                Problem::new(
                    format!("a value of the filter's {name} is neither a value nor an operator"),
                    item.span(),
                    "here",
                )
                .help("write a string, a number, true or false, or one operator such as { prefix = \"ref\" }"),
            );
            return false;
        };
        let op_name = op.get_ref().as_ref();
        if !OPERATORS.contains(&op_name) {
            let guess = crate::suggest::closest(op_name, OPERATORS.iter().copied());
            let help = match guess {
                Some(g) => format!(
                    "did you mean {g:?}? SNS's operators: {}",
                    OPERATORS.join(", ")
                ),
                None => format!("SNS's operators: {}", OPERATORS.join(", ")),
            };
            self.problem(
                Problem::new(
                    format!("unknown filter operator {op_name:?}"),
                    op.span(),
                    "not an SNS operator",
                )
                .help(help),
            );
            return false;
        }
        let fits = match (op_name, operand.get_ref()) {
            ("exists", DeValue::Boolean(_)) => true,
            ("numeric", DeValue::Array(a)) => numeric_range(a),
            ("anything-but", DeValue::Table(_) | DeValue::Array(_)) => true,
            ("cidr", DeValue::String(c)) => cidr(c),
            (_, DeValue::String(_)) => !matches!(op_name, "numeric" | "exists"),
            ("anything-but", DeValue::Integer(_) | DeValue::Float(_)) => true,
            _ => false,
        };
        if !fits {
            let expected = match op_name {
                "exists" => "true or false",
                "numeric" => {
                    "a comparison and a number, or a lower and an upper bound: [\">\", 0, \"<=\", 100]"
                }
                "cidr" => "an IPv4 or IPv6 block such as \"10.0.0.0/24\"",
                "anything-but" => "a value, a list of values, or { prefix = \"...\" }",
                _ => "a string",
            };
            self.problem(
                Problem::new(
                    format!("the filter operator {op_name:?} takes {expected}"),
                    operand.span(),
                    "here",
                )
                .help(format!("write {{ {op_name} = {} }}", example(op_name))),
            );
            return false;
        }
        true
    }
}

/// A numeric match SNS takes: `[op, n]`, or a range `[">" | ">=", n, "<" | "<=", m]`
/// (<https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html>).
fn numeric_range(items: &[toml::Spanned<DeValue<'_>>]) -> bool {
    let op = |i: usize, allowed: &[&str]| matches!(items[i].get_ref(), DeValue::String(o) if allowed.contains(&o.as_ref()));
    let number = |i: usize| matches!(items[i].get_ref(), DeValue::Integer(_) | DeValue::Float(_));
    match items.len() {
        2 => op(0, &["=", "<", "<=", ">", ">="]) && number(1),
        4 => op(0, &[">", ">="]) && number(1) && op(2, &["<", "<="]) && number(3),
        _ => false,
    }
}

/// A CIDR block: an IP address, `/`, and a prefix length the address's family allows.
fn cidr(block: &str) -> bool {
    let Some((address, bits)) = block.split_once('/') else {
        return false;
    };
    match (address.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
        (Ok(std::net::IpAddr::V4(_)), Ok(b)) => b <= 32,
        (Ok(std::net::IpAddr::V6(_)), Ok(b)) => b <= 128,
        _ => false,
    }
}

/// An operand of the operator `op`, for the help.
fn example(op: &str) -> &'static str {
    match op {
        "exists" => "true",
        "numeric" => "[\">=\", 100]",
        "anything-but" => "[\"test\"]",
        "cidr" => "\"10.0.0.0/24\"",
        _ => "\"ref\"",
    }
}
