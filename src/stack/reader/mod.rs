//! Turns stack file text into a [`Stack`], collecting every problem with its location.
//!
//! The file is parsed into a span-carrying TOML tree first, so that a problem anywhere can point
//! at its text, and reading goes on after a problem so that all of them are reported at once.
//! One file per section of the stack file: `table`, `function`, `api`.

mod api;
mod env;
mod function;
mod limits;
mod paths;
mod secrets;
mod table;

pub use limits::{MAX_TRANSFER_BUCKET, is_account_id, is_bucket_name};
pub use secrets::masked as mask_secrets;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::address::Address;
use super::diagnostic::Problem;
use super::reference::RefTarget;
use super::{ApiType, Stack};

type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;

/// A reference from one resource to another, where it is written.
#[derive(Debug, Clone)]
pub struct RefSite {
    pub from: Address,
    pub to: Address,
    pub span: Range<usize>,
}

/// Everything read from the file: the stack when it could be built, the problems, and where
/// references are written (for the cycle check).
pub struct ReadResult {
    pub stack: Option<Stack>,
    pub problems: Vec<Problem>,
    pub references: Vec<RefSite>,
}

const TOP_KEYS: &[&str] = &["stack", "tables", "functions", "api", "routes", "env"];
const STACK_KEYS: &[&str] = &["name", "region", "artifact_bucket"];

/// Reads the file; with `env`, that environment's overlay merged onto the base.
pub fn read(source: &str, dir: &Path, env: Option<&str>) -> ReadResult {
    let (doc, syntax_errors) = DeTable::parse_recoverable(source);
    let mut reader = Reader {
        source,
        problems: Vec::new(),
        references: Vec::new(),
    };
    if !syntax_errors.is_empty() {
        for err in syntax_errors {
            let span = err.span().unwrap_or(0..0);
            reader.problems.push(
                Problem::new(
                    format!("invalid TOML: {}", err.message().trim()),
                    span,
                    "here",
                )
                .help("fix the TOML syntax; see https://toml.io for the format"),
            );
        }
        return reader.finish(None);
    }
    let doc = doc.get_ref();
    let envs = reader.check_envs(doc);
    let stack = match env {
        None => {
            // The base first: an overlay's problems are those the base does not have.
            let stack = reader.stack(doc, dir, &env::EnvSettings::default());
            for name in &envs {
                reader.check_overlay(doc, name, dir);
            }
            stack
        }
        Some(env) => match reader.apply_env(doc, env, &envs) {
            Some((merged, settings)) => reader.stack(&merged, dir, &settings),
            None => None,
        },
    };
    reader.finish(stack)
}

struct Reader<'s> {
    source: &'s str,
    problems: Vec<Problem>,
    references: Vec<RefSite>,
}

