//! Live DynamoDB tables.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    BillingMode, KeySchemaElement, KeyType as DynamoKeyType, PointInTimeRecoveryStatus,
    ProjectionType, TableDescription, TimeToLiveStatus,
};
use futures::future::try_join_all;

use super::{Conflict, LiveGlobalIndex, LiveTable, Owned, user_tags};
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::{
    APPLIED_TAG, STACK_TAG, TABLE_SETTINGS_TAG, TableSettings, read_table_settings,
};
use crate::stack::{
    Billing, GlobalIndexSpec, KeySpec, KeyType, LocalIndexSpec, Projection, StreamView, TableClass,
};

/// Reads the tables of these names (absent ones left out), without their tags.
pub async fn read_tables(
    clients: &Clients,
    names: impl IntoIterator<Item = &String>,
) -> Result<Vec<LiveTable>, AwsError> {
    let described = describe_tables(clients, names).await?;
    with_settings(clients, described, &BTreeMap::new()).await
}

/// DescribeTable of the tables of these names, at once (absent ones left out).
pub(super) async fn describe_tables(
    clients: &Clients,
    names: impl IntoIterator<Item = &String>,
) -> Result<Vec<TableDescription>, AwsError> {
    let reads = names.into_iter().map(|name| describe(clients, name));
    Ok(try_join_all(reads).await?.into_iter().flatten().collect())
}

/// The described tables with their time to live and point-in-time recovery: taken from the
/// settings record in the table's `tags` (by table name, from the tagging index) where it was
/// written with the table's current fingerprint (`marks::TABLE_SETTINGS_TAG`), read otherwise
/// (DescribeTimeToLive and DescribeContinuousBackups at once).
pub(super) async fn with_settings(
    clients: &Clients,
    described: Vec<TableDescription>,
    tags: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<LiveTable>, AwsError> {
    let reads = described.iter().map(|table| async move {
        let name = table.table_name().unwrap_or_default();
        let recorded = tags.get(name).and_then(|tags| {
            let record = tags.get(TABLE_SETTINGS_TAG)?;
            read_table_settings(record, tags.get(APPLIED_TAG).map(String::as_str))
        });
        let (ttl, pitr) = match recorded {
            Some(settings) => settings,
            None => read_settings(clients, name).await?,
        };
        Ok::<_, AwsError>(live_table(table, ttl, pitr))
    });
    try_join_all(reads).await
}

/// Sorts read tables into the stack's and the ones in its way, with their tags: from the
/// tagging index, or asked of DynamoDB for a table the index does not list (someone else's,
/// or one of ours that the index has not caught up with yet).
pub async fn claim(
    clients: &Clients,
    tables: Vec<LiveTable>,
    owned: &Owned,
    stack: &str,
) -> Result<(BTreeMap<String, LiveTable>, Vec<Conflict>), AwsError> {
    let tagged = tables.into_iter().map(|table| async move {
        let tags = match owned.tables.get(&table.name) {
            Some(tags) => tags.clone(),
            None => tags_of(clients, &table.arn).await?,
        };
        Ok::<_, AwsError>((table, tags))
    });
    let mut ours = BTreeMap::new();
    let mut conflicts = Vec::new();
    for (table, tags) in try_join_all(tagged).await? {
        let owner = tags.get(STACK_TAG).cloned();
        if owner.as_deref() == Some(stack) {
            ours.insert(table.name.clone(), with_tags(table, &tags));
        } else {
            conflicts.push(Conflict {
                kind: "table".to_string(),
                name: table.name,
                owner,
                note: None,
            });
        }
    }
    Ok((ours, conflicts))
}

fn with_tags(table: LiveTable, tags: &BTreeMap<String, String>) -> LiveTable {
    LiveTable {
        applied: tags.get(APPLIED_TAG).cloned(),
        tags: user_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        ..table
    }
}

/// DescribeTable; `None` when the table does not exist.
async fn describe(clients: &Clients, name: &str) -> Result<Option<TableDescription>, AwsError> {
    let described = clients
        .dynamodb
        .describe_table()
        .table_name(name)
        .send()
        .await;
    // Not there (or the tagging index lags behind a delete).
    let Some(described) = described.absent_ok("dynamodb:DescribeTable")? else {
        return Ok(None);
    };
    Ok(described.table)
}

/// A table's time to live attribute (when on) and point-in-time recovery, read at once.
async fn read_settings(clients: &Clients, name: &str) -> Result<TableSettings, AwsError> {
    let ddb = &clients.dynamodb;
    let ttl = ddb.describe_time_to_live().table_name(name).send();
    let backups = ddb.describe_continuous_backups().table_name(name).send();
    let (ttl, backups) = tokio::join!(ttl, backups);
    let ttl = ttl.op("dynamodb:DescribeTimeToLive")?;
    let ttl_attribute = ttl.time_to_live_description().and_then(|d| {
        let on = matches!(
            d.time_to_live_status(),
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        );
        on.then(|| d.attribute_name().map(str::to_string)).flatten()
    });
    let backups = backups.op("dynamodb:DescribeContinuousBackups")?;
    let pitr = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|d| d.point_in_time_recovery_status())
        == Some(&PointInTimeRecoveryStatus::Enabled);
    Ok((ttl_attribute, pitr))
}

/// A table by name with its settings read (none trusted), without its tags.
async fn read_table(clients: &Clients, name: &str) -> Result<Option<LiveTable>, AwsError> {
    let Some(table) = describe(clients, name).await? else {
        return Ok(None);
    };
    let (ttl, pitr) = read_settings(clients, name).await?;
    Ok(Some(live_table(&table, ttl, pitr)))
}

