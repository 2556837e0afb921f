//! `[api]` and `[routes]`: the API and its stage here, its authorizers, settings (CORS,
//! throttling, access logs) and routes in their own files.

mod aliases;
mod authorizers;
mod publish;
mod routes;
mod settings;
mod stages;
mod usage_plans;

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::DeTable;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::spec::{AccessLog, ApiSpec, ApiType, Cors};

pub(super) use publish::PublishingApi;

const API_KEYS: &[&str] = &[
    "type",
    "stage",
    "stages",
    "cors",
    "throttle",
    "authorizers",
    "access_log",
    "tags",
    "usage_plans",
    "keys",
];

impl Reader<'_> {
    pub(super) fn api(&mut self, value: &Value<'_>, declared: &Declared) -> Option<ApiSpec> {
        let t = self.as_table(value, "[api]")?;
        self.unknown_keys(t, API_KEYS, "in [api]");
        let api_type = match entry(t, "type") {
            None => Some(ApiType::Http),
            Some((_, v)) => {
                let s = self.string(v, "api type")?;
                self.one_of(
                    &s,
                    &[("http", ApiType::Http), ("rest", ApiType::Rest)],
                    "api type",
                    "not an api type",
                    "use type = \"http\" (HTTP API) or type = \"rest\" (REST API)",
                )
            }
        };
        let cors = self.optional(t, "cors", Self::cors);
        let throttle = self.optional(t, "throttle", Self::throttle);
        let authorizers = match (entry(t, "authorizers"), api_type) {
            (None, _) => Some(BTreeMap::new()),
            (Some((_, v)), Some(kind)) => self.authorizers(v, kind, declared),
            (Some(_), None) => None,
        };
        let access_log = self.optional(t, "access_log", Self::access_log);
        let tags = self.tags(t);
        let log_ok =
            self.check_access_log_format(t, api_type, access_log.as_ref().and_then(Option::as_ref));
        let defaults = stages::StageDefaults {
            throttle: throttle.flatten(),
            access_log: access_log.flatten(),
        };
        let stages = self.stages(t, api_type, defaults)?;
        let stage_names: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
        let usage_plans = self.usage_plans(t, api_type, &stage_names);
        let keys = self.api_keys(t, api_type);
        let rest_ok = api_type != Some(ApiType::Rest)
            || self.check_rest_api(t, &stages[0].name, cors.as_ref().and_then(Option::as_ref));
        if !rest_ok || !log_ok {
            return None;
        }
        Some(ApiSpec {
            api_type: api_type?,
            stages,
            cors: cors?,
            authorizers: authorizers?,
            tags,
            usage_plans: usage_plans?,
            keys: keys?,
        })
    }

    /// A stage name API Gateway takes, or `$default`.
    pub(in crate::stack::reader) fn stage_name(&mut self, s: Spanned<String>) -> Option<String> {
        let name = s.get_ref();
        let valid = name == "$default"
            || (!name.is_empty()
                && name.len() <= 128
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        if valid {
            return Some(s.into_inner());
        }
        self.problem(
            Problem::new(format!("invalid stage name {name:?}"), s.span(), "here")
                .help("use letters, digits, '-' and '_', or \"$default\""),
        );
        None
    }

    /// What a REST API needs beyond an HTTP API: a named stage, and CORS with one origin.
    /// Whether both hold.
    fn check_rest_api(&mut self, t: &DeTable<'_>, stage: &str, cors: Option<&Cors>) -> bool {
        let mut ok = true;
        if stage == "$default"
            && let Some((_, v)) = entry(t, "type")
        {
            self.problem(
                Problem::new("a REST API needs a stage name", v.span(), "REST API")
                    .help("add stage = \"prod\" to [api]: REST APIs have no $default stage"),
            );
            ok = false;
        }
        if let (Some((k, _)), Some(c)) = (entry(t, "cors"), cors)
            && c.allow_origins.len() != 1
        {
            self.problem(
                Problem::new("a REST API's CORS answers with one origin", k.span(), "REST API")
                    .help("give one origin in allow_origins, or use type = \"http\", whose CORS checks a list"),
            );
            ok = false;
        }
        ok
    }

    /// Both API types refuse an access log format without the request ID: "Access Log format
    /// must contain at least $context.requestId" (REST:
    /// <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html>;
    /// HTTP: <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html>,
    /// "The log format must include at least $context.requestId or
    /// $context.extendedRequestId"). Whether the format holds it.
    fn check_access_log_format(
        &mut self,
        t: &DeTable<'_>,
        api_type: Option<ApiType>,
        settings: Option<&AccessLog>,
    ) -> bool {
        let (Some((_, log)), Some(settings)) = (entry(t, "access_log"), settings) else {
            return true;
        };
        if settings.format.contains("$context.requestId")
            || settings.format.contains("$context.extendedRequestId")
        {
            return true;
        }
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
        false
    }
}
