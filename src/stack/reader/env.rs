//! `[env.NAME]`: overlays on the base file, one per environment. Each environment is a stack of
//! its own (`name` + `name_suffix`), so environments never touch each other's resources.

use toml::de::{DeTable, DeValue};

use super::names::long_names;
use super::typed::{Key, Reader, Value, entry};
use crate::stack::diagnostic::Problem;

const ENV_KEYS: &[&str] = &[
    "name_suffix",
    "region",
    "tables",
    "functions",
    "api",
    "routes",
    "user_pools",
    "topics",
];

/// What an environment changes besides its overlay.
#[derive(Debug, Default)]
pub(super) struct EnvSettings {
    pub name_suffix: String,
    pub region: Option<String>,
}

impl Reader<'_> {
    /// Checks every overlay: known keys, and only resources the base declares. Returns the
    /// environments' names.
    pub(super) fn check_envs(&mut self, doc: &DeTable<'_>) -> Vec<String> {
        let Some((_, value)) = entry(doc, "env") else {
            return Vec::new();
        };
        let Some(envs) = self.as_table(value, "[env]") else {
            return Vec::new();
        };
        let mut names = Vec::new();
        for (name, overlay) in envs.iter() {
            names.push(name.get_ref().to_string());
            let place = format!("in [env.{}]", name.get_ref());
            let Some(overlay) = self.as_table(overlay, &format!("[env.{}]", name.get_ref())) else {
                continue;
            };
            self.unknown_keys(overlay, ENV_KEYS, &place);
            match entry(overlay, "name_suffix") {
                Some((_, suffix)) => {
                    self.name_suffix(suffix);
                }
                None => self.default_suffix(name),
            }
            for section in ["tables", "functions", "routes", "user_pools", "topics"] {
                self.overlaid_names(doc, overlay, section, name.get_ref());
            }
            if let Some((key, _)) = entry(overlay, "api")
                && entry(doc, "api").is_none()
            {
                self.problem(
                    Problem::new(
                        format!(
                            "[env.{}.api] overlays an API the base file does not declare",
                            name.get_ref()
                        ),
                        key.span(),
                        "no [api] in the base",
                    )
                    .help(
                        "declare [api] in the base file; an environment only changes what is there",
                    ),
                );
            }
        }
        self.check_separate(doc);
        self.check_env_domains(doc);
        names
    }

    /// Each environment, and the base, is a stack of its own: two of them that make the same
    /// stack name, or the same physical name for a table or function (`shop` with table
    /// `a-b` and `[env.a]` with table `b` both make `shop-a-b`), would change each other's
    /// resources. That is an error at the second one's name_suffix (or its name).
    fn check_separate(&mut self, doc: &DeTable<'_>) {
        let Some((base, base_span)) = entry(doc, "stack")
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::Table(t) => entry(t, "name"),
                _ => None,
            })
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::String(s) => Some((s.to_string(), v.span())),
                _ => None,
            })
        else {
            return;
        };
        let logical = Logical {
            tables: section_names(doc, "tables"),
            functions: section_names(doc, "functions"),
        };
        let mut made = vec![MadeStack {
            label: "the base file".to_string(),
            name: base.clone(),
            span: base_span,
        }];
        let envs = match entry(doc, "env").map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(envs)) => envs,
            _ => return,
        };
        for (env, overlay) in envs.iter() {
            let DeValue::Table(overlay) = overlay.get_ref() else {
                continue;
            };
            let (suffix, span) = match entry(overlay, "name_suffix") {
                // An environment name that cannot be a suffix is reported by check_envs.
                None if !valid_suffix(&format!("-{}", env.get_ref())) => continue,
                None => (format!("-{}", env.get_ref()), env.span()),
                Some((_, v)) => match v.get_ref() {
                    // An invalid suffix is reported where it is read.
                    DeValue::String(s) if valid_suffix(s) => (s.to_string(), v.span()),
                    _ => continue,
                },
            };
            let this = MadeStack {
                label: format!("[env.{}]", env.get_ref()),
                name: format!("{base}{suffix}"),
                span,
            };
            for other in &made {
                if let Some(shared) = logical.shared(&this, other) {
                    self.problem(separate_problem(&this, other, &shared));
                    break;
                }
            }
            self.check_env_names(doc, &base, &this);
            made.push(this);
        }
    }

    /// Each name under `[env.E.<section>]` must be declared under `[<section>]` in the base.
    fn overlaid_names(
        &mut self,
        doc: &DeTable<'_>,
        overlay: &DeTable<'_>,
        section: &str,
        env: &str,
    ) {
        let Some((_, value)) = entry(overlay, section) else {
            return;
        };
        let Some(overlaid) = self.as_table(value, &format!("[env.{env}.{section}]")) else {
            return;
        };
        let base: Vec<&str> = match entry(doc, section).map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(t)) => t.iter().map(|(k, _)| k.get_ref().as_ref()).collect(),
            _ => Vec::new(),
        };
        for (key, _) in overlaid.iter() {
            if base.contains(&key.get_ref().as_ref()) {
                continue;
            }
            let help = match crate::suggest::closest(key.get_ref(), base.iter().copied()) {
                Some(name) => format!("did you mean {name:?}?"),
                None => format!(
                    "an environment changes what the base file declares; declare [{section}] {:?} there first",
                    key.get_ref()
                ),
            };
            self.problem(
                Problem::new(
                    format!(
                        "[env.{env}.{section}] names {:?}, which the base file does not declare",
                        key.get_ref()
                    ),
                    key.span(),
                    "not in the base",
                )
                .help(help),
            );
        }
    }

    /// Without `name_suffix`, the environment's name becomes part of every physical name
    /// (`-NAME`), so it must be something AWS names can hold.
    fn default_suffix(&mut self, name: &Key<'_>) {
        if valid_suffix(&format!("-{}", name.get_ref())) {
            return;
        }
        self.problem(
            Problem::new(
                format!(
                    "environment name {:?} cannot be part of AWS names",
                    name.get_ref()
                ),
                name.span(),
                "would make the suffix of every name",
            )
            .help(format!(
                "use lowercase letters, digits and '-', or keep the name and add name_suffix = \"-{}\" to [env.{}]",
                name.get_ref()
                    .to_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect::<String>(),
                name.get_ref()
            )),
        );
    }

    /// Names that fit in the base file may not fit with an environment's suffix: each one is
    /// reported at the resource, with the environment's suffix (or name) as related. A name
    /// too long in the base is reported by the base.
    fn check_env_names(&mut self, doc: &DeTable<'_>, base: &str, env: &MadeStack) {
        let too_long_in_base: Vec<_> = long_names(doc, base)
            .into_iter()
            .map(|(span, ..)| span)
            .collect();
        for (span, physical, limit, what) in long_names(doc, &env.name) {
            if too_long_in_base.contains(&span) {
                continue;
            }
            self.problem(
                Problem::new(
                    format!(
                        "in {}, physical name {physical:?} is longer than {limit} characters",
                        env.label
                    ),
                    span,
                    "too long with the environment's suffix",
                )
                .also(env.span.clone(), format!("makes stack {}", env.name))
                .help(format!(
                    "AWS limits {what} to {limit} characters; shorten the resource name, or give {} a shorter name_suffix",
                    env.label
                )),
            );
        }
        if env.name.len() > MAX_STACK_NAME {
            self.problem(
                Problem::new(
                    format!(
                        "{} makes the stack name {:?}, longer than {MAX_STACK_NAME} characters",
                        env.label, env.name
                    ),
                    env.span.clone(),
                    "too long",
                )
                .help("the stack name is the value of every resource's stackctl:stack tag, which AWS limits to 256 characters; shorten the name_suffix"),
            );
        }
    }

    fn name_suffix(&mut self, value: &Value<'_>) -> Option<String> {
        let suffix = self.string(value, "name_suffix")?;
        if !valid_suffix(suffix.get_ref()) {
            self.problem(
                Problem::new(
                    format!("invalid name_suffix {:?}", suffix.get_ref()),
                    suffix.span(),
                    "not a valid suffix",
                )
                .help("use lowercase letters, digits and '-', like \"-staging\""),
            );
            return None;
        }
        Some(suffix.into_inner())
    }

    /// The base document with environment `env`'s overlay merged in, and its settings; a
    /// problem when the file has no such environment.
    pub(super) fn apply_env<'i>(
        &mut self,
        doc: &DeTable<'i>,
        env: &str,
        names: &[String],
    ) -> Option<(DeTable<'i>, EnvSettings)> {
        let overlay = entry(doc, "env")
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::Table(t) => entry(t, env),
                _ => None,
            })
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            });
        let Some(overlay) = overlay else {
            let span = entry(doc, "env").map_or(0..0, |(k, _)| k.span());
            let help = if names.is_empty() {
                format!(
                    "the file declares no environments; add [env.{env}] with what differs there"
                )
            } else {
                format!("environments in the file: {}", names.join(", "))
            };
            self.problem(
                Problem::new(
                    format!("no environment {env:?} in the stack file"),
                    span,
                    "no such environment",
                )
                .help(help),
            );
            return None;
        };
        let settings = EnvSettings {
            name_suffix: entry(overlay, "name_suffix")
                .and_then(|(_, v)| match v.get_ref() {
                    DeValue::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| format!("-{env}")),
            region: entry(overlay, "region").and_then(|(_, v)| self.region(v)),
        };
        let mut merged = doc.clone();
        if let (Some((key, value)), Some(_)) = (entry(overlay, "api"), entry(doc, "api")) {
            merge_entry(&mut merged, key, value);
        }
        // Names the base does not declare were reported by check_envs; they are not added.
        for section in ["tables", "functions", "routes", "user_pools", "topics"] {
            let (Some((_, DeValue::Table(overlaid))), Some((_, base))) = (
                entry(overlay, section).map(|(k, v)| (k, v.get_ref())),
                entry(&merged, section).map(|(k, v)| (k.clone(), v.clone())),
            ) else {
                continue;
            };
            let DeValue::Table(mut base_table) = base.into_inner() else {
                continue;
            };
            for (name, value) in overlaid.iter() {
                if entry(&base_table, name.get_ref()).is_some() {
                    merge_entry(&mut base_table, name, value);
                }
            }
            if let Some((_, slot)) = merged.iter_mut().find(|(k, _)| k.get_ref() == section) {
                *slot.get_mut() = DeValue::Table(base_table);
            }
        }
        Some((merged, settings))
    }
}

