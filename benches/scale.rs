//! The scale benchmark: a large stack (50 tables with an index each, 100 functions, 300
//! routes), and a tenth and a third of it, through a proxy that adds 30 ms to every request
//! and enforces AWS's control-plane quotas. For each size: wall time, requests, writes and
//! throttles per step, and the Terraform pattern's refresh of the same stack in the same run
//! (`scale/terraform.rs`); printed as Markdown tables (`scale/report.rs`).
//!
//! `cargo bench --bench scale` (a release build), or with `STACKCTL_BIN=path/to/stackctl` to
//! measure a build made elsewhere. `SCALE=small` runs only the tenth, `SCALE=whole` only the
//! whole stack.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "scale/report.rs"]
mod report;
#[path = "scale/terraform.rs"]
mod terraform;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use report::{Measured, Row, Size};
use support::proxy::ProxyConfig;
use support::{Project, Run, generated_stack};

const SIZES: [Size; 3] = [
    Size {
        name: "a tenth",
        tables: 5,
        functions: 10,
        routes: 30,
    },
    Size {
        name: "a third",
        tables: 17,
        functions: 33,
        routes: 100,
    },
    Size {
        name: "whole",
        tables: 50,
        functions: 100,
        routes: 300,
    },
];

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let sizes = match std::env::var("SCALE").as_deref() {
        Ok("small") => &SIZES[..1],
        Ok("whole") => &SIZES[2..],
        _ => &SIZES[..],
    };
    let mut all = Vec::new();
    let mut largest = None;
    for (i, size) in sizes.iter().enumerate() {
        let last = i + 1 == sizes.len();
        // One emulator at a time.
        drop(largest.take());
        let (measured, project) = measure(*size, last);
        all.push(measured);
        largest = Some(project);
    }
    report::print(&all);
    let project = largest.expect("a size");
    let (validate, rss) = validate(&project);
    println!(
        "\nvalidate of the largest stack (no AWS): {:.0} ms (median of five)",
        validate.as_secs_f64() * 1000.0
    );
    if let [low, .., high] = rss[..] {
        let mb = |kb: u64| kb as f64 / 1024.0;
        println!(
            "validate: {:.1} MB maximum resident set (median of {} runs; {:.1} to {:.1})",
            mb(rss[rss.len() / 2]),
            rss.len(),
            mb(low),
            mb(high)
        );
    }
}

/// Every step on a stack of `size`, in an emulator of its own; `hold` (the last size) may
/// wait for BENCH_HOLD's no-op plans.
fn measure(size: Size, hold_here: bool) -> (Measured, Project) {
    let stack = generated_stack("scale", size.tables, size.functions, size.routes);
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
        trace(proxy, size, name);
        rows.push(row(name, wall, proxy));
        run
    };

    // The emulator loads each service's code on its first request: warm it up, untimed.
    project.run(&["plan"]);
    step("plan, empty account", &["plan"]);
    step("apply, from empty", &["apply", "--yes"]);
    if hold_here && let Some(dir) = std::env::var_os("BENCH_HOLD") {
        hold(std::path::Path::new(&dir), &mut step);
    }
    // Three times: the emulator's own pace varies from run to run.
    for name in [
        "plan, no changes (1 of 3)",
        "plan, no changes (2 of 3)",
        "plan, no changes (3 of 3)",
    ] {
        let run = step(name, &["plan", "--detailed-exitcode"]);
        assert_eq!(
            run.code, 0,
            "{name}: the plan is not empty:\n{}",
            run.stdout
        );
    }
    // Terraform's refresh of the same stack, in the same state, through the same proxy.
    let (terraform, by_type) = terraform_refresh(&project, size);

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
    let measured = Measured {
        size,
        rows,
        terraform,
        resources: by_type,
    };
    (measured, project)
}

/// The Terraform pattern's refresh of the project's stack through its proxy: what the proxy
/// saw, and the Terraform resources by type.
fn terraform_refresh(project: &Project, size: Size) -> (Row, BTreeMap<&'static str, usize>) {
    let proxy = project.proxy.as_ref().expect("a proxy");
    let resources = project.block_on(terraform::inventory(&project.moto.endpoint, "scale"));
    proxy.stats.reset();
    let wall = project.block_on(terraform::refresh(&proxy.endpoint, &resources));
    trace(proxy, size, "terraform pattern");
    let mut by_type = BTreeMap::new();
    for resource in &resources {
        *by_type.entry(resource.kind()).or_default() += 1;
    }
    (row("Terraform pattern, refresh", wall, proxy), by_type)
}

/// What the proxy counted since its last reset, as a row.
fn row(step: &'static str, wall: Duration, proxy: &support::proxy::Proxy) -> Row {
    let counts = proxy.stats.counts();
    let sum = |keep: fn(&str) -> bool| -> u64 {
        counts
            .iter()
            .filter(|(op, _)| keep(op))
            .map(|(_, n)| n)
            .sum()
    };
    Row {
        step,
        wall,
        requests: counts.values().sum(),
        writes: sum(write),
        lock: sum(lock),
        throttled: proxy.stats.throttled_by_quota.load(Ordering::Relaxed),
    }
}

/// With BENCH_TRACE=DIR, the step's requests (start, end, operation) go to a file in DIR.
fn trace(proxy: &support::proxy::Proxy, size: Size, step: &str) {
    if let Some(dir) = std::env::var_os("BENCH_TRACE") {
        let name = format!("{}-{}.txt", size.tables, step.replace([' ', ','], "_"));
        let file = std::path::Path::new(&dir).join(name);
        std::fs::write(file, proxy.stats.trace().join("\n") + "\n").expect("trace file");
    }
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