impl<'s> Reader<'s> {
    fn finish(self, stack: Option<Stack>) -> ReadResult {
        ReadResult {
            stack,
            problems: self.problems,
            references: self.references,
        }
    }

    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn stack(&mut self, doc: &DeTable<'_>, dir: &Path, env: &env::EnvSettings) -> Option<Stack> {
        self.unknown_keys(doc, TOP_KEYS, "at the top level");
        let (name, region, artifact_bucket) = match entry(doc, "stack") {
            Some((_, value)) => self.stack_table(value),
            None => {
                self.problem(
                    Problem::new("the stack file has no [stack] table", 0..0, "expected here")
                        .help("start the file with:\n[stack]\nname = \"shop\""),
                );
                (None, None, None)
            }
        };
        let declared = Declared::collect(doc);
        let tables = self.named_tables(doc, "tables", |r, key, value| r.table(key, value));
        let functions = self.named_tables(doc, "functions", |r, key, value| {
            r.function(key, value, dir, &declared)
        });
        let api = entry(doc, "api").and_then(|(_, v)| self.api(v, &declared));
        let routes = match entry(doc, "routes") {
            Some((key, value)) => self.routes(key, value, api.as_ref(), &declared),
            None => Vec::new(),
        };
        let no_routes_written = entry(doc, "routes")
            .is_none_or(|(_, v)| matches!(v.get_ref(), DeValue::Table(t) if t.is_empty()));
        if let (Some(api), Some((key, _))) = (&api, entry(doc, "api"))
            && api.api_type == ApiType::Rest
            && no_routes_written
        {
            self.problem(
                Problem::new("a REST API needs at least one route", key.span(), "REST API")
                    .help("API Gateway cannot deploy a REST API without methods: add a route under [routes], or remove [api] to delete the API"),
            );
        }
        let region = env.region.clone().or(region);
        if let Some(region) = &region {
            self.check_layer_regions(doc, region);
        }
        let name = name?;
        self.check_resolved_environment_sizes(
            doc,
            &format!("{name}{}", env.name_suffix),
            region.as_deref(),
            &functions,
        );
        // The base's names here; every environment's, with its suffix, in check_envs (with or
        // without --env, so that validate without --env finds them too).
        self.check_name_lengths(doc, &name);
        let name = format!("{name}{}", env.name_suffix);
        Some(Stack {
            name,
            region,
            artifact_bucket,
            tables,
            functions,
            api,
            routes,
        })
    }

    fn stack_table(
        &mut self,
        value: &Value<'_>,
    ) -> (Option<String>, Option<String>, Option<String>) {
        let Some(table) = self.as_table(value, "[stack]") else {
            return (None, None, None);
        };
        self.unknown_keys(table, STACK_KEYS, "in [stack]");
        let name = match entry(table, "name") {
            Some((_, v)) => self.string(v, "stack name").and_then(|n| {
                if is_stack_name(n.get_ref()) {
                    Some(n.into_inner())
                } else {
                    self.problem(
                        Problem::new(
                            format!("invalid stack name {:?}", n.get_ref()),
                            n.span(),
                            "not a valid stack name",
                        )
                        .help("use lowercase letters, digits and '-', starting with a letter, at most 40 characters"),
                    );
                    None
                }
            }),
            None => {
                self.problem(
                    Problem::new("[stack] has no name", value.span(), "this table")
                        .help("add name = \"shop\": physical names become shop-<logical name>"),
                );
                None
            }
        };
        let region = entry(table, "region").and_then(|(_, v)| self.region(v));
        let bucket = entry(table, "artifact_bucket")
            .and_then(|(_, v)| self.string(v, "artifact_bucket"))
            .and_then(|b| {
                if limits::is_bucket_name(b.get_ref(), limits::MAX_CODE_BUCKET) {
                    return Some(b.into_inner());
                }
                self.problem(
                    Problem::new(format!("{:?} is not an S3 bucket name", b.get_ref()), b.span(), "not a bucket name")
                        .help("Lambda takes code from buckets named with 3 to 63 letters, digits, '.', '_' and '-', beginning and ending with a letter or digit"),
                );
                None
            });
        (name, region, bucket)
    }

