//! A proxy between stackctl and the emulator that behaves like AWS where the emulator does not:
//! a round trip's latency on every request, AWS's control-plane quotas (answered with each
//! protocol's throttling error), injected throttling, 500s and dropped connections, an
//! import's ClientToken in DynamoDB's answers (moto leaves it out), and a count of requests
//! per operation. A test may also act just before the first request of an operation (another
//! team creating a table while an apply waits).
//!
//! It speaks just enough HTTP/1.1 for the AWS SDK: a request with a Content-Length body,
//! forwarded on a fresh connection, the answer relayed with `Connection: close`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Faults to inject, as fractions of requests (0.1 = 10%).
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub throttle: f64,
    pub server_error: f64,
    /// The connection is closed before the request reaches the emulator.
    pub dropped: f64,
    /// The request is carried out, and the connection closed before its answer.
    pub lost_answer: f64,
}

/// Acts before a request: called with the emulator's endpoint and the request's body, it
/// answers whether it acted.
pub type Before = fn(&str, &[u8]) -> bool;

#[derive(Debug, Clone, Copy)]
pub struct ProxyConfig {
    /// Added to every request (a region's round trip).
    pub latency: Duration,
    /// Enforce AWS's control-plane quotas (AWS-NOTES.md).
    pub quotas: bool,
    pub faults: Faults,
    pub seed: u64,
    /// Keep the start and end of every request (`Stats::trace`).
    pub trace: bool,
    /// Operations (as counted: `lambda:GetFunction`) whose first request is carried out and
    /// its answer lost.
    pub lose_first_answer: &'static [&'static str],
    /// Before a request of this operation reaches the emulator, the function is called with
    /// the emulator's endpoint and the request's body (the request waits for it), until it
    /// answers that it acted.
    pub before: Option<(&'static str, Before)>,
}

impl ProxyConfig {
    /// No added latency: a proxy only for what it counts, or for `before`.
    pub fn immediate() -> Self {
        ProxyConfig {
            latency: Duration::ZERO,
            ..ProxyConfig::default()
        }
    }

    /// `latency` added to every request, and AWS's quotas.
    pub fn with_latency(latency: Duration) -> Self {
        ProxyConfig {
            latency,
            ..ProxyConfig::default()
        }
    }

    /// No added latency, and `hook` called before the first request of `operation` (as
    /// counted: `dynamodb:CreateTable`) until it answers that it acted.
    pub fn before(operation: &'static str, hook: Before) -> Self {
        ProxyConfig {
            before: Some((operation, hook)),
            ..ProxyConfig::immediate()
        }
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            latency: Duration::from_millis(30),
            quotas: true,
            faults: Faults::default(),
            seed: 1,
            trace: false,
            lose_first_answer: &[],
            before: None,
        }
    }
}

/// What the proxy saw.
#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<BTreeMap<String, u64>>,
    /// With STACKCTL_PROXY_TRACE set: (operation, start, end) of every request since `reset`.
    trace: Mutex<Vec<(String, Instant, Instant)>>,
    /// Every request's operation and body, in the order they arrived.
    bodies: Mutex<Vec<(String, Vec<u8>)>>,
    pub throttled_by_quota: AtomicU64,
    pub injected: AtomicU64,
}

impl Stats {
    /// The traced requests as lines `start_ms end_ms operation`, from the first request.
    pub fn trace(&self) -> Vec<String> {
        let mut trace = self.trace.lock().unwrap().clone();
        trace.sort_by_key(|(_, start, _)| *start);
        let Some(zero) = trace.first().map(|(_, start, _)| *start) else {
            return Vec::new();
        };
        trace
            .iter()
            .map(|(op, start, end)| {
                format!(
                    "{:6} {:6} {op}",
                    (*start - zero).as_millis(),
                    (*end - zero).as_millis()
                )
            })
            .collect()
    }

    /// Requests per operation (`lambda:GetFunction`), faults included.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap().clone()
    }

    /// The JSON bodies of the requests of operation `op` (`dynamodb:UpdateTable`), in order.
    pub fn bodies(&self, op: &str) -> Vec<serde_json::Value> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|(o, _)| o == op)
            .filter_map(|(_, body)| serde_json::from_slice(body).ok())
            .collect()
    }

    pub fn total(&self) -> u64 {
        self.counts.lock().unwrap().values().sum()
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap().clear();
        self.trace.lock().unwrap().clear();
        self.bodies.lock().unwrap().clear();
        self.throttled_by_quota.store(0, Ordering::Relaxed);
        self.injected.store(0, Ordering::Relaxed);
    }
}

