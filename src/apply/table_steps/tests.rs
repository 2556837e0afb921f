//! Every pair of changes a table update can carry, planned and checked request by request
//! against a model of DynamoDB that refuses what AWS refuses. The model is written from the
//! API reference, apart from the planner's: it reads the SDK requests, not the steps.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::operation::update_table::UpdateTableInput;
use aws_sdk_dynamodb::types::{BillingMode, ProvisionedThroughput};

use super::*;
use crate::live::LiveTable;
use crate::plan::table_steps::plan;
use crate::stack::{KeyType, LocalIndexSpec, Projection};
use crate::stack::{StreamView, TableClass, TableSpec};

#[derive(Debug, Clone, PartialEq)]
struct AwsIndex {
    keys: Vec<(String, String)>,
    projection: String,
    capacity: Option<(i64, i64)>,
}

/// A table as DynamoDB holds it.
#[derive(Debug, Clone, PartialEq)]
struct AwsTable {
    /// Table and local index key attributes: (name, type code).
    keys: Vec<(String, String)>,
    capacity: Option<(i64, i64)>,
    indexes: BTreeMap<String, AwsIndex>,
    stream: Option<String>,
    ttl: Option<String>,
    pitr: bool,
    protection: bool,
    class: String,
}

fn key(k: &KeySpec) -> (String, String) {
    (k.name.clone(), k.key_type.code().to_string())
}

fn aws_index(i: &GlobalIndexSpec, capacity: Option<(i64, i64)>) -> AwsIndex {
    AwsIndex {
        keys: std::iter::once(key(&i.partition_key))
            .chain(i.sort_key.as_ref().map(key))
            .collect(),
        projection: i.projection.to_string(),
        capacity,
    }
}

fn capacity_of(billing: Billing) -> Option<(i64, i64)> {
    match billing {
        Billing::OnDemand => None,
        Billing::Provisioned {
            read_capacity,
            write_capacity,
        } => Some((read_capacity, write_capacity)),
    }
}

impl AwsTable {
    fn live(t: &LiveTable) -> Self {
        AwsTable {
            keys: std::iter::once(key(&t.partition_key))
                .chain(t.sort_key.as_ref().map(key))
                .chain(t.local_indexes.iter().map(|i| key(&i.sort_key)))
                .collect(),
            capacity: capacity_of(t.billing),
            indexes: t
                .global_indexes
                .iter()
                .map(|i| (i.spec.name.clone(), aws_index(&i.spec, i.spec.capacity)))
                .collect(),
            stream: t.stream.map(|v| v.aws_name().to_string()),
            ttl: t.ttl_attribute.clone(),
            pitr: t.point_in_time_recovery,
            protection: t.deletion_protection,
            class: t.table_class.aws_name().to_string(),
        }
    }

