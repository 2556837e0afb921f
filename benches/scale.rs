//! The scale benchmark: a large stack (50 tables with an index each, 100 functions, 300
//! routes) through a proxy that adds 30 ms to every request and enforces AWS's control-plane
//! quotas. Prints a Markdown table: wall time, requests, writes and throttles per step.
//!
//! `cargo bench --bench scale` (a release build), or with `STACKCTL_BIN=path/to/stackctl` to
//! measure a build made elsewhere. `SCALE=small` runs a tenth of the stack.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::proxy::ProxyConfig;
use support::{Project, Run, generated_stack};

struct Row {
    step: &'static str,
    wall: Duration,
    requests: u64,
    writes: u64,
    lock: u64,
    throttled: u64,
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let small = std::env::var("SCALE").as_deref() == Ok("small");
    let (tables, functions, routes) = if small { (5, 10, 30) } else { (50, 100, 300) };
    let stack = generated_stack("scale", tables, functions, routes);
    let project = Project::new(&stack).through_proxy(ProxyConfig {
        latency: Duration::from_millis(30),
        quotas: true,
        trace: std::env::var_os("BENCH_TRACE").is_some(),
        ..ProxyConfig::default()
    });
    let proxy = project.proxy.as_ref().expect("a proxy");
    let mut rows = Vec::new();
    let mut step = |name: &'static str, args: &[&str]| -> Run {
        proxy.stats.reset();
        let start = Instant::now();
        let run = project.run(args);
        let wall = start.elapsed();
        assert!(
            run.code == 0 || (run.code == 2 && args.contains(&"--detailed-exitcode")),
            "{name} failed:\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert!(
            !run.stderr.to_lowercase().contains("throttl"),
            "{name}: a throttling error reached the user:\n{}",
            run.stderr
        );
        if let Some(dir) = std::env::var_os("BENCH_TRACE") {
            let file = std::path::Path::new(&dir).join(format!("{}.txt", name.replace(' ', "_")));
            std::fs::write(file, proxy.stats.trace().join("\n") + "\n").expect("trace file");
        }
        let counts = proxy.stats.counts();
        rows.push(Row {
            step: name,
            wall,
            requests: counts.values().sum(),
            writes: counts
                .iter()
                .filter(|(op, _)| write(op))
                .map(|(_, n)| n)
                .sum(),
            lock: counts
                .iter()
                .filter(|(op, _)| lock(op))
                .map(|(_, n)| n)
                .sum(),
            throttled: proxy.stats.throttled_by_quota.load(Ordering::Relaxed),
        });
        run
    };

    // The emulator loads each service's code on its first request: warm it up, untimed.
    project.run(&["plan"]);
    step("plan, empty account", &["plan"]);
    step("apply, from empty", &["apply", "--yes"]);
    if let Some(dir) = std::env::var_os("BENCH_HOLD") {
        hold(std::path::Path::new(&dir), &mut step);
    }
    // Three times: the emulator's own pace varies from run to run.
    for name in [
        "plan, no changes (1 of 3)",
        "plan, no changes (2 of 3)",
        "plan, no changes (3 of 3)",
    ] {
        step(name, &["plan", "--detailed-exitcode"]);
    }
    step("apply, no changes", &["apply", "--yes"]);
    project.set_stack(&stack.replacen(
        "\"GET /items/r7\" = \"f7\"",
        "\"GET /items/r7\" = \"f8\"",
        1,
    ));
    step("apply, one route changed", &["apply", "--yes"]);
    // The CI way: the plan made on the pull request, then exactly that plan applied, which
    // reads again only what it changes.
    project.set_stack(&stack);
    step(
        "plan --out, one route changed",
        &["plan", "--out", "plan.json", "--detailed-exitcode"],
    );
    step("apply plan.json (that route)", &["apply", "plan.json"]);

    let (validate, rss) = validate(&project);
    println!(
        "\nstackctl at scale: {tables} tables (one index each), {functions} functions, {routes} routes"
    );
    println!("through a proxy adding 30 ms per request and enforcing AWS's control-plane quotas\n");
    println!("| step | wall time | requests | writes | lock requests | throttled by quota |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| validate (no AWS) | {:.0} ms | 0 | 0 | 0 | 0 |",
        validate.as_secs_f64() * 1000.0
    );
    for r in &rows {
        println!(
            "| {} | {:.2} s | {} | {} | {} | {} |",
            r.step,
            r.wall.as_secs_f64(),
            r.requests,
            r.writes,
            r.lock,
            r.throttled
        );
    }
    if let [low, .., high] = rss[..] {
        let mb = |kb: u64| kb as f64 / 1024.0;
        println!(
            "\nvalidate: {:.1} MB maximum resident set (median of {} runs; {:.1} to {:.1})",
            mb(rss[rss.len() / 2]),
            rss.len(),
            mb(low),
            mb(high)
        );
    }
    let by_op = proxy.stats.counts();
    let top: BTreeMap<&String, &u64> = by_op.iter().collect();
    println!("\nrequests of the last step by operation: {top:?}");
}

