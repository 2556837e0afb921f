//! An API's whole route set as one OpenAPI 3 document with API Gateway's extensions, for the
//! whole-API write (ReimportApi of an HTTP API, PutRestApi of a REST API; see `whole.rs`).
//!
//! Built from the declared routes alone, with the functions' ARNs resolved: the same input
//! always gives the same document, byte for byte (paths and methods sorted, maps in a fixed
//! order). Sources: "Working with API Gateway extensions to OpenAPI"
//! (`x-amazon-apigateway-integration`, `-any-method`, `-authorizer`, `-authtype`, `-cors`), in
//! the API Gateway developer guide.

use serde_json::{Value, json};

use crate::openapi::cors_headers;
use crate::stack::{ApiType, AuthorizerSpec, Cors};

/// How the API and its routes are described: what the document is built from.
pub(super) struct ApiDocument<'a> {
    /// The API's name (`info.title`: an import renames the API to it).
    pub title: &'a str,
    pub api_type: ApiType,
    /// The region the functions' invocation URIs name.
    pub region: &'a str,
    pub cors: Option<&'a Cors>,
    /// A REST API with CORS: describe the OPTIONS mock method that answers preflights on
    /// every path (an HTTP API's CORS is native: `x-amazon-apigateway-cors`).
    pub rest_preflights: bool,
    /// The declared authorizers, each with its Lambda function's ARN where it has one.
    pub authorizers: Vec<(&'a str, &'a AuthorizerSpec, Option<String>)>,
    pub routes: Vec<DocumentRoute<'a>>,
}

/// A route: its key (`GET /items/{id}`), the function it invokes (or the topic it publishes
/// to), and who may call it.
pub(super) struct DocumentRoute<'a> {
    pub key: &'a str,
    /// Empty when the route publishes.
    pub function_arn: String,
    /// A REST route that publishes: the topic's ARN and the role API Gateway assumes.
    pub publish: Option<(String, String)>,
    pub authorizer: Option<&'a str>,
    pub scopes: &'a [String],
    /// REST APIs: callers must send a usage plan's API key.
    pub api_key: bool,
}

/// The security scheme of routes that need an API key (`x-api-key`, counted by usage plans).
const API_KEY_SCHEME: &str = "api_key";

/// The method name API Gateway reads for ANY (OpenAPI has no such method).
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";

