use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;

use aws_sdk_dynamodb::types::AttributeValue;

use super::info::KEY;
use super::*;
use crate::aws::Clients;

fn clients(rule: &aws_smithy_mocks::Rule) -> Clients {
    Clients::with_dynamodb(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [rule]))
}

#[tokio::test]
async fn a_plan_sees_the_generation_a_missing_table_or_a_lock_it_may_not_read() {
    let item = mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .item(KEY, AttributeValue::S("shop".into()))
            .item("generation", AttributeValue::N("7".into()))
            .build()
    });
    assert_eq!(
        seen(&clients(&item), "shop").await.unwrap(),
        Seen::Generation(Generation(7))
    );

    let missing = mock!(Client::get_item).then_error(|| {
        GetItemError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("Requested resource not found")
                .meta(
                    ErrorMetadata::builder()
                        .code("ResourceNotFoundException")
                        .build(),
                )
                .build(),
        )
    });
    assert_eq!(
        seen(&clients(&missing), "shop").await.unwrap(),
        Seen::NoTable
    );

    let denied = mock!(Client::get_item).then_error(|| {
        GetItemError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: dynamodb:GetItem")
                .build(),
        )
    });
    assert_eq!(
        seen(&clients(&denied), "shop").await.unwrap(),
        Seen::Unreadable
    );
}
