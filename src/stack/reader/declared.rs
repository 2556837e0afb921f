//! The logical names the file declares, to check references and routes against.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::typed::{Reader, Value, entry};
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use crate::stack::spec::ApiType;

/// The logical names the file declares, to check references and routes against.
pub(super) struct Declared {
    pub(super) tables: Vec<String>,
    pub(super) functions: Vec<String>,
    pub(super) topics: Vec<String>,
    /// The topics written with `fifo = true`.
    pub(super) fifo_topics: Vec<String>,
    pub(super) api: bool,
    /// Whether `[websocket]` is written.
    pub(super) websocket: bool,
    /// `[api] type` as written (HTTP when absent), for the rules that differ by API type.
    pub(super) api_type: Option<ApiType>,
    /// Where `[api] cors` is written.
    pub(super) cors: Option<Range<usize>>,
    /// `[user_pools.NAME]` with the names of their clients.
    pub(super) user_pools: Vec<(String, Vec<String>)>,
    /// `[inputs]`: name -> SSM parameter name.
    pub(super) inputs: std::collections::BTreeMap<String, String>,
    /// The names under `[api] authorizers`, valid or not (a route naming an invalid one gets
    /// no second error).
    pub(super) authorizers: Vec<String>,
    /// `[queues.NAME]`, and those written with `fifo = true`.
    pub(super) queues: Vec<String>,
    pub(super) fifo_queues: Vec<String>,
    /// `[tables.NAME]` written without `stream`, with where each is declared.
    pub(super) streamless_tables: Vec<(String, Range<usize>)>,
}

