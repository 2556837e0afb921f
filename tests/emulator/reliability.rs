//! Under faults that real AWS produces and the emulator does not: latency, quotas, throttling,
//! 500s and dropped connections. Apply completes, and the next plan shows no changes.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::support::proxy::{Faults, ProxyConfig};
use crate::support::{Project, assert_has, generated_stack, interrupt};

#[test]
fn apply_converges_under_throttling_500s_and_dropped_connections() {
    let project = Project::new(&generated_stack("faulty", 4, 12, 30)).through_proxy(ProxyConfig {
        latency: Duration::from_millis(5),
        quotas: true,
        faults: Faults {
            throttle: 0.10,
            server_error: 0.05,
            dropped: 0.02,
            lost_answer: std::env::var("LOST_ANSWER")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0.0),
        },
        // FAULT_SEED=N tries other fault sequences by hand.
        seed: std::env::var("FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(7),
        ..ProxyConfig::default()
    });
    let run = project.run(&["apply", "--yes"]);
    run.success();
    let proxy = project.proxy.as_ref().unwrap();
    let injected = proxy
        .stats
        .injected
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(injected > 20, "faults were injected: {injected}");
    assert!(
        !run.stderr.to_lowercase().contains("throttl")
            && !run.stdout.to_lowercase().contains("throttl"),
        "no throttling error reaches the user:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

/// Answers lost after AWS carried out the request: the SDK sends it again. Creates that AWS
/// cannot make idempotent must not leave a second resource, and the others must take up what
/// the first request made.
#[test]
fn lost_answers_leave_no_second_resource() {
    let project = Project::new(&generated_stack("lost", 1, 2, 2)).through_proxy(ProxyConfig {
        latency: Duration::from_millis(5),
        lose_first_answer: &[
            "apigateway:POST /v2/apis",
            "lambda:POST /2015-03-31/functions",
            "dynamodb:CreateTable",
            "iam:CreateRole",
            "dynamodb:UpdateItem",
            "apigateway:POST /v2/apis/*/routes",
        ],
        ..ProxyConfig::default()
    });
    let run = project.run(&["apply", "--yes"]);
    run.success();
    let stats = &project.proxy.as_ref().unwrap().stats;
    let counts = stats.counts();
    assert_eq!(
        stats.injected.load(std::sync::atomic::Ordering::Relaxed),
        6,
        "every listed operation lost its first answer: {counts:?}"
    );
    assert_eq!(
        counts.get("apigateway:POST /v2/apis"),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(project.http_apis().len(), 1);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

/// Kills an apply (SIGKILL) once the proxy has seen `after` of its requests, then applies
/// again: it converges, with one API, every declared resource, and the table's items.
fn killed_then_converges(after: u64) {
    let project = Project::new(&generated_stack("crash", 2, 6, 12))
        .through_proxy(ProxyConfig::with_latency(Duration::from_millis(25)));
    let proxy = project.proxy.as_ref().unwrap();
    // The tables first, with an item to keep.
    let tables_only = generated_stack("crash", 2, 0, 0).replace("[api]\n", "");
    project.set_stack(&tables_only);
    project.apply_converges();
    project.put_item(
        "crash-t0",
        [
            ("pk", AttributeValue::S("keep".into())),
            ("sk", AttributeValue::N("1".into())),
        ],
    );

    project.set_stack(&generated_stack("crash", 2, 6, 12));
    let start = proxy.stats.total();
    let mut child = project.spawn(&["apply", "--yes"], &[("STACKCTL_LOCK_LEASE_SECONDS", "1")]);
    wait_until(|| proxy.stats.total() >= start + after || child.try_wait().unwrap().is_some());
    let killed = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        killed,
        "the apply finished after {} requests, before request {after}: kill earlier",
        proxy.stats.total() - start
    );

    // Its lock outlives it by its lease, then the next apply takes it over.
    std::thread::sleep(Duration::from_millis(2100));
    project.apply_converges();
    assert_eq!(
        project.http_apis().len(),
        1,
        "killed after {after} requests"
    );
    assert_eq!(project.functions().len(), 6);
    let item = project
        .block_on(
            project
                .dynamodb()
                .get_item()
                .table_name("crash-t0")
                .key("pk", AttributeValue::S("keep".into()))
                .key("sk", AttributeValue::N("1".into()))
                .send(),
        )
        .unwrap();
    assert!(item.item().is_some(), "the table's data survived");
}

#[test]
fn an_apply_killed_while_creating_roles_and_functions_converges() {
    killed_then_converges(12);
}

#[test]
fn an_apply_killed_around_the_api_converges_without_a_second_api() {
    killed_then_converges(30);
}

#[test]
fn an_apply_killed_among_the_routes_converges() {
    // Among the routes' invoke permissions, before the whole-API write's import (about 40).
    killed_then_converges(38);
}

#[test]
#[ignore = "prints how many requests a whole apply makes, to pick kill points"]
fn count_requests_of_the_crash_apply() {
    killed_then_converges(100_000);
}

#[test]
fn an_apply_killed_near_its_end_converges() {
    // In the whole-API write's repairs (the apply makes about 55 requests: 65 before the
    // tables recorded their settings and roles' names came from the account's role list).
    killed_then_converges(48);
}

/// Kills an apply (SIGKILL) as its whole-API write sends the import, on an API with an
/// authorizer, scopes, CORS and an ANY route (what the emulator's import drops or mangles is
/// then half repaired), then applies again: it converges, with one API.
#[test]
fn an_apply_killed_in_a_whole_api_write_converges() {
    for api_type in ["http", "rest"] {
        let stack = crate::whole_api::stack(api_type, 30);
        let project = Project::new(&stack)
            .through_proxy(ProxyConfig::with_latency(Duration::from_millis(25)));
        let proxy = project.proxy.as_ref().unwrap();
        let import = match api_type {
            "http" => "apigateway:ReimportApi",
            _ => "apigateway:PutRestApi",
        };
        let imported = || proxy.stats.counts().get(import).copied().unwrap_or(0);
        let mut child = project.spawn(&["apply", "--yes"], &[("STACKCTL_LOCK_LEASE_SECONDS", "1")]);
        wait_until(|| imported() >= 1 || child.try_wait().unwrap().is_some());
        // Past the import, into the read-back and its repairs.
        std::thread::sleep(Duration::from_millis(60));
        let killed = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            killed,
            "{api_type}: the apply finished before it was killed"
        );

        std::thread::sleep(Duration::from_millis(2100));
        project.apply_converges();
        let apis = match api_type {
            "http" => project.http_apis().len(),
            _ => project.rest_apis().len(),
        };
        assert_eq!(apis, 1, "{api_type}: one API");
    }
}

#[test]
fn client_side_limits_keep_apply_within_the_quotas() {
    // A REST API with CORS: its 40 routes are written in one PutRestApi, and the deployment
    // writes 40 preflight answers (four requests each) at API Gateway's 10 a second.
    let stack = generated_stack("paced", 2, 20, 40).replace(
        "[api]\n",
        "[api]\ntype = \"rest\"\nstage = \"prod\"\ncors = { allow_origins = [\"https://shop.example\"] }\n",
    );
    let project =
        Project::new(&stack).through_proxy(ProxyConfig::with_latency(Duration::from_millis(5)));
    project.apply_converges();
    let proxy = project.proxy.as_ref().unwrap();
    let counts = proxy.stats.counts();
    let apigateway: u64 = counts
        .iter()
        .filter(|(op, _)| op.starts_with("apigateway:"))
        .map(|(_, n)| n)
        .sum();
    assert!(apigateway > 80, "{counts:?}");
    assert_eq!(
        proxy
            .stats
            .throttled_by_quota
            .load(std::sync::atomic::Ordering::Relaxed),
        0,
        "stackctl paced itself: {counts:?}"
    );
}

#[test]
fn ctrl_c_stops_new_changes_and_says_what_was_done() {
    let project = Project::new(&generated_stack("stop", 1, 8, 16))
        .through_proxy(ProxyConfig::with_latency(Duration::from_millis(25)));
    let proxy = project.proxy.as_ref().unwrap();
    // The lock table exists already; the interrupt comes once changes are being made.
    project.set_stack(&generated_stack("stop", 1, 0, 0).replace("[api]\n", ""));
    project.apply_converges();
    project.set_stack(&generated_stack("stop", 1, 8, 16));
    let child = project.spawn(&["apply", "--yes"], &[]);
    wait_until(|| {
        proxy
            .stats
            .counts()
            .get("iam:CreateRole")
            .copied()
            .unwrap_or(0)
            >= 2
    });
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_has(
        &stderr,
        &[
            "apply did not finish: ",
            "not started (interrupted)",
            "run stackctl apply again to finish",
        ],
    );
    assert!(
        stdout.contains(": created ("),
        "in-flight changes finished: {stdout}"
    );

    // The lock was released on the way out: the next apply needs no wait, and converges.
    project.apply_converges();
}

#[test]
fn ctrl_c_before_any_change_stops_at_once() {
    let project = Project::new(&generated_stack("early", 1, 4, 4))
        .through_proxy(ProxyConfig::with_latency(Duration::from_millis(100)));
    let proxy = project.proxy.as_ref().unwrap();
    let child = project.spawn(&["apply", "--yes"], &[]);
    wait_until(|| proxy.stats.total() >= 2);
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_has(&stderr, &["nothing was changed"]);
    assert!(project.functions().is_empty());
}

/// Polls `done` until it holds; a minute at most.
fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "the apply stalled");
        std::thread::sleep(Duration::from_millis(5));
    }
}
