//! Creating, updating and deleting tables, each step waiting for the table to be ACTIVE.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType as DynamoKeyType,
    PointInTimeRecoverySpecification, ProvisionedThroughput, ScalarAttributeType, Tag,
    TimeToLiveSpecification,
};

use super::wait::{self, Status};
use super::{Context, changed};
use crate::aws::{AwsError, ErrorKind, classify, describe, invalid_request};
use crate::live::LiveTable;
use crate::plan::{Action, Change, Desired, Live, TableDesired};
use crate::stack::{Address, Billing, KeySpec, RefAttr, RefTarget, Reference, STACK_TAG};

const TABLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

pub async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let desired = match &change.desired {
        Some(Desired::Table(d)) => Some(d),
        _ => None,
    };
    let live = match &change.live {
        Some(Live::Table(t)) => Some(t),
        _ => None,
    };
    match (change.action, desired, live) {
        (Action::Create, Some(d), _) => create(ctx, &change.address, d).await,
        (Action::Update, Some(d), Some(l)) => update(ctx, change, d, l).await,
        (Action::Replace, Some(d), Some(l)) => {
            delete(ctx, &change.address, &l.name).await?;
            create(ctx, &change.address, d).await
        }
        (Action::Delete, _, Some(l)) => delete(ctx, &change.address, &l.name).await,
        _ => Ok(()),
    }
}

async fn create(ctx: &Context<'_>, address: &Address, d: &TableDesired) -> Result<(), AwsError> {
    let op = "dynamodb:CreateTable";
    let spec = &d.spec;
    let mut keys = vec![key_element(&spec.partition_key, DynamoKeyType::Hash)?];
    let mut attributes = vec![attribute(&spec.partition_key)?];
    if let Some(sk) = &spec.sort_key {
        keys.push(key_element(sk, DynamoKeyType::Range)?);
        attributes.push(attribute(sk)?);
    }
    let mut request = ctx
        .clients
        .dynamodb
        .create_table()
        .table_name(&d.name)
        .set_key_schema(Some(keys))
        .set_attribute_definitions(Some(attributes))
        .deletion_protection_enabled(spec.deletion_protection)
        .set_tags(Some(tags(&d.stack, &spec.tags)?));
    request = match spec.billing {
        Billing::OnDemand => request.billing_mode(BillingMode::PayPerRequest),
        Billing::Provisioned {
            read_capacity,
            write_capacity,
        } => request
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(throughput(read_capacity, write_capacity)?),
    };
    let created = match request.send().await {
        Ok(out) => out
            .table_description()
            .and_then(|t| t.table_arn())
            .map(str::to_string),
        // An earlier, interrupted apply may have created it already.
        Err(e) if classify(&e) == ErrorKind::Conflict => None,
        Err(e) => return Err(describe(op, e)),
    };
    let arn = wait_active(ctx, address, &d.name).await?;
    let arn = created.unwrap_or(arn);
    ctx.set_output(
        Reference {
            target: RefTarget::Table(spec.logical.clone()),
            attr: RefAttr::Arn,
        }
        .to_string(),
        arn,
    );
    if let Some(attr) = &spec.ttl_attribute {
        set_ttl(ctx, &d.name, attr, true).await?;
    }
    if spec.point_in_time_recovery {
        set_pitr(ctx, &d.name, true).await?;
    }
    Ok(())
}

async fn update(
    ctx: &Context<'_>,
    change: &Change,
    d: &TableDesired,
    live: &LiveTable,
) -> Result<(), AwsError> {
    let spec = &d.spec;
    let billing_changed = ["billing", "read_capacity", "write_capacity"]
        .iter()
        .any(|n| changed(change, n));
    let protection_changed = changed(change, "deletion_protection");
    if billing_changed || protection_changed {
        let mut request = ctx.clients.dynamodb.update_table().table_name(&d.name);
        if billing_changed {
            request = match spec.billing {
                Billing::OnDemand => request.billing_mode(BillingMode::PayPerRequest),
                Billing::Provisioned {
                    read_capacity,
                    write_capacity,
                } => request
                    .billing_mode(BillingMode::Provisioned)
                    .provisioned_throughput(throughput(read_capacity, write_capacity)?),
            };
        }
        if protection_changed {
            request = request.deletion_protection_enabled(spec.deletion_protection);
        }
        request
            .send()
            .await
            .map_err(|e| describe("dynamodb:UpdateTable", e))?;
        wait_active(ctx, &change.address, &d.name).await?;
    }
    if changed(change, "ttl_attribute") {
        if let Some(old) = &live.ttl_attribute {
            set_ttl(ctx, &d.name, old, false).await?;
        }
        if let Some(new) = &spec.ttl_attribute {
            set_ttl(ctx, &d.name, new, true).await?;
        }
    }
    if changed(change, "point_in_time_recovery") {
        set_pitr(ctx, &d.name, spec.point_in_time_recovery).await?;
    }
    if changed(change, "tags") {
        update_tags(ctx, live, &d.stack, &spec.tags).await?;
    }
    Ok(())
}

