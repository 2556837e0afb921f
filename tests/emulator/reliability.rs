//! Under faults that real AWS produces and the emulator does not: latency, quotas, throttling,
//! 500s and dropped connections. Apply completes, and the next plan shows no changes.

use std::fmt::Write;
use std::time::Duration;

use crate::support::Project;
use crate::support::proxy::{Faults, ProxyConfig};

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

#[test]
fn apply_converges_under_throttling_500s_and_dropped_connections() {
    let project = Project::new(&generated_stack("faulty", 4, 12, 30)).through_proxy(ProxyConfig {
        latency: Duration::from_millis(5),
        quotas: true,
        faults: Faults {
            throttle: 0.10,
            server_error: 0.05,
            dropped: 0.02,
        },
        // FAULT_SEED=N tries other fault sequences by hand.
        seed: std::env::var("FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(7),
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
