//! Reading items: one (GetItem), by key (Query) or all (Scan, in parallel segments), page by
//! page so that output streams; and the stored items behind a write's keys (BatchGetItem).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use futures::stream::{self, BoxStream, StreamExt};

use super::Expression;
use crate::aws::{AwsError, CallResult, Clients};
use crate::schema::Item;

/// A query or scan: the table, its index, the key condition (queries), the filter.
#[derive(Debug, Clone, Default)]
pub struct ReadRequest {
    pub table: String,
    pub index: Option<String>,
    pub key_condition: Option<Expression>,
    pub filter: Option<Expression>,
}

/// One item by its whole primary key; `None` when there is none.
pub async fn get(clients: &Clients, table: &str, key: Item) -> Result<Option<Item>, AwsError> {
    let out = clients
        .dynamodb
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .send()
        .await
        .op("dynamodb:GetItem")?;
    Ok(out.item)
}

/// The pages of a Query (with a key condition) or a Scan of `segments` parallel segments
/// (their pages interleave), each page's items as DynamoDB returned them.
pub fn pages(
    clients: &Clients,
    request: &ReadRequest,
    segments: u32,
) -> BoxStream<'static, Result<Vec<Item>, AwsError>> {
    if request.key_condition.is_some() {
        return pages_of(clients.clone(), request.clone(), None).boxed();
    }
    let total = segments.max(1);
    let streams = (0..total).map(|s| {
        pages_of(
            clients.clone(),
            request.clone(),
            (total > 1).then_some((s, total)),
        )
        .boxed()
    });
    stream::select_all(streams).boxed()
}

/// Where a paginated read is: not started, at a page's last key, or done.
enum Cursor {
    Start,
    At(HashMap<String, AttributeValue>),
    Done,
}

fn pages_of(
    clients: Clients,
    request: ReadRequest,
    segment: Option<(u32, u32)>,
) -> impl futures::Stream<Item = Result<Vec<Item>, AwsError>> {
    stream::unfold(Cursor::Start, move |cursor| {
        let (clients, request) = (clients.clone(), request.clone());
        async move {
            let start = match cursor {
                Cursor::Done => return None,
                Cursor::Start => None,
                Cursor::At(key) => Some(key),
            };
            let page = page(&clients, &request, segment, start).await;
            match page {
                Ok((items, Some(next))) => Some((Ok(items), Cursor::At(next))),
                Ok((items, None)) => Some((Ok(items), Cursor::Done)),
                Err(e) => Some((Err(e), Cursor::Done)),
            }
        }
    })
}

type Page = (Vec<Item>, Option<HashMap<String, AttributeValue>>);

async fn page(
    clients: &Clients,
    request: &ReadRequest,
    segment: Option<(u32, u32)>,
    start: Option<HashMap<String, AttributeValue>>,
) -> Result<Page, AwsError> {
    let (names, values) = match &request.key_condition {
        Some(k) => k.placeholders(request.filter.as_ref()),
        None => request
            .filter
            .clone()
            .unwrap_or_default()
            .placeholders(None),
    };
    let names = (!names.is_empty()).then_some(names);
    let values = (!values.is_empty()).then_some(values);
    let filter = request.filter.as_ref().map(|f| f.text.clone());
    if let Some(key) = &request.key_condition {
        let out = clients
            .dynamodb
            .query()
            .table_name(&request.table)
            .set_index_name(request.index.clone())
            .key_condition_expression(&key.text)
            .set_filter_expression(filter)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_exclusive_start_key(start)
            .send()
            .await
            .op("dynamodb:Query")?;
        return Ok((
            out.items.unwrap_or_default(),
            out.last_evaluated_key.filter(|k| !k.is_empty()),
        ));
    }
    let out = clients
        .dynamodb
        .scan()
        .table_name(&request.table)
        .set_index_name(request.index.clone())
        .set_filter_expression(filter)
        .set_expression_attribute_names(names)
        .set_expression_attribute_values(values)
        .set_segment(segment.map(|(s, _)| s as i32))
        .set_total_segments(segment.map(|(_, t)| t as i32))
        .set_exclusive_start_key(start)
        .send()
        .await
        .op("dynamodb:Scan")?;
    Ok((
        out.items.unwrap_or_default(),
        out.last_evaluated_key.filter(|k| !k.is_empty()),
    ))
}

/// DynamoDB takes up to 100 keys in one BatchGetItem (API reference: BatchGetItem).
const GET_BATCH: usize = 100;

/// The stored items with `keys`, only the attributes `attributes` (and the keys), found ones
/// only, up to `parallel` calls at once; unprocessed keys are asked again.
pub async fn stored(
    clients: &Clients,
    table: &str,
    keys: Vec<Item>,
    attributes: &[String],
    parallel: usize,
) -> Result<Vec<Item>, AwsError> {
    let mut names = HashMap::new();
    let projection: Vec<String> = attributes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            names.insert(format!("#a{i}"), a.clone());
            format!("#a{i}")
        })
        .collect();
    let batches: Vec<Vec<Item>> = keys.chunks(GET_BATCH).map(<[_]>::to_vec).collect();
    let found = stream::iter(batches)
        .map(|batch| {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(batch))
                .projection_expression(projection.join(", "))
                .set_expression_attribute_names(Some(names.clone()))
                .build();
            get_batch(clients, table, request)
        })
        .buffer_unordered(parallel.max(1))
        .collect::<Vec<_>>()
        .await;
    Ok(found
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

async fn get_batch(
    clients: &Clients,
    table: &str,
    request: Result<KeysAndAttributes, aws_sdk_dynamodb::error::BuildError>,
) -> Result<Vec<Item>, AwsError> {
    let op = "dynamodb:BatchGetItem";
    let mut request = Some(request.map_err(|e| crate::aws::invalid_request(op, e))?);
    let mut items = Vec::new();
    let mut attempt = 0u32;
    while let Some(keys) = request.take() {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(6))).await;
        }
        attempt += 1;
        let out = clients
            .dynamodb
            .batch_get_item()
            .request_items(table, keys)
            .send()
            .await
            .op(op)?;
        items.extend(
            out.responses
                .and_then(|mut r| r.remove(table))
                .unwrap_or_default(),
        );
        request = out
            .unprocessed_keys
            .and_then(|mut u| u.remove(table))
            .filter(|k| !k.keys().is_empty());
        if attempt >= 10 && request.is_some() {
            return Err(crate::aws::other(
                op,
                "DynamoDB left keys unprocessed after 10 attempts",
            ));
        }
    }
    Ok(items)
}