    /// Reads `[tables.*]` or `[functions.*]`: a table of named resources.
    fn named_tables<T>(
        &mut self,
        doc: &DeTable<'_>,
        section: &str,
        mut each: impl FnMut(&mut Self, &Key<'_>, &Value<'_>) -> Option<T>,
    ) -> Vec<T> {
        let Some((_, value)) = entry(doc, section) else {
            return Vec::new();
        };
        let Some(table) = self.as_table(value, &format!("[{section}]")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table.iter() {
            if !is_logical_name(key.get_ref()) {
                self.problem(
                    Problem::new(
                        format!("invalid name {:?} in [{section}]", key.get_ref()),
                        key.span(),
                        "not a valid name",
                    )
                    .help("use lowercase letters, digits, '-' and '_', starting with a letter"),
                );
                continue;
            }
            if let Some(item) = each(self, key, value) {
                out.push(item);
            }
        }
        out
    }

    /// Tables and functions whose physical names exceed what AWS accepts.
    fn check_name_lengths(&mut self, doc: &DeTable<'_>, stack: &str) {
        for (key, physical, limit, what) in long_names(doc, stack) {
            self.problem(
                Problem::new(
                    format!("physical name {physical:?} is longer than {limit} characters"),
                    key,
                    "too long",
                )
                .help(format!(
                    "AWS limits {what} to {limit} characters; shorten the stack or resource name"
                )),
            );
        }
    }

    fn tags(&mut self, t: &DeTable<'_>) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        let Some((_, value)) = entry(t, "tags") else {
            return tags;
        };
        let Some(table) = self.as_table(value, "tags") else {
            return tags;
        };
        for (key, value) in table.iter() {
            // AWS reserves the prefix in any case (aws:, AWS:).
            if crate::marks::is_own_tag(key.get_ref())
                || key.get_ref().to_ascii_lowercase().starts_with("aws:")
            {
                self.problem(
                    Problem::new(
                        format!("tag {:?} uses a reserved prefix", key.get_ref()),
                        key.span(),
                        "reserved",
                    )
                    .help("tags starting with stackctl: or aws: are set by stackctl and AWS"),
                );
                continue;
            }
            if let Some(problem) = tag_text_problem(key.get_ref(), "key", limits::MAX_TAG_KEY) {
                self.problem(Problem::new(problem, key.span(), "not a tag key").help(TAG_HELP));
                continue;
            }
            let Some(v) = self.string(value, "a tag value") else {
                continue;
            };
            if let Some(problem) = tag_text_problem(v.get_ref(), "value", limits::MAX_TAG_VALUE)
                && !v.get_ref().is_empty()
            {
                self.problem(Problem::new(problem, v.span(), "not a tag value").help(TAG_HELP));
                continue;
            }
            tags.insert(key.get_ref().to_string(), v.into_inner());
        }
        let room = limits::MAX_TAGS - limits::OWN_TAGS;
        if table.len() > room
            && let Some((key, _)) = entry(t, "tags")
        {
            self.problem(
                Problem::new(
                    format!("{} tags, more than the {room} AWS leaves room for", table.len()),
                    key.span(),
                    "too many tags",
                )
                .help(format!(
                    "AWS allows {} tags per resource and stackctl sets {} of them (stackctl:stack, and stackctl:applied or stackctl:permissions): keep at most {room}",
                    limits::MAX_TAGS,
                    limits::OWN_TAGS
                )),
            );
        }
        tags
    }

    /// `text` when it has at most `max` characters; otherwise a problem naming the limit.
    fn at_most(
        &mut self,
        text: &Spanned<String>,
        what: &str,
        max: usize,
        service: &str,
    ) -> Option<String> {
        let len = text.get_ref().chars().count();
        if len <= max {
            return Some(text.get_ref().clone());
        }
        self.problem(
            Problem::new(
                format!("{what} has {len} characters, more than {service}'s {max}"),
                text.span(),
                "too long",
            )
            .help(format!("shorten the {what} to {max} characters")),
        );
        None
    }

    // ---- typed accessors: each reports a wrong type at the value ----

