//! Attribute values as plans show and compare them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An attribute value. `Unknown` is a value only apply can tell (the ARN of a table that does
/// not exist yet); it is `null` in JSON, and listed under `after_unknown`. `Sensitive` is
/// compared like any value but shown, in text and JSON alike, only as `(sensitive)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Unknown,
    Sensitive(Box<Value>),
}

pub const SENSITIVE: &str = "(sensitive)";

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(n) => serializer.serialize_i64(*n),
            Value::Str(s) => serializer.serialize_str(s),
            Value::List(items) => serializer.collect_seq(items),
            Value::Map(map) => serializer.collect_map(map),
            Value::Unknown => serializer.serialize_none(),
            Value::Sensitive(_) => serializer.serialize_str(SENSITIVE),
        }
    }
}

/// What a serialized value reads back as: sensitive values were never written.
#[derive(Deserialize)]
#[serde(untagged)]
enum Plain {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Unknown,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Plain::deserialize(deserializer)? {
            Plain::Bool(b) => Value::Bool(b),
            Plain::Int(n) => Value::Int(n),
            Plain::Str(s) => Value::Str(s),
            Plain::List(l) => Value::List(l),
            Plain::Map(m) => Value::Map(m),
            Plain::Unknown => Value::Unknown,
        })
    }
}

pub type Attrs = BTreeMap<String, Value>;

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    pub fn map<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::Str(v.clone())))
                .collect(),
        )
    }

    pub fn list<'a>(items: impl IntoIterator<Item = &'a String>) -> Self {
        Value::List(items.into_iter().map(|s| Value::Str(s.clone())).collect())
    }

    /// The strings inside the sensitive parts of this value (`inside`: this value is one).
    pub fn sensitive_strings(&self, inside: bool, out: &mut Vec<String>) {
        match self {
            Value::Str(s) if inside => out.push(s.clone()),
            Value::Sensitive(inner) => inner.sensitive_strings(true, out),
            Value::Map(m) => m.values().for_each(|v| v.sensitive_strings(inside, out)),
            Value::List(l) => l.iter().for_each(|v| v.sensitive_strings(inside, out)),
            _ => {}
        }
    }

    /// Paths (`environment.TABLE`) of the unknown parts of this value.
    pub fn unknown_paths(&self, path: &str, out: &mut Vec<String>) {
        match self {
            Value::Unknown => out.push(path.to_string()),
            Value::Sensitive(inner) => inner.unknown_paths(path, out),
            Value::Map(m) => {
                for (k, v) in m {
                    v.unknown_paths(&format!("{path}.{k}"), out);
                }
            }
            Value::List(l) => {
                for (i, v) in l.iter().enumerate() {
                    v.unknown_paths(&format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Value::Map(map) => {
                if map.is_empty() {
                    return write!(f, "{{}}");
                }
                write!(f, "{{ ")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                write!(f, " }}")
            }
            Value::Unknown => write!(f, "(known after apply)"),
            Value::Sensitive(_) => write!(f, "{SENSITIVE}"),
        }
    }
}
