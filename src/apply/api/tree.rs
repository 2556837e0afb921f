//! A REST API's resource tree: the resources (path parts) its routes' methods hang on. Apply
//! knows the tree from what live read (the plan carries it) and from what its own routes
//! create, so that a new route reads nothing: GetResources is limited to 5 requests in 2
//! seconds, and a 90-route API made from empty would otherwise read it 90 times.

use std::collections::BTreeMap;

use super::Context;
use crate::aws::{AwsError, ErrorKind, classify, describe};
use crate::live::{LiveApi, cors_of, rest_resources};
use crate::plan::{Live, Plan};
use crate::stack::Cors;

/// Path -> resource ID, for each REST API by ID. Held while a route creates path parts, which
/// routes with a common prefix share.
#[derive(Default)]
pub(crate) struct ResourceTrees(tokio::sync::Mutex<BTreeMap<String, BTreeMap<String, String>>>);

impl ResourceTrees {
    /// The trees of the REST APIs the plan's live state holds.
    pub fn seeded(plan: &Plan) -> Self {
        let trees = plan
            .changes
            .iter()
            .filter_map(|c| match &c.live {
                Some(Live::Api { api, .. }) if api.is_rest() => Some(api),
                _ => None,
            })
            .map(|api| {
                let tree = api.resources.iter().map(|r| (r.path.clone(), r.id.clone()));
                (api.id.clone(), tree.collect())
            })
            .collect();
        ResourceTrees(tokio::sync::Mutex::new(trees))
    }

    /// The tree of `api` as read (after an import made its resources anew).
    pub async fn replace(&self, api: &LiveApi) {
        let tree = api.resources.iter().map(|r| (r.path.clone(), r.id.clone()));
        self.0.lock().await.insert(api.id.clone(), tree.collect());
    }

    /// A new API's tree: its root resource alone.
    pub async fn seed_root(&self, api_id: &str, root_id: String) {
        let tree = BTreeMap::from([("/".to_string(), root_id)]);
        self.0.lock().await.insert(api_id.to_string(), tree);
    }
}

/// The ID of the resource at `path`, created part by part where missing. The tree is read
/// only for an API apply knows nothing of, and again when a create finds that a part exists
/// though the tree does not know it (made by an apply that was cut short).
pub(super) async fn resource_for(
    ctx: &Context<'_>,
    api_id: &str,
    path: &str,
) -> Result<String, AwsError> {
    let mut trees = ctx.rest_resources.0.lock().await;
    if !trees.contains_key(api_id) {
        trees.insert(api_id.to_string(), read_tree(ctx, api_id).await?);
    }
    let tree = trees.entry(api_id.to_string()).or_default();
    let mut parent = tree
        .get("/")
        .cloned()
        .ok_or_else(|| super::route_error(format!("REST API {api_id} has no root resource")))?;
    let mut current = String::new();
    for part in path.split('/').filter(|s| !s.is_empty()) {
        current = format!("{current}/{part}");
        parent = match tree.get(&current) {
            Some(id) => id.clone(),
            None => create_part(ctx, api_id, tree, &parent, &current).await?,
        };
    }
    Ok(parent)
}

/// CreateResource of the last part of `path` under `parent`; its ID joins the tree.
async fn create_part(
    ctx: &Context<'_>,
    api_id: &str,
    tree: &mut BTreeMap<String, String>,
    parent: &str,
    path: &str,
) -> Result<String, AwsError> {
    let part = path.rsplit('/').next().unwrap_or_default();
    let created = ctx
        .clients
        .apigateway
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(parent)
        .path_part(part)
        .send()
        .await;
    match created {
        Ok(created) => {
            let id = created.id().unwrap_or_default().to_string();
            tree.insert(path.to_string(), id.clone());
            Ok(id)
        }
        Err(e) if classify(&e) == ErrorKind::Conflict => {
            *tree = read_tree(ctx, api_id).await?;
            let id = tree.get(path).cloned();
            id.ok_or_else(|| describe("apigateway:CreateResource", e))
        }
        Err(e) => Err(describe("apigateway:CreateResource", e)),
    }
}

async fn read_tree(ctx: &Context<'_>, api_id: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let all = resources(ctx, api_id).await?;
    Ok(all.into_iter().map(|r| (r.path, r.id)).collect())
}

/// A resource as GetResources shows it, with its methods counted.
pub(super) struct Resource {
    pub id: String,
    pub path: String,
    pub parent_id: Option<String>,
    /// Every method, CORS ones included.
    pub methods: usize,
    /// Methods other than a CORS OPTIONS answer.
    pub routes: usize,
    /// What its CORS OPTIONS method answers, if it has one.
    pub cors: Option<Cors>,
}

