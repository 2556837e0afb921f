//! Test support: a moto server of the test's own on a free loopback port, a project folder
//! with a stack file, and the real `stackctl` binary run against them.

#![allow(dead_code)]

pub mod output;
pub mod proxy;
mod resources;
pub mod stub;

// Each test binary uses its own share of these.
#[allow(unused_imports)]
pub use output::{assert_has, assert_lacks};
#[allow(unused_imports)]
pub use resources::{change, create_table, strings};

use std::fmt::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const REGION: &str = "us-east-1";

/// The SDK configuration of a test's own AWS calls to `endpoint` (the emulator or the proxy).
pub async fn sdk_config_at(endpoint: &str) -> aws_config::SdkConfig {
    let creds = aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .load()
        .await
}

/// Runs `future` to its end on a runtime of its own: for a proxy hook, which has none.
pub fn run_alone<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `stackctl` with a clean environment: no user AWS configuration, no colour.
pub fn stackctl(dir: &Path, endpoint: Option<&str>, args: &[&str]) -> Run {
    stackctl_with(dir, endpoint, args, &[])
}

/// Like [`stackctl`], with extra environment variables.
pub fn stackctl_with(
    dir: &Path,
    endpoint: Option<&str>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let out = command(dir, endpoint, args, env)
        .output()
        .expect("stackctl runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The binary with a clean environment: no user AWS configuration, no colour, no terminal.
pub fn command(dir: &Path, endpoint: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> Command {
    // STACKCTL_BIN: another build (the benchmark runs a release build).
    let bin =
        std::env::var_os("STACKCTL_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_stackctl").into());
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", REGION)
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .envs(env.iter().copied());
    if let Some(endpoint) = endpoint {
        cmd.env("AWS_ENDPOINT_URL", endpoint);
    }
    cmd
}

/// Sends SIGINT (Ctrl-C) to process `pid`.
pub fn interrupt(pid: u32) {
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// The moto_server of the pinned version, installed by the project's script when missing.
fn moto_server() -> &'static Path {
    static SERVER: OnceLock<PathBuf> = OnceLock::new();
    SERVER.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/moto-env");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .expect("scripts/moto-env runs");
        assert!(out.status.success(), "scripts/moto-env failed");
        PathBuf::from(String::from_utf8(out.stdout).expect("a path").trim())
    })
}

/// A moto server that lives as long as the value.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    log: PathBuf,
}

