//! The requests that take a live table to its stack-file settings, in an order in which AWS
//! accepts each one at the moment it is sent. The planner keeps a model of the table and
//! updates it after every step, so each step is computed against the table as it will be then.
//!
//! AWS's rules (UpdateTable:
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html>):
//! one global index creation or deletion per request, and nothing else in that request;
//! switching to PROVISIONED needs the table's capacity and the capacity of every index that
//! exists at that moment; a new index carries capacity on a provisioned table and none on an
//! on-demand one; a capacity update must change the value; a stream can only be enabled when
//! off and disabled when on. UpdateTimeToLive
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html>)
//! enables only when TTL is off, and disables the attribute that is on.
//!
//! Order: index deletions (so that a switch to provisioned does not need capacity for an index
//! about to go, and a rebuilt index's name is free), the billing switch, capacity, index
//! creations (on the billing mode they will live with), then stream, table class, deletion
//! protection, TTL and point-in-time recovery, one request each.

use std::collections::BTreeMap;

use crate::live::LiveTable;
use crate::stack::{
    Billing, GlobalIndexSpec, KeySpec, LocalIndexSpec, StreamView, TableClass, TableSpec,
};

/// One request of an in-place table update.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    DeleteIndex(String),
    /// To provisioned: with the capacity (read, write units) of every index that exists.
    SwitchBilling {
        billing: Billing,
        indexes: Vec<(String, (i64, i64))>,
    },
    /// Read and write capacity units of a provisioned table.
    TableCapacity(i64, i64),
    IndexCapacity(String, (i64, i64)),
    /// The index, with capacity on a provisioned table; `keys` are the key attributes of the
    /// table and its indexes once the index exists (AttributeDefinitions).
    CreateIndex {
        index: Box<GlobalIndexSpec>,
        keys: Vec<KeySpec>,
    },
    Stream(Option<StreamView>),
    TableClass(TableClass),
    DeletionProtection(bool),
    Ttl {
        attribute: String,
        enabled: bool,
    },
    PointInTimeRecovery(bool),
}

/// The settings of a table that an update can change.
#[derive(Debug, Clone, PartialEq)]
pub struct TableModel {
    /// The table's key attributes and its local indexes' sort keys.
    pub keys: Vec<KeySpec>,
    pub billing: Billing,
    /// Global indexes by name; `capacity` is `None` on an on-demand table.
    pub indexes: BTreeMap<String, GlobalIndexSpec>,
    pub stream: Option<StreamView>,
    pub ttl: Option<String>,
    pub pitr: bool,
    pub deletion_protection: bool,
    pub table_class: TableClass,
}

/// The table's key attributes and its local indexes' sort keys.
fn keys(partition: &KeySpec, sort: &Option<KeySpec>, local: &[LocalIndexSpec]) -> Vec<KeySpec> {
    let local = local.iter().map(|i| i.sort_key.clone());
    let keys = std::iter::once(partition.clone()).chain(sort.clone());
    keys.chain(local).collect()
}

impl TableModel {
    pub fn live(live: &LiveTable) -> Self {
        TableModel {
            keys: keys(&live.partition_key, &live.sort_key, &live.local_indexes),
            billing: live.billing,
            indexes: live
                .global_indexes
                .iter()
                .map(|i| (i.spec.name.clone(), i.spec.clone()))
                .collect(),
            stream: live.stream,
            ttl: live.ttl_attribute.clone(),
            pitr: live.point_in_time_recovery,
            deletion_protection: live.deletion_protection,
            table_class: live.table_class,
        }
    }

    pub fn desired(spec: &TableSpec) -> Self {
        TableModel {
            keys: keys(&spec.partition_key, &spec.sort_key, &spec.local_indexes),
            billing: spec.billing,
            indexes: spec
                .global_indexes
                .iter()
                .map(|i| (i.name.clone(), with_capacity(i, spec.billing)))
                .collect(),
            stream: spec.stream,
            ttl: spec.ttl_attribute.clone(),
            pitr: spec.point_in_time_recovery,
            deletion_protection: spec.deletion_protection,
            table_class: spec.table_class,
        }
    }