/// For working on the no-op plan: runs it each time DIR/go appears (with the STACKCTL_BIN
/// written in it, if any), until DIR/stop appears.
fn hold(dir: &std::path::Path, step: &mut impl FnMut(&'static str, &[&str]) -> Run) {
    std::fs::create_dir_all(dir).expect("hold directory");
    eprintln!(
        "holding: write {0}/go to run a no-op plan, {0}/stop to end",
        dir.display()
    );
    while !dir.join("stop").exists() {
        if let Ok(bin) = std::fs::read_to_string(dir.join("go")) {
            let _ = std::fs::remove_file(dir.join("go"));
            if !bin.trim().is_empty() {
                // SAFETY: nothing else reads or writes the environment meanwhile: the only
                // other threads are the proxy's, which never touch it.
                unsafe { std::env::set_var("STACKCTL_BIN", bin.trim()) };
            }
            let start = Instant::now();
            let run = step("hold", &["plan", "--detailed-exitcode"]);
            eprintln!(
                "no-op plan: {:.2} s, exit {}",
                start.elapsed().as_secs_f64(),
                run.code
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Median wall time of five `validate` runs, and the maximum RSS (KB, sorted) of five more
/// (GNU time, if there).
fn validate(project: &Project) -> (Duration, Vec<u64>) {
    let bin =
        std::env::var_os("STACKCTL_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_stackctl").into());
    let run = || {
        Command::new(&bin)
            .arg("validate")
            .current_dir(project.dir.path())
            .output()
            .expect("validate runs")
    };
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            assert!(run().status.success());
            start.elapsed()
        })
        .collect();
    times.sort();
    // Five runs under GNU time: the median, and the spread.
    let mut rss: Vec<u64> = (0..5)
        .filter_map(|_| {
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%M"])
                .arg(&bin)
                .arg("validate")
                .current_dir(project.dir.path())
                .output()
                .ok()?;
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()?
                .trim()
                .parse()
                .ok()
        })
        .collect();
    rss.sort_unstable();
    (times[2], rss)
}

/// A request that changes something (the apply lock's item writes aside).
fn write(op: &str) -> bool {
    if lock(op) {
        return false;
    }
    let name = op.split(':').nth(1).unwrap_or_default();
    [
        "Create", "Update", "Put", "Delete", "Add", "Remove", "Tag", "Untag", "POST", "PUT",
        "PATCH", "DELETE",
    ]
    .iter()
    .any(|w| name.starts_with(w))
}

fn lock(op: &str) -> bool {
    matches!(
        op,
        "dynamodb:UpdateItem" | "dynamodb:PutItem" | "dynamodb:DeleteItem" | "dynamodb:GetItem"
    )
}