    fn desired(s: &TableSpec) -> Self {
        let table = capacity_of(s.billing);
        AwsTable {
            keys: std::iter::once(key(&s.partition_key))
                .chain(s.sort_key.as_ref().map(key))
                .chain(s.local_indexes.iter().map(|i| key(&i.sort_key)))
                .collect(),
            capacity: table,
            indexes: s
                .global_indexes
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        aws_index(i, table.map(|t| i.capacity.unwrap_or(t))),
                    )
                })
                .collect(),
            stream: s.stream.map(|v| v.aws_name().to_string()),
            ttl: s.ttl_attribute.clone(),
            pitr: s.point_in_time_recovery,
            protection: s.deletion_protection,
            class: s.table_class.aws_name().to_string(),
        }
    }

    /// Carries out a request, or says why AWS refuses it.
    fn send(&mut self, request: &Request) -> Result<(), String> {
        match request {
            Request::Table(input) => self.update_table(input),
            Request::TimeToLive(input) => {
                let spec = input.time_to_live_specification.as_ref().unwrap();
                match (&self.ttl, spec.enabled) {
                    // "TimeToLive is already enabled"
                    (Some(_), true) => return Err("TTL is already enabled".into()),
                    (None, false) => return Err("TTL is already disabled".into()),
                    (Some(on), false) if *on != spec.attribute_name => {
                        return Err(format!("TTL is on {on}, not {}", spec.attribute_name));
                    }
                    _ => {}
                }
                self.ttl = spec.enabled.then(|| spec.attribute_name.clone());
                Ok(())
            }
            Request::ContinuousBackups(input) => {
                let spec = input.point_in_time_recovery_specification.as_ref().unwrap();
                self.pitr = spec.point_in_time_recovery_enabled;
                Ok(())
            }
        }
    }

    fn update_table(&mut self, input: &UpdateTableInput) -> Result<(), String> {
        let gsi = input.global_secondary_index_updates();
        let switching = input.billing_mode.is_some();
        let parts = [
            switching,
            input.provisioned_throughput.is_some() && !switching,
            !gsi.is_empty() && !switching,
            input.stream_specification.is_some(),
            input.table_class.is_some(),
            input.deletion_protection_enabled.is_some(),
        ];
        // The reference lists table capacity, an index deletion and an index creation as
        // changes to make one at a time; stackctl keeps every other change alone too.
        if parts.iter().filter(|p| **p).count() != 1 {
            return Err(format!("not exactly one change in {input:?}"));
        }
        if let Some(mode) = &input.billing_mode {
            return self.switch(mode, input.provisioned_throughput.as_ref(), gsi);
        }
        if let Some(t) = &input.provisioned_throughput {
            let want = (t.read_capacity_units, t.write_capacity_units);
            match self.capacity {
                None => return Err("capacity on an on-demand table".into()),
                // "The provisioned throughput for the table will not change"
                Some(c) if c == want => return Err("capacity does not change".into()),
                _ => self.capacity = Some(want),
            }
            return Ok(());
        }
        if !gsi.is_empty() {
            return self.index_updates(gsi, input.attribute_definitions());
        }
        if let Some(stream) = &input.stream_specification {
            let view = stream.stream_view_type().map(|v| v.as_str().to_string());
            match (self.stream.is_some(), stream.stream_enabled) {
                (true, true) => return Err("the table already has a stream".into()),
                (false, false) => return Err("the table has no stream to disable".into()),
                (false, true) if view.is_none() => return Err("stream without a view".into()),
                _ => self.stream = view.filter(|_| stream.stream_enabled),
            }
            return Ok(());
        }
        if let Some(class) = &input.table_class {
            if class.as_str() == self.class {
                return Err("table class does not change".into());
            }
            self.class = class.as_str().to_string();
            return Ok(());
        }
        let on = input.deletion_protection_enabled.unwrap();
        if on == self.protection {
            return Err("deletion protection does not change".into());
        }
        self.protection = on;
        Ok(())
    }

    /// BillingMode: PROVISIONED needs the table's throughput and every index's; on-demand
    /// takes none ("ProvisionedThroughput must be specified for index").
    fn switch(
        &mut self,
        mode: &BillingMode,
        table: Option<&ProvisionedThroughput>,
        gsi: &[GlobalSecondaryIndexUpdate],
    ) -> Result<(), String> {
        if *mode == BillingMode::PayPerRequest {
            if self.capacity.is_none() {
                return Err("already on-demand".into());
            }
            if table.is_some() || !gsi.is_empty() {
                return Err("throughput given with PAY_PER_REQUEST".into());
            }
            self.capacity = None;
            self.indexes.values_mut().for_each(|i| i.capacity = None);
            return Ok(());
        }
        if self.capacity.is_some() {
            return Err("already provisioned".into());
        }
        let table = table.ok_or("PROVISIONED without ProvisionedThroughput")?;
        let mut capacities = BTreeMap::new();
        for update in gsi {
            let u = update
                .update()
                .ok_or("only index capacity goes with a switch")?;
            if !self.indexes.contains_key(u.index_name()) {
                return Err(format!("no index {}", u.index_name()));
            }
            let t = u.provisioned_throughput().unwrap();
            capacities.insert(
                u.index_name().to_string(),
                (t.read_capacity_units, t.write_capacity_units),
            );
        }
        for (name, index) in &mut self.indexes {
            let capacity = capacities.get(name).ok_or(format!(
                "ProvisionedThroughput must be specified for index: {name}"
            ))?;
            index.capacity = Some(*capacity);
        }
        self.capacity = Some((table.read_capacity_units, table.write_capacity_units));
        Ok(())
    }

    fn index_updates(
        &mut self,
        gsi: &[GlobalSecondaryIndexUpdate],
        definitions: &[aws_sdk_dynamodb::types::AttributeDefinition],
    ) -> Result<(), String> {
        let structural = gsi
            .iter()
            .filter(|u| u.create().is_some() || u.delete().is_some());
        // "You can create or delete only one global secondary index per UpdateTable operation."
        if structural.count() > 0 && gsi.len() != 1 {
            return Err("an index creation or deletion goes alone".into());
        }
        for update in gsi {
            if let Some(d) = update.delete() {
                self.indexes
                    .remove(d.index_name())
                    .ok_or(format!("no index {}", d.index_name()))?;
            } else if let Some(c) = update.create() {
                self.create(c, definitions)?;
            } else if let Some(u) = update.update() {
                let t = u.provisioned_throughput().unwrap();
                let want = (t.read_capacity_units, t.write_capacity_units);
                let index = self
                    .indexes
                    .get_mut(u.index_name())
                    .ok_or(format!("no index {}", u.index_name()))?;
                match index.capacity {
                    None => return Err("index capacity on an on-demand table".into()),
                    Some(c) if c == want => return Err("index capacity does not change".into()),
                    _ => index.capacity = Some(want),
                }
            }
        }
        Ok(())
    }

    fn create(
        &mut self,
        c: &aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction,
        definitions: &[aws_sdk_dynamodb::types::AttributeDefinition],
    ) -> Result<(), String> {
        if self.indexes.contains_key(c.index_name()) {
            return Err(format!("index {} exists", c.index_name()));
        }
        // 20 global indexes per table (Service quotas page).
        if self.indexes.len() >= 20 {
            return Err("more than 20 global indexes".into());
        }
        let capacity = c
            .provisioned_throughput()
            .map(|t| (t.read_capacity_units, t.write_capacity_units));
        if capacity.is_some() != self.capacity.is_some() {
            return Err("new index capacity does not match the billing mode".into());
        }
        let types: BTreeMap<String, String> = definitions
            .iter()
            .map(|d| {
                (
                    d.attribute_name().to_string(),
                    d.attribute_type().as_str().to_string(),
                )
            })
            .collect();
        let keys: Vec<(String, String)> = c
            .key_schema()
            .iter()
            .map(|k| {
                let name = k.attribute_name().to_string();
                let kind = types.get(&name).cloned().unwrap_or_default();
                (name, kind)
            })
            .collect();
        let projection = c.projection().unwrap();
        let index = AwsIndex {
            keys,
            projection: projection_name(projection),
            capacity,
        };
        self.indexes.insert(c.index_name().to_string(), index);
        let in_use: BTreeMap<String, String> = self
            .keys
            .iter()
            .chain(self.indexes.values().flat_map(|i| &i.keys))
            .cloned()
            .collect();
        // AttributeDefinitions "must include the key element(s) of the new index"; one that
        // no key uses is refused ("Some AttributeDefinitions are not used").
        if in_use != types {
            return Err(format!(
                "attribute definitions {types:?} are not {in_use:?}"
            ));
        }
        Ok(())
    }
}