    fn as_table<'a, 'i>(&mut self, value: &'a Value<'i>, what: &str) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.problem(
                    Problem::new(
                        format!("{what} must be a table, found {}", other.type_str()),
                        value.span(),
                        "expected a table",
                    )
                    .help("write it as [section] or { key = value }"),
                );
                None
            }
        }
    }

    /// A region code that AWS has opened (see [`crate::aws::regions`]).
    fn region(&mut self, value: &Value<'_>) -> Option<String> {
        let region = self.string(value, "region")?;
        match crate::aws::regions::check(region.get_ref()) {
            Ok(()) => Some(region.into_inner()),
            Err(problem) => {
                self.problem(
                    Problem::new(problem.message, region.span(), "not a region").help(problem.help),
                );
                None
            }
        }
    }

    fn string(&mut self, value: &Value<'_>, what: &str) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            other => {
                self.problem(
                    Problem::new(
                        format!("{what} must be a string, found {}", other.type_str()),
                        value.span(),
                        "expected a string",
                    )
                    .help("put the value in double quotes"),
                );
                None
            }
        }
    }

    fn int(
        &mut self,
        value: &Value<'_>,
        what: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => {
                let digits = i.as_str().replace('_', "");
                match i64::from_str_radix(&digits, i.radix()) {
                    Ok(n) => Some(n),
                    // A whole number past i64 is still a number: say it is too large, not
                    // that it is of the wrong type.
                    Err(_) => {
                        self.too_large(value, what, &range, digits.starts_with('-'));
                        return None;
                    }
                }
            }
            _ => None,
        };
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            Some(n) => {
                let (message, label) = if n > *range.end() {
                    (format!("{what} = {n} is too large"), "too large")
                } else {
                    (format!("{what} = {n} is too small"), "too small")
                };
                self.problem(Problem::new(message, value.span(), label).help(format!(
                    "{what} must be between {} and {}",
                    range.start(),
                    range.end()
                )));
                None
            }
            None => {
                self.problem(
                    Problem::new(
                        format!(
                            "{what} must be a whole number, found {}",
                            value.get_ref().type_str()
                        ),
                        value.span(),
                        "expected a whole number",
                    )
                    .help(format!(
                        "write a number between {} and {}, without quotes",
                        range.start(),
                        range.end()
                    )),
                );
                None
            }
        }
    }

    /// A whole number too far out of `range` to be held at all.
    fn too_large(
        &mut self,
        value: &Value<'_>,
        what: &str,
        range: &std::ops::RangeInclusive<i64>,
        negative: bool,
    ) {
        let (message, label) = if negative {
            (format!("{what} is too small"), "too small")
        } else {
            (format!("{what} is too large"), "too large")
        };
        self.problem(Problem::new(message, value.span(), label).help(format!(
            "{what} must be between {} and {}",
            range.start(),
            range.end()
        )));
    }

    fn opt_int(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        entry(t, key).and_then(|(_, v)| self.int(v, key, range))
    }

    fn opt_bool(&mut self, t: &DeTable<'_>, key: &str) -> Option<bool> {
        let (_, value) = entry(t, key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.problem(
                    Problem::new(
                        format!("{key} must be true or false, found {}", other.type_str()),
                        value.span(),
                        "expected true or false",
                    )
                    .help("write true or false, without quotes"),
                );
                None
            }
        }
    }

    fn required_string(
        &mut self,
        t: &DeTable<'_>,
        owner: &Key<'_>,
        what: &str,
        key: &str,
        example: &str,
    ) -> Option<Spanned<String>> {
        match entry(t, key) {
            Some((_, v)) => self.string(v, key),
            None => {
                self.problem(
                    Problem::new(
                        format!("{what} has no {key}"),
                        owner.span(),
                        "declared here",
                    )
                    .help(format!("add {example}")),
                );
                None
            }
        }
    }

    fn unknown_keys(&mut self, t: &DeTable<'_>, allowed: &[&str], place: &str) {
        for (key, _) in t.iter() {
            let name = key.get_ref();
            if allowed.contains(&name.as_ref()) {
                continue;
            }
            let suggestion = crate::stack::closest(name, allowed.iter().copied());
            let help = match suggestion {
                Some(s) => format!("did you mean {s:?}?"),
                None => format!("known keys {place}: {}", allowed.join(", ")),
            };
            self.problem(
                Problem::new(
                    format!("unknown key {name:?} {place}"),
                    key.span(),
                    "unknown key",
                )
                .help(help),
            );
        }
    }
}