impl ApiDocument<'_> {
    /// The OpenAPI 3.0 document, as JSON text.
    pub fn to_json(&self) -> String {
        let mut root = serde_json::Map::new();
        root.insert("openapi".into(), json!("3.0.1"));
        root.insert(
            "info".into(),
            json!({ "title": self.title, "version": "stackctl" }),
        );
        root.insert("paths".into(), Value::Object(self.paths()));
        let mut schemes = self.security_schemes();
        if self.routes.iter().any(|r| r.api_key) {
            // API Gateway reads a method's key requirement from this scheme, and the key
            // from the x-api-key header (`x-amazon-apigateway-api-key-source`).
            root.insert("x-amazon-apigateway-api-key-source".into(), json!("HEADER"));
            schemes.insert(
                API_KEY_SCHEME.into(),
                json!({ "type": "apiKey", "name": "x-api-key", "in": "header" }),
            );
        }
        if !schemes.is_empty() {
            root.insert(
                "components".into(),
                json!({ "securitySchemes": Value::Object(schemes) }),
            );
        }
        if let (ApiType::Http, Some(cors)) = (self.api_type, self.cors) {
            root.insert("x-amazon-apigateway-cors".into(), http_cors(cors));
        }
        Value::Object(root).to_string()
    }

    /// Paths (sorted), each with its methods (sorted). Path-level `parameters` are left out:
    /// API Gateway reads path parameters from the path itself.
    fn paths(&self) -> serde_json::Map<String, Value> {
        let mut paths = crate::openapi::paths(
            &self.routes,
            |r| r.key,
            |route| {
                let method = match crate::openapi::method_and_path(route.key).0 {
                    "ANY" => ANY_METHOD.to_string(),
                    other => other.to_ascii_lowercase(),
                };
                vec![(method, self.operation(route))]
            },
        );
        let preflights = self.cors.filter(|_| self.rest_preflights);
        if let (ApiType::Rest, Some(cors)) = (self.api_type, preflights) {
            for methods in paths.values_mut() {
                methods.insert("options".into(), rest_preflight(cors));
            }
        }
        paths
            .into_iter()
            .map(|(path, methods)| (path.to_string(), json!(methods)))
            .collect()
    }

    /// A route's operation: its Lambda proxy integration (or SNS Publish integration) and its
    /// authorizer.
    fn operation(&self, route: &DocumentRoute<'_>) -> Value {
        let integration = match (self.api_type, &route.publish) {
            (ApiType::Rest, Some((topic_arn, role_arn))) => json!({
                "type": "AWS",
                "httpMethod": "POST",
                "uri": crate::arn::sns_publish_uri(self.region),
                "credentials": role_arn,
                "requestParameters": {
                    "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
                },
                "requestTemplates": {
                    "application/json": crate::arn::publish_template(topic_arn),
                },
                "passthroughBehavior": "never",
                "responses": { "default": { "statusCode": "200" } },
            }),
            (ApiType::Http, _) => json!({
                "type": "AWS_PROXY",
                "httpMethod": "POST",
                "uri": route.function_arn,
                "payloadFormatVersion": "2.0",
            }),
            (ApiType::Rest, None) => json!({
                "type": "AWS_PROXY",
                "httpMethod": "POST",
                "uri": crate::arn::invocation_uri(self.region, &route.function_arn),
            }),
        };
        let mut operation = serde_json::Map::new();
        let responses = match route.publish {
            Some(_) => json!({ "200": { "description": "SNS's answer" } }),
            None => json!({ "default": { "description": "the function's answer" } }),
        };
        operation.insert("responses".into(), responses);
        let mut security = serde_json::Map::new();
        if let Some(name) = route.authorizer {
            security.insert(name.to_string(), json!(route.scopes));
        }
        if route.api_key {
            security.insert(API_KEY_SCHEME.to_string(), json!([]));
        }
        if !security.is_empty() {
            operation.insert("security".into(), json!([security]));
        }
        operation.insert("x-amazon-apigateway-integration".into(), integration);
        Value::Object(operation)
    }

    /// The authorizers this kind of API serves, by name.
    fn security_schemes(&self) -> serde_json::Map<String, Value> {
        self.authorizers
            .iter()
            .filter_map(|(name, spec, function)| {
                let scheme = match (self.api_type, spec) {
                    (ApiType::Http, AuthorizerSpec::Jwt { issuer, audience }) => json!({
                        "type": "oauth2",
                        "flows": {},
                        "x-amazon-apigateway-authorizer": {
                            "type": "jwt",
                            "identitySource": "$request.header.Authorization",
                            "jwtConfiguration": { "issuer": issuer, "audience": audience },
                        },
                    }),
                    (ApiType::Http, AuthorizerSpec::Lambda { .. }) => json!({
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": "header",
                        "x-amazon-apigateway-authorizer": {
                            "type": "request",
                            "identitySource": "$request.header.Authorization",
                            "authorizerUri": self.uri(function.as_deref()?),
                            "authorizerPayloadFormatVersion": "2.0",
                            "enableSimpleResponses": true,
                        },
                    }),
                    (ApiType::Rest, AuthorizerSpec::Cognito { user_pools }) => json!({
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": "header",
                        "x-amazon-apigateway-authtype": "cognito_user_pools",
                        "x-amazon-apigateway-authorizer": {
                            "type": "cognito_user_pools",
                            "providerARNs": user_pools,
                            "identitySource": "method.request.header.Authorization",
                        },
                    }),
                    (ApiType::Rest, AuthorizerSpec::Lambda { .. }) => json!({
                        "type": "apiKey",
                        "name": "Authorization",
                        "in": "header",
                        "x-amazon-apigateway-authtype": "custom",
                        "x-amazon-apigateway-authorizer": {
                            "type": "token",
                            "authorizerUri": self.uri(function.as_deref()?),
                            "identitySource": "method.request.header.Authorization",
                        },
                    }),
                    // The stack file's checks refuse the others.
                    _ => return None,
                };
                Some((name.to_string(), scheme))
            })
            .collect()
    }

    fn uri(&self, function_arn: &str) -> String {
        crate::arn::invocation_uri(self.region, function_arn)
    }
}

