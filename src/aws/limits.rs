//! Client-side rate limits for AWS's control-plane quotas (see AWS-NOTES in the README): every
//! request waits for a token of each quota it counts against before it is sent, retries
//! included, so a large apply is slowed down by the quotas instead of being throttled by them.
//!
//! It wraps the SDK's HTTP client, the one place every request of every service passes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::time::Instant;

/// A token bucket: `per_second` tokens a second, at most `burst` saved up.
#[derive(Debug)]
struct Bucket {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(per_second: f64, burst: f64) -> Bucket {
        Bucket {
            per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    async fn take(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().expect("bucket lock");
                let now = Instant::now();
                let (tokens, at) = *state;
                let tokens = (tokens + now.duration_since(at).as_secs_f64() * self.per_second)
                    .min(self.burst);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The quotas stackctl keeps to (account-wide in AWS, so a little below them is wise).
#[derive(Debug)]
pub struct Limits {
    /// API Gateway management calls, both APIs: 10 a second.
    apigateway: Bucket,
    create_deployment: Bucket,
    create_rest_api: Bucket,
    delete_rest_api: Bucket,
    /// PutRestApi (a whole-API write): 1 a second.
    put_rest_api: Bucket,
    resources: Bucket,
    get_resources: Bucket,
    /// Lambda: GetFunction 100/s (AWS allows bursts: 50 saved up here); GetPolicy 15/s; every
    /// other call together 15/s.
    get_function: Bucket,
    get_policy: Bucket,
    lambda: Bucket,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            apigateway: Bucket::new(9.0, 10.0),
            create_deployment: Bucket::new(1.0 / 5.0, 1.0),
            create_rest_api: Bucket::new(1.0 / 3.0, 1.0),
            delete_rest_api: Bucket::new(1.0 / 30.0, 1.0),
            put_rest_api: Bucket::new(0.9, 1.0),
            resources: Bucket::new(4.5, 5.0),
            get_resources: Bucket::new(2.4, 2.0),
            get_function: Bucket::new(95.0, 50.0),
            get_policy: Bucket::new(14.0, 5.0),
            lambda: Bucket::new(14.0, 5.0),
        }
    }
}

impl Limits {
    /// The buckets `request` takes a token from.
    fn buckets(&self, request: &HttpRequest) -> Vec<&Bucket> {
        let service = request
            .headers()
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or_default();
        let method = request.method();
        let path = request.uri().split('?').next().unwrap_or_default();
        let path = path
            .find("://")
            .and_then(|i| path[i + 3..].find('/').map(|j| &path[i + 3 + j..]))
            .unwrap_or(path);
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match service {
            "apigateway" => {
                let specific = match (method, segments.as_slice()) {
                    ("POST", ["restapis"]) => Some(&self.create_rest_api),
                    ("DELETE", ["restapis", _]) => Some(&self.delete_rest_api),
                    ("PUT", ["restapis", _]) => Some(&self.put_rest_api),
                    ("POST", ["restapis", _, "deployments"]) => Some(&self.create_deployment),
                    ("POST" | "DELETE", ["restapis", _, "resources", _]) => Some(&self.resources),
                    ("GET", ["restapis", _, "resources"]) => Some(&self.get_resources),
                    _ => None,
                };
                std::iter::once(&self.apigateway).chain(specific).collect()
            }
            "lambda" => vec![match (method, segments.as_slice()) {
                ("GET", [_, "functions", _]) => &self.get_function,
                ("GET", [_, "functions", _, "policy"]) => &self.get_policy,
                _ => &self.lambda,
            }],
            _ => Vec::new(),
        }
    }
}

/// The SDK's HTTP client, with every request first waiting for its quotas.
#[derive(Debug, Clone)]
pub struct RateLimited {
    inner: SharedHttpClient,
    limits: Arc<Limits>,
}

impl RateLimited {
    pub fn new(inner: SharedHttpClient, limits: Arc<Limits>) -> Self {
        RateLimited { inner, limits }
    }
}

impl HttpClient for RateLimited {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RateLimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limits: Arc::clone(&self.limits),
        })
    }
}

#[derive(Debug)]
struct RateLimitedConnector {
    inner: SharedHttpConnector,
    limits: Arc<Limits>,
}

impl HttpConnector for RateLimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let limits = Arc::clone(&self.limits);
        HttpConnectorFuture::new(async move {
            for bucket in limits.buckets(&request) {
                bucket.take().await;
            }
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, uri: &str, service: &str) -> HttpRequest {
        let mut request = HttpRequest::empty();
        request.set_method(method).unwrap();
        request.set_uri(uri).unwrap();
        request.headers_mut().insert(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"),
        );
        request
    }

    #[test]
    fn requests_count_against_their_quotas() {
        let limits = Limits::default();
        let count = |m, u, s| limits.buckets(&request(m, u, s)).len();
        assert_eq!(
            count(
                "POST",
                "https://apigateway.us-east-1.amazonaws.com/restapis/abc/deployments",
                "apigateway"
            ),
            2
        );
        assert_eq!(
            count(
                "GET",
                "https://apigateway.us-east-1.amazonaws.com/v2/apis",
                "apigateway"
            ),
            1
        );
        assert_eq!(
            count(
                "GET",
                "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f",
                "lambda"
            ),
            1
        );
        assert_eq!(
            count(
                "GET",
                "https://dynamodb.us-east-1.amazonaws.com/",
                "dynamodb"
            ),
            0
        );
        let policy = limits.buckets(&request(
            "GET",
            "http://127.0.0.1:5000/2015-03-31/functions/f/policy",
            "lambda",
        ));
        assert!(std::ptr::eq(policy[0], &limits.get_policy));
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_paces_requests_after_its_burst() {
        let bucket = Bucket::new(10.0, 2.0);
        let start = Instant::now();
        for _ in 0..12 {
            bucket.take().await;
        }
        // Two at once, then ten at 10 a second.
        let elapsed = start.elapsed().as_secs_f64();
        assert!((0.99..1.05).contains(&elapsed), "{elapsed}");
    }
}
