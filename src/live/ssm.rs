//! The SSM parameters that environment values and permissions refer to (`${inputs.NAME}` too), read with decryption, and which of
//! them are plain (`String` or `StringList`, shown in plans; a `SecureString` never is).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ssm::types::ParameterType;

use crate::aws::{AwsError, CallResult, Clients, ErrorKind};
use crate::stack::{RefTarget, Stack};

/// GetParameters takes at most ten names per call.
const BATCH: usize = 10;

/// The values by name, and the names of the plain parameters among them.
pub async fn read_parameters(
    clients: &Clients,
    stack: &Stack,
) -> Result<(BTreeMap<String, String>, BTreeSet<String>), AwsError> {
    let names: BTreeSet<String> = stack
        .functions
        .iter()
        .flat_map(|f| f.references())
        .filter_map(|r| match r.target {
            RefTarget::Ssm(name) => Some(name),
            _ => None,
        })
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    let mut values = BTreeMap::new();
    let mut plain = BTreeSet::new();
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
                let secure = parameter.r#type() == Some(&ParameterType::SecureString);
                if !secure {
                    plain.insert(name.to_string());
                }
            }
        }
    }
    Ok((values, plain))
}