impl<'s> Reader<'s> {
    /// Without `--env`, each environment is read too, and the problems it has that the base
    /// does not are reported: those in its overlay as they are, those the merge makes elsewhere
    /// (50 tags once the overlay's are added, a base route under an overlaid REST type) naming
    /// the environment, with its name as related. Runs after the base was read.
    pub(super) fn check_overlay(&mut self, doc: &DeTable<'_>, env: &str, dir: &std::path::Path) {
        let mut sub = Reader {
            source: self.source,
            problems: Vec::new(),
            references: Vec::new(),
        };
        if let Some((merged, settings)) = sub.apply_env(doc, env, &[]) {
            sub.stack(&merged, dir, &settings);
        }
        let mut spans = Vec::new();
        let mut env_key = 0..0;
        if let Some((_, DeValue::Table(envs))) = entry(doc, "env").map(|(k, v)| (k, v.get_ref()))
            && let Some((key, overlay)) = entry(envs, env)
        {
            env_key = key.span();
            leaf_spans(overlay, &mut spans);
        }
        for mut problem in sub.problems {
            let known = self
                .problems
                .iter()
                .any(|p| p.span == problem.span && p.message == problem.message);
            if known {
                continue;
            }
            let inside = spans
                .iter()
                .any(|s| s.start <= problem.span.start && problem.span.end <= s.end);
            if !inside {
                problem.message = format!("in [env.{env}], {}", problem.message);
                problem = problem.also(env_key.clone(), format!("environment {env}"));
            }
            self.problem(problem);
        }
    }
}

