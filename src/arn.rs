//! Every ARN, execute-api endpoint and Lambda invocation URI stackctl builds or reads, with
//! the partition and DNS suffix taken from the region: `aws-cn` (`amazonaws.com.cn`) for
//! `cn-*`, `aws-us-gov` for `us-gov-*`, `aws` elsewhere. Pure functions; no AWS calls.
//! (ARN format: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>;
//! partitions and endpoints: <https://docs.aws.amazon.com/general/latest/gr/rande.html>)

/// The partition of `region`: `aws-cn`, `aws-us-gov` or `aws`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The DNS suffix of AWS endpoints in `region`: `amazonaws.com.cn` in China, else `amazonaws.com`.
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// The ARN of the Lambda function `name` in `account` and `region`.
pub fn function(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{}:lambda:{region}:{account}:function:{name}",
        partition(region)
    )
}

/// The ARN of the DynamoDB table `name` in `account` and `region`, as CreateTable returns it
/// (`arn:aws:dynamodb:us-east-1:123456789012:table/orders`).
pub fn table(region: &str, account: &str, name: &str) -> String {
    format!(
        "arn:{}:dynamodb:{region}:{account}:table/{name}",
        partition(region)
    )
}

/// The ARN of the SNS topic `name` in `account` and `region`, as CreateTopic returns it.
pub fn topic(region: &str, account: &str, name: &str) -> String {
    format!("arn:{}:sns:{region}:{account}:{name}", partition(region))
}

/// The ARN of an HTTP API (API Gateway v2), as TagResource and UntagResource take it.
pub fn http_api(region: &str, id: &str) -> String {
    format!("arn:{}:apigateway:{region}::/apis/{id}", partition(region))
}

/// The ARN of a REST API (API Gateway v1), as TagResource and UntagResource take it.
pub fn rest_api(region: &str, id: &str) -> String {
    format!(
        "arn:{}:apigateway:{region}::/restapis/{id}",
        partition(region)
    )
}

/// The execute-api ARN of `source` (`API_ID/STAGE/METHOD/PATH`, or `API_ID/authorizers/*`):
/// the source of a Lambda invoke permission for API Gateway.
pub fn execute_api(region: &str, account: &str, source: &str) -> String {
    format!(
        "arn:{}:execute-api:{region}:{account}:{source}",
        partition(region)
    )
}

/// The default endpoint of the REST API `id`: `https://ID.execute-api.REGION.SUFFIX`.
pub fn execute_api_endpoint(region: &str, id: &str) -> String {
    format!("https://{id}.execute-api.{region}.{}", dns_suffix(region))
}

/// The URL WebSocket clients connect to: `wss://ID.execute-api.REGION.SUFFIX/STAGE`
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api.html>).
pub fn websocket_url(region: &str, id: &str, stage: &str) -> String {
    format!(
        "wss://{id}.execute-api.{region}.{}/{stage}",
        dns_suffix(region)
    )
}

/// The URL a WebSocket API's back end posts to and drops connections through (the
/// @connections API): `https://ID.execute-api.REGION.SUFFIX/STAGE`
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html>).
pub fn websocket_callback_url(region: &str, id: &str, stage: &str) -> String {
    format!("{}/{stage}", execute_api_endpoint(region, id))
}

/// The URI through which API Gateway invokes a function (an integration's URI).
pub fn invocation_uri(region: &str, function_arn: &str) -> String {
    format!(
        "arn:{}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        partition(region)
    )
}

/// The URI of an AWS service integration that calls SNS's Publish action in `region`
/// (<https://docs.aws.amazon.com/apigateway/latest/api/API_PutIntegration.html>, `uri`).
pub fn sns_publish_uri(region: &str) -> String {
    format!(
        "arn:{}:apigateway:{region}:sns:action/Publish",
        partition(region)
    )
}

/// Whether an integration URI calls SNS's Publish action (in any region and partition).
pub fn is_sns_publish_uri(uri: &str) -> bool {
    uri.starts_with("arn:") && uri.contains(":apigateway:") && uri.ends_with(":sns:action/Publish")
}

const TOPIC_ARN_PARAM: &str = "TopicArn=$util.urlEncode('";

/// The request template that turns a request into SNS's Publish query: the topic, and the
/// request body as the message (form-encoded, as SNS's query API takes it).
pub fn publish_template(topic_arn: &str) -> String {
    format!("Action=Publish&{TOPIC_ARN_PARAM}{topic_arn}')&Message=$util.urlEncode($input.body)")
}

/// The topic ARN a [`publish_template`] names.
pub fn topic_arn_in_template(template: &str) -> Option<&str> {
    let (_, rest) = template.split_once(TOPIC_ARN_PARAM)?;
    rest.split_once("')").map(|(arn, _)| arn)
}

/// The ARN pattern of the log groups of the Lambda function `name`, in any region and
/// account of `region`'s partition (what AWSLambdaBasicExecutionRole grants, scoped).
pub fn lambda_log_groups(region: &str, name: &str) -> String {
    format!(
        "arn:{}:logs:*:*:log-group:/aws/lambda/{name}",
        partition(region)
    )
}

