//! `[api]` and `[routes]`: the API and its stage here, its authorizers, settings (CORS,
//! throttling, access logs) and routes in their own files.

mod authorizers;
mod routes;
mod settings;

use std::collections::BTreeMap;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::{ApiSpec, ApiType};

const API_KEYS: &[&str] = &[
    "type",
    "stage",
    "cors",
    "throttle",
    "authorizers",
    "access_log",
    "tags",
];

impl Reader<'_> {
    pub(super) fn api(&mut self, value: &Value<'_>, declared: &Declared) -> Option<ApiSpec> {
        let t = self.as_table(value, "[api]")?;
        self.unknown_keys(t, API_KEYS, "in [api]");
        let api_type = match entry(t, "type") {
            None => Some(ApiType::Http),
            Some((_, v)) => {
                let s = self.string(v, "api type")?;
                match s.get_ref().as_str() {
                    "http" => Some(ApiType::Http),
                    "rest" => Some(ApiType::Rest),
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown api type {other:?}"),
                                s.span(),
                                "not an api type",
                            )
                            .help("use type = \"http\" (HTTP API) or type = \"rest\" (REST API)"),
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
        let cors = match entry(t, "cors") {
            None => Some(None),
            Some((_, v)) => self.cors(v).map(Some),
        };
        let throttle = match entry(t, "throttle") {
            None => Some(None),
            Some((_, v)) => self.throttle(v).map(Some),
        };
        let authorizers = match (entry(t, "authorizers"), api_type) {
            (None, _) => Some(BTreeMap::new()),
            (Some((_, v)), Some(kind)) => self.authorizers(v, kind, declared),
            (Some(_), None) => None,
        };
        let access_log = match entry(t, "access_log") {
            None => Some(None),
            Some((_, v)) => self.access_log(v).map(Some),
        };
        let tags = self.tags(t);
        let stage = stage?;
        let mut ok = true;
        if api_type == Some(ApiType::Rest)
            && stage == "$default"
            && let Some((_, v)) = entry(t, "type")
        {
            self.problem(
                Problem::new("a REST API needs a stage name", v.span(), "REST API")
                    .help("add stage = \"prod\" to [api]: REST APIs have no $default stage"),
            );
            ok = false;
        }
        if api_type == Some(ApiType::Rest)
            && let (Some((k, _)), Some(Some(c))) = (entry(t, "cors"), &cors)
            && c.allow_origins.len() != 1
        {
            self.problem(
                Problem::new("a REST API's CORS answers with one origin", k.span(), "REST API")
                    .help("give one origin in allow_origins, or use type = \"http\", whose CORS checks a list"),
            );
            ok = false;
        }
        if let (Some((_, log)), Some(Some(settings))) = (entry(t, "access_log"), &access_log)
            && !settings.format.contains("$context.requestId")
            && !settings.format.contains("$context.extendedRequestId")
        {
            // Both API types refuse it: "Access Log format must contain at least
            // $context.requestId" (REST:
            // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html;
            // HTTP: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html,
            // "The log format must include at least $context.requestId or
            // $context.extendedRequestId").
            let which = if api_type == Some(ApiType::Rest) {
                "a REST API's"
            } else {
                "an HTTP API's"
            };
            self.problem(
                Problem::new(
                    format!("{which} access log format must hold the request ID"),
                    log.span(),
                    "no $context.requestId",
                )
                .help("add $context.requestId (or $context.extendedRequestId) to format"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(ApiSpec {
            api_type: api_type?,
            stage,
            cors: cors?,
            throttle: throttle?,
            authorizers: authorizers?,
            access_log: access_log?,
            tags,
        })
    }
}
