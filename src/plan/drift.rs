//! Drift: changes made outside stackctl. Without a state file, stackctl remembers what it
//! applied as a fingerprint in a tag on the resource (`stackctl:applied`): a short hash of each
//! attribute's value. A live value whose hash differs from the recorded one was changed by
//! someone else since stackctl last applied it.
//!
//! A function's fingerprint also records which of its environment variables were applied as
//! secret, so that their live values stay hidden once the stack file no longer says so.

use super::{Attrs, Change, Drift, Value};
use crate::stack::Stack;

const VERSION: &str = "1";
const UNKNOWN: &str = "----";

/// Secret marks that would make a fingerprint longer than this record "every variable".
/// A tag value holds at most 256 characters (Lambda TagResource API reference).
const MAX_LEN: usize = 256;
const ALL_SECRET: &str = "all";

/// The fingerprint of a table's `attrs`: `1.<names hash>.<one 4-hex hash per attribute>`,
/// attributes in name order. Values known only after apply are recorded as unknown and never
/// count as drift. Well under the 256 characters a tag value may hold.
pub fn fingerprint(attrs: &Attrs) -> String {
    let names: Vec<&str> = attrs.keys().map(String::as_str).collect();
    let hashes: String = attrs
        .iter()
        .map(|(name, value)| value_hash(name, value))
        .collect();
    format!("{VERSION}.{}.{hashes}", short(&names.join(",")))
}

/// A function's fingerprint: [`fingerprint`], then `.` and a 4-hex hash of the name of each
/// environment variable applied as secret (empty when none; `all` when they would not fit in
/// the tag). Fingerprints without that part were written before stackctl recorded secrets.
pub fn fingerprint_with_secrets<'a>(
    attrs: &Attrs,
    secrets: impl IntoIterator<Item = &'a str>,
) -> String {
    let base = fingerprint(attrs);
    let marks: String = secrets.into_iter().map(secret_mark).collect();
    if base.len() + 1 + marks.len() > MAX_LEN {
        return format!("{base}.{ALL_SECRET}");
    }
    format!("{base}.{marks}")
}

/// Which environment variables a function's fingerprint says were applied as secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppliedSecrets {
    /// No fingerprint, or one from before secrets were recorded.
    Unknown,
    /// The 4-hex marks of the secret variables' names.
    Marked(Vec<String>),
    /// Too many to record: every variable counts as secret.
    All,
}

impl AppliedSecrets {
    pub fn read(recorded: Option<&str>) -> Self {
        match recorded
            .map(|r| r.split('.').collect::<Vec<_>>())
            .as_deref()
        {
            Some([VERSION, _, _, ALL_SECRET]) => AppliedSecrets::All,
            Some([VERSION, _, _, marks]) if marks.len() % 4 == 0 => AppliedSecrets::Marked(
                marks
                    .as_bytes()
                    .chunks(4)
                    .map(|m| String::from_utf8_lossy(m).into_owned())
                    .collect(),
            ),
            _ => AppliedSecrets::Unknown,
        }
    }

    /// Whether the live value of variable `name` may have been applied as secret. When the
    /// fingerprint cannot tell, a variable the stack file no longer `declares` may have been.
    pub fn hides(&self, name: &str, declares: bool) -> bool {
        match self {
            AppliedSecrets::Unknown => !declares,
            AppliedSecrets::Marked(marks) => marks.contains(&secret_mark(name)),
            AppliedSecrets::All => true,
        }
    }
}

fn secret_mark(name: &str) -> String {
    short(&format!("secret:{name}"))
}

