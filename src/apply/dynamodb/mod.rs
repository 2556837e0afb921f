//! Creating, updating and deleting tables. An update runs the requests `table_steps` plans,
//! each waiting for the table and its indexes to be ACTIVE before the next: DynamoDB allows one
//! index creation or deletion per update, and most updates only on an ACTIVE table.

mod record;

use std::time::Duration;

use aws_sdk_dynamodb::operation::describe_table::builders::DescribeTableFluentBuilder;
use aws_sdk_dynamodb::operation::update_continuous_backups::UpdateContinuousBackupsInput;
use aws_sdk_dynamodb::operation::update_time_to_live::UpdateTimeToLiveInput;
use aws_sdk_dynamodb::types::{
    ContinuousBackupsStatus, LocalSecondaryIndex, PointInTimeRecoveryStatus,
    TableClass as DynamoTableClass, Tag, TimeToLiveStatus,
};

use super::autoscaling;
use super::table_steps::{Request, StepRequest};
use super::wait::{self, Status};
use super::{Context, removed_tags};
use crate::aws::{AwsError, CallResult, ErrorKind, classify, describe, invalid_request};
use crate::live::LiveTable;
use crate::marks::{APPLIED_TAG, TABLE_SETTINGS_TAG};
use crate::plan::table_steps::Step;
use crate::plan::{Action, Change, Desired, Live, TableAttr, TableDesired};
use crate::stack::{Address, RefAttr, RefTarget, Reference, TableSpec};
use crate::table_shapes::{TableShape, key_schema, projection, stream_spec, tag, tags};

/// New indexes backfill from the table's items: that can take long on large tables.
const TABLE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
const SETTING_TIMEOUT: Duration = Duration::from_secs(10 * 60);

pub async fn apply(ctx: &Context<'_>, change: &Change) -> Result<(), AwsError> {
    let address = &change.address;
    // Auto scaling follows the table: set once it exists, removed once it is gone.
    match change.parts(Desired::table, Live::table) {
        (Action::Create, Some(d), _) => {
            create(ctx, address, d).await?;
            autoscaling::sync(ctx, address, d, None).await
        }
        (Action::Update, Some(d), Some(l)) => {
            update(ctx, change, d, l).await?;
            autoscaling::sync(ctx, address, d, Some(l)).await
        }
        (Action::Replace, Some(d), Some(l)) => {
            delete(ctx, address, &l.name).await?;
            autoscaling::deregister_all(ctx, address, l).await?;
            create(ctx, address, d).await?;
            autoscaling::sync(ctx, address, d, None).await
        }
        (Action::Delete, _, Some(l)) => {
            delete(ctx, address, &l.name).await?;
            autoscaling::deregister_all(ctx, address, l).await
        }
        _ => Ok(()),
    }
}

async fn create(ctx: &Context<'_>, address: &Address, d: &TableDesired) -> Result<(), AwsError> {
    let op = "dynamodb:CreateTable";
    let spec = &d.spec;
    let shape = TableShape::of(spec)?;
    let mut request = ctx
        .clients
        .dynamodb
        .create_table()
        .table_name(&d.name)
        .set_key_schema(Some(shape.key_schema))
        .set_attribute_definitions(Some(shape.attribute_definitions))
        .billing_mode(shape.billing_mode)
        .set_provisioned_throughput(shape.throughput)
        .deletion_protection_enabled(spec.deletion_protection)
        .table_class(DynamoTableClass::from(spec.table_class.aws_name()))
        // The settings record is true from the start only for a table without TTL or
        // point-in-time recovery; otherwise it is written once they are set.
        .set_tags(Some(desired_tags(d, record::has_default_settings(spec))?));
    if let Some(view) = spec.stream {
        request = request.stream_specification(stream_spec(Some(view))?);
    }
    for index in shape.global_indexes {
        request = request.global_secondary_indexes(index);
    }
    for index in &spec.local_indexes {
        let lsi = LocalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(key_schema(
                &spec.partition_key,
                Some(&index.sort_key),
            )?))
            .projection(projection(&index.projection))
            .build()
            .map_err(|e| invalid_request(op, e))?;
        request = request.local_secondary_indexes(lsi);
    }
    let arn = match request.send().await {
        Ok(_) => wait_settled(ctx, address, &d.name).await?,
        // An interrupted apply of this stack, or this call sent again after a lost answer,
        // may have made it; anyone else may have too.
        Err(e) if classify(&e) == ErrorKind::Conflict => take_up(ctx, address, d).await?,
        Err(e) => return Err(describe(op, e)),
    };
    ctx.set_output(table_arn_key(spec), arn.clone());
    if let Some(attr) = &spec.ttl_attribute {
        set_ttl(ctx, address, &d.name, attr, true).await?;
    }
    if spec.point_in_time_recovery {
        set_pitr(ctx, address, &d.name, true).await?;
    }
    if !record::has_default_settings(spec) {
        record::record_settings(ctx, &arn, d).await?;
    }
    Ok(())
}

