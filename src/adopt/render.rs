//! A resource's stack-file section, from its live form: the keys the stack file reads, in the
//! order the README lists them, with AWS's values. Pure; the command prints and appends it.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::live::{LiveFunction, LiveTable, LiveTopic};
use crate::stack::{Billing, KeySpec, Projection, TableClass};

/// The section, and what the user must know about it (placeholders, what it leaves out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// TOML text, ending in a newline.
    pub text: String,
    pub notes: Vec<String>,
}

/// The placeholder written for an environment value that looks secret.
pub const SECRET_PLACEHOLDER: &str = "SET-ME";

/// Names of environment variables whose values are not printed (any case).
const SECRET_WORDS: [&str; 5] = ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "PRIVATE_KEY"];

/// `[tables.LOGICAL]` with its indexes for `table`; `name` when its physical name is not
/// `<stack>-LOGICAL`.
pub fn table_section(logical: &str, name: Option<&str>, table: &LiveTable) -> Section {
    let mut out = format!("[tables.{logical}]\n");
    let mut notes = Vec::new();
    if let Some(name) = name {
        line(&mut out, "name", &quote(name));
    }
    line(&mut out, "partition_key", &key(&table.partition_key));
    if let Some(sort) = &table.sort_key {
        line(&mut out, "sort_key", &key(sort));
    }
    let capacity = match table.billing {
        Billing::OnDemand => {
            line(&mut out, "billing", &quote("on-demand"));
            None
        }
        Billing::Provisioned {
            read_capacity,
            write_capacity,
        } => {
            line(&mut out, "billing", &quote("provisioned"));
            line(&mut out, "read_capacity", &read_capacity.to_string());
            line(&mut out, "write_capacity", &write_capacity.to_string());
            Some((read_capacity, write_capacity))
        }
    };
    if let Some(ttl) = &table.ttl_attribute {
        line(&mut out, "ttl_attribute", &quote(ttl));
    }
    if let Some(stream) = table.stream {
        line(&mut out, "stream", &quote(stream.as_str()));
    }
    line(
        &mut out,
        "point_in_time_recovery",
        &table.point_in_time_recovery.to_string(),
    );
    line(
        &mut out,
        "deletion_protection",
        &table.deletion_protection.to_string(),
    );
    if table.table_class != TableClass::Standard {
        line(&mut out, "table_class", &quote(table.table_class.as_str()));
    }
    if !table.tags.is_empty() {
        line(&mut out, "tags", &inline_table(&table.tags));
    }
    if table.autoscaling.read.is_some() || table.autoscaling.write.is_some() {
        notes.push("the table's capacity auto scaling is not written: declare it as read_capacity = { min, max, target } (the plan shows the difference until then)".to_string());
    }
    for index in &table.global_indexes {
        let index = &index.spec;
        let _ = write!(out, "\n[[tables.{logical}.global_indexes]]\n");
        line(&mut out, "name", &quote(&index.name));
        line(&mut out, "partition_key", &key(&index.partition_key));
        if let Some(sort) = &index.sort_key {
            line(&mut out, "sort_key", &key(sort));
        }
        line(&mut out, "projection", &projection(&index.projection));
        if let Some((read, write)) = index.capacity.filter(|c| Some(*c) != capacity) {
            line(&mut out, "read_capacity", &read.to_string());
            line(&mut out, "write_capacity", &write.to_string());
        }
    }
    for index in &table.local_indexes {
        let _ = write!(out, "\n[[tables.{logical}.local_indexes]]\n");
        line(&mut out, "name", &quote(&index.name));
        line(&mut out, "sort_key", &key(&index.sort_key));
        line(&mut out, "projection", &projection(&index.projection));
    }
    Section { text: out, notes }
}

