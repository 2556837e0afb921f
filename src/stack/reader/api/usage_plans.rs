//! `[api.usage_plans.NAME]` and `[api.keys.NAME]`: who may call a REST API with a key, how
//! often and how much (API Gateway v1 usage plans:
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html>).

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::names::is_logical_name;
use crate::stack::reader::typed::{Key, Reader, Value, entry};
use crate::stack::spec::{ApiType, RouteSpec};
use crate::stack::{ApiKeySpec, Quota, QuotaPeriod, UsagePlanSpec};

const PLAN_KEYS: &[&str] = &["stages", "throttle", "quota", "routes"];

const QUOTA_KEYS: &[&str] = &["limit", "period"];

const KEY_KEYS: &[&str] = &["plans", "enabled"];

impl Reader<'_> {
    /// `usage_plans` of `[api]`, checked against the API's type and its stage names.
    pub(super) fn usage_plans(
        &mut self,
        api: &DeTable<'_>,
        api_type: Option<ApiType>,
        stages: &[String],
    ) -> Option<BTreeMap<String, UsagePlanSpec>> {
        let Some((key, value)) = entry(api, "usage_plans") else {
            return Some(BTreeMap::new());
        };
        if !self.rest_only(key, api_type, "usage plans") {
            return None;
        }
        let t = self.as_table(value, "usage_plans")?;
        let mut plans = BTreeMap::new();
        let mut ok = true;
        for (name, value) in t.iter() {
            match self
                .named(name, "usage_plans")
                .and_then(|_| self.plan(value, stages))
            {
                Some(plan) => {
                    plans.insert(name.get_ref().to_string(), plan);
                }
                None => ok = false,
            }
        }
        ok.then_some(plans)
    }

    /// `keys` of `[api]`, each in usage plans `[api] usage_plans` names.
    pub(super) fn api_keys(
        &mut self,
        api: &DeTable<'_>,
        api_type: Option<ApiType>,
    ) -> Option<BTreeMap<String, ApiKeySpec>> {
        // Named, however they are written: a plan with a mistake is reported on its own.
        let plans: Vec<(String, Vec<String>)> = entry(api, "usage_plans")
            .and_then(|(_, plans)| table_of(plans))
            .map(|t| {
                let stages = |plan: &Value<'_>| {
                    let stages = table_of(plan).and_then(|p| entry(p, "stages"));
                    match stages.map(|(_, s)| s.get_ref()) {
                        Some(DeValue::Array(list)) => list
                            .iter()
                            .filter_map(|s| s.get_ref().as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    }
                };
                let plans = t.iter();
                plans
                    .map(|(k, v)| (k.get_ref().to_string(), stages(v)))
                    .collect()
            })
            .unwrap_or_default();
        let Some((key, value)) = entry(api, "keys") else {
            return Some(BTreeMap::new());
        };
        if !self.rest_only(key, api_type, "API keys") {
            return None;
        }
        let t = self.as_table(value, "keys")?;
        let mut keys = BTreeMap::new();
        let mut ok = true;
        for (name, value) in t.iter() {
            match self
                .named(name, "keys")
                .and_then(|_| self.api_key(value, &plans))
            {
                Some(spec) => {
                    keys.insert(name.get_ref().to_string(), spec);
                }
                None => ok = false,
            }
        }
        ok.then_some(keys)
    }

    /// A route throttle of a usage plan must name a route of `[routes]`.
    pub(in crate::stack::reader) fn check_usage_plan_routes(
        &mut self,
        doc: &DeTable<'_>,
        routes: &[RouteSpec],
    ) {
        let plans = entry(doc, "api")
            .and_then(|(_, api)| table_of(api))
            .and_then(|api| entry(api, "usage_plans"))
            .and_then(|(_, plans)| table_of(plans));
        let declared: Vec<&str> = routes.iter().map(|r| r.key.as_str()).collect();
        for (_, plan) in plans.iter().flat_map(|p| p.iter()) {
            let Some((_, routes)) = table_of(plan).and_then(|p| entry(p, "routes")) else {
                continue;
            };
            for (key, _) in table_of(routes).iter().flat_map(|r| r.iter()) {
                let route = normalized(key.get_ref());
                if declared.contains(&route.as_str()) {
                    continue;
                }
                let help = match crate::suggest::closest(&route, declared.iter().copied()) {
                    Some(s) => format!("did you mean {s:?}? a usage plan throttles routes of [routes]"),
                    None => "a usage plan throttles routes of [routes]: declare the route, or remove its throttle".to_string(),
                };
                self.problem(
                    Problem::new(
                        format!("usage plan throttles route {route:?}, which is not in [routes]"),
                        key.span(),
                        "no such route",
                    )
                    .help(help),
                );
            }
        }
    }

    /// Whether the API is a REST API; otherwise a problem at `key`.
    fn rest_only(&mut self, key: &Key<'_>, api_type: Option<ApiType>, what: &str) -> bool {
        if api_type != Some(ApiType::Http) {
            return true;
        }
        self.problem(
            Problem::new(
                format!("an HTTP API has no {what}"),
                key.span(),
                "HTTP API",
            )
            .help("API keys and usage plans are API Gateway REST API features: set type = \"rest\" in [api], or remove them"),
        );
        false
    }

    fn named(&mut self, name: &Key<'_>, section: &str) -> Option<()> {
        if is_logical_name(name.get_ref()) {
            return Some(());
        }
        self.problem(
            Problem::new(
                format!("invalid name {:?} in {section}", name.get_ref()),
                name.span(),
                "not a valid name",
            )
            .help("use lowercase letters, digits, '-' and '_', starting with a letter"),
        );
        None
    }

    fn plan(&mut self, value: &Value<'_>, stages: &[String]) -> Option<UsagePlanSpec> {
        let t = self.as_table(value, "a usage plan")?;
        self.unknown_keys(t, PLAN_KEYS, "in a usage plan");
        let help = format!("write stages = [{}]", quoted(stages));
        let listed = self.string_list(t, "stages", &help);
        let mut stage_ok = true;
        for stage in listed.iter().flatten() {
            if !stages.contains(stage.get_ref()) {
                self.problem(
                    Problem::new(
                        format!("unknown stage {:?}", stage.get_ref()),
                        stage.span(),
                        "no such stage",
                    )
                    .help(format!("the API's stages: {}", quoted(stages))),
                );
                stage_ok = false;
            }
        }
        if listed.as_ref().is_some_and(Vec::is_empty) {
            self.problem(
                Problem::new("a usage plan meters no stage", value.span(), "here").help(help),
            );
            stage_ok = false;
        }
        let throttle = self.optional(t, "throttle", Self::throttle);
        let quota = self.optional(t, "quota", Self::quota);
        let routes = self.route_throttles(t);
        let stages = listed?.into_iter().map(|s| s.into_inner()).collect();
        stage_ok.then_some(())?;
        Some(UsagePlanSpec {
            stages,
            throttle: throttle?,
            quota: quota?,
            routes: routes?,
        })
    }

    fn quota(&mut self, value: &Value<'_>) -> Option<Quota> {
        let t = self.as_table(value, "quota")?;
        self.unknown_keys(t, QUOTA_KEYS, "in quota");
        let missing = |key: &str| {
            Problem::new(format!("quota has no {key}"), value.span(), "here")
                .help("write quota = { limit = 10000, period = \"month\" }")
        };
        let limit = self
            .required(t, "limit", || missing("limit"))
            .and_then(|v| self.int(v, "limit", 0..=i64::from(i32::MAX)));
        let period = self
            .required(t, "period", || missing("period"))
            .and_then(|v| self.string(v, "period"))
            .and_then(|p| {
                self.one_of(
                    &p,
                    &[
                        ("day", QuotaPeriod::Day),
                        ("week", QuotaPeriod::Week),
                        ("month", QuotaPeriod::Month),
                    ],
                    "quota period",
                    "not a period",
                    "use period = \"day\", \"week\" or \"month\"",
                )
            });
        Some(Quota {
            limit: limit? as i32,
            period: period?,
        })
    }

    /// `routes = { "GET /orders/{id}" = { rate, burst } }`, by route key with single spaces.
    fn route_throttles(
        &mut self,
        t: &DeTable<'_>,
    ) -> Option<BTreeMap<String, crate::stack::Throttle>> {
        let Some((_, value)) = entry(t, "routes") else {
            return Some(BTreeMap::new());
        };
        let routes = self.as_table(value, "routes of a usage plan")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in routes.iter() {
            match self.throttle(value) {
                Some(throttle) => {
                    out.insert(normalized(key.get_ref()), throttle);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// `plans`: the declared usage plans with the stages each meters.
    fn api_key(
        &mut self,
        value: &Value<'_>,
        plans: &[(String, Vec<String>)],
    ) -> Option<ApiKeySpec> {
        let t = self.as_table(value, "an API key")?;
        self.unknown_keys(t, KEY_KEYS, "in an API key");
        let names: Vec<&str> = plans.iter().map(|(p, _)| p.as_str()).collect();
        let help = format!("declared usage plans: {}", names.join(", "));
        let listed = self.string_list(t, "plans", "write plans = [\"basic\"]")?;
        let mut ok = true;
        for plan in &listed {
            if !names.contains(&plan.get_ref().as_str()) {
                let help = if names.is_empty() {
                    "declare it, like [api.usage_plans.basic] with stages = [\"prod\"]".to_string()
                } else {
                    help.clone()
                };
                self.problem(
                    Problem::new(
                        format!("unknown usage plan {:?}", plan.get_ref()),
                        plan.span(),
                        "no such usage plan",
                    )
                    .help(help),
                );
                ok = false;
            }
        }
        ok &= self.one_plan_per_stage(&listed, plans);
        let enabled = self.opt_bool(t, "enabled");
        let enabled = match entry(t, "enabled") {
            None => true,
            Some(_) => enabled?,
        };
        ok.then(|| ApiKeySpec {
            plans: listed.into_iter().map(|p| p.into_inner()).collect(),
            enabled,
        })
    }
}

impl Reader<'_> {
    /// A key may be in one usage plan per stage: API Gateway refuses CreateUsagePlanKey for a
    /// second plan that meters a stage the key's first plan meters (ConflictException). A
    /// problem at both plans of each such pair; whether there was none.
    fn one_plan_per_stage(
        &mut self,
        listed: &[Spanned<String>],
        plans: &[(String, Vec<String>)],
    ) -> bool {
        let stages_of = |name: &str| plans.iter().find(|(p, _)| p == name).map(|(_, s)| s);
        let mut ok = true;
        for (i, second) in listed.iter().enumerate() {
            let earlier = listed[..i].iter().find_map(|first| {
                let (a, b) = (stages_of(first.get_ref())?, stages_of(second.get_ref())?);
                let shared = b.iter().find(|s| a.contains(s))?;
                Some((first, shared.clone()))
            });
            let Some((first, stage)) = earlier else {
                continue;
            };
            let (a, b) = (first.get_ref(), second.get_ref());
            self.problem(
                Problem::new(
                    format!("usage plans {a:?} and {b:?} both meter stage {stage:?}: a key may be in one plan per stage"),
                    second.span(),
                    format!("also meters {stage:?}"),
                )
                .also(first.span(), format!("meters {stage:?}"))
                .help(format!("keep the key in one of them, or give {b:?} other stages (API Gateway refuses CreateUsagePlanKey for a second plan of the same stage)")),
            );
            ok = false;
        }
        ok
    }
}

fn table_of<'a, 'i>(value: &'a Value<'i>) -> Option<&'a DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

/// `METHOD /path` with one space, as `[routes]` keys are kept.
fn normalized(key: &str) -> String {
    let key = key.trim();
    match key.split_once(char::is_whitespace) {
        Some((method, path)) => format!("{method} {}", path.trim()),
        None => key.to_string(),
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
