//! The DynamoDB request shapes of a declared table, built once for everything that sends
//! them: CreateTable (apply), ImportTable's TableCreationParameters (import-table) and
//! UpdateTable (a table update's steps). (Shapes:
//! <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html>)

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType as DynamoKeyType, Projection as DynamoProjection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType, Tag,
};

use crate::aws::{AwsError, invalid_request};
use crate::marks::STACK_TAG;
use crate::stack::{Billing, GlobalIndexSpec, KeySpec, Projection, StreamView, TableSpec};

/// What CreateTable and ImportTable both take of a table: its keys, their declarations, its
/// billing and its global indexes.
pub struct TableShape {
    pub key_schema: Vec<KeySchemaElement>,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub billing_mode: BillingMode,
    /// Only on a provisioned table.
    pub throughput: Option<ProvisionedThroughput>,
    pub global_indexes: Vec<GlobalSecondaryIndex>,
}

impl TableShape {
    pub fn of(spec: &TableSpec) -> Result<TableShape, AwsError> {
        let (billing_mode, throughput) = match spec.billing {
            Billing::OnDemand => (BillingMode::PayPerRequest, None),
            Billing::Provisioned {
                read_capacity,
                write_capacity,
            } => (
                BillingMode::Provisioned,
                Some(throughput(read_capacity, write_capacity)?),
            ),
        };
        Ok(TableShape {
            key_schema: key_schema(&spec.partition_key, spec.sort_key.as_ref())?,
            attribute_definitions: attribute_definitions(
                spec.key_attributes(),
                "dynamodb:CreateTable",
            )?,
            billing_mode,
            throughput,
            global_indexes: spec
                .global_indexes
                .iter()
                .map(global_index)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A global index as CreateTable and ImportTable take it.
pub fn global_index(index: &GlobalIndexSpec) -> Result<GlobalSecondaryIndex, AwsError> {
    let mut gsi = GlobalSecondaryIndex::builder()
        .index_name(&index.name)
        .set_key_schema(Some(key_schema(
            &index.partition_key,
            index.sort_key.as_ref(),
        )?))
        .projection(projection(&index.projection));
    if let Some((read, write)) = index.capacity {
        gsi = gsi.provisioned_throughput(throughput(read, write)?);
    }
    gsi.build()
        .map_err(|e| invalid_request("dynamodb:CreateTable", e))
}

/// The partition key (HASH), then the sort key (RANGE) if any.
pub fn key_schema(
    partition: &KeySpec,
    sort: Option<&KeySpec>,
) -> Result<Vec<KeySchemaElement>, AwsError> {
    let element = |key: &KeySpec, kind: DynamoKeyType| {
        KeySchemaElement::builder()
            .attribute_name(&key.name)
            .key_type(kind)
            .build()
            .map_err(|e| invalid_request("dynamodb:CreateTable", e))
    };
    let mut schema = vec![element(partition, DynamoKeyType::Hash)?];
    if let Some(sort) = sort {
        schema.push(element(sort, DynamoKeyType::Range)?);
    }
    Ok(schema)
}

/// The key attributes of a table and its indexes as DynamoDB wants them declared;
/// `operation` names the request they go in.
pub fn attribute_definitions<'a>(
    keys: impl IntoIterator<Item = &'a KeySpec>,
    operation: &str,
) -> Result<Vec<AttributeDefinition>, AwsError> {
    keys.into_iter()
        .map(|key| {
            AttributeDefinition::builder()
                .attribute_name(&key.name)
                .attribute_type(ScalarAttributeType::from(key.key_type.code()))
                .build()
                .map_err(|e| invalid_request(operation, e))
        })
        .collect()
}

pub fn projection(p: &Projection) -> DynamoProjection {
    match p {
        Projection::All => DynamoProjection::builder()
            .projection_type(ProjectionType::All)
            .build(),
        Projection::KeysOnly => DynamoProjection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        Projection::Include(attrs) => DynamoProjection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attrs.clone()))
            .build(),
    }
}

/// A stream on with `view`, or off.
pub fn stream_spec(view: Option<StreamView>) -> Result<StreamSpecification, AwsError> {
    let mut spec = StreamSpecification::builder().stream_enabled(view.is_some());
    if let Some(view) = view {
        spec = spec.stream_view_type(StreamViewType::from(view.aws_name()));
    }
    spec.build()
        .map_err(|e| invalid_request("dynamodb:UpdateTable", e))
}

/// Read and write capacity units.
pub fn throughput(read: i64, write: i64) -> Result<ProvisionedThroughput, AwsError> {
    ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .map_err(|e| invalid_request("dynamodb:UpdateTable", e))
}

/// One tag as TagResource and CreateTable take it.
pub fn tag(key: &str, value: &str) -> Result<Tag, AwsError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| invalid_request("dynamodb:TagResource", e))
}

/// The stack's tag, then the user's.
pub fn tags(stack: &str, user: &BTreeMap<String, String>) -> Result<Vec<Tag>, AwsError> {
    std::iter::once((STACK_TAG, stack))
        .chain(user.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map(|(k, v)| tag(k, v))
        .collect()
}