/// `[functions.LOGICAL]` for `function`, with `code = CODE` (a folder the code must be put
/// in: adopt cannot download it) and `name` when its physical name is not `<stack>-LOGICAL`.
/// Its role is written as `role`: stackctl does not manage a role it did not make.
pub fn function_section(
    logical: &str,
    name: Option<&str>,
    code: &str,
    function: &LiveFunction,
) -> Section {
    let mut out = format!("[functions.{logical}]\n");
    let mut notes = vec![format!(
        "code = {code:?} is a placeholder: put the function's code there (or point code at the .zip it was deployed from); the plan compares code by its SHA-256, and adopt tags the function only when it matches (or with --replace-code)"
    )];
    if let Some(name) = name {
        line(&mut out, "name", &quote(name));
    }
    line(&mut out, "runtime", &quote(&function.runtime));
    line(&mut out, "handler", &quote(&function.handler));
    let _ = writeln!(
        out,
        "code = {}   # a placeholder: put the function's code here",
        quote(code)
    );
    line(&mut out, "memory", &function.memory.to_string());
    line(&mut out, "timeout", &function.timeout.to_string());
    line(&mut out, "architecture", &quote(&function.architecture));
    if !function.description.is_empty() {
        line(&mut out, "description", &quote(&function.description));
    }
    if !function.layers.is_empty() {
        let layers: Vec<String> = function.layers.iter().map(|l| quote(l)).collect();
        line(&mut out, "layers", &format!("[{}]", layers.join(", ")));
    }
    if let Some(reserved) = function.reserved_concurrency {
        line(&mut out, "reserved_concurrency", &reserved.to_string());
    }
    if function.tracing == "Active" {
        line(&mut out, "tracing", &quote("active"));
    }
    if !function.environment.is_empty() {
        let (environment, hidden) = environment(&function.environment);
        if !hidden.is_empty() {
            let _ = writeln!(
                out,
                "# not printed: the values of {}; set them in place of {SECRET_PLACEHOLDER:?}",
                hidden.join(", ")
            );
        }
        line(&mut out, "environment", &environment);
        if !hidden.is_empty() {
            notes.push(format!(
                "the values of {} are not printed: set them in place of {SECRET_PLACEHOLDER:?} (or use {{ ssm = \"/parameter/name\" }})",
                hidden.join(", ")
            ));
        }
    }
    line(&mut out, "role", &quote(&function.role));
    if !function.tags.is_empty() {
        line(&mut out, "tags", &inline_table(&function.tags));
    }
    Section { text: out, notes }
}

/// `[topics.LOGICAL]` for `topic`; `name` when its physical name is not `<stack>-LOGICAL`
/// (with `.fifo` for a FIFO topic). Subscriptions are not written.
pub fn topic_section(logical: &str, name: Option<&str>, topic: &LiveTopic) -> Section {
    let mut out = format!("[topics.{logical}]\n");
    let mut notes = Vec::new();
    if let Some(name) = name {
        line(&mut out, "name", &quote(name));
    }
    if topic.fifo {
        line(&mut out, "fifo", "true");
        if topic.content_based_deduplication {
            line(&mut out, "content_based_deduplication", "true");
        }
    }
    if !topic.display_name.is_empty() {
        line(&mut out, "display_name", &quote(&topic.display_name));
    }
    if !topic.tags.is_empty() {
        line(&mut out, "tags", &inline_table(&topic.tags));
    }
    if !topic.subscriptions.is_empty() {
        notes.push(format!(
            "the topic's {} subscription(s) are not written: declare them under subscriptions (the plan shows the difference until then)",
            topic.subscriptions.len()
        ));
    }
    Section { text: out, notes }
}

/// The environment as an inline table, and the names whose values were replaced by
/// [`SECRET_PLACEHOLDER`].
fn environment(variables: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut hidden = Vec::new();
    let entries: Vec<String> = variables
        .iter()
        .map(|(name, value)| {
            let upper = name.to_uppercase();
            if SECRET_WORDS.iter().any(|w| upper.contains(w)) {
                hidden.push(name.clone());
                let placeholder = quote(SECRET_PLACEHOLDER);
                format!(
                    "{} = {{ secret = true, value = {placeholder} }}",
                    bare_key(name)
                )
            } else {
                format!("{} = {}", bare_key(name), quote(value))
            }
        })
        .collect();
    (format!("{{ {} }}", entries.join(", ")), hidden)
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A key as TOML takes it: bare when it can be, else quoted.
fn bare_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_string() } else { quote(key) }
}