pub struct Proxy {
    pub endpoint: String,
    pub stats: Arc<Stats>,
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, config: ProxyConfig) -> Proxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("an http://host:port upstream");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("proxy port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let stats = Arc::new(Stats::default());
        let shared = Arc::new(Shared {
            config,
            upstream,
            stats: Arc::clone(&stats),
            quotas: Mutex::new(Quotas::default()),
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            lost: Mutex::default(),
            item_writes: tokio::sync::Mutex::new(()),
            import_tokens: Mutex::default(),
            before_done: Mutex::default(),
        });
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let _ = handle(client, &shared).await;
                });
            }
        });
        Proxy {
            endpoint,
            stats,
            _runtime: runtime,
        }
    }
}

struct Shared {
    config: ProxyConfig,
    upstream: SocketAddr,
    stats: Arc<Stats>,
    quotas: Mutex<Quotas>,
    rng: Mutex<fastrand::Rng>,
    /// Operations whose first answer was lost already.
    lost: Mutex<std::collections::BTreeSet<String>>,
    /// Held while moto carries out a DynamoDB item write (see [`relay`]).
    item_writes: tokio::sync::Mutex<()>,
    /// The ClientToken of each import, by import ARN.
    import_tokens: Mutex<BTreeMap<String, String>>,
    /// `before` acted.
    before_done: Mutex<bool>,
}

impl Shared {
    /// Seeded: faults are the same from run to run for a seed.
    fn roll(&self) -> f64 {
        self.rng.lock().unwrap().f64()
    }
}

async fn handle(mut client: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let Some((head, body)) = read_request(&mut client).await? else {
        return Ok(());
    };
    let start = Instant::now();
    let request = Request::parse(&head, &body);
    let op = request.operation();
    let result = relay(client, shared, &request, &op, &head, &body).await;
    if shared.config.trace {
        shared
            .stats
            .trace
            .lock()
            .unwrap()
            .push((op, start, Instant::now()));
    }
    result
}

async fn relay(
    mut client: TcpStream,
    shared: &Shared,
    request: &Request,
    op: &str,
    head: &[u8],
    body: &[u8],
) -> std::io::Result<()> {
    *shared
        .stats
        .counts
        .lock()
        .unwrap()
        .entry(op.to_string())
        .or_default() += 1;
    shared
        .stats
        .bodies
        .lock()
        .unwrap()
        .push((op.to_string(), body.to_vec()));
    tokio::time::sleep(shared.config.latency).await;

    let faults = shared.config.faults;
    let roll = shared.roll();
    if roll < faults.dropped {
        shared.stats.injected.fetch_add(1, Ordering::Relaxed);
        return Ok(()); // closed without an answer
    }
    if roll < faults.dropped + faults.throttle {
        shared.stats.injected.fetch_add(1, Ordering::Relaxed);
        return client.write_all(&throttled(request)).await;
    }
    if roll < faults.dropped + faults.throttle + faults.server_error {
        shared.stats.injected.fetch_add(1, Ordering::Relaxed);
        return client
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
    }
    if shared.config.quotas && !shared.quotas.lock().unwrap().admit(op, &request.service) {
        shared
            .stats
            .throttled_by_quota
            .fetch_add(1, Ordering::Relaxed);
        return client.write_all(&throttled(request)).await;
    }

    // moto checks a write's condition, then writes, while its other request threads run:
    // two conditional writes of one item can both pass (two applies both take the lock).
    // AWS does both at once, so item writes go to moto one at a time.
    let _one_at_a_time = match op {
        "dynamodb:UpdateItem" | "dynamodb:PutItem" | "dynamodb:DeleteItem" => {
            Some(shared.item_writes.lock().await)
        }
        _ => None,
    };
    if let Some((before, act)) = shared.config.before
        && before == op
        && !*shared.before_done.lock().unwrap()
    {
        let endpoint = format!("http://{}", shared.upstream);
        let body = body.to_vec();
        let acted = tokio::task::spawn_blocking(move || act(&endpoint, &body))
            .await
            .expect("`before` runs");
        *shared.before_done.lock().unwrap() |= acted;
    }
    let mut upstream = TcpStream::connect(shared.upstream).await?;
    upstream.write_all(&with_close(head)).await?;
    upstream.write_all(body).await?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).await?;
    let answer = with_client_token(shared, op, body, answer);
    let lost_at = faults.dropped + faults.throttle + faults.server_error;
    let first_of = shared.config.lose_first_answer.contains(&op)
        && shared.lost.lock().unwrap().insert(op.to_string());
    if first_of || (roll >= lost_at && roll < lost_at + faults.lost_answer) {
        shared.stats.injected.fetch_add(1, Ordering::Relaxed);
        return Ok(()); // closed without an answer, the work done
    }
    let split = find(&answer, b"\r\n\r\n").map_or(answer.len(), |i| i + 4);
    client.write_all(&with_close(&answer[..split])).await?;
    client.write_all(&answer[split..]).await?;
    client.shutdown().await
}

