//! Turns stack file text into a [`Stack`], collecting every problem with its location.
//!
//! The file is parsed into a span-carrying TOML tree first, so that a problem anywhere can point
//! at its text, and reading goes on after a problem so that all of them are reported at once.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::address::Address;
use super::diagnostic::Problem;
use super::reference::{self, RefTarget, Segment, Template};
use super::{
    ApiSpec, ApiType, Billing, FunctionSpec, KeySpec, KeyType, RouteSpec, Stack, TableSpec,
};

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

const TOP_KEYS: &[&str] = &["stack", "tables", "functions", "api", "routes"];
const STACK_KEYS: &[&str] = &["name", "region"];
const TABLE_KEYS: &[&str] = &[
    "partition_key",
    "sort_key",
    "billing",
    "read_capacity",
    "write_capacity",
    "ttl_attribute",
    "point_in_time_recovery",
    "deletion_protection",
    "tags",
];
const KEY_KEYS: &[&str] = &["name", "type"];
const FUNCTION_KEYS: &[&str] = &[
    "runtime",
    "handler",
    "code",
    "memory",
    "timeout",
    "environment",
    "role",
    "tags",
];
const API_KEYS: &[&str] = &["type", "stage", "tags"];
const ROUTE_KEYS: &[&str] = &["function"];
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

