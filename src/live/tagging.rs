//! Finds tables and functions by the stack's tag in one paginated call.

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::Owned;
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::STACK_TAG;

pub async fn owned(clients: &Clients, stack: &str) -> Result<Owned, AwsError> {
    let mut owned = Owned::default();
    let mut pages = clients
        .tagging
        .get_resources()
        .tag_filters(TagFilter::builder().key(STACK_TAG).values(stack).build())
        .resource_type_filters("dynamodb:table")
        .resource_type_filters("lambda:function")
        .resources_per_page(100)
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
            }
        }
    }
    Ok(owned)
}
