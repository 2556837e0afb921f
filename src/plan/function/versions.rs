//! A function's `tracing`, `version` and `aliases` attributes. Publishing is stable: the plan
//! shows a new version (`version: 6 -> (known after apply)`) only when the function's code or
//! configuration changes, or `$LATEST` already differs from the newest published version.

use std::collections::BTreeMap;

use super::FunctionAttr;
use crate::live::{LiveAlias, LiveFunction, LiveState};
use crate::plan::attr::AttrName;
use crate::plan::{Attrs, Blocker, Change, Value};
use crate::stack::{Address, AliasVersion, FunctionSpec, Stack, Tracing, Versioning};

/// What a published version holds (a snapshot of code and configuration: PublishVersion API
/// reference): a change to one of these publishes a new version.
const PUBLISHED: [FunctionAttr; 11] = [
    FunctionAttr::Runtime,
    FunctionAttr::Handler,
    FunctionAttr::Memory,
    FunctionAttr::Timeout,
    FunctionAttr::Architecture,
    FunctionAttr::Description,
    FunctionAttr::Layers,
    FunctionAttr::Role,
    FunctionAttr::Environment,
    FunctionAttr::CodeSha256,
    FunctionAttr::Tracing,
];

/// Adds the live function's tracing (when active or declared), newest version (when the
/// function publishes) and aliases (when read) to `live_attrs`.
pub fn add_live(attrs: &mut Attrs, spec: &FunctionSpec, live: &LiveFunction) {
    let tracing = live.tracing.to_ascii_lowercase();
    if spec.tracing.is_some() || tracing != Tracing::Passthrough.as_str() {
        attrs.insert(FunctionAttr::Tracing.into(), Value::Str(tracing));
    }
    let Some(versions) = &live.versions else {
        return;
    };
    if let (Some(_), Some(n)) = (&spec.versions, versions.latest) {
        attrs.insert(FunctionAttr::Version.into(), Value::Int(n));
    }
    if spec.versions.is_some() || !versions.aliases.is_empty() {
        let aliases = versions
            .aliases
            .iter()
            .map(|(name, a)| (name.clone(), Value::Str(live_alias_text(a))))
            .collect();
        attrs.insert(FunctionAttr::Aliases.into(), Value::Map(aliases));
    }
}

/// Adds the desired tracing, version and aliases to `after`, given the live attributes
/// (`before`, with [`add_live`]'s) and what was read of the function's versions.
pub fn add_desired(
    after: &mut Attrs,
    before: Option<&Attrs>,
    spec: &FunctionSpec,
    live: Option<&LiveFunction>,
) {
    let has = |attr: FunctionAttr| before.is_some_and(|b| b.contains_key(attr.as_str()));
    if spec.tracing.is_some() || has(FunctionAttr::Tracing) {
        let mode = spec.tracing.unwrap_or(Tracing::Passthrough);
        after.insert(FunctionAttr::Tracing.into(), Value::str(mode.as_str()));
    }
    let Some(versioning) = &spec.versions else {
        return;
    };
    let read = live.and_then(|l| l.versions.as_ref());
    let changed = PUBLISHED.iter().any(|attr| {
        let name = attr.as_str();
        before.is_none_or(|b| b.get(name) != after.get(name))
    });
    let current = read.filter(|v| v.latest_current && !changed);
    let latest = current.and_then(|v| v.latest);
    after.insert(
        FunctionAttr::Version.into(),
        latest.map_or(Value::Unknown, Value::Int),
    );
    if versioning.aliases.is_empty() && !has(FunctionAttr::Aliases) {
        return;
    }
    let aliases = resolve_aliases(versioning, latest)
        .into_iter()
        .map(|(name, target)| {
            let value = target.map_or(Value::Unknown, |t| Value::Str(t.text()));
            (name, value)
        })
        .collect();
    after.insert(FunctionAttr::Aliases.into(), Value::Map(aliases));
}

