//! `--verbose` or `STACKCTL_LOG=requests`: one line on standard error per AWS request attempt,
//! retries included, so that users (and tests) can see exactly which calls a command makes.

use crate::output::errln;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Clone, Copy)]
pub struct RequestLog;

/// `--verbose` asked for the log.
static ASKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the log on for every client made from now on (`--verbose`).
pub fn enable() {
    ASKED.store(true, std::sync::atomic::Ordering::Relaxed);
}

impl RequestLog {
    /// Whether the user asked for the log: `--verbose`, or `STACKCTL_LOG=requests`.
    pub fn enabled() -> bool {
        ASKED.load(std::sync::atomic::Ordering::Relaxed)
            || std::env::var("STACKCTL_LOG")
                .is_ok_and(|v| v.split(',').any(|p| p.trim() == "requests"))
    }
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "stackctl-request-log"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            errln!(
                "aws request: {}:{}",
                metadata.service().to_lowercase(),
                metadata.name()
            );
        }
        Ok(())
    }
}
