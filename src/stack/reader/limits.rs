//! Limits AWS enforces that the stack file alone can break, each with its source: the one place
//! to update when AWS changes one.

/// Runtime identifiers Lambda's CreateFunction accepts: the supported runtimes, and deprecated
/// ones whose "block function create" date has not passed.
/// Source: <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html>.
pub(super) const RUNTIMES: &[&str] = &[
    "nodejs24.x",
    "nodejs22.x",
    "nodejs20.x",
    "nodejs18.x",
    "python3.14",
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python3.9",
    "java25",
    "java21",
    "java17",
    "java11",
    "java8.al2",
    "dotnet10",
    "dotnet8",
    "ruby3.4",
    "ruby3.3",
    "ruby3.2",
    "provided.al2023",
    "provided.al2",
];

/// Deprecated runtimes whose "block function create" date has passed, each with the runtime
/// to move to (the newest of the same language in [`RUNTIMES`]; `provided.al2023` for Go and
/// the Amazon Linux 1 custom runtime, as Lambda's deprecation notes advise). CreateFunction
/// refuses these with InvalidParameterValueException, after the stack's tables, roles and API
/// were made: validate refuses them first.
/// Source: <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html> ("Deprecated
/// runtimes").
pub(super) const DEPRECATED_RUNTIMES: &[(&str, &str)] = &[
    ("nodejs", "nodejs22.x"),
    ("nodejs4.3", "nodejs22.x"),
    ("nodejs4.3-edge", "nodejs22.x"),
    ("nodejs6.10", "nodejs22.x"),
    ("nodejs8.10", "nodejs22.x"),
    ("nodejs10.x", "nodejs22.x"),
    ("nodejs12.x", "nodejs22.x"),
    ("nodejs14.x", "nodejs22.x"),
    ("nodejs16.x", "nodejs22.x"),
    ("python2.7", "python3.13"),
    ("python3.6", "python3.13"),
    ("python3.7", "python3.13"),
    ("python3.8", "python3.13"),
    ("java8", "java21"),
    ("dotnetcore1.0", "dotnet8"),
    ("dotnetcore2.0", "dotnet8"),
    ("dotnetcore2.1", "dotnet8"),
    ("dotnetcore3.1", "dotnet8"),
    ("dotnet5.0", "dotnet8"),
    ("dotnet6", "dotnet8"),
    ("dotnet7", "dotnet8"),
    ("ruby2.5", "ruby3.4"),
    ("ruby2.7", "ruby3.4"),
    ("go1.x", "provided.al2023"),
    ("provided", "provided.al2023"),
];

/// Handler: 1 to 128 characters, no whitespace.
/// Source: <https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html>.
pub(super) const MAX_HANDLER: usize = 128;
/// Description: at most 256 characters (same page).
pub(super) const MAX_DESCRIPTION: usize = 256;
/// Environment variables: keys and values together at most 4 KB (4096 bytes).
/// Source: <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>.
pub(super) const MAX_ENVIRONMENT_BYTES: usize = 4096;

/// Environment variable names Lambda sets itself and refuses in a function's configuration
/// ("reserved environment variables"). Only these: other `AWS_*` names (`AWS_EMF_NAMESPACE`,
/// `AWS_XRAY_CONTEXT_MISSING`, `AWS_XRAY_TRACING_NAME`, `AWS_LAMBDA_EXEC_WRAPPER`, ...) are
/// the user's to set. `_HANDLER` and `_X_AMZN_TRACE_ID` are reserved too, but refused already
/// by the name rule: Lambda's key pattern is `[a-zA-Z]([a-zA-Z0-9_])+`, so a name starts with a
/// letter and has at least two characters.
/// Source: <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html>
/// ("Reserved environment variables") and
/// <https://docs.aws.amazon.com/lambda/latest/api/API_Environment.html>.
pub(super) const RESERVED_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];

/// API Gateway authorizer names: 1 to 128 characters (CreateAuthorizer,
/// <https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers.html>).
pub(super) const MAX_AUTHORIZER_NAME: usize = 128;

/// Tags: keys 1 to 128 characters, values at most 256, 50 per resource, in letters, digits,
/// spaces and `_ . : / = + - @` (DynamoDB, Lambda, API Gateway and IAM share these).
/// Source: <https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html> and
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.html>.
pub(super) const MAX_TAG_KEY: usize = 128;
pub(super) const MAX_TAG_VALUE: usize = 256;
pub(super) const MAX_TAGS: usize = 50;
/// The tags stackctl puts on every table, function and API besides the declared ones:
/// `stackctl:stack` (ownership) and `stackctl:applied` (tables, functions) or
/// `stackctl:permissions` (APIs). Roles carry only `stackctl:stack` and no declared tags.
pub(super) const OWN_TAGS: usize = 2;