fn live_table(table: &TableDescription, ttl_attribute: Option<String>, pitr: bool) -> LiveTable {
    let billing_summary = table.billing_mode_summary();
    let billing = billing_of(table);
    let stream = table
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .and_then(|v| StreamView::from_aws(v.as_str()));
    LiveTable {
        name: table.table_name().unwrap_or_default().to_string(),
        arn: table.table_arn().unwrap_or_default().to_string(),
        status: table
            .table_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        partition_key: key(table, table.key_schema(), DynamoKeyType::Hash).unwrap_or_else(no_key),
        sort_key: key(table, table.key_schema(), DynamoKeyType::Range),
        billing,
        ttl_attribute,
        stream_arn: stream.and(table.latest_stream_arn()).map(str::to_string),
        stream,
        point_in_time_recovery: pitr,
        deletion_protection: table.deletion_protection_enabled().unwrap_or(false),
        table_class: TableClass::from_aws(
            table
                .table_class_summary()
                .and_then(|c| c.table_class())
                .map(|c| c.as_str()),
        ),
        global_indexes: global_indexes(table, billing == Billing::OnDemand),
        local_indexes: local_indexes(table),
        last_switch_to_on_demand: billing_summary
            .and_then(|b| b.last_update_to_pay_per_request_date_time())
            .map(|t| t.secs()),
        tags: BTreeMap::new(),
        applied: None,
        autoscaling: Default::default(),
    }
}

/// The key of `kind` in `schema`, typed as the table's AttributeDefinitions declare it.
fn key(
    table: &TableDescription,
    schema: &[KeySchemaElement],
    kind: DynamoKeyType,
) -> Option<KeySpec> {
    let name = schema
        .iter()
        .find(|k| *k.key_type() == kind)?
        .attribute_name()
        .to_string();
    let key_type = table
        .attribute_definitions()
        .iter()
        .find(|a| a.attribute_name() == name)
        .and_then(|a| KeyType::from_code(a.attribute_type().as_str()))
        .unwrap_or(KeyType::String);
    Some(KeySpec { name, key_type })
}

fn no_key() -> KeySpec {
    KeySpec {
        name: String::new(),
        key_type: KeyType::String,
    }
}

pub(super) fn billing_of(table: &TableDescription) -> Billing {
    let on_demand = table
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .is_some_and(|m| *m == BillingMode::PayPerRequest);
    if on_demand {
        return Billing::OnDemand;
    }
    let throughput = table.provisioned_throughput();
    Billing::Provisioned {
        read_capacity: throughput
            .and_then(|t| t.read_capacity_units())
            .unwrap_or(0),
        write_capacity: throughput
            .and_then(|t| t.write_capacity_units())
            .unwrap_or(0),
    }
}

/// Global indexes, with their capacity on a provisioned table.
fn global_indexes(table: &TableDescription, on_demand: bool) -> Vec<LiveGlobalIndex> {
    table
        .global_secondary_indexes()
        .iter()
        .map(|g| {
            let capacity = (!on_demand).then(|| {
                let t = g.provisioned_throughput();
                (
                    t.and_then(|t| t.read_capacity_units()).unwrap_or(0),
                    t.and_then(|t| t.write_capacity_units()).unwrap_or(0),
                )
            });
            LiveGlobalIndex {
                spec: GlobalIndexSpec {
                    name: g.index_name().unwrap_or_default().to_string(),
                    partition_key: key(table, g.key_schema(), DynamoKeyType::Hash)
                        .unwrap_or_else(no_key),
                    sort_key: key(table, g.key_schema(), DynamoKeyType::Range),
                    projection: projection(g.projection()),
                    capacity,
                    autoscaling: Default::default(),
                },
                status: g
                    .index_status()
                    .map_or("ACTIVE".to_string(), |s| s.as_str().to_string()),
                autoscaling: Default::default(),
            }
        })
        .collect()
}

fn local_indexes(table: &TableDescription) -> Vec<LocalIndexSpec> {
    table
        .local_secondary_indexes()
        .iter()
        .map(|l| LocalIndexSpec {
            name: l.index_name().unwrap_or_default().to_string(),
            sort_key: key(table, l.key_schema(), DynamoKeyType::Range).unwrap_or_else(no_key),
            projection: projection(l.projection()),
        })
        .collect()
}

fn projection(p: Option<&aws_sdk_dynamodb::types::Projection>) -> Projection {
    match p.and_then(|p| p.projection_type()) {
        Some(ProjectionType::KeysOnly) => Projection::KeysOnly,
        Some(ProjectionType::Include) => Projection::Include(
            p.map(|p| p.non_key_attributes().to_vec())
                .unwrap_or_default(),
        ),
        _ => Projection::All,
    }
}

/// Every tag of a table: ListTagsOfResource answers in pages, and the stack tag may be on
/// any of them.
async fn tags_of(clients: &Clients, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut tags = BTreeMap::new();
    let mut next = None;
    loop {
        let page = clients
            .dynamodb
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(next)
            .send()
            .await
            .op("dynamodb:ListTagsOfResource")?;
        tags.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            return Ok(tags);
        }
    }
}

/// The stack a table's tags name, if any.
pub async fn owner_of(clients: &Clients, arn: &str) -> Result<Option<String>, AwsError> {
    Ok(tags_of(clients, arn).await?.remove(STACK_TAG))
}

/// One table by physical name, whoever owns it, with the stack its tags name (if any).
pub async fn read_named(
    clients: &Clients,
    name: &str,
) -> Result<Option<(LiveTable, Option<String>)>, AwsError> {
    let Some(table) = read_table(clients, name).await? else {
        return Ok(None);
    };
    let tags = tags_of(clients, &table.arn).await?;
    let owner = tags.get(STACK_TAG).cloned();
    Ok(Some((with_tags(table, &tags), owner)))
}
