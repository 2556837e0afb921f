//! The table's record of the time to live and point-in-time recovery apply set
//! (`marks::TABLE_SETTINGS_TAG`): plans trust it instead of reading both settings again.

use crate::apply::Context;
use crate::aws::{AwsError, CallResult};
use crate::live::LiveTable;
use crate::marks::{TABLE_SETTINGS_TAG, table_settings_record};
use crate::plan::TableDesired;
use crate::stack::TableSpec;
use crate::table_shapes::tag;

/// Neither time to live nor point-in-time recovery: what a new table has.
pub(super) fn has_default_settings(spec: &TableSpec) -> bool {
    spec.ttl_attribute.is_none() && !spec.point_in_time_recovery
}

/// Tags the table with the record of the time to live and point-in-time recovery apply set
/// (`marks::TABLE_SETTINGS_TAG`), once they are set.
pub(super) async fn record_settings(
    ctx: &Context<'_>,
    arn: &str,
    d: &TableDesired,
) -> Result<(), AwsError> {
    let Some(record) = settings_record(d) else {
        return Ok(());
    };
    ctx.clients
        .dynamodb
        .tag_resource()
        .resource_arn(arn)
        .tags(tag(TABLE_SETTINGS_TAG, &record)?)
        .send()
        .await
        .op("dynamodb:TagResource")?;
    Ok(())
}

/// Removes the settings record before a step changes time to live or point-in-time recovery:
/// an apply cut short after it leaves no record that says otherwise, and the next plan reads
/// them. `update_tags` writes it again.
pub(super) async fn forget_settings(ctx: &Context<'_>, live: &LiveTable) -> Result<(), AwsError> {
    ctx.clients
        .dynamodb
        .untag_resource()
        .resource_arn(&live.arn)
        .tag_keys(TABLE_SETTINGS_TAG)
        .send()
        .await
        .op("dynamodb:UntagResource")?;
    Ok(())
}

pub(super) fn settings_record(d: &TableDesired) -> Option<String> {
    if d.applied.is_empty() {
        return None;
    }
    let spec = &d.spec;
    table_settings_record(
        &d.applied,
        spec.ttl_attribute.as_deref(),
        spec.point_in_time_recovery,
    )
}
