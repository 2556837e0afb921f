//! A function's `build` and `vpc`: how its code folder becomes the package, and the VPC it
//! runs in.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `build = "pip" | "npm" | { command = "...", output = "..." }`: what runs before the code
/// folder is zipped (see `crate::build`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Build {
    /// `pip install -r requirements.txt` for the function's runtime and architecture, with
    /// the folder's files copied over the installed packages.
    Pip,
    /// `npm ci --omit=dev` in a copy of the folder (package-lock.json required).
    Npm,
    /// A shell command (`sh -c`) run in the code folder; the package is its `output` folder.
    Command {
        command: String,
        /// The folder the command writes, below the code folder.
        output: PathBuf,
    },
}

impl Build {
    /// How the stack file names it, for messages.
    pub fn name(&self) -> &str {
        match self {
            Build::Pip => "pip",
            Build::Npm => "npm",
            Build::Command { .. } => "command",
        }
    }
}

/// `vpc = { subnets = [...], security_groups = [...] }`: Lambda's VpcConfig, compared as sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcSpec {
    /// Subnet IDs (`subnet-...`).
    pub subnets: BTreeSet<String>,
    /// Security group IDs (`sg-...`).
    pub security_groups: BTreeSet<String>,
}