/// DynamoDB attribute names used as keys, TTL attribute and projected attributes: 1 to 255
/// bytes. Source: <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeDefinition.html>
/// and <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TimeToLiveSpecification.html>.
pub(super) const MAX_ATTRIBUTE_NAME: usize = 255;
/// Non-key attributes projected into a table's indexes, summed over all of them (the same
/// attribute in two indexes counts twice).
/// Source: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-secondary-indexes>.
pub(super) const MAX_PROJECTED_TOTAL: usize = 100;

/// A tag key or value character AWS accepts.
pub(super) fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// A layer version ARN as Lambda's CreateFunction `Layers` pattern has it:
/// `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`, a 12-digit account, a name of
/// letters, digits, '-' and '_', a numeric version.
/// Source: <https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html>.
pub(super) fn is_layer_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let [
        "arn",
        partition,
        "lambda",
        region,
        account,
        "layer",
        name,
        version,
    ] = parts.as_slice()
    else {
        return false;
    };
    let word = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || extra.contains(&c))
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    word(partition, &[])
        && word(region, &[])
        && is_account_id(account)
        && word(name, &['_'])
        && name.len() <= 140
        && digits(version)
}

/// An S3 bucket name as the APIs that take one accept it: 3 to `max` letters, digits, '.',
/// '_' and '-', beginning and ending with a letter or digit. Upper case and '_' are in: legacy
/// us-east-1 buckets have them, and DynamoDB's ExportTableToPointInTime / ImportTable
/// (`S3Bucket`, up to 255: <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html>)
/// and Lambda's FunctionCode (`S3Bucket`, up to 63:
/// <https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html>) take them.
pub fn is_bucket_name(name: &str, max: usize) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (3..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && edge(name.chars().next())
        && edge(name.chars().last())
}

/// The longest bucket name DynamoDB's exports and imports take.
pub const MAX_TRANSFER_BUCKET: usize = 255;
/// The longest bucket name Lambda takes code from.
pub const MAX_CODE_BUCKET: usize = 63;

/// An AWS account ID: 12 digits (ExpectedBucketOwner, ARNs).
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.chars().all(|c| c.is_ascii_digit())
}

/// A Cognito user pool ARN, as API Gateway's CreateAuthorizer `providerARNs` takes it:
/// `arn:PARTITION:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID`.
/// Source: <https://docs.aws.amazon.com/apigateway/latest/api/API_CreateAuthorizer.html>.
pub(super) fn is_user_pool_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let ["arn", partition, "cognito-idp", region, account, pool] = parts.as_slice() else {
        return false;
    };
    !partition.is_empty()
        && !region.is_empty()
        && is_account_id(account)
        && pool
            .strip_prefix("userpool/")
            .is_some_and(|id| !id.is_empty() && !id.contains(char::is_whitespace))
}

/// Provisioned capacity units of a table or index: 1 to 40,000 (the default per-table quota).
/// Source: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html>.
pub(super) const MAX_CAPACITY_UNITS: i64 = 40_000;
/// DynamoDB auto scaling's target utilisation: 20 to 90 percent.
/// Source: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.html>.
pub(super) const AUTOSCALING_TARGET: std::ops::RangeInclusive<i64> = 20..=90;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_arns() {
        assert!(is_layer_arn(
            "arn:aws:lambda:us-east-1:123456789012:layer:shared:3"
        ));
        assert!(!is_layer_arn(
            "arn:aws:lambda:us-east-1:123456789012:layer:shared"
        ));
        assert!(!is_layer_arn(
            "arn:aws:lambda:us-east-1:1234:layer:shared:3"
        ));
        assert!(!is_layer_arn(
            "arn:aws:lambda:us-east-1:123456789012:layer:sh ared:3"
        ));
        assert!(!is_layer_arn("my-layer"));
    }

    #[test]
    fn buckets_and_pools() {
        assert!(is_bucket_name("my-artifacts.2026", 63));
        assert!(is_bucket_name("Legacy_Bucket", 63));
        assert!(!is_bucket_name("my bucket", 63));
        assert!(!is_bucket_name("ab", 63));
        assert!(!is_bucket_name("-ab", 63));
        assert!(!is_bucket_name(&"a".repeat(64), 63));
        assert!(is_user_pool_arn(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"
        ));
        assert!(!is_user_pool_arn("us-east-1_abc"));
    }
}
