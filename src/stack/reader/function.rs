//! `[functions.NAME]`: code, configuration, environment with references.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Declared, Key, Reader, RefSite, Value, entry, limits};
use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use crate::stack::reference::{self, Segment, Template};
use crate::stack::{Architecture, EnvValue, FunctionSpec, TableAccess};

const FUNCTION_KEYS: &[&str] = &[
    "runtime",
    "handler",
    "code",
    "exclude",
    "memory",
    "timeout",
    "architecture",
    "description",
    "layers",
    "reserved_concurrency",
    "log_retention_days",
    "environment",
    "role",
    "tables",
    "tags",
];
const SECRET_KEYS: &[&str] = &["secret", "value", "ssm"];
/// The retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Lambda allows five layers per function.
const MAX_LAYERS: usize = 5;

impl Reader<'_> {
    pub(super) fn function(
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
        let runtime = self
            .required_string(t, key, &what, "runtime", "runtime = \"nodejs20.x\"")
            .and_then(|r| self.runtime(r));
        let handler = self
            .required_string(t, key, &what, "handler", "handler = \"index.handler\"")
            .and_then(|h| self.handler(h));
        let code = self
            .required_string(t, key, &what, "code", "code = \"functions/NAME\"")
            .and_then(|c| self.code_path(&c, dir));
        let exclude = self.exclude(t);
        let memory = self.opt_int(t, "memory", 128..=10_240).unwrap_or(128);
        let timeout = self.opt_int(t, "timeout", 1..=900).unwrap_or(3);
        let architecture = self.architecture(t);
        let description = match entry(t, "description") {
            None => Some(String::new()),
            Some((_, v)) => self
                .string(v, "description")
                .and_then(|d| self.at_most(&d, "description", limits::MAX_DESCRIPTION, "Lambda")),
        };
        let layers = self.layers(t);
        let reserved_concurrency = self
            .opt_int(t, "reserved_concurrency", 0..=10_000)
            .map(|n| n as i32);
        let log_retention_days = self.retention(t);
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
        let tables = self.table_access(t, &logical, declared, role.is_some());
        let tags = self.tags(t);
        Some(FunctionSpec {
            logical,
            runtime: runtime?,
            handler: handler?,
            code: code?,
            exclude: exclude?,
            memory: memory as i32,
            timeout: timeout as i32,
            architecture: architecture?,
            description: description?,
            layers: layers?,
            reserved_concurrency,
            log_retention_days,
            environment: environment?,
            role,
            tables: tables?,
            tags,
        })
    }

    /// A runtime Lambda accepts ([`limits::RUNTIMES`]).
    fn runtime(&mut self, runtime: Spanned<String>) -> Option<String> {
        if limits::RUNTIMES.contains(&runtime.get_ref().as_str()) {
            return Some(runtime.into_inner());
        }
        let help = match crate::stack::closest(runtime.get_ref(), limits::RUNTIMES.iter().copied())
        {
            Some(close) => format!(
                "did you mean {close:?}? Lambda's runtimes: {}",
                limits::RUNTIMES.join(", ")
            ),
            None => format!("Lambda's runtimes: {}", limits::RUNTIMES.join(", ")),
        };
        self.problem(
            Problem::new(
                format!("Lambda has no runtime {:?}", runtime.get_ref()),
                runtime.span(),
                "not a Lambda runtime",
            )
            .help(help),
        );
        None
    }

    fn handler(&mut self, handler: Spanned<String>) -> Option<String> {
        let text = handler.get_ref();
        if text.is_empty() || text.contains(char::is_whitespace) {
            self.problem(
                Problem::new("invalid handler", handler.span(), "empty or with spaces").help(
                    "name the handler as the runtime expects it, like \"index.handler\" (no spaces)",
                ),
            );
            return None;
        }
        self.at_most(&handler, "handler", limits::MAX_HANDLER, "Lambda")
    }

    fn string_list(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        help: &str,
    ) -> Option<Vec<Spanned<String>>> {
        let Some((_, value)) = entry(t, key) else {
            return Some(Vec::new());
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                Problem::new(
                    format!("{key} must be a list of strings"),
                    value.span(),
                    "expected a list",
                )
                .help(help),
            );
            return None;
        };
        items.iter().map(|i| self.string(i, key)).collect()
    }

    fn exclude(&mut self, t: &DeTable<'_>) -> Option<Vec<String>> {
        let patterns = self.string_list(
            t,
            "exclude",
            "write exclude = [\"*.test.js\", \"node_modules/.cache/**\"]",
        )?;
        let mut ok = true;
        for pattern in &patterns {
            if let Err(e) = globset::Glob::new(pattern.get_ref()) {
                self.problem(
                    Problem::new(
                        format!("invalid pattern: {}", e.kind()),
                        pattern.span(),
                        "not a glob pattern",
                    )
                    .help("use glob patterns such as \"*.test.js\" or \"docs/**\""),
                );
                ok = false;
            }
        }
        ok.then(|| patterns.into_iter().map(Spanned::into_inner).collect())
    }

    fn architecture(&mut self, t: &DeTable<'_>) -> Option<Architecture> {
        let Some((_, value)) = entry(t, "architecture") else {
            return Some(Architecture::X86_64);
        };
        let s = self.string(value, "architecture")?;
        match s.get_ref().as_str() {
            "x86_64" => Some(Architecture::X86_64),
            "arm64" => Some(Architecture::Arm64),
            other => {
                self.problem(
                    Problem::new(
                        format!("unknown architecture {other:?}"),
                        s.span(),
                        "not an architecture",
                    )
                    .help("use \"x86_64\" or \"arm64\""),
                );
                None
            }
        }
    }

    fn layers(&mut self, t: &DeTable<'_>) -> Option<Vec<String>> {
        let layers = self.string_list(
            t,
            "layers",
            "write layers = [\"arn:aws:lambda:us-east-1:123456789012:layer:NAME:1\"]",
        )?;
        let mut ok = true;
        if layers.len() > MAX_LAYERS
            && let Some((k, _)) = entry(t, "layers")
        {
            self.problem(
                Problem::new(
                    format!("{} layers, more than Lambda's {MAX_LAYERS}", layers.len()),
                    k.span(),
                    "too many",
                )
                .help("merge layers, or move code into the function package"),
            );
            ok = false;
        }
        for layer in &layers {
            if !limits::is_layer_arn(layer.get_ref()) {
                self.problem(
                    Problem::new("a layer must be a layer version ARN", layer.span(), "not a layer ARN")
                        .help("write the ARN with its version: arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION"),
                );
                ok = false;
            }
        }
        ok.then(|| layers.into_iter().map(Spanned::into_inner).collect())
    }

    /// The environment's size once references resolve, where their lengths are known offline:
    /// names always (`<stack>-<logical>`), ARNs when the file names the region (the account is
    /// 12 digits), API IDs (10 characters). SSM values and the API's URL count as nothing, so
    /// this never refuses what Lambda accepts. Reported only where the literal text alone was
    /// within the limit (that is reported by `environment_size`).
    pub(super) fn check_resolved_environment_sizes(
        &mut self,
        doc: &DeTable<'_>,
        stack: &str,
        region: Option<&str>,
        functions: &[crate::stack::FunctionSpec],
    ) {
        use crate::stack::{RefAttr, RefTarget};
        let physical = |logical: &str| crate::marks::physical_name(stack, logical);
        let account = "000000000000";
        let lookup = |r: &crate::stack::Reference| -> Option<String> {
            Some(match (&r.target, r.attr, region) {
                (RefTarget::Table(t) | RefTarget::Function(t), RefAttr::Name, _) => physical(t),
                (RefTarget::Table(t), RefAttr::Arn, Some(region)) => format!(
                    "arn:{}:dynamodb:{region}:{account}:table/{}",
                    crate::arn::partition(region),
                    physical(t)
                ),
                (RefTarget::Function(f), RefAttr::Arn, Some(region)) => {
                    crate::arn::function(region, account, &physical(f))
                }
                (RefTarget::Api, RefAttr::Id, _) => "0".repeat(10),
                _ => String::new(),
            })
        };
        for spec in functions {
            let literal: usize = spec
                .environment
                .iter()
                .map(|(k, v)| k.len() + v.value.literal_len())
                .sum();
            let resolved: usize = spec
                .environment
                .iter()
                .map(|(k, v)| k.len() + v.value.resolve(lookup).map_or(0, |v| v.len()))
                .sum();
            if literal > limits::MAX_ENVIRONMENT_BYTES || resolved <= limits::MAX_ENVIRONMENT_BYTES
            {
                continue;
            }
            let span = entry(doc, "functions")
                .and_then(|(_, f)| match f.get_ref() {
                    DeValue::Table(t) => entry(t, &spec.logical),
                    _ => None,
                })
                .and_then(|(_, f)| match f.get_ref() {
                    DeValue::Table(t) => entry(t, "environment").map(|(_, v)| v.span()),
                    _ => None,
                })
                .unwrap_or(0..0);
            self.problem(
                Problem::new(
                    format!(
                        "the environment holds at least {resolved} bytes once its references resolve, more than Lambda's {} (keys and values together)",
                        limits::MAX_ENVIRONMENT_BYTES
                    ),
                    span,
                    "too large",
                )
                .help("move large values to SSM ({ ssm = \"/name\" }) or into the code package"),
            );
        }
    }

    /// Lambda takes layers from the function's own region only ("Layers ... must be in the
    /// same Region as the function":
    /// <https://docs.aws.amazon.com/lambda/latest/dg/adding-layers.html>). Known offline when the
    /// file names the region.
    pub(super) fn check_layer_regions(&mut self, doc: &DeTable<'_>, region: &str) {
        let Some((_, DeValue::Table(functions))) =
            entry(doc, "functions").map(|(k, v)| (k, v.get_ref()))
        else {
            return;
        };
        for (_, function) in functions.iter() {
            let DeValue::Table(function) = function.get_ref() else {
                continue;
            };
            let Some((_, layers)) = entry(function, "layers") else {
                continue;
            };
            let DeValue::Array(layers) = layers.get_ref() else {
                continue;
            };
            for layer in layers.iter() {
                let DeValue::String(arn) = layer.get_ref() else {
                    continue;
                };
                let Some(layer_region) = arn.split(':').nth(3) else {
                    continue;
                };
                if limits::is_layer_arn(arn) && layer_region != region {
                    self.problem(
                        Problem::new(
                            format!("a layer in {layer_region} for a function in {region}"),
                            layer.span(),
                            "another region",
                        )
                        .help(format!("Lambda takes layers from the function's region only: publish the layer in {region} and name that version")),
                    );
                }
            }
        }
    }

    fn retention(&mut self, t: &DeTable<'_>) -> Option<i32> {
        let (_, value) = entry(t, "log_retention_days")?;
        let days = self.int(value, "log_retention_days", 1..=3653)?;
        if RETENTION_DAYS.contains(&days) {
            return Some(days as i32);
        }
        let list: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
        self.problem(
            Problem::new(
                format!("CloudWatch Logs cannot keep logs for {days} days"),
                value.span(),
                "not a retention period",
            )
            .help(format!("use one of {}", list.join(", "))),
        );
        None
    }

    /// `tables = { orders = "read" }`: what the managed role may do with which table.
    fn table_access(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
        has_role: bool,
    ) -> Option<BTreeMap<String, TableAccess>> {
        let Some((key, value)) = entry(t, "tables") else {
            return Some(BTreeMap::new());
        };
        if has_role {
            self.problem(
                Problem::new("tables is set but the function has its own role", key.span(), "only for managed roles")
                    .help("grant the access in your role's policy, or remove role so that stackctl manages one"),
            );
            return None;
        }
        let access = self.as_table(value, "tables")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, level) in access.iter() {
            if let Some(problem) =
                declared.check(&RefTarget::Table(name.get_ref().to_string()), name.span())
            {
                self.problem(problem);
                ok = false;
                continue;
            }
            let Some(level_text) = self.string(level, "table access") else {
                ok = false;
                continue;
            };
            let level = match level_text.get_ref().as_str() {
                "read" => TableAccess::Read,
                "write" => TableAccess::Write,
                "read-write" => TableAccess::ReadWrite,
                other => {
                    self.problem(
                        Problem::new(
                            format!("unknown access {other:?}"),
                            level_text.span(),
                            "not an access level",
                        )
                        .help("use \"read\", \"write\" or \"read-write\""),
                    );
                    ok = false;
                    continue;
                }
            };
            self.references.push(RefSite {
                from: Address::Function(function.to_string()),
                to: Address::Table(name.get_ref().to_string()),
                span: name.span(),
            });
            out.insert(name.get_ref().to_string(), level);
        }
        ok.then_some(out)
    }

    pub(super) fn code_path(
        &mut self,
        code: &Spanned<String>,
        dir: &Path,
    ) -> Option<std::path::PathBuf> {
        let path = dir.join(code.get_ref());
        let problem = if path.is_dir() {
            return Some(path);
        } else if path.is_file() {
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip") || e.eq_ignore_ascii_case("jar"))
            {
                return Some(path);
            }
            Problem::new(
                format!("code {:?} is a file but not a .zip or .jar", code.get_ref()),
                code.span(),
                "not a folder, .zip or .jar",
            )
            .help("point code at the folder that holds the function's files, or at a .zip or .jar")
        } else if std::fs::metadata(&path).is_ok() {
            Problem::new(
                format!(
                    "code {:?} is not a regular file or folder (a named pipe, socket or device)",
                    code.get_ref()
                ),
                code.span(),
                "not a folder, .zip or .jar",
            )
            .help("point code at the folder that holds the function's files, or at a .zip or .jar")
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

    pub(super) fn environment(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<BTreeMap<String, EnvValue>> {
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
            if name.starts_with("AWS_") || limits::RESERVED_VARIABLES.contains(&name.as_ref()) {
                self.problem(
                    Problem::new(
                        format!("{name} is reserved by Lambda"),
                        key.span(),
                        "reserved name",
                    )
                    .help(if name.starts_with("AWS_") {
                        "Lambda sets AWS_* variables itself; choose another name"
                    } else {
                        "Lambda sets LAMBDA_TASK_ROOT and LAMBDA_RUNTIME_DIR itself; choose another name"
                    }),
                );
                ok = false;
                continue;
            }
            if name.len() < 2 {
                self.problem(
                    Problem::new(
                        format!("environment variable name {name:?} has one character"),
                        key.span(),
                        "too short for Lambda",
                    )
                    .help("Lambda takes names of at least two characters ([a-zA-Z][a-zA-Z0-9_]+); use a longer name"),
                );
                ok = false;
                continue;
            }
            match self.env_value(value, function, declared) {
                Some(v) => {
                    out.insert(name.to_string(), v);
                }
                None => ok = false,
            }
        }
        if ok {
            self.environment_size(value, &out);
        }
        ok.then_some(out)
    }

    /// Lambda refuses environments over 4 KB, keys and values together. References resolve at
    /// apply, so they count as nothing here: only the text the file holds (what is knowable).
    fn environment_size(&mut self, value: &Value<'_>, env: &BTreeMap<String, EnvValue>) {
        let known: usize = env
            .iter()
            .map(|(k, v)| k.len() + v.value.literal_len())
            .sum();
        if known > limits::MAX_ENVIRONMENT_BYTES {
            self.problem(
                Problem::new(
                    format!(
                        "the environment holds {known} bytes, more than Lambda's {} (keys and values together)",
                        limits::MAX_ENVIRONMENT_BYTES
                    ),
                    value.span(),
                    "too large",
                )
                .help("move large values to SSM ({ ssm = \"/name\" }) or into the code package"),
            );
        }
    }

    /// A plain value, `{ secret = true, value = "..." }`, or `{ ssm = "/parameter/name" }`.
    fn env_value(
        &mut self,
        value: &Value<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<EnvValue> {
        let help =
            "write a string, { secret = true, value = \"...\" }, or { ssm = \"/parameter/name\" }";
        let t = match value.get_ref() {
            DeValue::String(_) => {
                let text = self.string(value, "an environment value")?;
                let template = self.template(&text, value, function, declared)?;
                let sensitive = template.has_secret();
                return Some(EnvValue {
                    value: template,
                    sensitive,
                });
            }
            DeValue::Table(t) => t,
            other => {
                self.problem(
                    Problem::new(
                        format!(
                            "an environment value must be a string or a table, found {}",
                            other.type_str()
                        ),
                        value.span(),
                        "here",
                    )
                    .help(help),
                );
                return None;
            }
        };
        self.unknown_keys(t, SECRET_KEYS, "in an environment value");
        match (entry(t, "ssm"), entry(t, "value")) {
            (Some((_, name)), None) => {
                let name = self.string(name, "ssm")?;
                let reference = reference::interpret(&format!("ssm:{}", name.get_ref())).ok();
                let Some(reference) = reference else {
                    self.problem(
                        Problem::new("invalid SSM parameter name", name.span(), "here")
                            .help("use letters, digits and / _ . -, like \"/shop/stripe-key\""),
                    );
                    return None;
                };
                Some(EnvValue {
                    value: Template {
                        segments: vec![Segment::Ref(reference)],
                    },
                    sensitive: true,
                })
            }
            (None, Some((_, inner))) => {
                let secret = match entry(t, "secret").map(|(_, v)| v.get_ref()) {
                    Some(DeValue::Boolean(b)) => *b,
                    None => false,
                    Some(_) => {
                        self.problem(
                            Problem::new("secret must be true or false", value.span(), "here")
                                .help(help),
                        );
                        return None;
                    }
                };
                let text = self.string(inner, "an environment value")?;
                let template = self.template(&text, inner, function, declared)?;
                let sensitive = secret || template.has_secret();
                Some(EnvValue {
                    value: template,
                    sensitive,
                })
            }
            _ => {
                self.problem(
                    Problem::new("give either value or ssm", value.span(), "here").help(help),
                );
                None
            }
        }
    }

    /// Reads references in a string value. `value` is the TOML value, whose span includes quotes.
    pub(super) fn template(
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
                        if let Some(to) = r.target.address() {
                            self.references.push(RefSite {
                                from: Address::Function(function.to_string()),
                                to,
                                span,
                            });
                        }
                        segments.push(Segment::Ref(r));
                    }
                }
            }
        }
        ok.then_some(Template { segments })
    }
}

fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