/// The longest stack name with its suffix: it is the value of the `stackctl:stack` tag, and
/// AWS tag values hold 256 characters (see `limits::MAX_TAG_VALUE`).
const MAX_STACK_NAME: usize = super::limits::MAX_TAG_VALUE;

fn valid_suffix(suffix: &str) -> bool {
    suffix
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// One stack the file makes: the base, or an environment, and where its name is made.
struct MadeStack {
    label: String,
    name: String,
    span: std::ops::Range<usize>,
}

/// The logical names of what the file declares; environments declare the same ones.
struct Logical {
    tables: Vec<String>,
    functions: Vec<String>,
}

impl Logical {
    /// What two stacks would both make: the stack name, or a table's or function's physical
    /// name (`<stack>-<logical>`; a managed role takes its function's).
    fn shared(&self, a: &MadeStack, b: &MadeStack) -> Option<String> {
        if a.name == b.name {
            return Some(format!("the stack name {}", a.name));
        }
        for (kind, names) in [("table", &self.tables), ("function", &self.functions)] {
            for x in names {
                let physical = format!("{}-{x}", a.name);
                if names.iter().any(|y| format!("{}-{y}", b.name) == physical) {
                    return Some(format!("the {kind} name {physical}"));
                }
            }
        }
        None
    }
}

fn section_names(doc: &DeTable<'_>, section: &str) -> Vec<String> {
    match entry(doc, section).map(|(_, v)| v.get_ref()) {
        Some(DeValue::Table(t)) => t.iter().map(|(k, _)| k.get_ref().to_string()).collect(),
        _ => Vec::new(),
    }
}

fn separate_problem(this: &MadeStack, other: &MadeStack, shared: &str) -> Problem {
    Problem::new(
        format!(
            "{} and {} would both make {shared}, and change each other's resources",
            this.label, other.label
        ),
        this.span.clone(),
        format!("makes stack {}", this.name),
    )
    .also(other.span.clone(), format!("makes stack {}", other.name))
    .help(format!(
        "each environment must be a stack of its own: give {} a name_suffix that makes names no other environment (or the base file) makes",
        this.label
    ))
}

/// The spans of every key and every non-table value under `value`.
fn leaf_spans(value: &Value<'_>, out: &mut Vec<std::ops::Range<usize>>) {
    match value.get_ref() {
        DeValue::Table(t) => {
            for (k, v) in t.iter() {
                out.push(k.span());
                leaf_spans(v, out);
            }
        }
        _ => out.push(value.span()),
    }
}

/// Puts `value` under `key` in `into`: tables merge key by key, anything else replaces.
fn merge_entry<'i>(into: &mut DeTable<'i>, key: &Key<'i>, value: &Value<'i>) {
    let existing = into.iter_mut().find(|(k, _)| k.get_ref() == key.get_ref());
    match (existing, value.get_ref()) {
        (Some((_, old)), DeValue::Table(overlay)) if matches!(old.get_ref(), DeValue::Table(_)) => {
            if let DeValue::Table(base) = old.get_mut() {
                for (k, v) in overlay.iter() {
                    merge_entry(base, k, v);
                }
            }
        }
        (Some((_, old)), _) => *old = value.clone(),
        (None, _) => {
            into.insert(key.clone(), value.clone());
        }
    }
}
