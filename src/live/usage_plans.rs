//! A REST API's usage plans and API keys, owned by the stack tag: GetUsagePlans and
//! GetApiKeys (one paged listing each, tags included), then GetUsagePlanKeys of each owned
//! plan. Key values are never read here (`includeValues` stays false).

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::{ApiKey, ThrottleSettings, UsagePlan};

use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;
use crate::stack::{Quota, QuotaPeriod, Throttle};

/// GetUsagePlans and GetApiKeys pages hold up to 500 items.
const PAGE: i32 = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct LiveUsagePlan {
    pub id: String,
    pub name: String,
    /// The stages it meters: (API ID, stage name), with each stage's per-method limits by
    /// route key (`GET /orders/{id}`).
    pub stages: Vec<LiveApiStage>,
    pub throttle: Option<Throttle>,
    pub quota: Option<Quota>,
    /// The IDs of the API keys in the plan.
    pub key_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveApiStage {
    pub api_id: String,
    pub stage: String,
    pub routes: BTreeMap<String, Throttle>,
}

/// An API key as read: never its value.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveApiKey {
    pub id: String,
    pub name: String,
    pub enabled: bool,
}

/// The stack's usage plans and API keys, by physical name.
pub(super) async fn read(
    clients: &Clients,
    stack: &str,
) -> Result<
    (
        BTreeMap<String, LiveUsagePlan>,
        BTreeMap<String, LiveApiKey>,
    ),
    AwsError,
> {
    let (plans, keys) = tokio::try_join!(read_plans(clients, stack), read_keys(clients, stack))?;
    let reads = plans.into_iter().map(|plan| async move {
        let key_ids = plan_key_ids(clients, plan.id().unwrap_or_default()).await?;
        Ok::<_, AwsError>(live_plan(&plan, key_ids))
    });
    let plans = futures::future::try_join_all(reads).await?;
    let plans = plans.into_iter().map(|p| (p.name.clone(), p)).collect();
    let keys = keys
        .iter()
        .map(|k| LiveApiKey {
            id: k.id().unwrap_or_default().to_string(),
            name: k.name().unwrap_or_default().to_string(),
            enabled: k.enabled(),
        })
        .map(|k| (k.name.clone(), k))
        .collect();
    Ok((plans, keys))
}

fn owned(tags: Option<&std::collections::HashMap<String, String>>, stack: &str) -> bool {
    tags.and_then(|t| t.get(STACK_TAG))
        .is_some_and(|s| s == stack)
}

async fn read_plans(clients: &Clients, stack: &str) -> Result<Vec<UsagePlan>, AwsError> {
    let pages = clients.apigateway.get_usage_plans().limit(PAGE);
    let all: Result<Vec<UsagePlan>, _> = pages.into_paginator().items().send().collect().await;
    let mut all = all.op("apigateway:GetUsagePlans")?;
    all.retain(|p| owned(p.tags(), stack));
    Ok(all)
}

async fn read_keys(clients: &Clients, stack: &str) -> Result<Vec<ApiKey>, AwsError> {
    let pages = clients.apigateway.get_api_keys().limit(PAGE);
    let all: Result<Vec<ApiKey>, _> = pages.into_paginator().items().send().collect().await;
    let mut all = all.op("apigateway:GetApiKeys")?;
    all.retain(|k| owned(k.tags(), stack));
    Ok(all)
}

async fn plan_key_ids(clients: &Clients, plan_id: &str) -> Result<Vec<String>, AwsError> {
    let pages = clients
        .apigateway
        .get_usage_plan_keys()
        .usage_plan_id(plan_id)
        .limit(PAGE);
    let all: Result<Vec<_>, _> = pages.into_paginator().items().send().collect().await;
    let mut ids: Vec<String> = all
        .op("apigateway:GetUsagePlanKeys")?
        .iter()
        .filter_map(|k| k.id().map(str::to_string))
        .collect();
    ids.sort();
    Ok(ids)
}