impl Declared {
    pub(super) fn collect(doc: &DeTable<'_>) -> Self {
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
            topics: names("topics"),
            fifo_topics: fifo_topics(doc),
            api: entry(doc, "api").is_some(),
            websocket: entry(doc, "websocket").is_some(),
            api_type,
            cors: api.and_then(|t| entry(t, "cors")).map(|(k, _)| k.span()),
            user_pools: user_pools(doc),
            inputs: declared_inputs(doc),
            authorizers: match api
                .and_then(|t| entry(t, "authorizers"))
                .map(|(_, v)| v.get_ref())
            {
                Some(DeValue::Table(t)) => t.iter().map(|(k, _)| k.get_ref().to_string()).collect(),
                _ => Vec::new(),
            },
            queues: names("queues"),
            fifo_queues: fifo_of(doc, "queues"),
            streamless_tables: streamless_tables(doc),
        }
    }

    pub(super) fn check(&self, target: &RefTarget, span: Range<usize>) -> Option<Problem> {
        let (kind, name, names) = match target {
            RefTarget::Table(name) => ("table", name, &self.tables),
            RefTarget::Function(name) => ("function", name, &self.functions),
            RefTarget::Topic(name) => ("topic", name, &self.topics),
            RefTarget::Queue(name) => ("queue", name, &self.queues),
            RefTarget::Ssm(_) => return None,
            RefTarget::UserPool(name) => {
                let names: Vec<&String> = self.user_pools.iter().map(|(p, _)| p).collect();
                let what = format!("unknown user pool {name:?}");
                return unknown(what, "user pool", name, &names, span);
            }
            RefTarget::UserPoolClient(pool, client) => {
                let Some((_, clients)) = self.user_pools.iter().find(|(p, _)| p == pool) else {
                    return self.check(&RefTarget::UserPool(pool.clone()), span);
                };
                let names: Vec<&String> = clients.iter().collect();
                let what = format!("unknown client {client:?} of user pool {pool:?}");
                return unknown(what, "client", client, &names, span);
            }
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
            RefTarget::Websocket => {
                return (!self.websocket).then(|| {
                    Problem::new(
                        "reference to the WebSocket API, but there is no [websocket]",
                        span,
                        "no [websocket] declared",
                    )
                    .help("declare [websocket] with its routes, or remove the reference")
                });
            }
        };
        if names.contains(name) {
            return None;
        }
        let guess = crate::suggest::closest(name, names.iter().map(String::as_str));
        let help = match (names.as_slice(), guess) {
            ([], _) => format!("the file declares no {kind}s"),
            (_, Some(g)) => format!("did you mean {g:?}? declared {kind}s: {}", names.join(", ")),
            (_, None) => format!("declared {kind}s: {}", names.join(", ")),
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

impl Reader<'_> {
    /// A route's function as written (HTTP, REST and WebSocket routes alike): a function's
    /// name, or a table that `table` reads (its other keys too) for it; a function the file
    /// does not declare is a problem. `help`: how to write the route, for any other value.
    pub(super) fn route_function(
        &mut self,
        value: &Value<'_>,
        declared: &Declared,
        help: &str,
        table: impl FnOnce(&mut Self, &DeTable<'_>) -> Option<Spanned<String>>,
    ) -> Option<Spanned<String>> {
        let function = match value.get_ref() {
            DeValue::String(name) => Spanned::new(value.span(), name.to_string()),
            DeValue::Table(t) => table(self, t)?,
            other => {
                let found = other.type_str();
                let message = format!("expected a function name or a table, found {found}");
                self.problem(Problem::new(message, value.span(), "here").help(help));
                return None;
            }
        };
        let target = RefTarget::Function(function.get_ref().clone());
        if let Some(problem) = declared.check(&target, function.span()) {
            self.problem(problem);
            return None;
        }
        Some(function)
    }
}

/// The names of `[topics.NAME]` written with `fifo = true`.
fn fifo_topics(doc: &DeTable<'_>) -> Vec<String> {
    let Some(DeValue::Table(topics)) = entry(doc, "topics").map(|(_, v)| v.get_ref()) else {
        return Vec::new();
    };
    let fifo = |topic: &DeValue<'_>| match topic {
        DeValue::Table(t) => matches!(
            entry(t, "fifo").map(|(_, v)| v.get_ref()),
            Some(DeValue::Boolean(true))
        ),
        _ => false,
    };
    topics
        .iter()
        .filter(|(_, topic)| fifo(topic.get_ref()))
        .map(|(name, _)| name.get_ref().to_string())
        .collect()
}

/// `[user_pools.NAME]` and the names under each one's `clients`.
fn user_pools(doc: &DeTable<'_>) -> Vec<(String, Vec<String>)> {
    let Some(DeValue::Table(pools)) = entry(doc, "user_pools").map(|(_, v)| v.get_ref()) else {
        return Vec::new();
    };
    pools
        .iter()
        .map(|(name, pool)| {
            let clients = match pool.get_ref() {
                DeValue::Table(t) => match entry(t, "clients").map(|(_, v)| v.get_ref()) {
                    Some(DeValue::Table(c)) => {
                        c.iter().map(|(k, _)| k.get_ref().to_string()).collect()
                    }
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            (name.get_ref().to_string(), clients)
        })
        .collect()
}

/// `message` with the declared names, unless `name` (a `kind`) is among them.
fn unknown(
    message: String,
    kind: &str,
    name: &str,
    names: &[&String],
    span: Range<usize>,
) -> Option<Problem> {
    if names.iter().any(|n| *n == name) {
        return None;
    }
    let help = match names {
        [] => format!("the file declares no {kind}s"),
        _ => {
            let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
            let closest = crate::suggest::closest(name, names.iter().copied());
            match closest {
                Some(c) => format!("did you mean {c:?}? declared: {}", names.join(", ")),
                None => format!("declared: {}", names.join(", ")),
            }
        }
    };
    Some(Problem::new(message, span, format!("no such {kind}")).help(help))
}

/// The names of `[SECTION.NAME]` written with `fifo = true`.
fn fifo_of(doc: &DeTable<'_>, section: &str) -> Vec<String> {
    let Some(DeValue::Table(named)) = entry(doc, section).map(|(_, v)| v.get_ref()) else {
        return Vec::new();
    };
    let fifo = |t: &DeValue<'_>| match t {
        DeValue::Table(t) => matches!(
            entry(t, "fifo").map(|(_, v)| v.get_ref()),
            Some(DeValue::Boolean(true))
        ),
        _ => false,
    };
    named
        .iter()
        .filter(|(_, t)| fifo(t.get_ref()))
        .map(|(name, _)| name.get_ref().to_string())
        .collect()
}

/// `[tables.NAME]` written without `stream`, with the span of each one's name.
fn streamless_tables(doc: &DeTable<'_>) -> Vec<(String, Range<usize>)> {
    let Some(DeValue::Table(tables)) = entry(doc, "tables").map(|(_, v)| v.get_ref()) else {
        return Vec::new();
    };
    tables
        .iter()
        .filter(|(_, t)| match t.get_ref() {
            DeValue::Table(t) => entry(t, "stream").is_none(),
            _ => false,
        })
        .map(|(name, _)| (name.get_ref().to_string(), name.span()))
        .collect()
}

/// The inputs as written, without checks: name -> SSM parameter name (for references, which
/// are read before `[inputs]` is checked).
pub(super) fn declared_inputs(doc: &DeTable<'_>) -> std::collections::BTreeMap<String, String> {
    let Some((_, DeValue::Table(inputs))) = entry(doc, "inputs").map(|(k, v)| (k, v.get_ref()))
    else {
        return std::collections::BTreeMap::new();
    };
    inputs
        .iter()
        .filter_map(|(name, value)| match value.get_ref() {
            DeValue::Table(t) => match entry(t, "ssm").map(|(_, v)| v.get_ref()) {
                Some(DeValue::String(s)) => Some((name.get_ref().to_string(), s.to_string())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
