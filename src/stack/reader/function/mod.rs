//! `[functions.NAME]`: the function's configuration here; its code, layers, environment
//! (with references) and table access in their own files.

mod access;
mod build;
mod code;
mod environment;
mod events;
mod layers;
mod permissions;
mod template;
mod versions;

use std::path::Path;

use toml::Spanned;
use toml::de::DeTable;

use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::limits;
use crate::stack::reader::typed::{Key, Reader, RefSite, Value, entry};
use crate::stack::reference::RefTarget;
use crate::stack::spec::{Architecture, FunctionSpec};

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
    "name",
    "websocket",
    "tracing",
    "publish",
    "aliases",
    "topics",
    "permissions",
    "events",
    "build",
    "vpc",
];

/// The retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

impl Reader<'_> {
    /// `role`: an IAM role ARN the function runs as (no managed role then).
    fn role_arn(&mut self, t: &DeTable<'_>) -> Option<String> {
        entry(t, "role")
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
            })
    }

    /// `description`, up to Lambda's length (empty when left out; `None`: a problem).
    fn description(&mut self, t: &DeTable<'_>) -> Option<String> {
        match entry(t, "description") {
            None => Some(String::new()),
            Some((_, v)) => self
                .string(v, "description")
                .and_then(|d| self.at_most(&d, "description", limits::MAX_DESCRIPTION, "Lambda")),
        }
    }

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
        let description = self.description(t);
        let layers = self.layers(t);
        let reserved_concurrency = self
            .opt_int(t, "reserved_concurrency", 0..=10_000)
            .map(|n| n as i32);
        let log_retention_days = self.retention(t);
        let environment = self.environment(t, &logical, declared);
        let role = self.role_arn(t);
        let tables = self.table_access(t, &logical, declared, role.is_some());
        let topics = self.topic_access(t, &logical, declared, role.is_some());
        let permissions = self.permissions(t, &logical, declared, role.is_some());
        let tags = self.tags(t);
        let manage_connections = self.manage_connections(t, &logical, declared, role.is_some());
        let tracing = self.tracing(t);
        let versions = self.versioning(t);
        let events = self.events(t, declared);
        let schedules = self.schedules(t);
        let build = self.build(t, runtime.as_deref(), code.as_deref());
        let vpc = self.vpc(t);
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
            manage_connections: manage_connections?,
            tracing: tracing?,
            versions: versions?,
            topics: topics?,
            permissions: permissions?,
            events: events?,
            schedules: schedules?,
            build: build?,
            vpc: vpc?,
        })
    }

    /// `websocket = "manage"`: the managed role may post to and drop connections of the
    /// stack's WebSocket API, so the function's role waits for the API (a reference).
    fn manage_connections(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
        has_role: bool,
    ) -> Option<bool> {
        let Some((key, value)) = entry(t, "websocket") else {
            return Some(false);
        };
        let text = self.string(value, "websocket")?;
        self.one_of(
            &text,
            &[("manage", ())],
            "websocket access",
            "not a websocket access",
            "write websocket = \"manage\": the function may post to and drop the API's connections",
        )?;
        if has_role {
            self.problem(
                Problem::new("websocket is set but the function has its own role", key.span(), "only for managed roles")
                    .help("grant execute-api:ManageConnections in your role's policy, or remove role so that stackctl manages one"),
            );
            return None;
        }
        if let Some(problem) = declared.check(&RefTarget::Websocket, text.span()) {
            self.problem(problem);
            return None;
        }
        self.references.push(RefSite {
            from: Address::Function(function.to_string()),
            to: Address::Websocket,
            span: text.span(),
        });
        Some(true)
    }

    /// A runtime Lambda accepts ([`limits::RUNTIMES`]).
    fn runtime(&mut self, runtime: Spanned<String>) -> Option<String> {
        if limits::RUNTIMES.contains(&runtime.get_ref().as_str()) {
            return Some(runtime.into_inner());
        }
        if let Some((_, replacement)) = limits::DEPRECATED_RUNTIMES
            .iter()
            .find(|(old, _)| *old == runtime.get_ref())
        {
            self.problem(
                Problem::new(
                    format!("Lambda no longer creates functions with runtime {:?}", runtime.get_ref()),
                    runtime.span(),
                    "a deprecated runtime",
                )
                .help(format!("use {replacement:?}, its supported successor (check your code against the newer version)")),
            );
            return None;
        }
        let help =
            match crate::suggest::closest(runtime.get_ref(), limits::RUNTIMES.iter().copied()) {
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

    fn architecture(&mut self, t: &DeTable<'_>) -> Option<Architecture> {
        let Some((_, value)) = entry(t, "architecture") else {
            return Some(Architecture::X86_64);
        };
        let s = self.string(value, "architecture")?;
        self.one_of(
            &s,
            &[
                ("x86_64", Architecture::X86_64),
                ("arm64", Architecture::Arm64),
            ],
            "architecture",
            "not an architecture",
            "use \"x86_64\" or \"arm64\"",
        )
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
}
