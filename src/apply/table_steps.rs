//! The requests of a table update's steps (the steps and their order are the plan's: see
//! [`crate::plan::table_steps`]), as they go to DynamoDB.

use aws_sdk_dynamodb::operation::update_continuous_backups::UpdateContinuousBackupsInput;
use aws_sdk_dynamodb::operation::update_table::UpdateTableInput;
use aws_sdk_dynamodb::operation::update_time_to_live::UpdateTimeToLiveInput;
use aws_sdk_dynamodb::types::{
    BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndexUpdate, PointInTimeRecoverySpecification, TableClass as DynamoTableClass,
    TimeToLiveSpecification, UpdateGlobalSecondaryIndexAction,
};

use crate::aws::{AwsError, invalid_request};
use crate::plan::table_steps::Step;
use crate::stack::{Billing, GlobalIndexSpec, KeySpec};
use crate::table_shapes::{attribute_definitions, global_index, stream_spec, throughput};

/// A request as it goes to DynamoDB.
#[derive(Debug, Clone)]
pub enum Request {
    Table(Box<UpdateTableInput>),
    TimeToLive(UpdateTimeToLiveInput),
    ContinuousBackups(UpdateContinuousBackupsInput),
}

/// A step as the request that carries it out.
pub trait StepRequest {
    /// The request for the table named `table`.
    fn request(&self, table: &str) -> Result<Request, AwsError>;
}

impl StepRequest for Step {
    fn request(&self, table: &str) -> Result<Request, AwsError> {
        let op = "dynamodb:UpdateTable";
        let update = UpdateTableInput::builder().table_name(table);
        let update = match self {
            Step::DeleteIndex(name) => {
                let delete = DeleteGlobalSecondaryIndexAction::builder()
                    .index_name(name)
                    .build()
                    .map_err(|e| invalid_request(op, e))?;
                update.global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder().delete(delete).build(),
                )
            }
            Step::SwitchBilling { billing, indexes } => switch_billing(update, *billing, indexes)?,
            Step::TableCapacity(read, write) => {
                update.provisioned_throughput(throughput(*read, *write)?)
            }
            Step::IndexCapacity(name, capacity) => {
                update.global_secondary_index_updates(capacity_update(name, *capacity)?)
            }
            Step::CreateIndex { index, keys } => create_index(update, index, keys)?,
            Step::Stream(view) => update.stream_specification(stream_spec(*view)?),
            Step::TableClass(class) => update.table_class(DynamoTableClass::from(class.aws_name())),
            Step::DeletionProtection(on) => update.deletion_protection_enabled(*on),
            Step::Ttl { attribute, enabled } => return ttl_request(table, attribute, *enabled),
            Step::PointInTimeRecovery(on) => return pitr_request(table, *on),
        };
        Ok(Request::Table(Box::new(
            update.build().map_err(|e| invalid_request(op, e))?,
        )))
    }
}

type UpdateBuilder = aws_sdk_dynamodb::operation::update_table::builders::UpdateTableInputBuilder;

fn switch_billing(
    update: UpdateBuilder,
    billing: Billing,
    indexes: &[(String, (i64, i64))],
) -> Result<UpdateBuilder, AwsError> {
    let Billing::Provisioned {
        read_capacity,
        write_capacity,
    } = billing
    else {
        return Ok(update.billing_mode(BillingMode::PayPerRequest));
    };
    let mut update = update
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(read_capacity, write_capacity)?);
    for (name, capacity) in indexes {
        update = update.global_secondary_index_updates(capacity_update(name, *capacity)?);
    }
    Ok(update)
}

fn capacity_update(
    name: &str,
    (read, write): (i64, i64),
) -> Result<GlobalSecondaryIndexUpdate, AwsError> {
    let update = UpdateGlobalSecondaryIndexAction::builder()
        .index_name(name)
        .provisioned_throughput(throughput(read, write)?)
        .build()
        .map_err(|e| invalid_request("dynamodb:UpdateTable", e))?;
    Ok(GlobalSecondaryIndexUpdate::builder().update(update).build())
}

fn create_index(
    update: UpdateBuilder,
    index: &GlobalIndexSpec,
    keys: &[KeySpec],
) -> Result<UpdateBuilder, AwsError> {
    let op = "dynamodb:UpdateTable";
    // The index as CreateTable would take it, as an UpdateTable action.
    let index = global_index(index)?;
    let create = CreateGlobalSecondaryIndexAction::builder()
        .index_name(index.index_name())
        .set_key_schema(Some(index.key_schema().to_vec()))
        .set_projection(index.projection().cloned())
        .set_provisioned_throughput(index.provisioned_throughput().cloned());
    let create = create.build().map_err(|e| invalid_request(op, e))?;
    let definitions = attribute_definitions(keys, op)?;
    Ok(update
        .set_attribute_definitions(Some(definitions))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(create).build(),
        ))
}

fn ttl_request(table: &str, attribute: &str, enabled: bool) -> Result<Request, AwsError> {
    let op = "dynamodb:UpdateTimeToLive";
    let spec = TimeToLiveSpecification::builder()
        .enabled(enabled)
        .attribute_name(attribute)
        .build()
        .map_err(|e| invalid_request(op, e))?;
    let input = UpdateTimeToLiveInput::builder()
        .table_name(table)
        .time_to_live_specification(spec)
        .build()
        .map_err(|e| invalid_request(op, e))?;
    Ok(Request::TimeToLive(input))
}

fn pitr_request(table: &str, enabled: bool) -> Result<Request, AwsError> {
    let op = "dynamodb:UpdateContinuousBackups";
    let spec = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(enabled)
        .build()
        .map_err(|e| invalid_request(op, e))?;
    let input = UpdateContinuousBackupsInput::builder()
        .table_name(table)
        .point_in_time_recovery_specification(spec)
        .build()
        .map_err(|e| invalid_request(op, e))?;
    Ok(Request::ContinuousBackups(input))
}

#[cfg(test)]
mod tests;