fn projection_name(p: &aws_sdk_dynamodb::types::Projection) -> String {
    let kind = p.projection_type().map_or("", |t| t.as_str());
    match kind {
        "ALL" => Projection::All.to_string(),
        "KEYS_ONLY" => Projection::KeysOnly.to_string(),
        _ => Projection::Include(p.non_key_attributes().to_vec()).to_string(),
    }
}

fn string_key(name: &str) -> KeySpec {
    KeySpec {
        name: name.to_string(),
        key_type: KeyType::String,
    }
}

fn index(name: &str, key: &str) -> GlobalIndexSpec {
    GlobalIndexSpec {
        name: name.to_string(),
        partition_key: string_key(key),
        sort_key: None,
        projection: Projection::All,
        capacity: None,
        autoscaling: Default::default(),
    }
}

const PROVISIONED: Billing = Billing::Provisioned {
    read_capacity: 5,
    write_capacity: 5,
};

/// An on-demand table with indexes `by-email` and `by-status` and a local index, as live and
/// as declared: no difference yet.
fn base() -> (LiveTable, TableSpec) {
    let spec = TableSpec {
        logical: "orders".to_string(),
        partition_key: string_key("id"),
        sort_key: Some(string_key("created")),
        billing: Billing::OnDemand,
        ttl_attribute: None,
        stream: None,
        point_in_time_recovery: false,
        deletion_protection: true,
        table_class: TableClass::Standard,
        global_indexes: vec![index("by-email", "email"), index("by-status", "status")],
        local_indexes: vec![LocalIndexSpec {
            name: "by-total".to_string(),
            sort_key: KeySpec {
                name: "total".to_string(),
                key_type: KeyType::Number,
            },
            projection: Projection::KeysOnly,
        }],
        tags: BTreeMap::new(),
        items: None,
        autoscaling: Default::default(),
    };
    // As stackctl applies the spec.
    let live = crate::plan::tests::live::table("shop-orders", &spec);
    (live, spec)
}

