//! What `stackctl status` shows besides metrics, read-only and concurrently: each declared
//! table's billing, item count and size (DescribeTable: AWS refreshes them about every six
//! hours), point-in-time recovery and its earliest restorable time
//! (DescribeContinuousBackups) and auto scaling; each function's reserved concurrency
//! (GetFunctionConcurrency); the API's ID.

use futures::future::try_join_all;

use super::autoscaling::{self, Dimension, resource_id};
use super::{LiveAutoscaling, api};
use crate::aws::{AwsError, CallResult, Clients};
use crate::stack::{ApiType, Billing, Stack};

#[derive(Debug, Clone)]
pub struct TableFacts {
    pub logical: String,
    pub name: String,
    /// `None`: the table does not exist.
    pub billing: Option<Billing>,
    pub item_count: Option<i64>,
    pub size_bytes: Option<i64>,
    pub point_in_time_recovery: bool,
    /// Seconds since the epoch.
    pub earliest_restorable: Option<i64>,
    pub autoscaling: LiveAutoscaling,
}

#[derive(Debug, Clone)]
pub struct FunctionFacts {
    pub logical: String,
    pub name: String,
    /// `false`: the function does not exist.
    pub exists: bool,
    pub reserved_concurrency: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct ApiFacts {
    /// `None`: the API does not exist.
    pub id: Option<String>,
    pub name: String,
    pub stage: String,
    pub api_type: ApiType,
}

#[derive(Debug, Clone)]
pub struct StackFacts {
    pub tables: Vec<TableFacts>,
    pub functions: Vec<FunctionFacts>,
    /// The API's stages, one each (empty without `[api]`).
    pub api: Vec<ApiFacts>,
}

/// Reads the facts of every resource the stack file declares, at once.
///
/// # Errors
/// The first failed read (access denied names the permission it needs).
pub async fn read(clients: &Clients, stack: &Stack) -> Result<StackFacts, AwsError> {
    let tables = try_join_all(
        stack
            .tables
            .iter()
            .map(|t| table(clients, &t.logical, stack.table_name(&t.logical))),
    );
    let functions = try_join_all(
        stack
            .functions
            .iter()
            .map(|f| function(clients, &f.logical, stack.function_name(&f.logical))),
    );
    let api = async {
        let Some(spec) = &stack.api else {
            return Ok(Vec::new());
        };
        let found = api::tagged_api_named(clients, &stack.name, &stack.name, spec.api_type).await?;
        let id = found.map(|a| a.id);
        let stages = spec.stage_names().map(|stage| ApiFacts {
            id: id.clone(),
            name: stack.name.clone(),
            stage: stage.to_string(),
            api_type: spec.api_type,
        });
        Ok(stages.collect())
    };
    let scaled = async {
        let provisioned = stack
            .tables
            .iter()
            .any(|t| matches!(t.billing, Billing::Provisioned { .. }));
        if provisioned {
            autoscaling::read_all(clients).await
        } else {
            Ok(Default::default())
        }
    };
    let (mut tables, functions, api, mut scaled) =
        tokio::try_join!(tables, functions, api, scaled)?;
    for table in &mut tables {
        let id = resource_id(&table.name, None);
        table.autoscaling = LiveAutoscaling {
            read: scaled.remove(&(id.clone(), Dimension::Read)),
            write: scaled.remove(&(id, Dimension::Write)),
        };
    }
    Ok(StackFacts {
        tables,
        functions,
        api,
    })
}

async fn table(clients: &Clients, logical: &str, name: String) -> Result<TableFacts, AwsError> {
    let ddb = &clients.dynamodb;
    let (described, backups) = tokio::join!(
        ddb.describe_table().table_name(&name).send(),
        ddb.describe_continuous_backups().table_name(&name).send()
    );
    let described = described.absent_ok("dynamodb:DescribeTable")?;
    let table = described.as_ref().and_then(|d| d.table());
    let backups = match table {
        Some(_) => backups.absent_ok("dynamodb:DescribeContinuousBackups")?,
        None => None,
    };
    let recovery = backups
        .as_ref()
        .and_then(|b| b.continuous_backups_description())
        .and_then(|d| d.point_in_time_recovery_description());
    let on = recovery
        .and_then(|r| r.point_in_time_recovery_status())
        .map(|s| s.as_str())
        == Some("ENABLED");
    Ok(TableFacts {
        logical: logical.to_string(),
        billing: table.map(super::dynamodb::billing_of),
        item_count: table.and_then(|t| t.item_count()),
        size_bytes: table.and_then(|t| t.table_size_bytes()),
        point_in_time_recovery: on,
        earliest_restorable: recovery
            .filter(|_| on)
            .and_then(|r| r.earliest_restorable_date_time())
            .map(|t| t.secs()),
        autoscaling: LiveAutoscaling::default(),
        name,
    })
}

async fn function(
    clients: &Clients,
    logical: &str,
    name: String,
) -> Result<FunctionFacts, AwsError> {
    let concurrency = clients
        .lambda
        .get_function_concurrency()
        .function_name(&name)
        .send()
        .await
        .absent_ok("lambda:GetFunctionConcurrency")?;
    Ok(FunctionFacts {
        logical: logical.to_string(),
        exists: concurrency.is_some(),
        reserved_concurrency: concurrency.and_then(|c| c.reserved_concurrent_executions()),
        name,
    })
}
