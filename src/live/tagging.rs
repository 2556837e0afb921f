//! Finds tables, functions, user pools and queues by the stack's tag in one paginated call.

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::Owned;
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;

/// The tagging API's largest pages: 100 resources and 500 tags; a page ends at whichever comes
/// first (source: the GetResources API reference). The emulator ends a page at 100 tags when
/// TagsPerPage is left out (49 resources of two tags: four pages for this stack's 150
/// resources instead of two).
const RESOURCES_PER_PAGE: i32 = 100;
const TAGS_PER_PAGE: i32 = 500;

/// The stack's tables and functions, with their tags.
pub async fn owned(clients: &Clients, stack: &str) -> Result<Owned, AwsError> {
    let mut owned = Owned::default();
    let mut pages = clients
        .tagging
        .get_resources()
        .tag_filters(TagFilter::builder().key(STACK_TAG).values(stack).build())
        .resource_type_filters("dynamodb:table")
        .resource_type_filters("lambda:function")
        .resource_type_filters("cognito-idp:userpool")
        .resource_type_filters("sqs")
        .resource_type_filters("events:rule")
        .resources_per_page(RESOURCES_PER_PAGE)
        .tags_per_page(TAGS_PER_PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.op("tagging:GetResources")?;
        for mapping in page.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn() else {
                continue;
            };
            let tags = mapping
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            if let Some(name) = crate::arn::table_name_in(arn) {
                owned.tables.insert(name.to_string(), tags);
            } else if let Some(name) = crate::arn::function_name_in(arn) {
                owned.functions.insert(name.to_string(), tags);
            } else if arn.contains(":userpool/") {
                owned.user_pools = true;
            } else if arn.contains(":sqs:") {
                owned.queues = true;
            } else if arn.contains(":events:") {
                owned.schedules = true;
            }
        }
    }
    Ok(owned)
}
