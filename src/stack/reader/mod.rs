//! Turns stack file text into a [`Stack`], collecting every problem with its location.
//!
//! The file is parsed into a span-carrying TOML tree first, so that a problem anywhere can point
//! at its text, and reading goes on after a problem so that all of them are reported at once.
//! One file or folder per section of the stack file (`table`, `function`, `api`,
//! `websocket`, `env` overlays); `typed` holds the reader's state and typed accessors, `top` the file as a whole.

mod api;
mod declared;
mod defaults;
mod domains;
mod env;
mod filter;
mod fixed_names;
mod function;
mod inputs;
mod limits;
mod names;
mod oauth;
mod paths;
mod queue;
mod secrets;
mod table;
mod tags;
mod top;
mod topic;
mod typed;
mod user_pool;
mod websocket;

pub use limits::{MAX_TRANSFER_BUCKET, is_account_id, is_bucket_name};
pub use secrets::masked as mask_secrets;
pub use typed::RefSite;

use std::path::Path;

use toml::de::DeTable;

use super::diagnostic::Problem;
use super::spec::Stack;
use typed::Reader;

/// Everything read from the file: the stack when it could be built, the problems, and where
/// references are written (for the cycle check).
pub struct ReadResult {
    pub stack: Option<Stack>,
    pub problems: Vec<Problem>,
    pub references: Vec<RefSite>,
}

/// Reads the file; with `env`, that environment's overlay merged onto the base.
pub fn read(source: &str, dir: &Path, env: Option<&str>) -> ReadResult {
    let (doc, syntax_errors) = DeTable::parse_recoverable(source);
    let mut reader = Reader {
        source,
        problems: Vec::new(),
        references: Vec::new(),
    };
    if !syntax_errors.is_empty() {
        for err in syntax_errors {
            let span = err.span().unwrap_or(0..0);
            reader.problems.push(
                Problem::new(
                    format!("invalid TOML: {}", err.message().trim()),
                    span,
                    "here",
                )
                .help("fix the TOML syntax; see https://toml.io for the format"),
            );
        }
        return finish(reader, None);
    }
    let doc = doc.get_ref();
    let envs = reader.check_envs(doc);
    let stack = match env {
        None => {
            // The base first: an overlay's problems are those the base does not have.
            let stack = reader.stack(doc, dir, &env::EnvSettings::default());
            for name in &envs {
                reader.check_overlay(doc, name, dir);
            }
            stack
        }
        Some(env) => match reader.apply_env(doc, env, &envs) {
            Some((merged, settings)) => reader.stack(&merged, dir, &settings),
            None => None,
        },
    };
    finish(reader, stack)
}

fn finish(reader: Reader<'_>, stack: Option<Stack>) -> ReadResult {
    ReadResult {
        stack,
        problems: reader.problems,
        references: reader.references,
    }
}