fn inline_table(entries: &BTreeMap<String, String>) -> String {
    let entries: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{} = {}", bare_key(k), quote(v)))
        .collect();
    format!("{{ {} }}", entries.join(", "))
}

fn key(key: &KeySpec) -> String {
    format!(
        "{{ name = {}, type = {} }}",
        quote(&key.name),
        quote(key.key_type.as_str())
    )
}

fn projection(projection: &Projection) -> String {
    match projection {
        Projection::All => quote("all"),
        Projection::KeysOnly => quote("keys-only"),
        Projection::Include(attrs) => {
            let attrs: Vec<String> = attrs.iter().map(|a| quote(a)).collect();
            format!("[{}]", attrs.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::LiveGlobalIndex;
    use crate::stack::{GlobalIndexSpec, KeyType, LocalIndexSpec};

    fn string_key(name: &str) -> KeySpec {
        KeySpec {
            name: name.to_string(),
            key_type: KeyType::String,
        }
    }

    fn index(name: &str, capacity: (i64, i64)) -> LiveGlobalIndex {
        LiveGlobalIndex {
            spec: GlobalIndexSpec {
                name: name.to_string(),
                partition_key: string_key(name),
                sort_key: None,
                projection: Projection::KeysOnly,
                capacity: Some(capacity),
                autoscaling: Default::default(),
            },
            status: "ACTIVE".to_string(),
            autoscaling: Default::default(),
        }
    }

    /// A provisioned table: capacities, an index whose capacity is the table's (left out) and
    /// one whose is not, a local index, the table class, a tag key TOML must quote.
    #[test]
    fn a_provisioned_table_with_indexes() {
        let table = LiveTable {
            name: "shop-orders".to_string(),
            arn: "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders".to_string(),
            stream_arn: None,
            status: "ACTIVE".to_string(),
            partition_key: string_key("pk"),
            sort_key: Some(string_key("sk")),
            billing: Billing::Provisioned {
                read_capacity: 5,
                write_capacity: 5,
            },
            ttl_attribute: None,
            stream: None,
            point_in_time_recovery: true,
            deletion_protection: true,
            table_class: TableClass::StandardInfrequentAccess,
            global_indexes: vec![index("same", (5, 5)), index("more", (10, 20))],
            local_indexes: vec![LocalIndexSpec {
                name: "by-status".to_string(),
                sort_key: string_key("status"),
                projection: Projection::Include(vec!["total".to_string()]),
            }],
            last_switch_to_on_demand: None,
            tags: BTreeMap::from([("cost center".to_string(), "a/b".to_string())]),
            applied: None,
            autoscaling: Default::default(),
        };
        let section = table_section("orders", None, &table);
        assert_eq!(
            section.text,
            r#"[tables.orders]
partition_key = { name = "pk", type = "string" }
sort_key = { name = "sk", type = "string" }
billing = "provisioned"
read_capacity = 5
write_capacity = 5
point_in_time_recovery = true
deletion_protection = true
table_class = "standard-infrequent-access"
tags = { "cost center" = "a/b" }

[[tables.orders.global_indexes]]
name = "same"
partition_key = { name = "same", type = "string" }
projection = "keys-only"

[[tables.orders.global_indexes]]
name = "more"
partition_key = { name = "more", type = "string" }
projection = "keys-only"
read_capacity = 10
write_capacity = 20

[[tables.orders.local_indexes]]
name = "by-status"
sort_key = { name = "status", type = "string" }
projection = ["total"]
"#
        );
        assert!(section.notes.is_empty());
        // The stack file reads it back as the table it describes.
        let text = format!("[stack]\nname = \"shop\"\n\n{}", section.text);
        let stack = crate::stack::parse("stack.toml", &text, std::path::Path::new("."), None)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let spec = &stack.tables[0];
        assert_eq!(spec.table_class, table.table_class);
        assert_eq!(spec.tags, table.tags);
        assert_eq!(spec.global_indexes[0].capacity, Some((5, 5)));
        assert_eq!(spec.global_indexes[1].capacity, Some((10, 20)));
        assert_eq!(spec.local_indexes, table.local_indexes);
    }
}