/// Aliases pinned to a version the function cannot have once this apply is done: past the
/// newest published version (none: 0) plus the one version this apply publishes, if the
/// function's planned change (among `changes`) publishes one (its `version` is not known
/// before apply). Lambda would refuse their CreateAlias or UpdateAlias
/// (ResourceNotFoundException) after the function's other changes were made. A weighted
/// alias's extra version counts the same way.
pub fn pinned_version_blockers(
    stack: &Stack,
    live: &LiveState,
    changes: &[Change],
) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    for spec in &stack.functions {
        let Some(versioning) = &spec.versions else {
            continue;
        };
        let found = live.functions.get(&stack.function_name(&spec.logical));
        let newest = found
            .and_then(|f| f.versions.as_ref())
            .and_then(|v| v.latest)
            .unwrap_or(0);
        let address = Address::Function(spec.logical.clone());
        let publishes = changes.iter().any(|c| {
            let version = c
                .after
                .as_ref()
                .and_then(|a| a.get(FunctionAttr::Version.as_str()));
            c.address == address && version.is_none_or(|v| *v == Value::Unknown)
        });
        for (name, alias) in &versioning.aliases {
            let AliasVersion::Number(n) = alias.version else {
                continue;
            };
            if n <= newest + i64::from(publishes) {
                continue;
            }
            blockers.push(Blocker {
                address: Address::Function(spec.logical.clone()),
                message: format!(
                    "alias {name} of function {} pins version {n}, which will not exist: the newest published version is {}, and {}",
                    spec.logical,
                    if newest == 0 { "none".to_string() } else { newest.to_string() },
                    match publishes {
                        true => "this apply publishes one more",
                        false => "this apply publishes none (the function's code and configuration are unchanged)",
                    }
                ),
                help: match (newest, publishes) {
                    (0, _) => format!(
                        "write aliases.{name} = 1 (the version this apply publishes) or \"latest\""
                    ),
                    (n, true) => format!(
                        "pin a version from 1 to {} (this apply publishes {}), or write aliases.{name} = \"latest\"",
                        n + 1,
                        n + 1
                    ),
                    (n, false) => format!(
                        "pin a version from 1 to {n}, or change the function's code or configuration so that this apply publishes {}",
                        n + 1
                    ),
                },
            });
        }
    }
    blockers
}

/// Where an alias is to point: `version` (Lambda's FunctionVersion) and, when weighted, another
/// version with its share of the requests (AdditionalVersionWeights).
#[derive(Debug, Clone, PartialEq)]
pub struct AliasTarget {
    pub version: String,
    pub weighted: Option<(String, f64)>,
}

impl AliasTarget {
    /// As the plan shows an alias: `3`, or `3, 10% to 4`.
    fn text(&self) -> String {
        let weights = self.weighted.iter().cloned().collect();
        alias_text(&self.version, &weights)
    }
}

/// Each alias's target once the newest version is `latest` (`None`: not known before apply);
/// an alias that needs an unknown version is `None`. A weighted alias whose two versions are
/// one is that version alone (Lambda refuses a weight on the alias's own version).
pub fn resolve_aliases(
    versioning: &Versioning,
    latest: Option<i64>,
) -> BTreeMap<String, Option<AliasTarget>> {
    let number = |v: AliasVersion| match v {
        AliasVersion::Latest => latest.map(|n| n.to_string()),
        AliasVersion::Number(n) => Some(n.to_string()),
    };
    versioning
        .aliases
        .iter()
        .map(|(name, alias)| {
            let target = match &alias.weighted {
                None => number(alias.version).map(|version| AliasTarget {
                    version,
                    weighted: None,
                }),
                Some(w) => {
                    let primary = versioning.aliases.get(&w.of).map(|a| a.version);
                    match (primary.and_then(number), number(alias.version)) {
                        (Some(version), Some(extra)) => Some(AliasTarget {
                            weighted: (extra != version).then_some((extra, w.weight)),
                            version,
                        }),
                        _ => None,
                    }
                }
            };
            (name.clone(), target)
        })
        .collect()
}

fn live_alias_text(alias: &LiveAlias) -> String {
    alias_text(&alias.version, &alias.weights)
}

fn alias_text(version: &str, weights: &BTreeMap<String, f64>) -> String {
    let mut text = version.to_string();
    for (other, weight) in weights {
        let percent = (weight * 10_000.0).round() / 100.0;
        text.push_str(&format!(", {percent}% to {other}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::{AliasSpec, Weighted};

    #[test]
    fn weighted_aliases_resolve_against_their_primary() {
        let alias = |version, weighted| AliasSpec { version, weighted };
        let versioning = Versioning {
            aliases: BTreeMap::from([
                ("live".to_string(), alias(AliasVersion::Latest, None)),
                ("stable".to_string(), alias(AliasVersion::Number(2), None)),
                (
                    "canary".to_string(),
                    alias(
                        AliasVersion::Latest,
                        Some(Weighted {
                            weight: 0.1,
                            of: "stable".to_string(),
                        }),
                    ),
                ),
            ]),
        };
        let known = resolve_aliases(&versioning, Some(3));
        let text = |name: &str| known[name].as_ref().map(AliasTarget::text);
        assert_eq!(text("live").as_deref(), Some("3"));
        assert_eq!(text("stable").as_deref(), Some("2"));
        assert_eq!(text("canary").as_deref(), Some("2, 10% to 3"));
        let unknown = resolve_aliases(&versioning, None);
        assert_eq!(unknown["live"], None);
        assert_eq!(unknown["canary"], None);
        assert!(unknown["stable"].is_some());
        // The weight on the primary's own version is dropped.
        let same = resolve_aliases(&versioning, Some(2));
        assert_eq!(
            same["canary"].as_ref().map(AliasTarget::text).as_deref(),
            Some("2")
        );
    }
}