    /// The table once `step` is done.
    fn apply(&mut self, step: &Step) {
        match step {
            Step::DeleteIndex(name) => {
                self.indexes.remove(name);
            }
            Step::SwitchBilling { billing, indexes } => {
                self.billing = *billing;
                for index in self.indexes.values_mut() {
                    index.capacity = indexes
                        .iter()
                        .find(|(n, _)| *n == index.name)
                        .map(|(_, c)| *c);
                }
            }
            Step::TableCapacity(read, write) => {
                self.billing = provisioned(*read, *write);
            }
            Step::IndexCapacity(name, capacity) => {
                if let Some(index) = self.indexes.get_mut(name) {
                    index.capacity = Some(*capacity);
                }
            }
            Step::CreateIndex { index, .. } => {
                self.indexes.insert(index.name.clone(), (**index).clone());
            }
            Step::Stream(view) => self.stream = *view,
            Step::TableClass(class) => self.table_class = *class,
            Step::DeletionProtection(on) => self.deletion_protection = *on,
            Step::Ttl { attribute, enabled } => {
                self.ttl = enabled.then(|| attribute.clone());
            }
            Step::PointInTimeRecovery(on) => self.pitr = *on,
        }
    }

    /// The key attributes of the table and its indexes, each once.
    fn key_attributes(&self) -> Vec<KeySpec> {
        let mut keys: Vec<KeySpec> = Vec::new();
        let index_keys = self
            .indexes
            .values()
            .flat_map(|i| std::iter::once(&i.partition_key).chain(i.sort_key.as_ref()));
        for key in self.keys.iter().chain(index_keys) {
            if !keys.iter().any(|k| k.name == key.name) {
                keys.push(key.clone());
            }
        }
        keys
    }
}

fn provisioned(read_capacity: i64, write_capacity: i64) -> Billing {
    Billing::Provisioned {
        read_capacity,
        write_capacity,
    }
}

/// The index as it lives on a table billed so: capacity on provisioned (the table's when the
/// stack file gives none), none on demand.
fn with_capacity(index: &GlobalIndexSpec, billing: Billing) -> GlobalIndexSpec {
    let capacity = match billing {
        Billing::OnDemand => None,
        Billing::Provisioned {
            read_capacity,
            write_capacity,
        } => Some(index.capacity.unwrap_or((read_capacity, write_capacity))),
    };
    GlobalIndexSpec {
        capacity,
        ..index.clone()
    }
}

/// A global index whose key or projection changes is deleted and created again.
pub fn rebuilt(live: &GlobalIndexSpec, wanted: &GlobalIndexSpec) -> bool {
    live.partition_key != wanted.partition_key
        || live.sort_key != wanted.sort_key
        || live.projection != wanted.projection
}

/// The steps from `live` to `spec`, each valid on the table as the steps before leave it.
pub fn plan(live: &LiveTable, spec: &TableSpec) -> Vec<Step> {
    let mut state = TableModel::live(live);
    let want = TableModel::desired(spec);
    let mut steps = Vec::new();
    let mut push = |state: &mut TableModel, step: Step| {
        state.apply(&step);
        steps.push(step);
    };
    let doomed: Vec<String> = state
        .indexes
        .values()
        .filter(|l| want.indexes.get(&l.name).is_none_or(|w| rebuilt(l, w)))
        .map(|l| l.name.clone())
        .collect();
    for name in doomed {
        push(&mut state, Step::DeleteIndex(name));
    }
    if std::mem::discriminant(&state.billing) != std::mem::discriminant(&want.billing) {
        let indexes = match want.billing {
            Billing::OnDemand => Vec::new(),
            billing => state
                .indexes
                .keys()
                .map(|name| (name.clone(), index_capacity(&want, name, billing)))
                .collect(),
        };
        let billing = want.billing;
        push(&mut state, Step::SwitchBilling { billing, indexes });
    }
    if let Billing::Provisioned {
        read_capacity,
        write_capacity,
    } = want.billing
        && state.billing != want.billing
    {
        push(
            &mut state,
            Step::TableCapacity(read_capacity, write_capacity),
        );
    }
    for step in capacity_and_creates(&state, &want) {
        push(&mut state, step);
    }
    for step in settings(&state, &want) {
        push(&mut state, step);
    }
    steps
}

