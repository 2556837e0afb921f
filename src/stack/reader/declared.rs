//! The logical names the file declares, to check references and routes against.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::typed::entry;
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use crate::stack::spec::ApiType;

/// The logical names the file declares, to check references and routes against.
pub(super) struct Declared {
    pub(super) tables: Vec<String>,
    pub(super) functions: Vec<String>,
    pub(super) topics: Vec<String>,
    pub(super) api: bool,
    /// Whether `[websocket]` is written.
    pub(super) websocket: bool,
    /// `[api] type` as written (HTTP when absent), for the rules that differ by API type.
    pub(super) api_type: Option<ApiType>,
    /// Where `[api] cors` is written.
    pub(super) cors: Option<Range<usize>>,
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
            api: entry(doc, "api").is_some(),
            websocket: entry(doc, "websocket").is_some(),
            api_type,
            cors: api.and_then(|t| entry(t, "cors")).map(|(k, _)| k.span()),
        }
    }

    pub(super) fn check(&self, target: &RefTarget, span: Range<usize>) -> Option<Problem> {
        let (kind, name, names) = match target {
            RefTarget::Table(name) => ("table", name, &self.tables),
            RefTarget::Function(name) => ("function", name, &self.functions),
            RefTarget::Topic(name) => ("topic", name, &self.topics),
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
