//! Live auto scaling of tables and global indexes: Application Auto Scaling's scalable targets
//! and stackctl's target-tracking policies on them.
//!
//! A scalable target belongs to the table (or index) its resource ID names
//! (`table/NAME`, `table/NAME/index/INDEX`), so it is the stack's when the table is. Source:
//! <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html>.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{
    PolicyType, ScalableDimension, ScalableTarget, ScalingPolicy, ServiceNamespace,
};

use super::LiveTable;
use crate::aws::{AwsError, CallResult, Clients};
use crate::stack::Billing;

/// Read or write capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    Read,
    Write,
}

impl Dimension {
    pub const BOTH: [Dimension; 2] = [Dimension::Read, Dimension::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Read => "read",
            Dimension::Write => "write",
        }
    }

    /// Application Auto Scaling's scalable dimension of a table (`index` false) or an index.
    pub fn scalable(self, index: bool) -> ScalableDimension {
        match (self, index) {
            (Dimension::Read, false) => ScalableDimension::DynamoDbTableReadCapacityUnits,
            (Dimension::Write, false) => ScalableDimension::DynamoDbTableWriteCapacityUnits,
            (Dimension::Read, true) => ScalableDimension::DynamoDbIndexReadCapacityUnits,
            (Dimension::Write, true) => ScalableDimension::DynamoDbIndexWriteCapacityUnits,
        }
    }

    fn of(dimension: &ScalableDimension) -> Option<Dimension> {
        match dimension {
            ScalableDimension::DynamoDbTableReadCapacityUnits
            | ScalableDimension::DynamoDbIndexReadCapacityUnits => Some(Dimension::Read),
            ScalableDimension::DynamoDbTableWriteCapacityUnits
            | ScalableDimension::DynamoDbIndexWriteCapacityUnits => Some(Dimension::Write),
            _ => None,
        }
    }
}

/// The resource ID of a table (`index` None) or one of its global indexes.
pub fn resource_id(table: &str, index: Option<&str>) -> String {
    match index {
        None => format!("table/{table}"),
        Some(index) => format!("table/{table}/index/{index}"),
    }
}

/// One live scalable target, with stackctl's policy on it when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveScaling {
    pub min: i64,
    pub max: i64,
    pub policy: Option<LivePolicy>,
}

/// stackctl's target-tracking policy ([`crate::marks::scaling_policy_name`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LivePolicy {
    /// Target utilisation in percent.
    pub target: f64,
    pub scale_in_cooldown: Option<i64>,
    pub scale_out_cooldown: Option<i64>,
}

/// The live auto scaling of a table's or an index's two capacities.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveAutoscaling {
    pub read: Option<LiveScaling>,
    pub write: Option<LiveScaling>,
}

impl LiveAutoscaling {
    pub fn get(&self, dimension: Dimension) -> Option<&LiveScaling> {
        match dimension {
            Dimension::Read => self.read.as_ref(),
            Dimension::Write => self.write.as_ref(),
        }
    }

    fn slot(&mut self, dimension: Dimension) -> &mut Option<LiveScaling> {
        match dimension {
            Dimension::Read => &mut self.read,
            Dimension::Write => &mut self.write,
        }
    }
}

impl From<&crate::stack::CapacityScaling> for LiveAutoscaling {
    /// The live auto scaling stackctl leaves after applying `spec` (for tests and fakes).
    fn from(spec: &crate::stack::CapacityScaling) -> Self {
        let live = |s: &crate::stack::Autoscaling| LiveScaling {
            min: s.min,
            max: s.max,
            policy: Some(LivePolicy {
                target: s.target as f64,
                scale_in_cooldown: s.scale_in_cooldown,
                scale_out_cooldown: s.scale_out_cooldown,
            }),
        };
        LiveAutoscaling {
            read: spec.read.as_ref().map(live),
            write: spec.write.as_ref().map(live),
        }
    }
}

/// Adds the scalable targets and policies of `tables` (and their indexes) to them: two
/// listings of the account's DynamoDB namespace, DescribeScalableTargets and
/// DescribeScalingPolicies (50 a page), at once. Nothing is asked when no table is
/// provisioned: an on-demand table has no capacity to scale.
pub async fn read(
    clients: &Clients,
    tables: &mut BTreeMap<String, LiveTable>,
) -> Result<(), AwsError> {
    if !tables
        .values()
        .any(|t| matches!(t.billing, Billing::Provisioned { .. }))
    {
        return Ok(());
    }
    let mut found = read_all(clients).await?;
    for table in tables.values_mut() {
        for dimension in Dimension::BOTH {
            let id = resource_id(&table.name, None);
            *table.autoscaling.slot(dimension) = found.remove(&(id, dimension));
            for index in &mut table.global_indexes {
                let id = resource_id(&table.name, Some(&index.spec.name));
                *index.autoscaling.slot(dimension) = found.remove(&(id, dimension));
            }
        }
    }
    Ok(())
}

/// Every scalable target of the DynamoDB namespace with stackctl's policy on it, by resource
/// ID and dimension.
///
/// # Errors
/// A failed DescribeScalableTargets or DescribeScalingPolicies.
pub async fn read_all(
    clients: &Clients,
) -> Result<BTreeMap<(String, Dimension), LiveScaling>, AwsError> {
    let (targets, policies) = tokio::try_join!(targets(clients), policies(clients))?;
    let key =
        |id: &str, dimension: &ScalableDimension| Some((id.to_string(), Dimension::of(dimension)?));
    let mut found: BTreeMap<(String, Dimension), LiveScaling> = BTreeMap::new();
    for target in &targets {
        let Some(k) = key(target.resource_id(), target.scalable_dimension()) else {
            continue;
        };
        found.insert(k, scaling_of(target));
    }
    for policy in &policies {
        let Some((id, dimension)) = key(policy.resource_id(), policy.scalable_dimension()) else {
            continue;
        };
        if policy.policy_name() != crate::marks::scaling_policy_name(dimension.as_str()) {
            continue;
        }
        if let Some(scaling) = found.get_mut(&(id, dimension)) {
            scaling.policy = policy_of(policy);
        }
    }
    Ok(found)
}

fn scaling_of(target: &ScalableTarget) -> LiveScaling {
    LiveScaling {
        min: i64::from(target.min_capacity()),
        max: i64::from(target.max_capacity()),
        policy: None,
    }
}

fn policy_of(policy: &ScalingPolicy) -> Option<LivePolicy> {
    if policy.policy_type() != &PolicyType::TargetTrackingScaling {
        return None;
    }
    let config = policy.target_tracking_scaling_policy_configuration()?;
    Some(LivePolicy {
        target: config.target_value(),
        scale_in_cooldown: config.scale_in_cooldown().map(i64::from),
        scale_out_cooldown: config.scale_out_cooldown().map(i64::from),
    })
}

/// Every scalable target of the DynamoDB namespace, page after page.
async fn targets(clients: &Clients) -> Result<Vec<ScalableTarget>, AwsError> {
    let request = clients.autoscaling.describe_scalable_targets();
    let request = request.service_namespace(ServiceNamespace::Dynamodb);
    let items = request.into_paginator().items().send().try_collect().await;
    items.op("application-autoscaling:DescribeScalableTargets")
}

/// Every scaling policy of the DynamoDB namespace, page after page.
async fn policies(clients: &Clients) -> Result<Vec<ScalingPolicy>, AwsError> {
    let request = clients.autoscaling.describe_scaling_policies();
    let request = request.service_namespace(ServiceNamespace::Dynamodb);
    let items = request.into_paginator().items().send().try_collect().await;
    items.op("application-autoscaling:DescribeScalingPolicies")
}