/// The function ARN in an integration URI, which is either the ARN itself or the
/// [`invocation_uri`] form.
pub fn function_arn_of(uri: &str) -> String {
    uri.split("/functions/")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .unwrap_or(uri)
        .to_string()
}

/// The function name in a function ARN or an invocation URI (without a version or alias).
pub fn function_name_of(uri: &str) -> String {
    let arn = function_arn_of(uri);
    arn.split(":function:")
        .nth(1)
        .unwrap_or(&arn)
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A function ARN without its version or alias (`...:function:NAME`).
pub fn unqualified(arn: &str) -> String {
    match (arn.split_once(":function:"), function_name_in(arn)) {
        (Some((head, _)), Some(name)) => format!("{head}:function:{name}"),
        _ => arn.to_string(),
    }
}

/// The function name in a function ARN, when it is one (`...:function:NAME[:QUALIFIER]`).
pub fn function_name_in(arn: &str) -> Option<&str> {
    let name = arn.split(":function:").nth(1)?;
    Some(name.split(':').next().unwrap_or(name))
}

/// The table name in a DynamoDB table ARN, when it is one (`...:table/NAME`).
pub fn table_name_in(arn: &str) -> Option<&str> {
    arn.split(":table/").nth(1)
}

/// The role name in an IAM role ARN, when it is one: the last part of its path
/// (`arn:aws:iam::ACCOUNT:role/stackctl/shop/shop-f` names `shop-f`).
pub fn role_name_in(arn: &str) -> Option<&str> {
    arn.contains(":role/").then(|| arn.rsplit('/').next())?
}

/// The account field of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`), unchecked.
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";

    #[test]
    fn partitions_and_suffixes() {
        for (region, part, suffix) in [
            ("us-east-1", "aws", "amazonaws.com"),
            ("eu-west-3", "aws", "amazonaws.com"),
            ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
            ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
        ] {
            assert_eq!(partition(region), part, "{region}");
            assert_eq!(dns_suffix(region), suffix, "{region}");
        }
    }

    #[test]
    fn arns_in_the_three_partitions() {
        assert_eq!(
            function("us-east-1", ACCOUNT, "shop-get"),
            "arn:aws:lambda:us-east-1:123456789012:function:shop-get"
        );
        assert_eq!(
            function("cn-north-1", ACCOUNT, "shop-get"),
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:shop-get"
        );
        assert_eq!(
            http_api("us-gov-west-1", "abc"),
            "arn:aws-us-gov:apigateway:us-gov-west-1::/apis/abc"
        );
        assert_eq!(
            rest_api("us-east-1", "abc"),
            "arn:aws:apigateway:us-east-1::/restapis/abc"
        );
        assert_eq!(
            execute_api("cn-north-1", ACCOUNT, "abc/authorizers/*"),
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/authorizers/*"
        );
        assert_eq!(
            lambda_log_groups("us-gov-east-1", "shop-get"),
            "arn:aws-us-gov:logs:*:*:log-group:/aws/lambda/shop-get"
        );
    }

    #[test]
    fn endpoints_in_the_three_partitions() {
        assert_eq!(
            execute_api_endpoint("us-east-1", "abc"),
            "https://abc.execute-api.us-east-1.amazonaws.com"
        );
        assert_eq!(
            execute_api_endpoint("cn-north-1", "abc"),
            "https://abc.execute-api.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            execute_api_endpoint("us-gov-west-1", "abc"),
            "https://abc.execute-api.us-gov-west-1.amazonaws.com"
        );
    }

    #[test]
    fn publish_integrations_round_trip() {
        let uri = sns_publish_uri("cn-north-1");
        assert_eq!(uri, "arn:aws-cn:apigateway:cn-north-1:sns:action/Publish");
        assert!(is_sns_publish_uri(&uri));
        assert!(!is_sns_publish_uri(&invocation_uri(
            "us-east-1",
            "arn:aws:lambda:x"
        )));
        let topic = "arn:aws:sns:us-east-1:123456789012:shop-events";
        assert_eq!(topic_arn_in_template(&publish_template(topic)), Some(topic));
    }

    #[test]
    fn invocation_uris_round_trip() {
        for region in ["us-east-1", "cn-north-1", "us-gov-west-1"] {
            let arn = function(region, ACCOUNT, "shop-get");
            let uri = invocation_uri(region, &arn);
            assert!(uri.starts_with(&format!("arn:{}:apigateway:", partition(region))));
            assert_eq!(function_arn_of(&uri), arn);
            assert_eq!(function_arn_of(&arn), arn);
            assert_eq!(function_name_of(&uri), "shop-get");
            assert_eq!(function_name_in(&format!("{arn}:live")), Some("shop-get"));
        }
        assert_eq!(
            invocation_uri("us-east-1", "F"),
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/F/invocations"
        );
    }

    #[test]
    fn names_and_accounts_in_arns() {
        let table = "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/shop-orders";
        assert_eq!(table_name_in(table), Some("shop-orders"));
        assert_eq!(function_name_in(table), None);
        assert_eq!(account_of(table), Some(ACCOUNT));
        let role = "arn:aws-us-gov:iam::123456789012:role/stackctl/shop/shop-f";
        assert_eq!(role_name_in(role), Some("shop-f"));
        assert_eq!(role_name_in(table), None);
    }
}