impl Moto {
    pub fn start() -> Moto {
        let server = moto_server();
        for _ in 0..5 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("stackctl-moto-{port}.log"));
            let child = Command::new(server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("moto_server starts");
            let mut moto = Moto {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
                log,
            };
            if moto.wait_ready(port) {
                return moto;
            }
        }
        panic!("moto_server did not start");
    }

    /// Waits until the server accepts connections; false if it exited (port taken).
    fn wait_ready(&mut self, port: u16) -> bool {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        panic!("moto_server did not listen on {port} within 60s:\n{log}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

const WRITES: &[&str] = &[
    "Create", "Update", "Put", "Delete", "Add", "Remove", "Tag", "Untag", "Attach", "Detach",
];

/// The requests among `requests` (from [`Project::requests`]) that change the stack's
/// resources. DynamoDB item writes are the apply lock's (stackctl writes no other items).
pub fn writes(requests: &[String]) -> Vec<&String> {
    requests
        .iter()
        .filter(|r| !lock_request(r))
        .filter(|r| {
            let op = r.split(':').nth(1).unwrap_or_default();
            WRITES.iter().any(|w| op.starts_with(w))
        })
        .collect()
}

/// A request on the apply lock's item.
pub fn lock_request(request: &str) -> bool {
    [
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
    ]
    .contains(&request)
}

/// Stack "shop": a table, a function that names it, and a route to the function on an HTTP API.
pub const SHOP: &str = r#"
[stack]
name = "shop"

[tables.orders]
partition_key = { name = "pk", type = "string" }
deletion_protection = false

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"
memory = 256
environment = { TABLE = "${tables.orders.name}" }

[api]

[routes]
"GET /orders/{id}" = "get-order"
"#;

/// A stack with `tables` tables (each with an index), `functions` functions and `routes`
/// routes spread over them.
pub fn generated_stack(name: &str, tables: usize, functions: usize, routes: usize) -> String {
    let mut s = format!("[stack]\nname = \"{name}\"\n\n[api]\n\n");
    for t in 0..tables {
        let _ = write!(
            s,
            "[tables.t{t}]\npartition_key = {{ name = \"pk\", type = \"string\" }}\nsort_key = {{ name = \"sk\", type = \"number\" }}\ndeletion_protection = false\n\n[[tables.t{t}.global_indexes]]\nname = \"by-owner\"\npartition_key = {{ name = \"owner\", type = \"string\" }}\n\n"
        );
    }
    for f in 0..functions {
        let table = f % tables.max(1);
        let _ = write!(
            s,
            "[functions.f{f}]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/shared\"\nmemory = 256\nenvironment = {{ TABLE = \"${{tables.t{table}.name}}\" }}\n\n"
        );
    }
    s.push_str("[routes]\n");
    for r in 0..routes {
        let _ = writeln!(s, "\"GET /items/r{r}\" = \"f{}\"", r % functions.max(1));
    }
    s
}

/// A folder with a stack file and function code, and an emulator of its own.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub moto: Moto,
    /// When set, stackctl talks to AWS through it (the SDK helpers below never do).
    pub proxy: Option<proxy::Proxy>,
    runtime: tokio::runtime::Runtime,
}

impl Project {
    pub fn new(stack: &str) -> Project {
        let project = Project {
            dir: tempfile::tempdir().expect("temp dir"),
            moto: Moto::start(),
            proxy: None,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        };
        project.set_stack(stack);
        project
    }

    /// Writes the stack file, and a small handler for every `code = "..."` folder it names.
    pub fn set_stack(&self, stack: &str) {
        for line in stack.lines() {
            if let Some(rest) = line.trim().strip_prefix("code = \"") {
                let folder = rest.trim_end_matches('"');
                if folder.ends_with(".zip") || folder.ends_with(".jar") {
                    continue;
                }
                let index = self.path(folder).join("index.mjs");
                if !index.exists() {
                    self.write(
                        &format!("{folder}/index.mjs"),
                        &format!("export const handler = async () => ({{ statusCode: 200, body: {folder:?} }});\n"),
                    );
                }
            }
        }
        self.write("stack.toml", stack);
    }

    /// Sends stackctl's requests through a proxy that behaves like AWS.
    pub fn through_proxy(mut self, config: proxy::ProxyConfig) -> Project {
        self.proxy = Some(proxy::Proxy::start(&self.moto.endpoint, config));
        self
    }

    /// Where stackctl sends its requests.
    pub fn endpoint(&self) -> &str {
        self.proxy
            .as_ref()
            .map_or(&self.moto.endpoint, |p| &p.endpoint)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }

    pub fn run(&self, args: &[&str]) -> Run {
        stackctl(self.dir.path(), Some(self.endpoint()), args)
    }

    /// Starts the binary without waiting for it (to kill or interrupt it midway); its output
    /// is piped.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        command(self.dir.path(), Some(self.endpoint()), args, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("stackctl starts")
    }

    /// Runs with the request log on: the AWS operations the run sent, in order.
    pub fn requests(&self, args: &[&str]) -> (Run, Vec<String>) {
        let run = stackctl_with(
            self.dir.path(),
            Some(self.endpoint()),
            args,
            &[("STACKCTL_LOG", "requests")],
        );
        let requests = run
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("aws request: "))
            .map(str::to_string)
            .collect();
        (run, requests)
    }

    /// Applies (which must succeed) with the request log on: the writes it sent, in order
    /// (see [`writes`]).
    pub fn apply_writes(&self) -> Vec<String> {
        let (run, requests) = self.requests(&["apply", "--yes"]);
        run.success();
        writes(&requests).into_iter().cloned().collect()
    }

    /// Applies and checks that the following plan shows no changes.
    pub fn apply_converges(&self) -> Run {
        let run = self.run(&["apply", "--yes"]);
        run.success();
        self.run(&["plan", "--detailed-exitcode"]).code(0);
        run
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        self.block_on(sdk_config_at(&self.moto.endpoint))
    }

    /// Who holds stack `stack`'s apply lock, if anyone.
    pub fn lock_holder(&self, stack: &str) -> Option<String> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let out = self
            .block_on(
                self.dynamodb()
                    .get_item()
                    .table_name("stackctl-locks")
                    .key("stack", AttributeValue::S(stack.into()))
                    .send(),
            )
            .unwrap();
        out.item()
            .and_then(|i| i.get("holder"))
            .map(|h| h.as_s().unwrap().clone())
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config())
    }

    pub fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.sdk_config())
    }

    pub fn apigateway(&self) -> aws_sdk_apigatewayv2::Client {
        aws_sdk_apigatewayv2::Client::new(&self.sdk_config())
    }

    /// API Gateway v1: REST APIs.
    pub fn rest_apigateway(&self) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.sdk_config())
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config())
    }

    /// The point-in-time recovery status of a table, as DynamoDB reports it.
    /// Turns point-in-time recovery of a table on or off behind stackctl's back (as in the
    /// console).
    pub fn set_pitr(&self, table: &str, enabled: bool) {
        let pitr = aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(enabled)
            .build()
            .unwrap();
        let request = self
            .dynamodb()
            .update_continuous_backups()
            .table_name(table);
        let request = request.point_in_time_recovery_specification(pitr);
        self.block_on(request.send()).unwrap();
    }

    pub fn pitr_status(&self, table: &str) -> String {
        let backups = self
            .block_on(
                self.dynamodb()
                    .describe_continuous_backups()
                    .table_name(table)
                    .send(),
            )
            .unwrap();
        backups
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|d| d.point_in_time_recovery_status())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    }

    /// The action the JSON plan gives `address`, and the names of the attributes it changes.
    pub fn planned(&self, address: &str) -> (String, Vec<String>) {
        let plan = self.plan_json(&[]);
        let change = change(&plan, address);
        let names = change["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        (change["action"].as_str().unwrap().to_string(), names)
    }

    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.sdk_config())
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