fn index_capacity(want: &TableModel, name: &str, billing: Billing) -> (i64, i64) {
    match (want.indexes.get(name).and_then(|i| i.capacity), billing) {
        (Some(capacity), _) => capacity,
        (
            None,
            Billing::Provisioned {
                read_capacity,
                write_capacity,
            },
        ) => (read_capacity, write_capacity),
        (None, Billing::OnDemand) => (1, 1),
    }
}

/// Capacity of the indexes that stay, then one creation per missing index: a model is kept
/// so that each creation declares exactly the key attributes in use once it is done.
fn capacity_and_creates(state: &TableModel, want: &TableModel) -> Vec<Step> {
    let mut state = state.clone();
    let mut steps = Vec::new();
    for (name, index) in &want.indexes {
        if let (Some(live), Some(capacity)) = (state.indexes.get(name), index.capacity)
            && live.capacity.is_some()
            && live.capacity != Some(capacity)
        {
            steps.push(Step::IndexCapacity(name.clone(), capacity));
        }
    }
    for (name, index) in &want.indexes {
        if !state.indexes.contains_key(name) {
            let index = with_capacity(index, state.billing);
            state.indexes.insert(name.clone(), index.clone());
            let keys = state.key_attributes();
            steps.push(Step::CreateIndex {
                index: Box::new(index),
                keys,
            });
        }
    }
    steps
}

/// Stream (off, then on again for a new view type), table class, deletion protection, TTL
/// (the old attribute off, then the new one on) and point-in-time recovery.
fn settings(state: &TableModel, want: &TableModel) -> Vec<Step> {
    let mut steps = Vec::new();
    if state.stream != want.stream {
        if state.stream.is_some() {
            steps.push(Step::Stream(None));
        }
        if want.stream.is_some() {
            steps.push(Step::Stream(want.stream));
        }
    }
    if state.table_class != want.table_class {
        steps.push(Step::TableClass(want.table_class));
    }
    if state.deletion_protection != want.deletion_protection {
        steps.push(Step::DeletionProtection(want.deletion_protection));
    }
    if state.ttl != want.ttl {
        if let Some(old) = &state.ttl {
            steps.push(Step::Ttl {
                attribute: old.clone(),
                enabled: false,
            });
        }
        if let Some(new) = &want.ttl {
            steps.push(Step::Ttl {
                attribute: new.clone(),
                enabled: true,
            });
        }
    }
    if state.pitr != want.pitr {
        steps.push(Step::PointInTimeRecovery(want.pitr));
    }
    steps
}

impl Step {
    /// What the step does, for progress lines.
    pub fn describe(&self) -> String {
        match self {
            Step::DeleteIndex(name) => format!("index {name}: deleting"),
            Step::SwitchBilling {
                billing: Billing::OnDemand,
                ..
            } => "billing: switching to on-demand".to_string(),
            Step::SwitchBilling { .. } => "billing: switching to provisioned".to_string(),
            Step::TableCapacity(..) => "table: updating capacity".to_string(),
            Step::IndexCapacity(name, _) => format!("index {name}: updating capacity"),
            Step::CreateIndex { index, .. } => format!("index {}: creating", index.name),
            Step::Stream(None) => "stream: disabling".to_string(),
            Step::Stream(Some(view)) => format!("stream: enabling {}", view.as_str()),
            Step::TableClass(class) => format!("table class: {}", class.as_str()),
            Step::DeletionProtection(on) => format!("deletion protection: {on}"),
            Step::Ttl { attribute, enabled } => {
                let verb = if *enabled { "enabling" } else { "disabling" };
                format!("time to live on {attribute}: {verb}")
            }
            Step::PointInTimeRecovery(on) => format!("point-in-time recovery: {on}"),
        }
    }
}