/// Physical names (`<stack>-<logical>`) longer than AWS takes: where the logical name is
/// written, the name, the limit and what it names. Function names (and the managed role's,
/// the same) take 64 characters (CreateFunction, CreateRole API references), table names 255
/// (CreateTable: <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html>).
/// Their characters need no check: stack names, suffixes and logical names hold only
/// characters every one of them accepts.
fn long_names(doc: &DeTable<'_>, stack: &str) -> Vec<(Range<usize>, String, usize, &'static str)> {
    let mut out = Vec::new();
    for (section, limit, what) in [
        ("tables", 255, "table names"),
        ("functions", 64, "function and IAM role names"),
    ] {
        let Some(DeValue::Table(t)) = entry(doc, section).map(|(_, v)| v.get_ref()) else {
            continue;
        };
        for (key, _) in t.iter() {
            let physical = format!("{stack}-{}", key.get_ref());
            if physical.len() > limit {
                out.push((key.span(), physical, limit, what));
            }
        }
    }
    out
}

const TAG_HELP: &str = "tag keys have 1 to 128 characters and values up to 256, of letters, digits, spaces and _ . : / = + - @";

/// What is wrong with a tag key or value, if anything ([`limits`] has AWS's rules).
fn tag_text_problem(text: &str, what: &str, max: usize) -> Option<String> {
    let len = text.chars().count();
    if len == 0 {
        Some(format!("a tag {what} cannot be empty"))
    } else if len > max {
        Some(format!(
            "tag {what} has {len} characters, more than AWS's {max}"
        ))
    } else {
        text.chars()
            .find(|c| !limits::is_tag_char(*c))
            .map(|c| format!("tag {what} {text:?} holds {c:?}, which AWS does not accept in tags"))
    }
}

/// The logical names the file declares, to check references and routes against.
struct Declared {
    tables: Vec<String>,
    functions: Vec<String>,
    api: bool,
    /// `[api] type` as written (HTTP when absent), for the rules that differ by API type.
    api_type: Option<ApiType>,
    /// Where `[api] cors` is written.
    cors: Option<Range<usize>>,
}

impl Declared {
    fn collect(doc: &DeTable<'_>) -> Self {
        let names = |section: &str| match entry(doc, section).map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(t)) => t.iter().map(|(k, _)| k.get_ref().to_string()).collect(),
            _ => Vec::new(),
        };
        let api = match entry(doc, "api").map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(t)) => Some(t),
            _ => None,
        };
        let api_type = api.and_then(|t| match entry(t, "type").map(|(_, v)| v.get_ref()) {
            None => Some(ApiType::Http),
            Some(DeValue::String(s)) if s == "http" => Some(ApiType::Http),
            Some(DeValue::String(s)) if s == "rest" => Some(ApiType::Rest),
            Some(_) => None,
        });
        Declared {
            tables: names("tables"),
            functions: names("functions"),
            api: entry(doc, "api").is_some(),
            api_type,
            cors: api.and_then(|t| entry(t, "cors")).map(|(k, _)| k.span()),
        }
    }

    fn check(&self, target: &RefTarget, span: Range<usize>) -> Option<Problem> {
        let (kind, name, names) = match target {
            RefTarget::Table(name) => ("table", name, &self.tables),
            RefTarget::Function(name) => ("function", name, &self.functions),
            RefTarget::Ssm(_) => return None,
            RefTarget::Api => {
                return (!self.api).then(|| {
                    Problem::new(
                        "reference to the api, but there is no [api]",
                        span,
                        "no [api] declared",
                    )
                    .help("declare [api], or remove the reference")
                });
            }
        };
        if names.contains(name) {
            return None;
        }
        let help = match names.as_slice() {
            [] => format!("the file declares no {kind}s"),
            _ => format!("declared {kind}s: {}", names.join(", ")),
        };
        Some(
            Problem::new(
                format!("unknown {kind} {name:?}"),
                span,
                format!("no such {kind}"),
            )
            .help(help),
        )
    }
}

fn entry<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<(&'a Key<'i>, &'a Value<'i>)> {
    t.iter().find(|(k, _)| k.get_ref() == key)
}

fn is_stack_name(name: &str) -> bool {
    name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_logical_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
