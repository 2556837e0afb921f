//! Carries out a plan: changes in dependency order, independent ones concurrently, each
//! waiting on the real status fields AWS reports. A failure skips what depends on it and lets
//! the rest finish, so that a re-run has less to do and converges.

mod api;
mod autoscaling;
pub(crate) mod dynamodb;
mod event_source;
mod iam;
mod lambda;
mod once;
mod queue;
mod schedule;
mod table_steps;
mod topic;
mod usage_plan;
mod user_pool;
mod versions;
mod wait;
mod websocket;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::aws::{AwsError, Clients};
use crate::package::Package;
use crate::plan::{Action, Change, Plan};
use crate::stack::{Address, Reference};

/// Changes running at once. Most of a change's time is waiting (a table becoming ACTIVE, a
/// function's update settling), not sending: AWS's request quotas are kept by the clients'
/// rate limits (`aws::limits`), so this only bounds what is in flight. Eight made a large
/// apply wait for slots: 50 tables and 100 roles queued ahead of the functions, and Lambda's
/// 15 requests a second (the longest chain) started only once they were all done. DynamoDB
/// allows 250 table operations with indexes in flight (AWS-NOTES).
const CONCURRENCY: usize = 64;

/// Receives apply's progress; the command layer decides how to show it.
/// Every method does nothing by default, so that a reporter (or a test's) implements only
/// what it shows.
pub trait Reporter: Send + Sync {
    fn started(&self, _change: &Change) {}
    /// A status while waiting (`table status CREATING`).
    fn progress(&self, _address: &Address, _message: &str) {}
    fn finished(&self, _change: &Change, _elapsed: Duration) {}
    fn failed(&self, _change: &Change, _error: &AwsError) {}
    fn skipped(&self, _change: &Change, _because: &Address) {}
}

/// What happened to each change.
#[derive(Debug, Default)]
pub struct Outcome {
    pub done: Vec<Address>,
    pub failed: Vec<(Address, String)>,
    pub skipped: Vec<Address>,
    /// Not started because the user interrupted.
    pub not_started: Vec<Address>,
    pub interrupted: bool,
    /// A failure was a name taken by a resource the stack does not own: running again alone
    /// cannot finish.
    pub name_taken: bool,
    /// Reference values after apply (`api.url`, `functions.X.arn`, ...).
    pub outputs: BTreeMap<String, String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

/// Shared by all running changes: clients, packages, and values learned as changes finish.
pub(crate) struct Context<'a> {
    pub clients: &'a Clients,
    pub packages: &'a BTreeMap<String, Package>,
    pub reporter: &'a dyn Reporter,
    outputs: Mutex<BTreeMap<String, String>>,
    /// Set when the user interrupts: waits stop, and the change is reported as interrupted.
    interrupted: AtomicBool,
    /// The resource trees of REST APIs, seeded from the plan's live state.
    pub rest_resources: api::ResourceTrees,
    /// The functions granted the API's invoke permission during this apply.
    pub invoke_grants: api::Grants,
    /// What the WebSocket API's changes of this apply share.
    pub websocket: websocket::Shared,
    /// The API's whole-route-set write, when many of its routes change.
    pub whole_api: api::WholeApi,
}

impl<'a> Context<'a> {
    #[cfg(test)]
    pub fn for_tests(
        clients: &'a Clients,
        packages: &'a BTreeMap<String, Package>,
        reporter: &'a dyn Reporter,
    ) -> Self {
        Context {
            clients,
            packages,
            reporter,
            outputs: Mutex::new(BTreeMap::new()),
            interrupted: AtomicBool::new(false),
            rest_resources: api::ResourceTrees::default(),
            invoke_grants: api::Grants::default(),
            websocket: websocket::Shared::default(),
            whole_api: api::WholeApi::default(),
        }
    }

    pub fn output(&self, key: &str) -> Option<String> {
        self.outputs.lock().expect("outputs lock").get(key).cloned()
    }

    pub fn set_output(&self, key: impl Into<String>, value: impl Into<String>) {
        self.outputs
            .lock()
            .expect("outputs lock")
            .insert(key.into(), value.into());
    }

    pub fn resolve(&self, reference: &Reference) -> Option<String> {
        self.output(&reference.to_string())
    }

    pub fn region(&self) -> &str {
        &self.clients.region
    }