type Kind = (&'static str, fn(&mut LiveTable, &mut TableSpec));

/// Each kind of change an update can carry, made on a table as another kind left it.
const KINDS: &[Kind] = &[
    ("to provisioned", |l, s| {
        l.billing = Billing::OnDemand;
        s.billing = PROVISIONED;
    }),
    ("to on-demand", |l, s| {
        l.billing = PROVISIONED;
        s.billing = Billing::OnDemand;
    }),
    ("table capacity", |l, s| {
        l.billing = PROVISIONED;
        s.billing = Billing::Provisioned {
            read_capacity: 10,
            write_capacity: 7,
        };
    }),
    ("index capacity", |l, s| {
        l.billing = PROVISIONED;
        if matches!(s.billing, Billing::OnDemand) {
            s.billing = PROVISIONED;
        }
        if let Some(i) = s.global_indexes.iter_mut().find(|i| i.name == "by-status") {
            i.capacity = Some((12, 3));
        }
    }),
    ("index deleted", |_, s| {
        s.global_indexes.retain(|i| i.name != "by-email");
    }),
    ("index created", |_, s| {
        s.global_indexes.push(index("by-date", "day"));
    }),
    ("index rebuilt", |_, s| {
        if let Some(i) = s.global_indexes.iter_mut().find(|i| i.name == "by-email") {
            i.projection = Projection::KeysOnly;
        }
    }),
    ("index key changed", |_, s| {
        if let Some(i) = s.global_indexes.iter_mut().find(|i| i.name == "by-status") {
            i.partition_key = KeySpec {
                name: "status".to_string(),
                key_type: KeyType::Number,
            };
        }
    }),
    ("stream on", |l, s| {
        l.stream = None;
        s.stream = Some(StreamView::NewImage);
    }),
    ("stream off", |l, s| {
        l.stream = Some(StreamView::KeysOnly);
        s.stream = None;
    }),
    ("stream view", |l, s| {
        l.stream = Some(StreamView::KeysOnly);
        s.stream = Some(StreamView::NewAndOldImages);
    }),
    ("ttl on", |l, s| {
        l.ttl_attribute = None;
        s.ttl_attribute = Some("expires".to_string());
    }),
    ("ttl off", |l, s| {
        l.ttl_attribute = Some("expires".to_string());
        s.ttl_attribute = None;
    }),
    ("ttl attribute", |l, s| {
        l.ttl_attribute = Some("expires".to_string());
        s.ttl_attribute = Some("gone_at".to_string());
    }),
    ("pitr on", |l, s| {
        l.point_in_time_recovery = false;
        s.point_in_time_recovery = true;
    }),
    ("pitr off", |l, s| {
        l.point_in_time_recovery = true;
        s.point_in_time_recovery = false;
    }),
    ("protection off", |l, s| {
        l.deletion_protection = true;
        s.deletion_protection = false;
    }),
    ("protection on", |l, s| {
        l.deletion_protection = false;
        s.deletion_protection = true;
    }),
    ("table class", |l, s| {
        l.table_class = TableClass::Standard;
        s.table_class = TableClass::StandardInfrequentAccess;
    }),
];

/// Index capacity as the live table reports it and the stack reader allows it: on
/// provisioned tables only.
fn settle(live: &mut LiveTable, spec: &mut TableSpec) {
    let table = capacity_of(live.billing);
    for index in &mut live.global_indexes {
        index.spec.capacity = table.map(|t| index.spec.capacity.unwrap_or(t));
    }
    if matches!(spec.billing, Billing::OnDemand) {
        spec.global_indexes
            .iter_mut()
            .for_each(|i| i.capacity = None);
    }
}

/// Plans `live` -> `spec`, sends each request to the model of AWS, and returns the requests;
/// panics on the first one AWS would refuse, or when the table does not end as declared.
fn check(label: &str, live: &LiveTable, spec: &TableSpec) -> Vec<Step> {
    let steps = plan(live, spec);
    let mut aws = AwsTable::live(live);
    for (n, step) in steps.iter().enumerate() {
        let request = step.request(&live.name).unwrap();
        if let Err(why) = aws.send(&request) {
            panic!("{label}: request {n} ({step:?}) refused: {why}\nall steps: {steps:#?}");
        }
    }
    assert_eq!(aws, AwsTable::desired(spec), "{label}: {steps:#?}");
    steps
}

#[test]
fn every_pair_of_changes_is_sent_in_an_order_aws_accepts() {
    let mut checked = 0;
    for (a, make_a) in KINDS {
        for (b, make_b) in KINDS {
            let (mut live, mut spec) = base();
            make_a(&mut live, &mut spec);
            make_b(&mut live, &mut spec);
            settle(&mut live, &mut spec);
            check(&format!("{a} + {b}"), &live, &spec);
            checked += 1;
        }
    }
    assert_eq!(checked, KINDS.len() * KINDS.len());
}

#[test]
fn all_changes_at_once_are_sent_in_an_order_aws_accepts() {
    let (mut live, mut spec) = base();
    for name in [
        "to provisioned",
        "index deleted",
        "index created",
        "index key changed",
        "stream view",
        "ttl attribute",
        "pitr on",
        "protection off",
        "table class",
    ] {
        let (_, make) = KINDS.iter().find(|(n, _)| *n == name).unwrap();
        make(&mut live, &mut spec);
    }
    settle(&mut live, &mut spec);
    let steps = check("all", &live, &spec);
    assert_eq!(steps.len(), 12, "{steps:#?}");
}

#[test]
fn an_index_is_deleted_before_a_switch_to_provisioned() {
    // The example: on demand with by-email, switched to provisioned without it. Sent
    // the other way round, AWS refuses the switch for lack of by-email's capacity.
    let (mut live, mut spec) = base();
    spec.billing = PROVISIONED;
    spec.global_indexes.retain(|i| i.name != "by-email");
    settle(&mut live, &mut spec);
    let steps = check("issue example", &live, &spec);
    assert_eq!(
        steps,
        [
            Step::DeleteIndex("by-email".to_string()),
            Step::SwitchBilling {
                billing: PROVISIONED,
                indexes: vec![("by-status".to_string(), (5, 5))],
            },
        ]
    );
    let mut aws = AwsTable::live(&live);
    let wrong_order = aws.send(&steps[1].request("t").unwrap());
    assert_eq!(
        wrong_order,
        Err("ProvisionedThroughput must be specified for index: by-email".to_string())
    );
}

#[test]
fn an_index_is_rebuilt_on_the_billing_mode_it_will_live_with() {
    let (mut live, mut spec) = base();
    spec.billing = PROVISIONED;
    spec.global_indexes[0].projection = Projection::KeysOnly;
    spec.global_indexes[0].capacity = Some((3, 2));
    settle(&mut live, &mut spec);
    let steps = check("rebuild while switching", &live, &spec);
    let names: Vec<String> = steps.iter().map(Step::describe).collect();
    assert_eq!(
        names,
        [
            "index by-email: deleting",
            "billing: switching to provisioned",
            "index by-email: creating"
        ]
    );
    let Step::CreateIndex { index, .. } = &steps[2] else {
        panic!("{steps:?}")
    };
    assert_eq!(index.capacity, Some((3, 2)));
}

#[test]
fn an_unchanged_table_needs_no_request() {
    let (mut live, mut spec) = base();
    settle(&mut live, &mut spec);
    assert_eq!(plan(&live, &spec), []);
}