/// An HTTP API's native CORS (`x-amazon-apigateway-cors`), with the fields CreateApi takes.
fn http_cors(cors: &Cors) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("allowOrigins".into(), json!(cors.allow_origins));
    if !cors.allow_methods.is_empty() {
        out.insert("allowMethods".into(), json!(cors.allow_methods));
    }
    if !cors.allow_headers.is_empty() {
        out.insert("allowHeaders".into(), json!(cors.allow_headers));
    }
    if let Some(age) = cors.max_age {
        out.insert("maxAge".into(), json!(age));
    }
    Value::Object(out)
}

/// A REST API's preflight answer: the OPTIONS mock method `deploy.rs` writes on every
/// resource with routes, with the same headers.
fn rest_preflight(cors: &Cors) -> Value {
    let headers = cors_headers(cors);
    let name = |h: &str| format!("Access-Control-{h}");
    let declared: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(h, _)| (name(h), json!({ "schema": { "type": "string" } })))
        .collect();
    let values: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(h, v)| {
            (
                format!("method.response.header.{}", name(h)),
                json!(format!("'{v}'")),
            )
        })
        .collect();
    json!({
        "responses": { "200": { "description": "CORS preflight", "headers": declared } },
        "x-amazon-apigateway-integration": {
            "type": "MOCK",
            "requestTemplates": { "application/json": "{\"statusCode\": 200}" },
            "responses": { "default": { "statusCode": "200", "responseParameters": values } },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document<'a>(api_type: ApiType, cors: Option<&'a Cors>) -> ApiDocument<'a> {
        ApiDocument {
            title: "shop",
            api_type,
            region: "us-east-1",
            cors,
            rest_preflights: true,
            authorizers: Vec::new(),
            routes: vec![
                DocumentRoute {
                    key: "POST /orders",
                    publish: None,
                    function_arn: "arn:aws:lambda:us-east-1:1:function:shop-create".into(),
                    authorizer: None,
                    scopes: &[],
                    api_key: false,
                },
                DocumentRoute {
                    key: "ANY /admin/{proxy+}",
                    publish: None,
                    function_arn: "arn:aws:lambda:us-east-1:1:function:shop-admin".into(),
                    authorizer: Some("users"),
                    scopes: &[],
                    api_key: false,
                },
                DocumentRoute {
                    key: "GET /orders",
                    publish: None,
                    function_arn: "arn:aws:lambda:us-east-1:1:function:shop-list".into(),
                    authorizer: None,
                    scopes: &[],
                    api_key: false,
                },
            ],
        }
    }

    #[test]
    fn an_http_api_document_is_sorted_with_any_methods_and_native_cors() {
        let cors = Cors {
            allow_origins: vec!["https://shop.example".into()],
            allow_methods: vec!["GET".into()],
            allow_headers: Vec::new(),
            max_age: Some(600),
        };
        let jwt = AuthorizerSpec::Jwt {
            issuer: "https://issuer.example".into(),
            audience: vec!["client".into()],
        };
        let mut doc = document(ApiType::Http, Some(&cors));
        doc.authorizers.push(("users", &jwt, None));
        let text = doc.to_json();
        let value: Value = serde_json::from_str(&text).unwrap();
        let paths: Vec<&String> = value["paths"].as_object().unwrap().keys().collect();
        assert_eq!(paths, ["/admin/{proxy+}", "/orders"]);
        let orders: Vec<&String> = value["paths"]["/orders"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(orders, ["get", "post"]);
        let admin = &value["paths"]["/admin/{proxy+}"][ANY_METHOD];
        assert_eq!(admin["security"], json!([{ "users": [] }]));
        assert_eq!(
            admin["x-amazon-apigateway-integration"]["uri"],
            "arn:aws:lambda:us-east-1:1:function:shop-admin"
        );
        assert_eq!(
            value["x-amazon-apigateway-cors"],
            json!({ "allowOrigins": ["https://shop.example"], "allowMethods": ["GET"], "maxAge": 600 })
        );
        assert_eq!(
            value["components"]["securitySchemes"]["users"]["x-amazon-apigateway-authorizer"]["type"],
            "jwt"
        );
        assert_eq!(text, doc.to_json(), "the same input gives the same bytes");
    }

    #[test]
    fn a_rest_api_document_invokes_through_uris_and_answers_preflights_on_each_path() {
        let cors = Cors {
            allow_origins: vec!["https://shop.example".into()],
            allow_methods: Vec::new(),
            allow_headers: vec!["content-type".into()],
            max_age: None,
        };
        let value: Value =
            serde_json::from_str(&document(ApiType::Rest, Some(&cors)).to_json()).unwrap();
        let get = &value["paths"]["/orders"]["get"]["x-amazon-apigateway-integration"];
        assert_eq!(
            get["uri"],
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:shop-list/invocations"
        );
        let preflight = &value["paths"]["/admin/{proxy+}"]["options"];
        assert_eq!(
            preflight["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"],
            json!({
                "method.response.header.Access-Control-Allow-Origin": "'https://shop.example'",
                "method.response.header.Access-Control-Allow-Headers": "'content-type'",
            })
        );
        assert!(value.get("x-amazon-apigateway-cors").is_none());
        assert!(value.get("components").is_none(), "no authorizers declared");
    }

    #[test]
    fn a_route_that_needs_a_key_asks_for_it_in_the_body() {
        let mut doc = document(ApiType::Rest, None);
        doc.routes[2].api_key = true;
        let value: Value = serde_json::from_str(&doc.to_json()).unwrap();
        assert_eq!(value["x-amazon-apigateway-api-key-source"], "HEADER");
        assert_eq!(
            value["components"]["securitySchemes"]["api_key"],
            json!({ "type": "apiKey", "name": "x-api-key", "in": "header" })
        );
        assert_eq!(
            value["paths"]["/orders"]["get"]["security"],
            json!([{ "api_key": [] }])
        );
        assert!(value["paths"]["/orders"]["post"].get("security").is_none());
    }

    #[test]
    fn a_route_that_publishes_calls_sns_with_the_role_and_a_template() {
        let mut doc = document(ApiType::Rest, None);
        let topic = "arn:aws:sns:us-east-1:1:shop-events";
        let role = "arn:aws:iam::1:role/stackctl/shop/shop-apigateway-publish";
        doc.routes[0].publish = Some((topic.into(), role.into()));
        let value: Value = serde_json::from_str(&doc.to_json()).unwrap();
        let post = &value["paths"]["/orders"]["post"];
        assert_eq!(
            post["x-amazon-apigateway-integration"],
            json!({
                "type": "AWS",
                "httpMethod": "POST",
                "uri": "arn:aws:apigateway:us-east-1:sns:action/Publish",
                "credentials": role,
                "requestParameters": {
                    "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
                },
                "requestTemplates": {
                    "application/json": format!("Action=Publish&TopicArn=$util.urlEncode('{topic}')&Message=$util.urlEncode($input.body)"),
                },
                "passthroughBehavior": "never",
                "responses": { "default": { "statusCode": "200" } },
            })
        );
        assert_eq!(
            post["responses"],
            json!({ "200": { "description": "SNS's answer" } })
        );
    }
}
