//! The benchmark's Markdown tables: each stack size's steps, stackctl's no-op plan beside the
//! Terraform pattern's refresh, and how both grow with the stack.

use std::collections::BTreeMap;
use std::time::Duration;

/// One measured step: wall time and what the proxy saw.
pub struct Row {
    pub step: &'static str,
    pub wall: Duration,
    pub requests: u64,
    pub writes: u64,
    pub lock: u64,
    pub throttled: u64,
}

/// Stack sizes: tables (one index each), functions, routes.
#[derive(Clone, Copy)]
pub struct Size {
    pub name: &'static str,
    pub tables: usize,
    pub functions: usize,
    pub routes: usize,
}

impl Size {
    fn label(&self) -> String {
        format!(
            "{} tables, {} functions, {} routes",
            self.tables, self.functions, self.routes
        )
    }
}

/// Everything measured on one stack size.
pub struct Measured {
    pub size: Size,
    pub rows: Vec<Row>,
    /// The Terraform pattern's refresh of the same stack.
    pub terraform: Row,
    /// Terraform resources by type.
    pub resources: BTreeMap<&'static str, usize>,
}

impl Measured {
    fn row(&self, step: &str) -> &Row {
        self.rows.iter().find(|r| r.step == step).expect("a step")
    }

    /// The median of the no-op plans.
    fn noop_plan(&self) -> &Row {
        let mut plans: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.step.starts_with("plan, no changes"))
            .collect();
        plans.sort_by_key(|r| r.wall);
        plans[plans.len() / 2]
    }
}

pub fn print(all: &[Measured]) {
    println!(
        "\nThrough a proxy adding 30 ms per request and enforcing AWS's control-plane quotas."
    );
    for m in all {
        steps(m);
    }
    println!(
        "\n### No-op plan: stackctl and the Terraform pattern, same proxy, same run\n\n\
         The Terraform pattern replays, per resource of the Terraform configuration this stack \
         needs, the calls of the AWS provider's Read function, {} resources at a time \
         (`benches/scale/terraform.rs`). stackctl: the median of three plans.\n",
        super::terraform::PARALLELISM
    );
    println!(
        "| stack | stackctl | requests | Terraform pattern | requests | resources | throttled | ratio |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for m in all {
        let (plan, tf) = (m.noop_plan(), &m.terraform);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.0}x |",
            m.size.label(),
            secs(plan.wall),
            plan.requests,
            secs(tf.wall),
            tf.requests,
            m.resources.values().sum::<usize>(),
            tf.throttled,
            tf.wall.as_secs_f64() / plan.wall.as_secs_f64()
        );
    }
    growth(all);
    if let Some(m) = all.last() {
        let kinds: Vec<String> = m
            .resources
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        println!(
            "\nTerraform resources of the largest stack: {}",
            kinds.join(", ")
        );
    }
}

fn steps(m: &Measured) {
    println!("\n### stackctl: {}\n", m.size.label());
    println!("| step | wall time | requests | writes | lock requests | throttled by quota |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for r in &m.rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.step,
            secs(r.wall),
            r.requests,
            r.writes,
            r.lock,
            r.throttled
        );
    }
}

/// Wall time and requests of the main steps, size by size.
fn growth(all: &[Measured]) {
    println!("\n### How time and requests grow with the stack\n");
    println!(
        "| stack | apply from empty | requests | no-op plan | requests | one route changed | requests | Terraform pattern | requests |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for m in all {
        let apply = m.row("apply, from empty");
        let plan = m.noop_plan();
        let route = m.row("apply, one route changed");
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.size.name,
            secs(apply.wall),
            apply.requests,
            secs(plan.wall),
            plan.requests,
            secs(route.wall),
            route.requests,
            secs(m.terraform.wall),
            m.terraform.requests
        );
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