/// A pseudo-terminal: its controller side, and the side a child takes as its terminal.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn pseudo_terminal() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let (mut controller, mut child) = (0, 0);
    // SAFETY: openpty writes two descriptors, which are ours from here.
    let made = unsafe {
        libc::openpty(
            &mut controller,
            &mut child,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(made, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both were just opened and belong to nothing else.
    unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(controller),
            std::os::fd::OwnedFd::from_raw_fd(child),
        )
    }
}

/// Runs stackctl with its standard output on a pseudo-terminal (colour allowed, as a user's
/// terminal), and returns what it wrote there once it exits.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn on_a_terminal(project: &Project, args: &[&str]) -> String {
    use std::io::Read;
    let (controller, terminal) = pseudo_terminal();
    let mut child = command(project.dir.path(), Some(project.endpoint()), args, &[])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .stdout(Stdio::from(terminal))
        .stderr(Stdio::piped())
        .spawn()
        .expect("stackctl starts");
    let mut reader = std::fs::File::from(controller);
    let mut screen = Vec::new();
    // Linux answers EIO on the controller once the last writer has closed the terminal.
    let _ = reader.read_to_end(&mut screen);
    let status = child.wait().expect("stackctl exits");
    assert!(status.success(), "{}", String::from_utf8_lossy(&screen));
    String::from_utf8_lossy(&screen).into_owned()
}
