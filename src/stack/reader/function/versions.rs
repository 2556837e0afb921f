//! `publish`, `aliases` and `tracing`: a function's versions, the aliases that point at them
//! and its X-Ray tracing mode.

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Key, Reader, Value, entry};
use crate::stack::spec::{AliasSpec, AliasVersion, Tracing, Versioning, Weighted};

const ALIAS_KEYS: &[&str] = &["version", "weight", "of"];

/// Lambda's alias names: 1 to 128 of `a-zA-Z0-9-_`, not all digits (CreateAlias API
/// reference, `Name`).
const MAX_ALIAS_NAME: usize = 128;

impl Reader<'_> {
    /// `tracing = "active" | "passthrough"`.
    pub(super) fn tracing(&mut self, t: &DeTable<'_>) -> Option<Option<Tracing>> {
        self.optional(t, "tracing", |r, value| {
            let text = r.string(value, "tracing")?;
            r.one_of(
                &text,
                &[
                    ("active", Tracing::Active),
                    ("passthrough", Tracing::Passthrough),
                ],
                "tracing mode",
                "not a tracing mode",
                "use \"active\" (sample and trace requests in X-Ray) or \"passthrough\"",
            )
        })
    }

    /// `publish = true` and `aliases`: `None` inside when the function publishes no versions;
    /// aliases without `publish` are a problem.
    pub(super) fn versioning(&mut self, t: &DeTable<'_>) -> Option<Option<Versioning>> {
        let publish = match entry(t, "publish") {
            None => false,
            Some(_) => self.opt_bool(t, "publish")?,
        };
        let Some((key, value)) = entry(t, "aliases") else {
            return Some(publish.then(Versioning::default));
        };
        let aliases = self.as_table(value, "aliases")?;
        if !publish {
            self.problem(
                Problem::new(
                    "aliases need published versions",
                    key.span(),
                    "aliases without publish",
                )
                .help("add publish = true to the function: an alias points at a published version"),
            );
            return None;
        }
        let mut read = BTreeMap::new();
        let mut ok = true;
        for (name, value) in aliases.iter() {
            match self.alias(name, value) {
                Some(alias) => {
                    read.insert(name.get_ref().to_string(), (name.span(), alias));
                }
                None => ok = false,
            }
        }
        ok &= self.check_weighted(aliases, &read);
        ok.then(|| {
            let aliases = read.into_iter().map(|(n, (_, a))| (n, a)).collect();
            Some(Versioning { aliases })
        })
    }

    fn alias(&mut self, name: &Key<'_>, value: &Value<'_>) -> Option<AliasSpec> {
        let text = name.get_ref();
        let valid = (1..=MAX_ALIAS_NAME).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !text.chars().all(|c| c.is_ascii_digit());
        if !valid {
            self.problem(
                Problem::new(format!("invalid alias name {text:?}"), name.span(), "not an alias name")
                    .help("an alias name has 1 to 128 letters, digits, '-' and '_', and is not only digits"),
            );
            return None;
        }
        match value.get_ref() {
            DeValue::Table(t) => {
                self.unknown_keys(t, ALIAS_KEYS, &format!("in alias {text}"));
                let version = self.required(t, "version", || {
                    Problem::new(format!("alias {text} has no version"), value.span(), "here")
                        .help("add version = \"latest\" or a version number")
                })?;
                let version = self.alias_version(version);
                let weighted = self.weighted(t, value);
                Some(AliasSpec {
                    version: version?,
                    weighted: weighted?,
                })
            }
            _ => Some(AliasSpec {
                version: self.alias_version(value)?,
                weighted: None,
            }),
        }
    }

    fn alias_version(&mut self, value: &Value<'_>) -> Option<AliasVersion> {
        if let DeValue::Integer(_) = value.get_ref() {
            return self
                .int(value, "version", 1..=i64::MAX)
                .map(AliasVersion::Number);
        }
        let DeValue::String(s) = value.get_ref() else {
            self.problem(
                Problem::new(
                    "an alias's version must be \"latest\" or a version number",
                    value.span(),
                    "not a version",
                )
                .help("write \"latest\" (the newest published version) or a number such as 3"),
            );
            return None;
        };
        let text = Spanned::new(value.span(), s.to_string());
        self.one_of(
            &text,
            &[("latest", AliasVersion::Latest)],
            "alias version",
            "not a version",
            "write \"latest\" (the newest published version) or a number such as 3, without quotes",
        )
    }

    /// `weight` and `of`, both or neither.
    fn weighted(&mut self, t: &DeTable<'_>, alias: &Value<'_>) -> Option<Option<Weighted>> {
        let (weight, of) = match (entry(t, "weight"), entry(t, "of")) {
            (None, None) => return Some(None),
            (Some((_, w)), Some((_, o))) => (w, o),
            _ => {
                self.problem(
                    Problem::new("a weighted alias needs both weight and of", alias.span(), "here")
                        .help("write { version = \"latest\", weight = 0.1, of = \"stable\" }: 10% to the latest version, the rest to stable's"),
                );
                return None;
            }
        };
        let number = match weight.get_ref() {
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            DeValue::Integer(i) => i.as_str().parse::<f64>().ok(),
            _ => None,
        };
        let of = self.string(of, "of");
        match number {
            Some(w) if (0.0..=1.0).contains(&w) => Some(Some(Weighted {
                weight: w,
                of: of?.into_inner(),
            })),
            _ => {
                self.problem(
                    Problem::new("weight must be a number from 0 to 1", weight.span(), "outside 0 to 1")
                        .help("write the share of requests for this alias's version, as 0.1 for 10% (Lambda's AdditionalVersionWeights)"),
                );
                None
            }
        }
    }

    /// `of` names an unweighted alias of the same function.
    fn check_weighted(
        &mut self,
        aliases: &DeTable<'_>,
        read: &BTreeMap<String, (std::ops::Range<usize>, AliasSpec)>,
    ) -> bool {
        let mut ok = true;
        for (name, value) in aliases.iter() {
            let Some((
                _,
                AliasSpec {
                    weighted: Some(w), ..
                },
            )) = read.get(name.get_ref().as_ref())
            else {
                continue;
            };
            let span = match value.get_ref() {
                DeValue::Table(t) => entry(t, "of").map_or(value.span(), |(_, v)| v.span()),
                _ => value.span(),
            };
            let target = read.get(&w.of).map(|(_, a)| a.weighted.is_some());
            let problem = match target {
                Some(false) => continue,
                Some(true) => Problem::new(
                    format!("alias {} is weighted itself", w.of),
                    span,
                    "a weighted alias",
                )
                .help("name an alias that points at one version"),
                None => {
                    let close = crate::suggest::closest(&w.of, read.keys().map(String::as_str));
                    Problem::new(format!("the function has no alias {:?}", w.of), span, "unknown alias")
                        .help(match close {
                            Some(c) => format!("did you mean {c:?}?"),
                            None => "name another alias of this function: the rest of the requests go to its version".to_string(),
                        })
                }
            };
            self.problem(problem);
            ok = false;
        }
        ok
    }
}