/// DynamoDB returns the ClientToken an import was started with in ImportTableDescription;
/// moto does not: the proxy keeps each import's token and adds it to the answers.
fn with_client_token(shared: &Shared, op: &str, body: &[u8], answer: Vec<u8>) -> Vec<u8> {
    if op != "dynamodb:ImportTable" && op != "dynamodb:DescribeImport" {
        return answer;
    }
    let split = find(&answer, b"\r\n\r\n").map_or(answer.len(), |i| i + 4);
    let (Ok(request), Ok(mut json)) = (
        serde_json::from_slice::<serde_json::Value>(body),
        serde_json::from_slice::<serde_json::Value>(&answer[split..]),
    ) else {
        return answer;
    };
    let description = &mut json["ImportTableDescription"];
    let Some(arn) = description["ImportArn"].as_str().map(str::to_string) else {
        return answer;
    };
    let mut tokens = shared.import_tokens.lock().unwrap();
    if let Some(token) = request["ClientToken"].as_str() {
        tokens.insert(arn.clone(), token.to_string());
    }
    let Some(token) = tokens.get(&arn) else {
        return answer;
    };
    description["ClientToken"] = token.clone().into();
    let new_body = json.to_string().into_bytes();
    let head = String::from_utf8_lossy(&answer[..split]);
    let lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
        .collect();
    let mut out = format!(
        "{}\r\ncontent-length: {}\r\n\r\n",
        lines.join("\r\n"),
        new_body.len()
    )
    .into_bytes();
    out.extend(new_body);
    out
}