/// Every resource of the API, with its methods (GetResources, 500 a page).
pub(super) async fn resources(ctx: &Context<'_>, api_id: &str) -> Result<Vec<Resource>, AwsError> {
    let all = rest_resources(ctx.clients, api_id).await?;
    Ok(all
        .iter()
        .map(|r| {
            let cors = r
                .resource_methods()
                .and_then(|m| m.get("OPTIONS"))
                .and_then(cors_of);
            let methods = r.resource_methods().map_or(0, |m| m.len());
            Resource {
                id: r.id().unwrap_or_default().to_string(),
                path: r.path().unwrap_or_default().to_string(),
                parent_id: r.parent_id().map(str::to_string),
                methods,
                routes: methods - usize::from(cors.is_some()),
                cors,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use aws_sdk_apigateway::Client;
    use aws_sdk_apigateway::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_apigateway::error::ErrorMetadata;
    use aws_sdk_apigateway::operation::create_resource::{
        CreateResourceError, CreateResourceOutput,
    };
    use aws_sdk_apigateway::operation::get_resources::GetResourcesOutput;
    use aws_sdk_apigateway::types::Resource as SdkResource;
    use aws_sdk_apigateway::types::error::ConflictException;
    use aws_smithy_mocks::{
        MockResponseInterceptor, RuleMode, create_mock_http_client, mock, mock_client,
    };

    use super::*;
    use crate::apply::{Context, Reporter};
    use crate::aws::Clients;
    use crate::plan::Change;
    use crate::stack::Address;

    struct Quiet;

    impl Reporter for Quiet {
        fn started(&self, _: &Change) {}
        fn progress(&self, _: &Address, _: &str) {}
        fn finished(&self, _: &Change, _: std::time::Duration) {}
        fn failed(&self, _: &Change, _: &AwsError) {}
        fn skipped(&self, _: &Change, _: &Address) {}
    }

    fn resource(id: &str, path: &str) -> SdkResource {
        SdkResource::builder().id(id).path(path).build()
    }

    fn created(id: &str) -> CreateResourceOutput {
        CreateResourceOutput::builder().id(id).build()
    }

    /// An API Gateway client answering from mock rules (`mock_client!` would need the SDK's
    /// test-util feature, and its dependencies, for the same few settings).
    fn mock_apigateway(rules: &[&aws_smithy_mocks::Rule]) -> Client {
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules {
            interceptor = interceptor.with_rule(rule);
        }
        let config = aws_sdk_apigateway::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build();
        Client::from_conf(config)
    }

    #[tokio::test]
    async fn a_part_the_tree_does_not_know_is_read_once_then_routes_go_on_without_reads() {
        // `/items` exists (made by an apply cut short), but the tree knows only the root.
        let taken = mock!(Client::create_resource)
            .match_requests(|r| r.path_part() == Some("items"))
            .then_error(|| {
                CreateResourceError::ConflictException(
                    ConflictException::builder()
                        .message("Another resource with the same parent already has this name")
                        .meta(ErrorMetadata::builder().code("ConflictException").build())
                        .build(),
                )
            });
        let read = mock!(Client::get_resources).then_output(|| {
            GetResourcesOutput::builder()
                .items(resource("root", "/"))
                .items(resource("items", "/items"))
                .build()
        });
        let x = mock!(Client::create_resource)
            .match_requests(|r| r.path_part() == Some("x") && r.parent_id() == Some("items"))
            .then_output(|| created("x-id"));
        let y = mock!(Client::create_resource)
            .match_requests(|r| r.path_part() == Some("y") && r.parent_id() == Some("items"))
            .then_output(|| created("y-id"));
        let mut clients = Clients::with_dynamodb(mock_client!(aws_sdk_dynamodb, []));
        clients.apigateway = mock_apigateway(&[&taken, &read, &x, &y]);
        let packages = BTreeMap::new();
        let ctx = Context::for_tests(&clients, &packages, &Quiet);
        ctx.rest_resources
            .seed_root("api", "root".to_string())
            .await;

        assert_eq!(resource_for(&ctx, "api", "/items/x").await.unwrap(), "x-id");
        assert_eq!(resource_for(&ctx, "api", "/items/y").await.unwrap(), "y-id");
        assert_eq!(resource_for(&ctx, "api", "/items").await.unwrap(), "items");
        assert_eq!(taken.num_calls(), 1);
        assert_eq!(
            read.num_calls(),
            1,
            "the tree is read once, after the conflict"
        );
        assert_eq!((x.num_calls(), y.num_calls()), (1, 1));
    }
}
