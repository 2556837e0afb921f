//! The SSM parameters that environment values refer to, read with decryption.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{AwsError, CallResult, Clients, ErrorKind};
use crate::stack::{RefTarget, Stack};

/// GetParameters takes at most ten names per call.
const BATCH: usize = 10;

pub async fn read_parameters(
    clients: &Clients,
    stack: &Stack,
) -> Result<BTreeMap<String, String>, AwsError> {
    let names: BTreeSet<String> = stack
        .functions
        .iter()
        .flat_map(|f| f.environment.values())
        .flat_map(|v| v.value.references())
        .filter_map(|r| match &r.target {
            RefTarget::Ssm(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    let mut values = BTreeMap::new();
    for batch in names.chunks(BATCH) {
        let out = clients
            .ssm
            .get_parameters()
            .set_names(Some(batch.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .op("ssm:GetParameters")?;
        if !out.invalid_parameters().is_empty() {
            return Err(AwsError::Call {
                operation: "ssm:GetParameters".to_string(),
                message: format!(
                    "SSM parameter {} does not exist (or is not readable) in this account and region",
                    out.invalid_parameters().join(", ")
                ),
                kind: ErrorKind::NotFound,
                help: None,
            });
        }
        for parameter in out.parameters() {
            if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                values.insert(name.to_string(), value.to_string());
            }
        }
    }
    Ok(values)
}