async fn update_tags(
    ctx: &Context<'_>,
    live: &LiveTable,
    stack: &str,
    wanted: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let removed: Vec<String> = live
        .tags
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect();
    if !removed.is_empty() {
        ctx.clients
            .dynamodb
            .untag_resource()
            .resource_arn(&live.arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| describe("dynamodb:UntagResource", e))?;
    }
    ctx.clients
        .dynamodb
        .tag_resource()
        .resource_arn(&live.arn)
        .set_tags(Some(tags(stack, wanted)?))
        .send()
        .await
        .map_err(|e| describe("dynamodb:TagResource", e))?;
    Ok(())
}

async fn delete(ctx: &Context<'_>, address: &Address, name: &str) -> Result<(), AwsError> {
    match ctx
        .clients
        .dynamodb
        .delete_table()
        .table_name(name)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if classify(&e) == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(describe("dynamodb:DeleteTable", e)),
    }
    wait::until(ctx, address, "table deletion", TABLE_TIMEOUT, || async {
        match ctx
            .clients
            .dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(Status::Pending(
                out.table()
                    .and_then(|t| t.table_status())
                    .map_or("DELETING".to_string(), |s| s.as_str().to_string()),
            )),
            Err(e) if classify(&e) == ErrorKind::NotFound => Ok(Status::Ready),
            Err(e) => Err(describe("dynamodb:DescribeTable", e)),
        }
    })
    .await
}

/// Waits for the table to be ACTIVE and returns its ARN.
async fn wait_active(ctx: &Context<'_>, address: &Address, name: &str) -> Result<String, AwsError> {
    let arn = std::sync::Mutex::new(String::new());
    wait::until(ctx, address, "table status", TABLE_TIMEOUT, || async {
        let out = ctx
            .clients
            .dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| describe("dynamodb:DescribeTable", e))?;
        let table = out.table();
        *arn.lock().expect("arn lock") = table
            .and_then(|t| t.table_arn())
            .unwrap_or_default()
            .to_string();
        let status = table
            .and_then(|t| t.table_status())
            .map_or("UNKNOWN", |s| s.as_str());
        Ok(match status {
            "ACTIVE" => Status::Ready,
            "CREATING" | "UPDATING" => Status::Pending(status.to_string()),
            other => Status::Failed {
                status: other.to_string(),
                reason: None,
            },
        })
    })
    .await?;
    Ok(arn.into_inner().expect("arn lock"))
}

async fn set_ttl(
    ctx: &Context<'_>,
    table: &str,
    attribute: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    let op = "dynamodb:UpdateTimeToLive";
    let spec = TimeToLiveSpecification::builder()
        .enabled(enabled)
        .attribute_name(attribute)
        .build()
        .map_err(|e| invalid_request(op, e))?;
    ctx.clients
        .dynamodb
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(spec)
        .send()
        .await
        .map_err(|e| describe(op, e))?;
    Ok(())
}

async fn set_pitr(ctx: &Context<'_>, table: &str, enabled: bool) -> Result<(), AwsError> {
    let op = "dynamodb:UpdateContinuousBackups";
    let spec = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(enabled)
        .build()
        .map_err(|e| invalid_request(op, e))?;
    ctx.clients
        .dynamodb
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(spec)
        .send()
        .await
        .map_err(|e| describe(op, e))?;
    Ok(())
}

fn key_element(key: &KeySpec, kind: DynamoKeyType) -> Result<KeySchemaElement, AwsError> {
    KeySchemaElement::builder()
        .attribute_name(&key.name)
        .key_type(kind)
        .build()
        .map_err(|e| invalid_request("dynamodb:CreateTable", e))
}

fn attribute(key: &KeySpec) -> Result<AttributeDefinition, AwsError> {
    AttributeDefinition::builder()
        .attribute_name(&key.name)
        .attribute_type(ScalarAttributeType::from(key.key_type.code()))
        .build()
        .map_err(|e| invalid_request("dynamodb:CreateTable", e))
}

fn throughput(read: i64, write: i64) -> Result<ProvisionedThroughput, AwsError> {
    ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .map_err(|e| invalid_request("dynamodb:UpdateTable", e))
}

/// The user's tags plus the stack tag.
fn tags(stack: &str, user: &BTreeMap<String, String>) -> Result<Vec<Tag>, AwsError> {
    std::iter::once((STACK_TAG, stack))
        .chain(user.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| invalid_request("dynamodb:TagResource", e))
        })
        .collect()
}
