//! The lock table and its items: reads, the conditional release, and the table's creation.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, TableStatus,
};

use super::info::{Generation, KEY, LockInfo, generation_of};
use crate::aws::poll::{self, Pace, Poll};
use crate::aws::{AwsError, CallResult, Clients, ErrorKind, classify, describe, invalid_request};
use crate::marks::LOCK_TABLE;

/// What a conditional write of the lock item answers.
pub(super) type UpdateResult = Result<
    aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
    aws_smithy_runtime_api::client::result::SdkError<
        aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
>;

/// Removes the holder and moves the generation on; only for `token`'s holder when given.
pub(super) async fn release_item(
    clients: &Clients,
    stack: &str,
    token: Option<&str>,
) -> UpdateResult {
    let mut request = clients
        .dynamodb
        .update_item()
        .table_name(LOCK_TABLE)
        .key(KEY, AttributeValue::S(stack.to_string()))
        .update_expression(
            "REMOVE holder, #token, acquired_at, expires_at, host, pid SET generation = if_not_exists(generation, :zero) + :one",
        )
        .expression_attribute_names("#token", "token")
        .expression_attribute_values(":zero", AttributeValue::N("0".to_string()))
        .expression_attribute_values(":one", AttributeValue::N("1".to_string()))
        .return_values(ReturnValue::AllOld);
    if let Some(token) = token {
        request = request
            .condition_expression("#token = :token")
            .expression_attribute_values(":token", AttributeValue::S(token.to_string()));
    }
    request.send().await
}

pub async fn table_exists(clients: &Clients) -> Result<bool, AwsError> {
    let table = clients
        .dynamodb
        .describe_table()
        .table_name(LOCK_TABLE)
        .send()
        .await
        .absent_ok("dynamodb:DescribeTable")?;
    Ok(table.is_some())
}

/// Creates the lock table, and waits until it is ACTIVE.
pub async fn create_table(clients: &Clients) -> Result<(), AwsError> {
    let op = "dynamodb:CreateTable";
    let created = clients
        .dynamodb
        .create_table()
        .table_name(LOCK_TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| invalid_request(op, e))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(KEY)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| invalid_request(op, e))?,
        )
        .send()
        .await;
    match created {
        Ok(_) => {}
        // Another apply created it at the same moment.
        Err(e) if classify(&e) == ErrorKind::Conflict => {}
        Err(e) => return Err(describe(op, e)),
    }
    poll::until(
        "the lock table",
        Pace::settle(Duration::from_secs(300)),
        |_| {},
        || false,
        || async {
            let out = clients
                .dynamodb
                .describe_table()
                .table_name(LOCK_TABLE)
                .send()
                .await
                .op("dynamodb:DescribeTable")?;
            Ok(match out.table().and_then(|t| t.table_status()) {
                Some(TableStatus::Active) => Poll::Ready(()),
                status => Poll::Pending(status.map_or("CREATING", |s| s.as_str()).to_string()),
            })
        },
    )
    .await
}

/// The lock item of `stack`: `None` when there is no lock table yet.
pub(super) async fn item(
    clients: &Clients,
    stack: &str,
) -> Result<Option<Option<HashMap<String, AttributeValue>>>, AwsError> {
    let read = clients
        .dynamodb
        .get_item()
        .table_name(LOCK_TABLE)
        .key(KEY, AttributeValue::S(stack.to_string()))
        .consistent_read(true)
        .send()
        .await
        .absent_ok("dynamodb:GetItem")?;
    Ok(read.map(|out| out.item))
}

/// Who holds `stack`'s lock now, if anyone (an expired lock is still returned).
pub async fn read(clients: &Clients, stack: &str) -> Result<Option<LockInfo>, AwsError> {
    Ok(item(clients, stack)
        .await?
        .flatten()
        .as_ref()
        .and_then(LockInfo::from_item))
}

/// What a plan knows of the lock before it reads live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The lock table does not exist yet: apply creates it.
    NoTable,
    /// The lock's generation now. Read before live state, so that an apply that ends in
    /// between shows as a new generation.
    Generation(Generation),
    /// The credentials may not read the lock (a plan-only role in CI): plans go on.
    Unreadable,
}

pub async fn seen(clients: &Clients, stack: &str) -> Result<Seen, AwsError> {
    match item(clients, stack).await {
        Ok(None) => Ok(Seen::NoTable),
        Ok(Some(item)) => Ok(Seen::Generation(generation_of(item.as_ref()))),
        Err(AwsError::Call {
            kind: ErrorKind::AccessDenied,
            ..
        }) => Ok(Seen::Unreadable),
        Err(e) => Err(e),
    }
}

/// Removes `stack`'s lock whoever holds it; returns what was removed.
pub async fn force_release(clients: &Clients, stack: &str) -> Result<Option<LockInfo>, AwsError> {
    let released = release_item(clients, stack, None)
        .await
        .absent_ok("dynamodb:UpdateItem")?;
    Ok(released.and_then(|out| out.attributes().and_then(LockInfo::from_item)))
}

/// The write's condition did not hold: someone else holds the lock.
pub(super) fn is_condition_failure<E, R>(
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    err.code() == Some("ConditionalCheckFailedException")
}
