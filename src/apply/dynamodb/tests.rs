//! Real AWS takes minutes where the emulator is instant: these tests feed the waits the
//! statuses AWS reports on the way.

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::operation::describe_time_to_live::DescribeTimeToLiveOutput;
use aws_sdk_dynamodb::operation::update_time_to_live::UpdateTimeToLiveOutput;
use aws_sdk_dynamodb::types::{
    GlobalSecondaryIndexDescription, IndexStatus, TableDescription, TableStatus,
    TimeToLiveDescription,
};
use aws_smithy_mocks::mock;

use super::*;
use crate::apply::Reporter;
use crate::aws::Clients;

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Reporter for Recorder {
    fn started(&self, _: &Change) {}
    fn progress(&self, _: &Address, message: &str) {
        self.0.lock().unwrap().push(message.to_string());
    }
    fn finished(&self, _: &Change, _: Duration) {}
    fn failed(&self, _: &Change, _: &AwsError) {}
    fn skipped(&self, _: &Change, _: &Address) {}
}

/// A context whose DynamoDB client answers from mock rules, and records progress.
struct Fixture {
    clients: Clients,
    packages: BTreeMap<String, crate::package::Package>,
    recorder: Recorder,
}

impl Fixture {
    fn new(rules: &[&aws_smithy_mocks::Rule]) -> Self {
        Fixture {
            clients: Clients::answering(rules),
            packages: BTreeMap::new(),
            recorder: Recorder::default(),
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context::for_tests(&self.clients, &self.packages, &self.recorder)
    }
}

fn table(status: TableStatus, index: Option<IndexStatus>) -> DescribeTableOutput {
    let mut table = TableDescription::builder()
        .table_name("shop-orders")
        .table_arn("arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders")
        .table_status(status);
    if let Some(index) = index {
        table = table.global_secondary_indexes(
            GlobalSecondaryIndexDescription::builder()
                .index_name("by-customer")
                .index_status(index)
                .build(),
        );
    }
    DescribeTableOutput::builder().table(table.build()).build()
}

#[tokio::test(start_paused = true)]
async fn waits_for_the_table_and_its_indexes_to_be_active() {
    let describe = mock!(Client::describe_table)
        .sequence()
        .output(|| table(TableStatus::Creating, Some(IndexStatus::Creating)))
        .times(2)
        .output(|| table(TableStatus::Active, Some(IndexStatus::Creating)))
        .output(|| table(TableStatus::Active, Some(IndexStatus::Active)))
        .build();
    let fixture = Fixture::new(&[&describe]);
    let ctx = fixture.ctx();
    let address = Address::Table("orders".to_string());

    let arn = wait_settled(&ctx, &address, "shop-orders").await.unwrap();

    assert_eq!(
        arn,
        "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders"
    );
    assert_eq!(describe.num_calls(), 4);
    assert_eq!(
        *fixture.recorder.0.lock().unwrap(),
        [
            "table: CREATING, index by-customer CREATING",
            "table: ACTIVE, index by-customer CREATING"
        ],
        "each new status is reported once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_gives_up_at_its_deadline() {
    let describe = mock!(Client::describe_table).then_output(|| table(TableStatus::Updating, None));
    let fixture = Fixture::new(&[&describe]);
    let ctx = fixture.ctx();

    let err = wait_settled(&ctx, &Address::Table("orders".to_string()), "shop-orders")
        .await
        .unwrap_err();

    assert!(
        matches!(err, AwsError::WaitTimeout { seconds: 3600, .. }),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_stops_a_wait() {
    let describe = mock!(Client::describe_table).then_output(|| table(TableStatus::Updating, None));
    let fixture = Fixture::new(&[&describe]);
    let ctx = fixture.ctx();
    ctx.interrupted
        .store(true, std::sync::atomic::Ordering::Relaxed);

    let err = wait_settled(&ctx, &Address::Table("orders".to_string()), "shop-orders")
        .await
        .unwrap_err();

    assert!(matches!(err, AwsError::Interrupted { .. }), "{err}");
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn time_to_live_waits_for_enabled() {
    let update = mock!(Client::update_time_to_live)
        .then_output(|| UpdateTimeToLiveOutput::builder().build());
    let ttl = |status: TimeToLiveStatus| {
        DescribeTimeToLiveOutput::builder()
            .time_to_live_description(
                TimeToLiveDescription::builder()
                    .attribute_name("expires_at")
                    .time_to_live_status(status)
                    .build(),
            )
            .build()
    };
    let describe = mock!(Client::describe_time_to_live)
        .sequence()
        .output(move || ttl(TimeToLiveStatus::Enabling))
        .times(3)
        .output(move || ttl(TimeToLiveStatus::Enabled))
        .build();
    let fixture = Fixture::new(&[&update, &describe]);
    let ctx = fixture.ctx();

    set_ttl(
        &ctx,
        &Address::Table("orders".to_string()),
        "shop-orders",
        "expires_at",
        true,
    )
    .await
    .unwrap();

    assert_eq!(update.num_calls(), 1);
    assert_eq!(describe.num_calls(), 4);
    assert_eq!(
        *fixture.recorder.0.lock().unwrap(),
        ["time to live: ENABLING"]
    );
}