/// The attributes of `live` whose values differ from what `recorded` says stackctl applied;
/// `None` when the fingerprint does not fit (an older stackctl, another attribute set).
/// When the live attribute set is not the recorded one, `expected` (the
/// attributes the stack file asks for now) may be: then an attribute stackctl applied that is
/// gone from `live` (a scalable target deregistered by hand, say), and one in `live` it never
/// applied, have drifted too, next to the values that differ.
fn drifted(live: &Attrs, expected: Option<&Attrs>, recorded: &str) -> Option<Vec<String>> {
    // A fourth part, the secret marks, says nothing about drift.
    let mut parts = recorded.split('.');
    let (Some(VERSION), Some(names), Some(hashes), _, None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let fits = |attrs: &Attrs| {
        let listed: Vec<&str> = attrs.keys().map(String::as_str).collect();
        short(&listed.join(",")) == names && hashes.len() == 4 * attrs.len()
    };
    let applied = if fits(live) {
        live
    } else {
        expected.filter(|e| fits(e))?
    };
    let mut drifted: Vec<String> = applied
        .keys()
        .zip(hashes.as_bytes().chunks(4))
        .filter(|(name, recorded)| {
            *recorded != UNKNOWN.as_bytes()
                && live
                    .get(*name)
                    .is_none_or(|value| value_hash(name, value).as_bytes() != *recorded)
        })
        .map(|(name, _)| name.clone())
        .collect();
    drifted.extend(live.keys().filter(|n| !applied.contains_key(*n)).cloned());
    drifted.sort();
    Some(drifted)
}

/// Marks the attribute changes of `change` that undo drift, and returns the drifted names.
pub fn mark(change: &mut Change, recorded: Option<&str>) -> Vec<String> {
    let before = change.before.clone();
    mark_against(change, before.as_ref(), recorded)
}

/// [`mark`], comparing `as_applied` (the live attributes, hidden as they were when applied)
/// with the fingerprint rather than the change's `before`.
pub fn mark_against(
    change: &mut Change,
    as_applied: Option<&Attrs>,
    recorded: Option<&str>,
) -> Vec<String> {
    let (Some(before), Some(recorded)) = (as_applied, recorded) else {
        return Vec::new();
    };
    let Some(drifted) = drifted(before, change.after.as_ref(), recorded) else {
        return Vec::new();
    };
    for attr in &mut change.attributes {
        attr.drift = drifted.contains(&attr.name);
    }
    drifted
}

/// The plan's drift: attributes changed outside stackctl, and owned resources that are gone.
pub fn report(stack: &Stack, changes: &[Change], missing: &[(String, String)]) -> Vec<Drift> {
    let changed = changes.iter().filter_map(|c| {
        let attributes: Vec<String> = c
            .attributes
            .iter()
            .filter(|a| a.drift)
            .map(|a| a.name.clone())
            .collect();
        (!attributes.is_empty()).then(|| Drift {
            address: c.address.to_string(),
            attributes,
            missing: false,
        })
    });
    let gone = missing.iter().map(|(kind, name)| {
        let logical =
            name.strip_prefix(&format!("{}-", stack.name))
                .filter(|l| match kind.as_str() {
                    "table" => stack.tables.iter().any(|t| t.logical == *l),
                    _ => stack.functions.iter().any(|f| f.logical == *l),
                });
        Drift {
            address: match logical {
                Some(logical) => format!("{kind}.{logical}"),
                None => format!("{kind} {name}"),
            },
            attributes: Vec::new(),
            missing: true,
        }
    });
    changed.chain(gone).collect()
}

fn value_hash(name: &str, value: &Value) -> String {
    let mut unknown = Vec::new();
    value.unknown_paths(name, &mut unknown);
    if !unknown.is_empty() {
        return UNKNOWN.to_string();
    }
    let json = serde_json::to_string(value).unwrap_or_default();
    short(&format!("{name}={json}"))
}

fn short(text: &str) -> String {
    crate::hash::sha256_hex(text, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(memory: i64) -> Attrs {
        [
            ("memory".to_string(), Value::Int(memory)),
            ("runtime".to_string(), Value::Str("nodejs20.x".into())),
            ("role".to_string(), Value::Unknown),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn a_changed_value_is_drift_and_an_unknown_one_never() {
        let recorded = fingerprint(&attrs(256));
        assert!(recorded.len() < 256);
        assert_eq!(drifted(&attrs(256), None, &recorded), Some(vec![]));
        let mut live = attrs(512);
        live.insert(
            "role".to_string(),
            Value::Str("arn:aws:iam::1:role/x".into()),
        );
        assert_eq!(
            drifted(&live, None, &recorded),
            Some(vec!["memory".to_string()])
        );
    }

    #[test]
    fn a_function_fingerprint_records_its_secret_variables() {
        let recorded = fingerprint_with_secrets(&attrs(256), ["API_KEY"]);
        assert_eq!(drifted(&attrs(256), None, &recorded), Some(vec![]));
        let secrets = AppliedSecrets::read(Some(&recorded));
        assert!(secrets.hides("API_KEY", false));
        assert!(!secrets.hides("PLAIN", false));
        let none = AppliedSecrets::read(Some(&fingerprint_with_secrets(&attrs(256), [])));
        assert!(!none.hides("API_KEY", false));
        // Older fingerprints cannot tell: only variables that left the file are hidden.
        let old = AppliedSecrets::read(Some(&fingerprint(&attrs(256))));
        assert_eq!(old, AppliedSecrets::Unknown);
        assert!(old.hides("API_KEY", false) && !old.hides("API_KEY", true));
        let names: Vec<String> = (0..100).map(|i| format!("SECRET_{i}")).collect();
        let many = fingerprint_with_secrets(&attrs(256), names.iter().map(String::as_str));
        assert!(many.len() <= MAX_LEN);
        assert_eq!(AppliedSecrets::read(Some(&many)), AppliedSecrets::All);
    }

    #[test]
    fn an_attribute_gone_or_new_is_drift_when_the_file_asks_for_what_was_applied() {
        let mut applied = attrs(256);
        applied.insert("read_autoscaling".to_string(), Value::Int(1));
        let recorded = fingerprint(&applied);
        let mut live = attrs(512);
        assert_eq!(drifted(&live, None, &recorded), None);
        assert_eq!(
            drifted(&live, Some(&applied), &recorded),
            Some(vec!["memory".to_string(), "read_autoscaling".to_string()])
        );
        live.insert("stream".to_string(), Value::Str("keys-only".into()));
        applied.remove("memory");
        let recorded = fingerprint(&applied);
        applied.insert("memory".to_string(), Value::Int(256));
        assert_eq!(drifted(&live, Some(&applied), &recorded), None);
        applied.remove("memory");
        assert_eq!(
            drifted(&live, Some(&applied), &recorded),
            Some(vec![
                "memory".to_string(),
                "read_autoscaling".to_string(),
                "stream".to_string()
            ])
        );
    }

    #[test]
    fn a_fingerprint_of_other_attributes_says_nothing() {
        let recorded = fingerprint(&attrs(256));
        let mut live = attrs(256);
        live.insert("timeout".to_string(), Value::Int(3));
        assert_eq!(drifted(&live, None, &recorded), None);
        assert_eq!(drifted(&live, None, "garbage"), None);
    }
}
