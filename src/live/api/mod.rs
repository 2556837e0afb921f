//! Live APIs, one concept with a reader per kind: HTTP APIs (API Gateway v2, `http.rs`) and
//! REST APIs (v1, `rest.rs`). What both read the same way is here: which APIs are the
//! stack's, their tags, and authorizer names; what HTTP and WebSocket APIs read alike (both
//! v2) is in `v2.rs`.

pub(in crate::live) mod http;
mod rest;
pub(in crate::live) mod v2;

use std::collections::{BTreeMap, HashMap};

use super::{LiveApi, user_tags};
use crate::aws::{AwsError, Clients};
use crate::marks::{ALIAS_PERMISSIONS_TAG, PERMISSIONS_TAG, STACK_TAG};
use crate::stack::{ApiType, AuthorizerSpec};

pub(crate) use rest::{cors_of, resources as rest_resources};
pub(super) use {http::read_apis as read_http_apis, rest::read_apis as read_rest_apis};

/// Authorizers by name, each with its ID.
type Authorizers = BTreeMap<String, (String, AuthorizerSpec)>;

/// An API found by its stack tag and its name.
#[derive(Debug, Clone)]
pub struct TaggedApi {
    pub id: String,
    /// `https://{id}.execute-api.{region}.amazonaws.com`.
    pub endpoint: String,
    /// REST APIs: the ID of the root resource (`/`).
    pub root_resource_id: Option<String>,
}

/// The API of this type and name tagged for the stack, if there is one: what a create whose
/// answer was lost made (the plan found none, and the lock keeps other applies out).
pub async fn tagged_api_named(
    clients: &Clients,
    stack: &str,
    name: &str,
    api_type: ApiType,
) -> Result<Option<TaggedApi>, AwsError> {
    let found = match api_type {
        ApiType::Http => http::tagged(clients, stack)
            .await?
            .into_iter()
            .map(|api| {
                TaggedApi {
                    id: api.api_id().unwrap_or_default().to_string(),
                    endpoint: api.api_endpoint().unwrap_or_default().to_string(),
                    root_resource_id: None,
                }
                .named(api.name())
            })
            .collect::<Vec<_>>(),
        ApiType::Rest => rest::tagged(clients, stack)
            .await?
            .into_iter()
            .map(|api| {
                let id = api.id().unwrap_or_default().to_string();
                TaggedApi {
                    endpoint: crate::arn::execute_api_endpoint(&clients.region, &id),
                    root_resource_id: api.root_resource_id().map(str::to_string),
                    id,
                }
                .named(api.name())
            })
            .collect(),
    };
    Ok(found
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, api)| api))
}

impl TaggedApi {
    fn named(self, name: Option<&str>) -> (String, TaggedApi) {
        (name.unwrap_or_default().to_string(), self)
    }
}

/// Whether an API's tags say it is the stack's.
fn owned(tags: Option<&HashMap<String, String>>, stack: &str) -> bool {
    tags.and_then(|t| t.get(STACK_TAG)).map(String::as_str) == Some(stack)
}

/// An API as both kinds know it: its ID, name, endpoint and tags; the rest is left empty for
/// the reader of its kind to fill.
fn api_base(
    id: String,
    name: Option<&str>,
    endpoint: String,
    protocol: String,
    tags: Option<&HashMap<String, String>>,
) -> LiveApi {
    let tags = tags.cloned().unwrap_or_default();
    LiveApi {
        id,
        name: name.unwrap_or_default().to_string(),
        endpoint,
        protocol,
        tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        permissions_record: tags.get(PERMISSIONS_TAG).cloned(),
        alias_permissions: tags.get(ALIAS_PERMISSIONS_TAG).cloned(),
        stages: Vec::new(),
        stage_settings: Vec::new(),
        cors: None,
        throttle: None,
        access_log: None,
        authorizers: BTreeMap::new(),
        routes: Vec::new(),
        resources: Vec::new(),
        deployment_id: None,
    }
}

/// Authorizer names by ID: routes and methods refer to authorizers by ID, the plan by name.
fn names_by_id(authorizers: &Authorizers) -> BTreeMap<String, String> {
    authorizers
        .iter()
        .map(|(name, (id, _))| (id.clone(), name.clone()))
        .collect()
}

/// A Lambda authorizer as the plan knows it: by its function's name.
fn lambda_authorizer(uri: &str) -> AuthorizerSpec {
    AuthorizerSpec::Lambda {
        function: crate::arn::function_name_of(uri),
    }
}