    /// The account an ARN among the learned values names (a function's or a role's), if any.
    pub fn known_account(&self) -> Option<String> {
        let outputs = self.outputs.lock().expect("outputs lock");
        outputs
            .iter()
            .filter(|(key, _)| key.ends_with(".arn") && !key.starts_with("websocket."))
            .find_map(|(_, arn)| crate::arn::account_of(arn).filter(|a| !a.is_empty()))
            .map(str::to_string)
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

/// Applies every change of `plan` that is not a no-op. `interrupt` resolves when the user asks
/// to stop: running changes finish, no new ones start.
pub async fn apply(
    clients: &Clients,
    plan: &Plan,
    packages: &BTreeMap<String, Package>,
    reporter: &dyn Reporter,
    interrupt: impl std::future::Future<Output = ()>,
) -> Outcome {
    let ctx = Context {
        clients,
        packages,
        reporter,
        outputs: Mutex::new(
            plan.known
                .iter()
                .chain(&plan.secrets)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        interrupted: AtomicBool::new(false),
        rest_resources: api::ResourceTrees::seeded(plan),
        invoke_grants: api::Grants::default(),
        websocket: websocket::Shared::default(),
        whole_api: api::WholeApi::of(plan),
    };
    let nodes: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let graph = Graph::of(&nodes, &ctx.whole_api);
    let mut state = vec![State::Pending; nodes.len()];
    let mut outcome = Outcome::default();
    let mut running = FuturesUnordered::new();
    let interrupt = std::pin::pin!(interrupt);
    let mut interrupt = futures::FutureExt::fuse(interrupt);
    let ctx = Arc::new(ctx);

    loop {
        if !outcome.interrupted {
            start_ready(&nodes, &graph, &mut state, &mut outcome, &mut running, &ctx);
        }
        if running.is_empty() {
            break;
        }
        futures::select! {
            finished = running.select_next_some() => {
                let (i, started, result): (usize, Instant, Result<(), AwsError>) = finished;
                match result {
                    Ok(()) => {
                        state[i] = State::Done;
                        reporter.finished(nodes[i], started.elapsed());
                        outcome.done.push(nodes[i].address.clone());
                    }
                    Err(e) => {
                        state[i] = State::Failed;
                        reporter.failed(nodes[i], &e);
                        outcome.name_taken |= matches!(e, AwsError::NotOwned { .. });
                        outcome.failed.push((nodes[i].address.clone(), e.to_string()));
                    }
                }
            }
            () = interrupt => {
                outcome.interrupted = true;
                ctx.interrupted.store(true, Ordering::Relaxed);
            }
        }
    }
    for (i, s) in state.iter().enumerate() {
        if *s == State::Pending {
            outcome.not_started.push(nodes[i].address.clone());
        }
    }
    if outcome.succeeded() {
        record_permissions(&ctx, plan).await;
    }
    outcome.outputs = ctx.outputs.lock().expect("outputs lock").clone();
    outcome
}

/// Once routes or the API changed and everything was applied, the API records that its
/// routes' functions may be invoked (see `marks::permissions_record`).
async fn record_permissions(ctx: &Context<'_>, plan: &Plan) {
    let changed = plan
        .changes
        .iter()
        .any(|c| c.action != Action::NoOp && matches!(c.address, Address::Route(_) | Address::Api));
    let desired = plan.changes.iter().find_map(|c| match &c.desired {
        Some(crate::plan::Desired::Api(d)) => Some(d),
        _ => None,
    });
    if let (true, Some(desired)) = (changed, desired) {
        api::record_permissions(ctx, desired).await;
    }
    let changed = plan.changes.iter().any(|c| {
        c.action != Action::NoOp
            && matches!(c.address, Address::WebsocketRoute(_) | Address::Websocket)
    });
    let websocket = plan.changes.iter().find_map(|c| match &c.desired {
        Some(crate::plan::Desired::Websocket(d)) => Some((d, &c.live)),
        _ => None,
    });
    if let (true, Some((desired, live))) = (changed, websocket) {
        websocket::record_permissions(ctx, desired, live.as_ref()).await;
    }
}

type Running<'a> = FuturesUnordered<
    std::pin::Pin<
        Box<dyn std::future::Future<Output = (usize, Instant, Result<(), AwsError>)> + 'a>,
    >,
>;

/// The changes' dependencies by index, found once, and the order in which ready changes
/// start.
struct Graph {
    /// For each node, the nodes it waits for. The scheduler looks at every pending node each
    /// time a change finishes, and a route carried by a whole-API write waits for every
    /// function the write needs: compared by address each time, hundreds of nodes made the
    /// scheduler itself the slowest part of a large apply.
    deps: Vec<Vec<usize>>,
    /// Nodes by how many others wait for them (directly or through others), most first, then
    /// in plan order: a table that functions and their routes wait for starts before a role,
    /// a role before the functions, so that the longest chain (ending in the functions whose
    /// requests Lambda's quota paces) starts as early as it can when more is ready than runs.
    order: Vec<usize>,
}

impl Graph {
    fn of(nodes: &[&Change], whole_api: &api::WholeApi) -> Graph {
        let mut by_address: std::collections::HashMap<&Address, Vec<usize>> = Default::default();
        for (i, node) in nodes.iter().enumerate() {
            by_address.entry(&node.address).or_default().push(i);
        }
        let deps: Vec<Vec<usize>> = nodes
            .iter()
            .map(|node| {
                let wanted = whole_api.depends_on(node);
                let found = wanted.iter().filter_map(|dep| by_address.get(dep));
                found.flatten().copied().collect()
            })
            .collect();
        let mut dependents = vec![Vec::new(); deps.len()];
        for (i, waits_for) in deps.iter().enumerate() {
            for &j in waits_for {
                dependents[j].push(i);
            }
        }
        let waiting: Vec<usize> = (0..deps.len())
            .map(|start| {
                let mut seen = vec![false; deps.len()];
                let mut next = vec![start];
                while let Some(n) = next.pop() {
                    for &m in &dependents[n] {
                        if !std::mem::replace(&mut seen[m], true) {
                            next.push(m);
                        }
                    }
                }
                seen.iter().filter(|s| **s).count()
            })
            .collect();
        let mut order: Vec<usize> = (0..deps.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(waiting[i]));
        Graph { deps, order }
    }
}

fn start_ready<'a>(
    nodes: &[&'a Change],
    graph: &Graph,
    state: &mut [State],
    outcome: &mut Outcome,
    running: &mut Running<'a>,
    ctx: &Arc<Context<'a>>,
) {
    // Skipping can make more nodes skippable; repeat until nothing changes.
    loop {
        let mut changed = false;
        for &i in &graph.order {
            if state[i] != State::Pending {
                continue;
            }
            match dependency_state(nodes, state, &graph.deps[i]) {
                Deps::Blocked(because) => {
                    state[i] = State::Skipped;
                    ctx.reporter.skipped(nodes[i], &because);
                    outcome.skipped.push(nodes[i].address.clone());
                    changed = true;
                }
                Deps::Ready if running.len() < CONCURRENCY => {
                    state[i] = State::Running;
                    ctx.reporter.started(nodes[i]);
                    let change = nodes[i];
                    let ctx = Arc::clone(ctx);
                    running.push(Box::pin(async move {
                        let started = Instant::now();
                        (i, started, run(&ctx, change).await)
                    }));
                    changed = true;
                }
                _ => {}
            }
        }
        if !changed {
            break;
        }
    }
}

enum Deps {
    Ready,
    Waiting,
    Blocked(Address),
}

fn dependency_state(nodes: &[&Change], state: &[State], deps: &[usize]) -> Deps {
    let mut waiting = false;
    for &i in deps {
        match state[i] {
            State::Done => {}
            State::Failed | State::Skipped => return Deps::Blocked(nodes[i].address.clone()),
            State::Pending | State::Running => waiting = true,
        }
    }
    if waiting { Deps::Waiting } else { Deps::Ready }
}

async fn run(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    match change.address {
        Address::Role(_) => iam::apply(ctx, change).await,
        Address::Table(_) => dynamodb::apply(ctx, change).await,
        Address::Function(_) => lambda::apply(ctx, change).await,
        Address::Api => api::apply_api(ctx, change).await,
        Address::Route(_) => api::apply_route(ctx, change).await,
        Address::Deployment => api::apply_deployment(ctx, change).await,
        Address::Websocket => websocket::apply_websocket(ctx, change).await,
        Address::WebsocketRoute(_) => websocket::apply_route(ctx, change).await,
        Address::UsagePlan(_) => usage_plan::apply_usage_plan(ctx, change).await,
        Address::ApiKey(_) => usage_plan::apply_api_key(ctx, change).await,
        Address::UserPool(_) => user_pool::apply(ctx, change).await,
        Address::Topic(_) => topic::apply_topic(ctx, change).await,
        Address::Subscription(_) => topic::apply_subscription(ctx, change).await,
        Address::Queue(_) => queue::apply(ctx, change).await,
        Address::EventSource(_) => event_source::apply(ctx, change).await,
        Address::Schedule(_) => schedule::apply(ctx, change).await,
    }
}

/// The key under which a managed role's ARN is kept among the outputs.
pub(crate) fn role_output(role_name: &str) -> String {
    format!("roles.{role_name}.arn")
}

/// The tag keys a resource has that the stack file no longer gives it.
pub(crate) fn removed_tags(
    live: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> Vec<String> {
    live.keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect()
}

/// Whether `name` changed in `change`: the string form, for the API kinds until they name
/// their attributes with `plan::attr::attr_names!` and ask [`Change::changed`].
pub(crate) fn changed(change: &Change, name: &str) -> bool {
    change.attributes.iter().any(|c| c.name == name)
}