/// Reads one request: the head, then a Content-Length body. `None` on a closed connection.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = buf[..head_end].to_vec();
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(
        !text.contains("transfer-encoding: chunked"),
        "the test proxy reads Content-Length bodies only"
    );
    let length: usize = header(&text, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some((head, body)))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(lowercase_head: &'a str, name: &str) -> Option<&'a str> {
    lowercase_head
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// The head with `Connection: close` in place of any connection header.
fn with_close(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut lines: Vec<&str> = text
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n")).into_bytes()
}

/// What the proxy needs to know about a request.
struct Request {
    method: String,
    path: String,
    service: String,
    /// `X-Amz-Target` operation (JSON protocols) or `Action=` (query protocols).
    named: Option<String>,
}

impl Request {
    fn parse(head: &[u8], body: &[u8]) -> Request {
        let text = String::from_utf8_lossy(head);
        let lower = text.to_ascii_lowercase();
        let mut first = text.lines().next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_string();
        let path = first
            .next()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        // Credential=KEY/DATE/REGION/SERVICE/aws4_request
        let service = header(&lower, "authorization")
            .and_then(|a| a.split("credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("unknown")
            .to_string();
        let target = header(&lower, "x-amz-target").map(|_| {
            let start = lower.find("x-amz-target:").unwrap() + "x-amz-target:".len();
            let value = text[start..].lines().next().unwrap_or_default().trim();
            value.rsplit('.').next().unwrap_or(value).to_string()
        });
        let action = std::str::from_utf8(body)
            .ok()
            .filter(|b| b.starts_with("Action="))
            .and_then(|b| b["Action=".len()..].split('&').next())
            .map(str::to_string);
        Request {
            method,
            path,
            service,
            named: target.or(action),
        }
    }

    /// `service:Operation`, or `service:METHOD /path/*` for REST calls with IDs starred.
    fn operation(&self) -> String {
        if let Some(name) = &self.named {
            return format!("{}:{name}", self.service);
        }
        const WORDS: &[&str] = &[
            "2015-03-31",
            "2017-10-31",
            "2019-09-30",
            "2016-08-19",
            "functions",
            "policy",
            "configuration",
            "code",
            "tags",
            "concurrency",
            "restapis",
            "resources",
            "methods",
            "integration",
            "integrations",
            "responses",
            "deployments",
            "stages",
            "authorizers",
            "v2",
            "apis",
            "routes",
            "restapis",
            "permissions",
            "invocations",
        ];
        let template: Vec<&str> = self
            .path
            .split('/')
            .map(|s| {
                if s.is_empty() || WORDS.contains(&s) {
                    s
                } else {
                    "*"
                }
            })
            .collect();
        let template = template.join("/");
        let name = match (
            self.service.as_str(),
            self.method.as_str(),
            template.as_str(),
        ) {
            ("lambda", "GET", "/2015-03-31/functions/*") => "GetFunction",
            ("lambda", "GET", "/2015-03-31/functions/*/policy") => "GetPolicy",
            ("lambda", "GET", "/2015-03-31/functions/") => "ListFunctions",
            ("lambda", "POST", "/2015-03-31/functions/*/invocations") => "Invoke",
            ("apigateway", "POST", "/restapis") => "CreateRestApi",
            ("apigateway", "DELETE", "/restapis/*") => "DeleteRestApi",
            ("apigateway", "POST", "/restapis/*/deployments") => "CreateDeployment",
            ("apigateway", "POST", "/restapis/*/resources/*") => "CreateResource",
            ("apigateway", "DELETE", "/restapis/*/resources/*") => "DeleteResource",
            ("apigateway", "GET", "/restapis/*/resources") => "GetResources",
            ("apigateway", "PUT", "/restapis/*") => "PutRestApi",
            ("apigateway", "PUT", "/v2/apis/*") => "ReimportApi",
            _ => return format!("{}:{} {template}", self.service, self.method),
        };
        format!("{}:{name}", self.service)
    }
}

/// The throttling error each protocol's SDK recognizes and retries.
fn throttled(request: &Request) -> Vec<u8> {
    let (status, content_type, extra, body) = match request.service.as_str() {
        // The query protocol's XML error.
        "iam" | "sts" | "sns" => (
            "400 Bad Request",
            "text/xml",
            "",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>".to_string(),
        ),
        "s3" => (
            "503 Slow Down",
            "application/xml",
            "",
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".to_string(),
        ),
        _ if request.named.is_some() => (
            "400 Bad Request",
            "application/x-amz-json-1.0",
            "",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        ),
        _ => (
            "429 Too Many Requests",
            "application/json",
            "x-amzn-errortype: TooManyRequestsException\r\n",
            r#"{"message":"Too Many Requests"}"#.to_string(),
        ),
    };
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// AWS's control-plane quotas as token buckets (AWS-NOTES.md).
#[derive(Default)]
struct Quotas {
    buckets: BTreeMap<&'static str, Bucket>,
}

struct Bucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Quotas {
    /// Takes a token from every bucket the operation counts against, or none if one is empty.
    fn admit(&mut self, op: &str, service: &str) -> bool {
        let limits: Vec<(&'static str, f64, f64)> = match service {
            "apigateway" => {
                let mut l = vec![("apigateway", 10.0, 40.0)];
                l.extend(match op {
                    "apigateway:CreateDeployment" => {
                        Some(("apigateway:CreateDeployment", 0.2, 1.0))
                    }
                    "apigateway:CreateRestApi" => {
                        Some(("apigateway:CreateRestApi", 1.0 / 3.0, 1.0))
                    }
                    "apigateway:DeleteRestApi" => {
                        Some(("apigateway:DeleteRestApi", 1.0 / 30.0, 1.0))
                    }
                    "apigateway:CreateResource" | "apigateway:DeleteResource" => {
                        Some(("apigateway:Resource", 5.0, 5.0))
                    }
                    "apigateway:GetResources" => Some(("apigateway:GetResources", 2.5, 5.0)),
                    "apigateway:PutRestApi" => Some(("apigateway:PutRestApi", 1.0, 1.0)),
                    _ => None,
                });
                l
            }
            "lambda" => vec![match op {
                "lambda:GetFunction" => ("lambda:GetFunction", 100.0, 100.0),
                "lambda:GetPolicy" => ("lambda:GetPolicy", 15.0, 15.0),
                _ => ("lambda", 15.0, 15.0),
            }],
            _ => Vec::new(),
        };
        let now = Instant::now();
        for (name, per_second, burst) in &limits {
            let bucket = self.buckets.entry(name).or_insert(Bucket {
                per_second: *per_second,
                burst: *burst,
                tokens: *burst,
                at: now,
            });
            bucket.tokens = (bucket.tokens
                + now.duration_since(bucket.at).as_secs_f64() * bucket.per_second)
                .min(bucket.burst);
            bucket.at = now;
        }
        if limits
            .iter()
            .any(|(name, _, _)| self.buckets[name].tokens < 1.0)
        {
            return false;
        }
        for (name, _, _) in &limits {
            self.buckets.get_mut(name).unwrap().tokens -= 1.0;
        }
        true
    }
}
