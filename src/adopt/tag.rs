//! The one write `adopt` makes: the stack's ownership tag ([`crate::marks::STACK_TAG`]) on the
//! adopted resource, nothing else.

use super::Kind;
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;

/// Tags the resource `arn` of `kind` as `stack`'s: DynamoDB TagResource, Lambda TagResource
/// or SNS TagResource with `stackctl:stack = STACK`; other tags are left as they are.
///
/// # Errors
/// The TagResource call's error (permissions, throttling, the resource gone).
pub async fn tag_as_owned(
    clients: &Clients,
    kind: Kind,
    arn: &str,
    stack: &str,
) -> Result<(), AwsError> {
    match kind {
        Kind::Table => {
            let tag = aws_sdk_dynamodb::types::Tag::builder()
                .key(STACK_TAG)
                .value(stack)
                .build()
                .expect("key and value are set");
            clients
                .dynamodb
                .tag_resource()
                .resource_arn(arn)
                .tags(tag)
                .send()
                .await
                .op("dynamodb:TagResource")?;
        }
        Kind::Function => {
            clients
                .lambda
                .tag_resource()
                .resource(arn)
                .tags(STACK_TAG, stack)
                .send()
                .await
                .op("lambda:TagResource")?;
        }
        Kind::Topic => {
            let tag = aws_sdk_sns::types::Tag::builder()
                .key(STACK_TAG)
                .value(stack)
                .build()
                .expect("key and value are set");
            clients
                .sns
                .tag_resource()
                .resource_arn(arn)
                .tags(tag)
                .send()
                .await
                .op("sns:TagResource")?;
        }
    }
    Ok(())
}