fn live_plan(plan: &UsagePlan, key_ids: Vec<String>) -> LiveUsagePlan {
    let stages = plan
        .api_stages()
        .iter()
        .map(|s| LiveApiStage {
            api_id: s.api_id().unwrap_or_default().to_string(),
            stage: s.stage().unwrap_or_default().to_string(),
            routes: s
                .throttle()
                .into_iter()
                .flatten()
                .filter_map(|(at, t)| Some((route_key(at)?, throttle(t)?)))
                .collect(),
        })
        .collect();
    let quota = plan.quota().and_then(|q| {
        let period = match q.period()?.as_str() {
            "DAY" => QuotaPeriod::Day,
            "WEEK" => QuotaPeriod::Week,
            _ => QuotaPeriod::Month,
        };
        Some(Quota {
            limit: q.limit(),
            period,
        })
    });
    LiveUsagePlan {
        id: plan.id().unwrap_or_default().to_string(),
        name: plan.name().unwrap_or_default().to_string(),
        stages,
        throttle: plan.throttle().and_then(throttle),
        quota,
        key_ids,
    }
}

fn throttle(t: &ThrottleSettings) -> Option<Throttle> {
    Some(Throttle {
        rate: t.rate_limit(),
        burst: t.burst_limit(),
    })
    .filter(|t| t.rate != 0.0 || t.burst != 0)
}

/// The ID of the stack's usage plan named `name`, if there is one: what a create whose answer
/// was lost may have made.
pub async fn tagged_usage_plan_named(
    clients: &Clients,
    stack: &str,
    name: &str,
) -> Result<Option<String>, AwsError> {
    let plans = read_plans(clients, stack).await?;
    let found = plans.iter().find(|p| p.name() == Some(name));
    Ok(found.and_then(|p| p.id().map(str::to_string)))
}

/// The ID of the stack's API key named `name`, if there is one (as for usage plans).
pub async fn tagged_api_key_named(
    clients: &Clients,
    stack: &str,
    name: &str,
) -> Result<Option<String>, AwsError> {
    let keys = read_keys(clients, stack).await?;
    let found = keys.iter().find(|k| k.name() == Some(name));
    Ok(found.and_then(|k| k.id().map(str::to_string)))
}

/// The value of the API key `id` (GetApiKey with `includeValue`): read only when the user asks
/// for secrets (`outputs --show-secrets`); `None` when the key is gone.
pub async fn api_key_value(clients: &Clients, id: &str) -> Result<Option<String>, AwsError> {
    let out = clients
        .apigateway
        .get_api_key()
        .api_key(id)
        .include_value(true)
        .send()
        .await
        .absent_ok("apigateway:GetApiKey")?;
    Ok(out.and_then(|k| k.value().map(str::to_string)))
}

/// `/orders/{id}/GET` (API Gateway's per-method throttle key) as `GET /orders/{id}`.
fn route_key(at: &str) -> Option<String> {
    let (path, method) = at.rsplit_once('/')?;
    let path = if path.is_empty() { "/" } else { path };
    Some(format!("{method} {path}"))
}

/// API Gateway's per-method throttle key of a route key: `GET /orders/{id}` as
/// `/orders/{id}/GET` (<https://docs.aws.amazon.com/apigateway/latest/api/API_ApiStage.html>).
pub fn method_throttle_key(route: &str) -> String {
    let (method, path) = route.split_once(' ').unwrap_or(("ANY", route));
    let path = path.trim_end_matches('/');
    format!("{path}/{method}")
}

#[cfg(test)]
mod tests {
    use super::{method_throttle_key, route_key};

    #[test]
    fn method_throttle_keys_read_back_as_route_keys() {
        for route in ["GET /orders/{id}", "POST /", "ANY /admin/{proxy+}"] {
            assert_eq!(
                route_key(&method_throttle_key(route)).as_deref(),
                Some(route)
            );
        }
        assert_eq!(method_throttle_key("GET /orders"), "/orders/GET");
    }
}
