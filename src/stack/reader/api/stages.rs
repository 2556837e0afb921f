//! `[api] stages.NAME = { variables, throttle, access_log, tracing, logging }`: the API's
//! stages. `[api] stage = "prod"` is the one-stage form of the same thing; `[api]`'s own
//! `throttle` and `access_log` apply to every stage that does not set its own.

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::DeTable;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::spec::{AccessLog, ApiType, LogLevel, StageLogging, StageSpec, Throttle};

const STAGE_KEYS: &[&str] = &["variables", "throttle", "access_log", "tracing", "logging"];
const LOGGING_KEYS: &[&str] = &["level", "data_trace", "metrics"];

/// A stage variable's value: at most 512 of `A-Za-z0-9-._~:/?#&=,` (API Gateway's "Setting
/// stage variables" page).
const MAX_VARIABLE_VALUE: usize = 512;

/// `[api]`'s throttle and access log, the defaults of every stage.
pub(super) struct StageDefaults {
    pub throttle: Option<Throttle>,
    pub access_log: Option<AccessLog>,
}

impl Reader<'_> {
    /// The stages of `[api]` `t`: `stages`, else the one `stage` (`$default` when absent).
    pub(super) fn stages(
        &mut self,
        t: &DeTable<'_>,
        api_type: Option<ApiType>,
        defaults: StageDefaults,
    ) -> Option<Vec<StageSpec>> {
        let Some((key, value)) = entry(t, "stages") else {
            let name = match entry(t, "stage") {
                None => "$default".to_string(),
                Some((_, v)) => self.string(v, "stage").and_then(|s| self.stage_name(s))?,
            };
            return Some(vec![StageSpec {
                name,
                variables: BTreeMap::new(),
                throttle: defaults.throttle,
                access_log: defaults.access_log,
                tracing: false,
                logging: None,
            }]);
        };
        let both = entry(t, "stage").map(|(stage, _)| {
            Problem::new("[api] has both stage and stages", stage.span(), "one stage")
                .help("declare every stage under stages (stages.prod = {}), or keep stage alone")
        });
        let both = both.map(|p| self.problem(p));
        let table = self.as_table(value, "stages")?;
        if table.is_empty() {
            self.problem(
                Problem::new("stages declares no stage", key.span(), "empty")
                    .help("write stages.v1 = {}"),
            );
            return None;
        }
        let mut stages = Vec::new();
        let mut ok = true;
        for (name, value) in table.iter() {
            let name = Spanned::new(name.span(), name.get_ref().to_string());
            match self.stage(name, value, api_type, &defaults) {
                Some(stage) => stages.push(stage),
                None => ok = false,
            }
        }
        stages.sort_by(|a, b| a.name.cmp(&b.name));
        (ok && both.is_none()).then_some(stages)
    }

    fn stage(
        &mut self,
        name: Spanned<String>,
        value: &Value<'_>,
        api_type: Option<ApiType>,
        defaults: &StageDefaults,
    ) -> Option<StageSpec> {
        let span = name.span();
        let name = self.stage_name(name)?;
        let what = format!("stage {name}");
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, STAGE_KEYS, &format!("in {what}"));
        let variables = self.stage_variables(t);
        let throttle = self.optional(t, "throttle", Self::throttle);
        let access_log = self.optional(t, "access_log", Self::access_log);
        let tracing = match entry(t, "tracing") {
            None => Some(false),
            Some(_) => self.opt_bool(t, "tracing"),
        };
        let logging = self.optional(t, "logging", Self::stage_logging);
        let rest = api_type == Some(ApiType::Rest);
        let mut ok = true;
        if rest && name == "$default" {
            self.problem(
                Problem::new("a REST API has no $default stage", span.clone(), "REST API")
                    .help("name the stage: letters, digits, '-' and '_'"),
            );
            ok = false;
        }
        if !rest {
            ok &= self.check_http_stage(t, tracing, logging.flatten());
        }
        let access_log = access_log?.or_else(|| defaults.access_log.clone());
        if let Some(log) = &access_log
            && !log.format.contains("$context.requestId")
            && !log.format.contains("$context.extendedRequestId")
        {
            self.problem(
                Problem::new(
                    format!("stage {name}'s access log format must hold the request ID"),
                    span,
                    "no $context.requestId",
                )
                .help("add $context.requestId (or $context.extendedRequestId) to format"),
            );
            ok = false;
        }
        let stage = StageSpec {
            name,
            variables: variables?,
            throttle: throttle?.or(defaults.throttle),
            access_log,
            tracing: tracing?,
            logging: logging?,
        };
        ok.then_some(stage)
    }

    /// What an HTTP API's stage cannot have: X-Ray tracing and execution logs (API Gateway v2
    /// has neither). Whether it has none.
    fn check_http_stage(
        &mut self,
        t: &DeTable<'_>,
        tracing: Option<bool>,
        logging: Option<StageLogging>,
    ) -> bool {
        let mut ok = true;
        if let (Some((k, _)), Some(true)) = (entry(t, "tracing"), tracing) {
            self.problem(
                Problem::new("an HTTP API's stage cannot trace requests in X-Ray", k.span(), "REST only")
                    .help("API Gateway traces REST API stages only; remove tracing, or use type = \"rest\""),
            );
            ok = false;
        }
        let logs = logging.is_some_and(|l| l.level != LogLevel::Off || l.data_trace);
        if let (Some((k, _)), true) = (entry(t, "logging"), logs) {
            self.problem(
                Problem::new("an HTTP API's stage has no execution logs", k.span(), "REST only")
                    .help("HTTP APIs take metrics = true only (detailed metrics); write logging = { level = \"off\", metrics = true }, or use an access_log"),
            );
            ok = false;
        }
        ok
    }

    /// `variables = { NAME = "value" }`: names of `A-Za-z0-9_`, values of at most 512
    /// characters of `A-Za-z0-9-._~:/?#&=,`.
    fn stage_variables(&mut self, t: &DeTable<'_>) -> Option<BTreeMap<String, String>> {
        let Some((_, value)) = entry(t, "variables") else {
            return Some(BTreeMap::new());
        };
        let vars = self.as_table(value, "variables")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, value) in vars.iter() {
            let valid_name = !name.get_ref().is_empty()
                && name
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_name {
                self.problem(
                    Problem::new(
                        format!("invalid stage variable name {:?}", name.get_ref()),
                        name.span(),
                        "not a variable name",
                    )
                    .help("use letters, digits and '_'"),
                );
                ok = false;
                continue;
            }
            let Some(text) = self.string(value, "a stage variable") else {
                ok = false;
                continue;
            };
            let valid = text.get_ref().len() <= MAX_VARIABLE_VALUE
                && text
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(c));
            if !valid {
                self.problem(
                    Problem::new("invalid stage variable value", text.span(), "not a stage variable value")
                        .help("at most 512 letters, digits and -._~:/?#&=, (API Gateway's stage variable values)"),
                );
                ok = false;
                continue;
            }
            out.insert(name.get_ref().to_string(), text.into_inner());
        }
        ok.then_some(out)
    }

    fn stage_logging(&mut self, value: &Value<'_>) -> Option<StageLogging> {
        let t = self.as_table(value, "logging")?;
        self.unknown_keys(t, LOGGING_KEYS, "in logging");
        let level = match entry(t, "level") {
            None => Some(LogLevel::Off),
            Some((_, v)) => self.string(v, "level").and_then(|s| {
                self.one_of(
                    &s,
                    &[
                        ("off", LogLevel::Off),
                        ("error", LogLevel::Error),
                        ("info", LogLevel::Info),
                    ],
                    "logging level",
                    "not a logging level",
                    "use \"error\", \"info\" or \"off\"",
                )
            }),
        };
        let flag = |r: &mut Self, key: &str| match entry(t, key) {
            None => Some(false),
            Some(_) => r.opt_bool(t, key),
        };
        let data_trace = flag(self, "data_trace");
        let metrics = flag(self, "metrics");
        Some(StageLogging {
            level: level?,
            data_trace: data_trace?,
            metrics: metrics?,
        })
    }
}