/// The ARN of the table `d` names, which exists already, when it is the stack's: CreateTable
/// sets the stack tag itself, so a table this stack made carries it. It is read once the table
/// is ACTIVE (AWS may not list the tags of a table still being created); the wait only reads.
/// Anything else is refused before any write. (ListTagsOfResource:
/// <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTagsOfResource.html>)
async fn take_up(
    ctx: &Context<'_>,
    address: &Address,
    d: &TableDesired,
) -> Result<String, AwsError> {
    let arn = wait_settled(ctx, address, &d.name).await?;
    let owner = crate::live::table_owner(ctx.clients, &arn).await?;
    if owner.as_deref() != Some(d.stack.as_str()) {
        return Err(AwsError::NotOwned {
            kind: "table".to_string(),
            name: d.name.clone(),
            owner,
        });
    }
    Ok(arn)
}

fn table_arn_key(spec: &TableSpec) -> String {
    Reference {
        target: RefTarget::Table(spec.logical.clone()),
        attr: RefAttr::Arn,
    }
    .to_string()
}

/// Applies an in-place update as the sequence of requests the plan computed (see
/// [`crate::plan::table_steps`]), each waiting for the table to settle before the next.
async fn update(
    ctx: &Context<'_>,
    change: &Change,
    d: &TableDesired,
    live: &LiveTable,
) -> Result<(), AwsError> {
    let address = &change.address;
    let settings = |s: &Step| matches!(s, Step::Ttl { .. } | Step::PointInTimeRecovery(_));
    if d.steps.iter().any(settings) {
        record::forget_settings(ctx, live).await?;
    }
    for step in &d.steps {
        ctx.reporter.progress(address, &step.describe());
        send(ctx, address, &d.name, step.request(&d.name)?).await?;
    }
    // The user's tags when they changed, the fingerprint of what is now applied and the record
    // of its settings.
    update_tags(ctx, live, d, change.changed(TableAttr::Tags)).await
}

/// Sends one request of a table update and waits until AWS has carried it out.
async fn send(
    ctx: &Context<'_>,
    address: &Address,
    table: &str,
    request: Request,
) -> Result<(), AwsError> {
    match request {
        Request::Table(input) => {
            let input = *input;
            ctx.clients
                .dynamodb
                .update_table()
                .set_table_name(input.table_name)
                .set_attribute_definitions(input.attribute_definitions)
                .set_billing_mode(input.billing_mode)
                .set_provisioned_throughput(input.provisioned_throughput)
                .set_global_secondary_index_updates(input.global_secondary_index_updates)
                .set_stream_specification(input.stream_specification)
                .set_table_class(input.table_class)
                .set_deletion_protection_enabled(input.deletion_protection_enabled)
                .send()
                .await
                .op("dynamodb:UpdateTable")?;
            wait_settled(ctx, address, table).await.map(drop)
        }
        Request::TimeToLive(input) => send_ttl(ctx, address, input).await,
        Request::ContinuousBackups(input) => send_pitr(ctx, address, input).await,
    }
}

