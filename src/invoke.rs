//! Invoking a function: one Lambda Invoke, its answer decoded (`stackctl invoke`).

use std::time::Duration;

use base64::Engine;

use crate::aws::{AwsError, CallResult, Clients};

/// What Lambda answered to a synchronous invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The function's response (or its error object), as returned: usually JSON.
    pub payload: Vec<u8>,
    /// `Handled` or `Unhandled` when the function failed (`X-Amz-Function-Error`).
    pub function_error: Option<String>,
    /// The last 4 KB of the execution log, decoded (asked for with `LogType=Tail`).
    pub log_tail: Option<String>,
    /// The version that ran (`$LATEST` unless a version or alias was invoked).
    pub executed_version: Option<String>,
}

/// A function may run 15 minutes (Lambda's maximum timeout, source:
/// <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>): the request
/// waits that long and a minute more, instead of the clients' usual 60 seconds.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(16 * 60);

/// Invokes `function_name` synchronously (`RequestResponse`) with `payload` (JSON bytes, up
/// to 6 MB), with the log tail when `log` (source:
/// <https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html>). A function that fails is
/// an answer (`function_error`), not an error.
///
/// # Errors
/// [`AwsError::Call`] when Lambda refuses the request (no such function, payload too large,
/// throttled after the retries, ...).
pub async fn invoke(
    clients: &Clients,
    function_name: &str,
    payload: Vec<u8>,
    log: bool,
) -> Result<Invocation, AwsError> {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(INVOKE_TIMEOUT)
        .build();
    let mut request = clients
        .lambda
        .invoke()
        .function_name(function_name)
        .payload(aws_smithy_types::Blob::new(payload));
    if log {
        request = request.log_type(aws_sdk_lambda::types::LogType::Tail);
    }
    let answer = request
        .customize()
        .config_override(aws_sdk_lambda::config::Builder::default().timeout_config(timeouts))
        .send()
        .await
        .op("lambda:InvokeFunction")?;
    let log_tail = answer.log_result().map(|encoded| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_else(|_| encoded.as_bytes().to_vec());
        String::from_utf8_lossy(&bytes).into_owned()
    });
    Ok(Invocation {
        payload: answer
            .payload()
            .map(|p| p.as_ref().to_vec())
            .unwrap_or_default(),
        function_error: answer.function_error().map(str::to_string),
        log_tail,
        executed_version: answer.executed_version().map(str::to_string),
    })
}
