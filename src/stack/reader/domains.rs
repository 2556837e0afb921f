//! Hosted UI domain prefixes across environments: a prefix is unique in its region across every
//! account (CreateUserPoolDomain:
//! <https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html>),
//! so the base file and an environment (or two environments) that would give a pool the same
//! prefix in the same region cannot both be applied: an error at the environment.

use toml::de::{DeTable, DeValue};

use super::typed::{Reader, entry};
use crate::stack::diagnostic::Problem;

/// A string under `path` (table keys) of `t`.
fn text<'a>(t: &'a DeTable<'_>, path: &[&str]) -> Option<&'a str> {
    let (last, tables) = path.split_last()?;
    let mut t = t;
    for key in tables {
        match entry(t, key).map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(inner)) => t = inner,
            _ => return None,
        }
    }
    match entry(t, last).map(|(_, v)| v.get_ref()) {
        Some(DeValue::String(s)) => Some(s),
        _ => None,
    }
}

impl Reader<'_> {
    /// Each pool's domain prefix, as the base file and each environment would make it, must
    /// differ from every other's in the same region.
    pub(super) fn check_env_domains(&mut self, doc: &DeTable<'_>) {
        let (Some(DeValue::Table(pools)), Some(DeValue::Table(envs))) = (
            entry(doc, "user_pools").map(|(_, v)| v.get_ref()),
            entry(doc, "env").map(|(_, v)| v.get_ref()),
        ) else {
            return;
        };
        let base_region = text(doc, &["stack", "region"]);
        for (pool, _) in pools.iter() {
            let pool = pool.get_ref().as_ref();
            let Some(base) = text(doc, &["user_pools", pool, "domain"]) else {
                continue;
            };
            let mut made = vec![("the base file".to_string(), base_region, base)];
            for (env, overlay) in envs.iter() {
                let DeValue::Table(overlay) = overlay.get_ref() else {
                    continue;
                };
                let domain = text(overlay, &["user_pools", pool, "domain"]).unwrap_or(base);
                let region = text(overlay, &["region"]).or(base_region);
                let label = format!("[env.{}]", env.get_ref());
                if let Some((other, _, _)) =
                    made.iter().find(|(_, r, d)| *d == domain && *r == region)
                {
                    self.problem(
                        Problem::new(
                            format!("{label} and {other} would both give user pool {pool} the domain prefix {domain:?}"),
                            env.span(),
                            "same domain prefix",
                        )
                        .help(format!("a prefix is unique in a region across every account: give the pool a prefix of its own in {label}, like [env.{}.user_pools.{pool}] domain = \"{domain}-{}\"", env.get_ref(), env.get_ref())),
                    );
                }
                made.push((label, region, domain));
            }
        }
    }
}