async fn update_tags(
    ctx: &Context<'_>,
    live: &LiveTable,
    d: &TableDesired,
    user_tags_changed: bool,
) -> Result<(), AwsError> {
    let removed = removed_tags(&live.tags, &d.spec.tags);
    if user_tags_changed && !removed.is_empty() {
        ctx.clients
            .dynamodb
            .untag_resource()
            .resource_arn(&live.arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .op("dynamodb:UntagResource")?;
    }
    ctx.clients
        .dynamodb
        .tag_resource()
        .resource_arn(&live.arn)
        .set_tags(Some(desired_tags(d, true)?))
        .send()
        .await
        .op("dynamodb:TagResource")?;
    Ok(())
}

async fn delete(ctx: &Context<'_>, address: &Address, name: &str) -> Result<(), AwsError> {
    let deleted = ctx
        .clients
        .dynamodb
        .delete_table()
        .table_name(name)
        .send()
        .await
        .absent_ok("dynamodb:DeleteTable")?;
    if deleted.is_none() {
        return Ok(());
    }
    wait::until(ctx, address, "table deletion", TABLE_TIMEOUT, || async {
        let out = describe_table(ctx, name)
            .send()
            .await
            .absent_ok("dynamodb:DescribeTable")?;
        Ok(match out {
            Some(out) => Status::Pending(
                out.table()
                    .and_then(|t| t.table_status())
                    .map_or("DELETING".to_string(), |s| s.as_str().to_string()),
            ),
            None => Status::Ready(()),
        })
    })
    .await
}

/// DescribeTable of the table `name`: the request both waits poll with.
fn describe_table(ctx: &Context<'_>, name: &str) -> DescribeTableFluentBuilder {
    ctx.clients.dynamodb.describe_table().table_name(name)
}

/// Waits until the table is ACTIVE and every index on it is ACTIVE (a deleted index is gone);
/// returns the table's ARN.
async fn wait_settled(
    ctx: &Context<'_>,
    address: &Address,
    name: &str,
) -> Result<String, AwsError> {
    let arn = std::sync::Mutex::new(String::new());
    wait::until(ctx, address, "table", TABLE_TIMEOUT, || async {
        let out = describe_table(ctx, name)
            .send()
            .await
            .op("dynamodb:DescribeTable")?;
        let Some(table) = out.table() else {
            return Ok(Status::Pending("not visible yet".to_string()));
        };
        *arn.lock().expect("arn lock") = table.table_arn().unwrap_or_default().to_string();
        // The stream's ARN, for what reads it (`${tables.NAME.stream_arn}`, event sources).
        let stream_on = table
            .stream_specification()
            .is_some_and(|s| s.stream_enabled());
        if let (Address::Table(logical), true, Some(stream)) =
            (address, stream_on, table.latest_stream_arn())
        {
            let key = crate::stack::Reference {
                target: crate::stack::RefTarget::Table(logical.clone()),
                attr: crate::stack::RefAttr::StreamArn,
            };
            ctx.set_output(key.to_string(), stream);
        }
        let status = table.table_status().map_or("UNKNOWN", |s| s.as_str());
        let busy: Vec<String> = table
            .global_secondary_indexes()
            .iter()
            .filter(|i| i.index_status().is_some_and(|s| s.as_str() != "ACTIVE"))
            .map(|i| {
                format!(
                    "index {} {}",
                    i.index_name().unwrap_or_default(),
                    i.index_status().map_or("", |s| s.as_str())
                )
            })
            .collect();
        Ok(match status {
            "ACTIVE" if busy.is_empty() => Status::Ready(()),
            "ACTIVE" | "CREATING" | "UPDATING" => Status::Pending(
                std::iter::once(status.to_string())
                    .chain(busy)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
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
    address: &Address,
    table: &str,
    attribute: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    let step = Step::Ttl {
        attribute: attribute.to_string(),
        enabled,
    };
    send(ctx, address, table, step.request(table)?).await
}

async fn send_ttl(
    ctx: &Context<'_>,
    address: &Address,
    input: UpdateTimeToLiveInput,
) -> Result<(), AwsError> {
    let op = "dynamodb:UpdateTimeToLive";
    let table = input.table_name.as_deref().unwrap_or_default();
    let enabled = input
        .time_to_live_specification
        .as_ref()
        .is_some_and(|s| s.enabled);
    let result = ctx
        .clients
        .dynamodb
        .update_time_to_live()
        .set_table_name(input.table_name.clone())
        .set_time_to_live_specification(input.time_to_live_specification.clone())
        .send()
        .await;
    if let Err(e) = result {
        let invalid = classify(&e) == ErrorKind::Invalid;
        let err = describe(op, e);
        return Err(match err {
            AwsError::Call {
                operation,
                message,
                kind,
                help,
            } if invalid => AwsError::Call {
                operation,
                message: format!(
                    "{message} (DynamoDB allows one TTL change per table per hour: apply again later to finish)"
                ),
                kind,
                help,
            },
            other => other,
        });
    }
    let want = if enabled {
        TimeToLiveStatus::Enabled
    } else {
        TimeToLiveStatus::Disabled
    };
    wait::until(ctx, address, "time to live", SETTING_TIMEOUT, || async {
        let out = ctx
            .clients
            .dynamodb
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .op("dynamodb:DescribeTimeToLive")?;
        let status = out
            .time_to_live_description()
            .and_then(|d| d.time_to_live_status());
        Ok(reached(status, &want))
    })
    .await
}

async fn set_pitr(
    ctx: &Context<'_>,
    address: &Address,
    table: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    let request = Step::PointInTimeRecovery(enabled).request(table)?;
    send(ctx, address, table, request).await
}

async fn send_pitr(
    ctx: &Context<'_>,
    address: &Address,
    input: UpdateContinuousBackupsInput,
) -> Result<(), AwsError> {
    let table = input.table_name.as_deref().unwrap_or_default();
    let enabled = input
        .point_in_time_recovery_specification
        .as_ref()
        .is_some_and(|s| s.point_in_time_recovery_enabled);
    ctx.clients
        .dynamodb
        .update_continuous_backups()
        .set_table_name(input.table_name.clone())
        .set_point_in_time_recovery_specification(
            input.point_in_time_recovery_specification.clone(),
        )
        .send()
        .await
        .op("dynamodb:UpdateContinuousBackups")?;
    let want = if enabled {
        PointInTimeRecoveryStatus::Enabled
    } else {
        PointInTimeRecoveryStatus::Disabled
    };
    wait::until(
        ctx,
        address,
        "point-in-time recovery",
        SETTING_TIMEOUT,
        || async {
            let out = ctx
                .clients
                .dynamodb
                .describe_continuous_backups()
                .table_name(table)
                .send()
                .await
                .op("dynamodb:DescribeContinuousBackups")?;
            let description = out.continuous_backups_description();
            let backups = description.map(|d| d.continuous_backups_status());
            let pitr = description
                .and_then(|d| d.point_in_time_recovery_description())
                .and_then(|d| d.point_in_time_recovery_status());
            Ok(match backups {
                Some(ContinuousBackupsStatus::Enabled) => reached(pitr, &want),
                _ => Status::Pending(pitr.map_or("unknown", |s| s.as_str()).to_string()),
            })
        },
    )
    .await
}

/// Whether a table setting's `status` (as a Describe call answers it) is the wanted one.
fn reached<S: AsRef<str> + PartialEq>(status: Option<&S>, want: &S) -> Status<()> {
    match status {
        Some(s) if s == want => Status::Ready(()),
        Some(s) => Status::Pending(s.as_ref().to_string()),
        None => Status::Pending("unknown".to_string()),
    }
}

/// The stack's tag, the user's, the fingerprint of what apply makes live and, once they are
/// set (`settings_set`), the record of its time to live and point-in-time recovery.
fn desired_tags(d: &TableDesired, settings_set: bool) -> Result<Vec<Tag>, AwsError> {
    let mut all = tags(&d.stack, &d.spec.tags)?;
    if !d.applied.is_empty() {
        all.push(tag(APPLIED_TAG, &d.applied)?);
    }
    if let Some(record) = record::settings_record(d).filter(|_| settings_set) {
        all.push(tag(TABLE_SETTINGS_TAG, &record)?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests;