pub fn read(source: &str, dir: &Path) -> ReadResult {
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
    let stack = reader.stack(doc.get_ref(), dir);
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

    fn stack(&mut self, doc: &DeTable<'_>, dir: &Path) -> Option<Stack> {
        self.unknown_keys(doc, TOP_KEYS, "at the top level");
        let (name, region) = match entry(doc, "stack") {
            Some((_, value)) => self.stack_table(value),
            None => {
                self.problem(
                    Problem::new("the stack file has no [stack] table", 0..0, "expected here")
                        .help("start the file with:\n[stack]\nname = \"shop\""),
                );
                (None, None)
            }
        };
        let declared = Declared::collect(doc);
        let tables = self.named_tables(doc, "tables", |r, key, value| r.table(key, value));
        let functions = self.named_tables(doc, "functions", |r, key, value| {
            r.function(key, value, dir, &declared)
        });
        let api = entry(doc, "api").and_then(|(_, v)| self.api(v));
        let routes = match entry(doc, "routes") {
            Some((key, value)) => self.routes(key, value, api.is_some(), &declared),
            None => Vec::new(),
        };
        let name = name?;
        self.check_name_lengths(doc, &name);
        Some(Stack {
            name,
            region,
            tables,
            functions,
            api,
            routes,
        })
    }

    fn stack_table(&mut self, value: &Value<'_>) -> (Option<String>, Option<String>) {
        let Some(table) = self.as_table(value, "[stack]") else {
            return (None, None);
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
        let region = entry(table, "region")
            .and_then(|(_, v)| self.string(v, "region"))
            .map(Spanned::into_inner);
        (name, region)
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

    fn table(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<TableSpec> {
        let what = format!("[tables.{}]", key.get_ref());
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, TABLE_KEYS, &format!("in {what}"));
        let partition_key = match entry(t, "partition_key") {
            Some((_, v)) => self.key_spec(v, "partition_key"),
            None => {
                self.problem(
                    Problem::new(
                        format!("{what} has no partition_key"),
                        key.span(),
                        "this table",
                    )
                    .help("add partition_key = { name = \"pk\", type = \"string\" }"),
                );
                None
            }
        };
        let sort_key = entry(t, "sort_key").and_then(|(_, v)| self.key_spec(v, "sort_key"));
        if let (Some(pk), Some(sk)) = (&partition_key, &sort_key)
            && pk.name == sk.name
            && let Some((_, v)) = entry(t, "sort_key")
        {
            self.problem(
                Problem::new(
                    format!("sort_key uses the partition key's attribute {:?}", sk.name),
                    v.span(),
                    "same attribute as the partition key",
                )
                .help("the sort key must be a different attribute"),
            );
        }
        let billing = self.billing(t, key, &what);
        let ttl_attribute = entry(t, "ttl_attribute")
            .and_then(|(_, v)| self.string(v, "ttl_attribute"))
            .map(Spanned::into_inner);
        let pitr = self.opt_bool(t, "point_in_time_recovery").unwrap_or(false);
        let deletion_protection = self.opt_bool(t, "deletion_protection").unwrap_or(true);
        let tags = self.tags(t);
        Some(TableSpec {
            logical: key.get_ref().to_string(),
            partition_key: partition_key?,
            sort_key,
            billing: billing?,
            ttl_attribute,
            point_in_time_recovery: pitr,
            deletion_protection,
            tags,
        })
    }

    fn billing(&mut self, t: &DeTable<'_>, key: &Key<'_>, what: &str) -> Option<Billing> {
        let mode = match entry(t, "billing") {
            Some((_, v)) => {
                let mode = self.string(v, "billing")?;
                match mode.get_ref().as_str() {
                    "on-demand" | "provisioned" => Some(mode),
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown billing mode {other:?}"),
                                mode.span(),
                                "not a billing mode",
                            )
                            .help("use billing = \"on-demand\" or billing = \"provisioned\""),
                        );
                        return None;
                    }
                }
            }
            None => None,
        };
        let read = entry(t, "read_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "read_capacity", 1..=40_000)));
        let write = entry(t, "write_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "write_capacity", 1..=40_000)));
        let provisioned = mode.as_ref().is_some_and(|m| m.get_ref() == "provisioned");
        if provisioned {
            let missing: Vec<&str> = [("read_capacity", &read), ("write_capacity", &write)]
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| *n)
                .collect();
            if !missing.is_empty() {
                let span = mode.as_ref().map_or(key.span(), Spanned::span);
                self.problem(
                    Problem::new(
                        format!("{what} is provisioned but has no {}", missing.join(" or ")),
                        span,
                        "provisioned billing",
                    )
                    .help("add read_capacity = 5 and write_capacity = 5, or use billing = \"on-demand\""),
                );
                return None;
            }
            Some(Billing::Provisioned {
                read_capacity: read?.1?,
                write_capacity: write?.1?,
            })
        } else {
            for (name, found) in [("read_capacity", &read), ("write_capacity", &write)] {
                if let Some((span, _)) = found {
                    self.problem(
                        Problem::new(
                            format!("{name} is set but {what} is billed on demand"),
                            span.clone(),
                            "only for provisioned tables",
                        )
                        .help("add billing = \"provisioned\", or remove the capacity"),
                    );
                }
            }
            Some(Billing::OnDemand)
        }
    }

    fn key_spec(&mut self, value: &Value<'_>, what: &str) -> Option<KeySpec> {
        let t = self.as_table(value, what)?;
        self.unknown_keys(t, KEY_KEYS, &format!("in {what}"));
        let name = match entry(t, "name") {
            Some((_, v)) => self.string(v, &format!("{what} name")),
            None => {
                self.problem(
                    Problem::new(format!("{what} has no name"), value.span(), "here").help(
                        format!("write {what} = {{ name = \"pk\", type = \"string\" }}"),
                    ),
                );
                None
            }
        };
        let key_type = match entry(t, "type") {
            Some((_, v)) => {
                let s = self.string(v, &format!("{what} type"))?;
                match s.get_ref().as_str() {
                    "string" => Some(KeyType::String),
                    "number" => Some(KeyType::Number),
                    "binary" => Some(KeyType::Binary),
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown key type {other:?}"),
                                s.span(),
                                "not a key type",
                            )
                            .help("use \"string\", \"number\" or \"binary\""),
                        );
                        None
                    }
                }
            }
            None => {
                self.problem(
                    Problem::new(format!("{what} has no type"), value.span(), "here")
                        .help("add type = \"string\", \"number\" or \"binary\""),
                );
                None
            }
        };
        Some(KeySpec {
            name: name?.into_inner(),
            key_type: key_type?,
        })
    }

    fn function(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        dir: &Path,
        declared: &Declared,
    ) -> Option<FunctionSpec> {
        let logical = key.get_ref().to_string();
        let what = format!("[functions.{logical}]");
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, FUNCTION_KEYS, &format!("in {what}"));
        let runtime = self.required_string(t, key, &what, "runtime", "runtime = \"nodejs20.x\"");
        let handler = self.required_string(t, key, &what, "handler", "handler = \"index.handler\"");
        let code = self
            .required_string(t, key, &what, "code", "code = \"functions/NAME\"")
            .and_then(|c| self.code_path(&c, dir));
        let memory = self.opt_int(t, "memory", 128..=10_240).unwrap_or(128);
        let timeout = self.opt_int(t, "timeout", 1..=900).unwrap_or(3);
        let environment = self.environment(t, &logical, declared);
        let role = entry(t, "role")
            .and_then(|(_, v)| self.string(v, "role"))
            .and_then(|r| {
                if r.get_ref().starts_with("arn:") && r.get_ref().contains(":role/") {
                    Some(r.into_inner())
                } else {
                    self.problem(
                        Problem::new("role must be an IAM role ARN", r.span(), "not a role ARN")
                            .help("write role = \"arn:aws:iam::123456789012:role/NAME\", or remove it and stackctl manages a role for the function"),
                    );
                    None
                }
            });
        let tags = self.tags(t);
        Some(FunctionSpec {
            logical,
            runtime: runtime?.into_inner(),
            handler: handler?.into_inner(),
            code: code?,
            memory: memory as i32,
            timeout: timeout as i32,
            environment: environment?,
            role,
            tags,
        })
    }

    fn code_path(&mut self, code: &Spanned<String>, dir: &Path) -> Option<std::path::PathBuf> {
        let path = dir.join(code.get_ref());
        let problem = if path.is_dir() {
            return Some(path);
        } else if path.is_file() {
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
            {
                return Some(path);
            }
            Problem::new(
                format!("code {:?} is a file but not a .zip", code.get_ref()),
                code.span(),
                "not a folder or .zip",
            )
            .help("point code at the folder that holds the function's files, or at a .zip")
        } else {
            Problem::new(
                format!("code {:?} does not exist", code.get_ref()),
                code.span(),
                "no such file or folder",
            )
            .help("paths are relative to the folder of the stack file")
        };
        self.problem(problem);
        None
    }

    fn environment(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<BTreeMap<String, Template>> {
        let Some((_, value)) = entry(t, "environment") else {
            return Some(BTreeMap::new());
        };
        let env = self.as_table(value, "environment")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in env.iter() {
            let name = key.get_ref();
            if !is_env_name(name) {
                self.problem(
                    Problem::new(
                        format!("invalid environment variable name {name:?}"),
                        key.span(),
                        "not a variable name",
                    )
                    .help("use letters, digits and '_', starting with a letter"),
                );
                ok = false;
                continue;
            }
            if name.starts_with("AWS_") {
                self.problem(
                    Problem::new(
                        format!("{name} is reserved by Lambda"),
                        key.span(),
                        "reserved name",
                    )
                    .help("Lambda sets AWS_* variables itself; choose another name"),
                );
                ok = false;
                continue;
            }
            match self
                .string(value, "an environment value")
                .and_then(|s| self.template(&s, value, function, declared))
            {
                Some(template) => {
                    out.insert(name.to_string(), template);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Reads references in a string value. `value` is the TOML value, whose span includes quotes.
    fn template(
        &mut self,
        text: &Spanned<String>,
        value: &Value<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<Template> {
        // Spans inside the string are exact for plain strings; for strings with escapes, point
        // at the whole value rather than at a wrong place.
        let raw = &self.source[value.span()];
        let inner_start = value.span().start + 1;
        let exact = raw.len() == text.get_ref().len() + 2;
        let at = |range: Range<usize>| {
            if exact {
                inner_start + range.start..inner_start + range.end
            } else {
                value.span()
            }
        };
        let parts = match reference::split(text.get_ref()) {
            Ok(parts) => parts,
            Err(range) => {
                self.problem(
                    Problem::new("unclosed reference", at(range), "no closing '}'")
                        .help("close it with '}'; write $${ for a literal ${"),
                );
                return None;
            }
        };
        let mut segments = Vec::new();
        let mut ok = true;
        for (raw_ref, text) in parts {
            let Some(raw_ref) = raw_ref else {
                segments.push(Segment::Text(text));
                continue;
            };
            let span = at(raw_ref.range.clone());
            match reference::interpret(&raw_ref.text) {
                Err(why) => {
                    self.problem(
                        Problem::new(
                            format!("{why} in ${{{}}}", raw_ref.text),
                            span,
                            "not a reference stackctl knows",
                        )
                        .help(reference::FORMS),
                    );
                    ok = false;
                }
                Ok(r) => {
                    if let Some(problem) = declared.check(&r.target, span.clone()) {
                        self.problem(problem);
                        ok = false;
                    } else {
                        self.references.push(RefSite {
                            from: Address::Function(function.to_string()),
                            to: r.target.address(),
                            span,
                        });
                        segments.push(Segment::Ref(r));
                    }
                }
            }
        }
        ok.then_some(Template { segments })
    }

    fn api(&mut self, value: &Value<'_>) -> Option<ApiSpec> {
        let t = self.as_table(value, "[api]")?;
        self.unknown_keys(t, API_KEYS, "in [api]");
        let api_type = match entry(t, "type") {
            None => Some(ApiType::Http),
            Some((_, v)) => {
                let s = self.string(v, "api type")?;
                match s.get_ref().as_str() {
                    "http" => Some(ApiType::Http),
                    "rest" => {
                        self.problem(
                            Problem::new(
                                "REST APIs are not supported yet",
                                s.span(),
                                "not supported yet",
                            )
                            .help("use type = \"http\" (API Gateway HTTP API)"),
                        );
                        None
                    }
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown api type {other:?}"),
                                s.span(),
                                "not an api type",
                            )
                            .help("use type = \"http\""),
                        );
                        None
                    }
                }
            }
        };
        let stage = match entry(t, "stage") {
            None => Some("$default".to_string()),
            Some((_, v)) => self.string(v, "stage").and_then(|s| {
                let name = s.get_ref();
                let valid = name == "$default"
                    || (!name.is_empty()
                        && name.len() <= 128
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
                if valid {
                    Some(s.into_inner())
                } else {
                    self.problem(
                        Problem::new(format!("invalid stage name {name:?}"), s.span(), "here")
                            .help("use letters, digits, '-' and '_', or \"$default\""),
                    );
                    None
                }
            }),
        };
        let tags = self.tags(t);
        Some(ApiSpec {
            api_type: api_type?,
            stage: stage?,
            tags,
        })
    }

    fn routes(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        has_api: bool,
        declared: &Declared,
    ) -> Vec<RouteSpec> {
        let Some(table) = self.as_table(value, "[routes]") else {
            return Vec::new();
        };
        if !has_api && !table.is_empty() {
            self.problem(
                Problem::new(
                    "routes are declared but there is no [api]",
                    key.span(),
                    "routes need an API",
                )
                .help("add:\n[api]\ntype = \"http\"\nstage = \"prod\""),
            );
        }
        let mut routes = Vec::new();
        let mut seen: Vec<(String, Range<usize>, String)> = Vec::new();
        for (route_key, value) in table.iter() {
            let Some(normalized) = self.route_key(route_key) else {
                continue;
            };
            let shape = route_shape(&normalized);
            if let Some((_, first_span, first)) = seen.iter().find(|(s, _, _)| *s == shape) {
                let problem = Problem::new(
                    format!("route {normalized:?} collides with {first:?}"),
                    route_key.span(),
                    "this route",
                )
                .also(first_span.clone(), "collides with this one")
                .help("two routes with the same method and path shape cannot both be served; remove or rename one");
                self.problem(problem);
                continue;
            }
            seen.push((shape, route_key.span(), normalized.clone()));
            let function = match value.get_ref() {
                DeValue::String(name) => Some(Spanned::new(value.span(), name.to_string())),
                DeValue::Table(t) => {
                    self.unknown_keys(t, ROUTE_KEYS, "in a route");
                    match entry(t, "function") {
                        Some((_, v)) => self.string(v, "function"),
                        None => {
                            self.problem(
                                Problem::new("route has no function", value.span(), "here")
                                    .help("write { function = \"NAME\" }"),
                            );
                            None
                        }
                    }
                }
                other => {
                    self.problem(
                        Problem::new(
                            format!(
                                "expected a function name or a table, found {}",
                                other.type_str()
                            ),
                            value.span(),
                            "here",
                        )
                        .help("write \"GET /orders\" = \"function-name\""),
                    );
                    None
                }
            };
            let Some(function) = function else { continue };
            if let Some(problem) = declared.check(
                &RefTarget::Function(function.get_ref().clone()),
                function.span(),
            ) {
                self.problem(problem);
                continue;
            }
            routes.push(RouteSpec {
                key: normalized,
                function: function.into_inner(),
            });
        }
        routes
    }

    /// Checks `METHOD /path` and returns it with single spaces.
    fn route_key(&mut self, key: &Key<'_>) -> Option<String> {
        let text = key.get_ref().trim();
        let bad = |message: String| {
            Problem::new(message, key.span(), "here")
                .help("write routes as \"METHOD /path\", like \"GET /orders/{id}\" or \"ANY /admin/{proxy+}\"")
        };
        let Some((method, path)) = text.split_once(char::is_whitespace) else {
            self.problem(bad(format!("route {text:?} has no path")));
            return None;
        };
        let method = method.to_string();
        let path = path.trim();
        if !METHODS.contains(&method.as_str()) {
            self.problem(bad(format!(
                "unknown method {method:?} (methods: {})",
                METHODS.join(", ")
            )));
            return None;
        }
        if let Err(why) = check_path(path) {
            self.problem(bad(format!("invalid path {path:?}: {why}")));
            return None;
        }
        Some(format!("{method} {path}"))
    }

    /// Tables and functions whose physical names exceed what AWS accepts.
    fn check_name_lengths(&mut self, doc: &DeTable<'_>, stack: &str) {
        for (section, limit, what) in [
            ("tables", 255, "table names"),
            ("functions", 64, "function names"),
        ] {
            let Some(DeValue::Table(t)) = entry(doc, section).map(|(_, v)| v.get_ref()) else {
                continue;
            };
            for (key, _) in t.iter() {
                let physical = format!("{stack}-{}", key.get_ref());
                if physical.len() > limit {
                    self.problem(
                        Problem::new(
                            format!("physical name {physical:?} is longer than {limit} characters"),
                            key.span(),
                            "too long",
                        )
                        .help(format!("AWS limits {what} to {limit} characters; shorten the stack or resource name")),
                    );
                }
            }
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
            if key.get_ref().starts_with("stackctl:") || key.get_ref().starts_with("aws:") {
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
            if let Some(v) = self.string(value, "a tag value") {
                tags.insert(key.get_ref().to_string(), v.into_inner());
            }
        }
        tags
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
                i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
            }
            _ => None,
        };
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            Some(n) => {
                self.problem(
                    Problem::new(
                        format!("{what} = {n} is out of range"),
                        value.span(),
                        "out of range",
                    )
                    .help(format!(
                        "{what} must be between {} and {}",
                        range.start(),
                        range.end()
                    )),
                );
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
            let suggestion = allowed
                .iter()
                .map(|a| (strsim::jaro_winkler(a, name), *a))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, a)| a);
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

/// The logical names the file declares, to check references and routes against.
struct Declared {
    tables: Vec<String>,
    functions: Vec<String>,
    api: bool,
}

impl Declared {
    fn collect(doc: &DeTable<'_>) -> Self {
        let names = |section: &str| match entry(doc, section).map(|(_, v)| v.get_ref()) {
            Some(DeValue::Table(t)) => t.iter().map(|(k, _)| k.get_ref().to_string()).collect(),
            _ => Vec::new(),
        };
        Declared {
            tables: names("tables"),
            functions: names("functions"),
            api: entry(doc, "api").is_some(),
        }
    }

    fn check(&self, target: &RefTarget, span: Range<usize>) -> Option<Problem> {
        let (kind, name, names) = match target {
            RefTarget::Table(name) => ("table", name, &self.tables),
            RefTarget::Function(name) => ("function", name, &self.functions),
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

fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_path(path: &str) -> Result<(), &'static str> {
    if !path.starts_with('/') {
        return Err("it must start with '/'");
    }
    if path == "/" {
        return Ok(());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            return Err("it has an empty segment");
        }
        if let Some(param) = segment.strip_prefix('{') {
            let Some(name) = param.strip_suffix('}') else {
                return Err("a '{' is not closed");
            };
            let name = name
                .strip_suffix('+')
                .map_or(name, |n| if i + 1 == segments.len() { n } else { "+" });
            if name == "+" {
                return Err("a greedy {name+} parameter must be the last segment");
            }
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err("a path parameter name must be letters, digits or '_'");
            }
        } else if segment.contains(['{', '}']) {
            return Err("a path parameter must be a whole segment");
        }
    }
    Ok(())
}

/// The route with parameter names erased: two routes with the same shape collide.
fn route_shape(key: &str) -> String {
    key.split('/')
        .map(|s| {
            if s.ends_with("+}") {
                "{+}"
            } else if s.starts_with('{') {
                "{}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(check_path("/orders/{id}").is_ok());
        assert!(check_path("/admin/{proxy+}").is_ok());
        assert!(check_path("/").is_ok());
        assert!(check_path("orders").is_err());
        assert!(check_path("/a/{proxy+}/b").is_err());
        assert!(check_path("/a//b").is_err());
        assert!(check_path("/a/x{id}").is_err());
    }

    #[test]
    fn shapes_ignore_parameter_names() {
        assert_eq!(route_shape("GET /a/{id}"), route_shape("GET /a/{key}"));
        assert_ne!(route_shape("GET /a/{id}"), route_shape("POST /a/{id}"));
    }
}
