//! Attribute values as plans show and compare them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An attribute value. `Unknown` is a value only apply can tell (the ARN of a table that does
/// not exist yet); it is `null` in JSON, and listed under `after_unknown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Unknown,
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

    /// Paths (`environment.TABLE`) of the unknown parts of this value.
    pub fn unknown_paths(&self, path: &str, out: &mut Vec<String>) {
        match self {
            Value::Unknown => out.push(path.to_string()),
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
        }
    }
}
