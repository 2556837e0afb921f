//! Topics and subscriptions: what the emulator cannot show (an email subscription pending
//! confirmation), and the order and wording of replacements and deletes.

use super::{REGION, applied, live_change, plan, stack};
use crate::plan::{Action, Change, Plan};
use crate::stack::Address;

const STACK: &str = r#"
[topics.events]
display_name = "Events"
subscriptions = [
  { function = "notify" },
  { email = "ops@example.com", filter = { kind = ["refund"] } },
]

[functions.notify]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"

[functions.publisher]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
topics = { events = "publish" }
environment = { EVENTS = "${topics.events.arn}" }
"#;

fn change<'p>(plan: &'p Plan, address: &str) -> &'p Change {
    plan.changes
        .iter()
        .find(|c| c.address.to_string() == address)
        .unwrap_or_else(|| panic!("{address} is not planned"))
}

#[test]
fn an_applied_stack_plans_nothing() {
    let stack = stack(STACK);
    let plan = plan(&stack, &applied(&stack));
    assert!(!plan.has_changes(), "{:?}", plan.changes);
    assert_eq!(
        plan.known["topics.events.arn"],
        "arn:aws:sns:us-east-1:123456789012:shop-events"
    );
}

#[test]
fn a_subscription_pending_confirmation_is_shown_as_such_not_as_drift() {
    let plan = live_change(STACK, |live| {
        let topic = live.topics.get_mut("shop-events").unwrap();
        let email = topic
            .subscriptions
            .iter_mut()
            .find(|s| s.protocol == "email");
        let email = email.unwrap();
        // SNS answers PendingConfirmation, and no attributes, until the address confirms.
        email.arn = None;
        email.filter = None;
    });
    assert!(!plan.has_changes());
    assert!(plan.drift.is_empty(), "{:?}", plan.drift);
    let email = change(&plan, "subscription[events email:ops@example.com]");
    assert_eq!(email.action, Action::NoOp);
    let status = &email.after.as_ref().unwrap()["status"];
    assert_eq!(status.to_string(), "\"pending confirmation\"");
    assert!(email.notes[0].contains("has not confirmed the subscription yet"));
}

#[test]
fn a_new_topic_comes_before_its_publisher_and_subscribers() {
    let stack = stack(STACK);
    let plan = plan(&stack, &crate::live::LiveState::default());
    assert_eq!(
        change(&plan, "function.publisher").depends_on,
        [
            Address::Role("publisher".into()),
            Address::Topic("events".into())
        ]
    );
    assert_eq!(
        change(&plan, "role.publisher").depends_on,
        [Address::Topic("events".into())]
    );
    assert_eq!(
        change(&plan, "subscription[events function:notify]").depends_on,
        [
            Address::Function("notify".into()),
            Address::Topic("events".into())
        ]
    );
    let email = change(&plan, "subscription[events email:ops@example.com]");
    assert!(email.notes[0].contains("stays pending until the recipient confirms it"));
}

#[test]
fn fifo_replaces_the_topic_and_its_subscriptions_are_made_again() {
    let before =
        "[topics.ledger]\nsubscriptions = [{ queue = \"arn:aws:sqs:us-east-1:123456789012:q\" }]\n";
    let after = before.replace("[topics.ledger]\n", "[topics.ledger]\nfifo = true\n");
    let plan = plan(&stack(&after), &applied(&stack(before)));
    let topic = change(&plan, "topic.ledger");
    assert_eq!(topic.action, Action::Replace);
    assert_eq!(
        topic.reason.as_deref(),
        Some(
            "fifo cannot change in place: the topic is deleted and created again as shop-ledger.fifo; its 1 subscription(s) are dropped with it and made again on the new topic"
        )
    );
    assert!(!topic.destroys_data);
    let queue = change(
        &plan,
        "subscription[ledger queue:arn:aws:sqs:us-east-1:123456789012:q]",
    );
    assert_eq!(queue.action, Action::Create);
    assert!(!plan.known.contains_key("topics.ledger.arn"));
}

#[test]
fn a_removed_topic_goes_after_its_subscriptions_and_says_what_it_drops() {
    let plan = super::file_change(
        STACK,
        &STACK[..STACK.find("[functions.notify]").unwrap()]
            .replace("[topics.events]", "[topics.other]")
            .replace(
                "function = \"notify\"",
                "queue = \"arn:aws:sqs:us-east-1:123456789012:q\"",
            ),
    );
    let topic = change(&plan, "topic.events");
    assert_eq!(topic.action, Action::Delete);
    assert_eq!(
        topic.notes,
        [
            "deleting the topic drops its 2 subscription(s); messages published to it after that fail"
        ]
    );
    assert!(
        topic
            .depends_on
            .contains(&Address::Subscription("events function:notify".into()))
    );
    let unsubscribe = change(&plan, "subscription[events function:notify]");
    assert_eq!(unsubscribe.action, Action::Delete);
    assert_eq!(unsubscribe.reason.as_deref(), Some("its topic is deleted"));
}

#[test]
fn a_filter_change_is_one_subscription_updated_in_place() {
    let after = STACK.replace(r#"kind = ["refund"]"#, r#"kind = ["refund", "chargeback"]"#);
    let plan = super::file_change(STACK, &after);
    let updated: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(updated, ["subscription[events email:ops@example.com]"]);
    insta::assert_snapshot!(super::rendered(&plan));
}

#[test]
fn an_environment_overlays_a_topic_the_base_declares() {
    let source = format!(
        "[stack]\nname = \"shop\"\nregion = \"{REGION}\"\n{STACK}\n[env.staging.topics.events]\ndisplay_name = \"Events (staging)\"\n"
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let staging = crate::stack::parse("stack.toml", &source, dir, Some("staging")).unwrap();
    assert_eq!(staging.topics[0].display_name, "Events (staging)");
    assert_eq!(
        staging.topic_name(&staging.topics[0]),
        "shop-staging-events"
    );
    assert_eq!(staging.topics[0].subscriptions.len(), 2);
    let unknown = source.replace("[env.staging.topics.events]", "[env.staging.topics.other]");
    let err = crate::stack::parse("stack.toml", &unknown, dir, None).unwrap_err();
    assert!(format!("{err:?}").contains("other"), "{err:?}");
}

#[test]
fn an_invoke_permission_removed_outside_stackctl_is_granted_again() {
    let plan = live_change(STACK, |live| {
        let topic = live.topics.get_mut("shop-events").unwrap();
        let notify = topic
            .subscriptions
            .iter_mut()
            .find(|s| s.protocol == "lambda");
        notify.unwrap().invoke_permission = Some(false);
    });
    let notify = change(&plan, "subscription[events function:notify]");
    assert_eq!(notify.action, Action::Update);
    assert_eq!(notify.attributes.len(), 1);
    assert_eq!(notify.attributes[0].name, "invoke_permission");
}

#[test]
fn a_display_name_changed_outside_stackctl_is_drift() {
    let stack = stack(STACK);
    let mut live = applied(&stack);
    let plan_before = plan(&stack, &live);
    let desired = change(&plan_before, "topic.events").desired.clone();
    let Some(crate::plan::Desired::Topic(desired)) = desired else {
        panic!("a topic's desired form")
    };
    let topic = live.topics.get_mut("shop-events").unwrap();
    topic.applied = Some(desired.applied);
    topic.display_name = "Changed by hand".to_string();
    let plan = plan(&stack, &live);
    assert_eq!(change(&plan, "topic.events").action, Action::Update);
    assert_eq!(plan.drift.len(), 1);
    assert_eq!(plan.drift[0].address, "topic.events");
    assert_eq!(plan.drift[0].attributes, ["display_name"]);
}

#[test]
fn a_publishing_route_comes_after_its_topic_and_role_and_the_role_goes_after_it() {
    let rest = format!(
        "{STACK}\n[api]\ntype = \"rest\"\nstage = \"prod\"\n\n[routes]\n\"POST /events\" = {{ publish = \"events\" }}\n"
    );
    let stack = stack(&rest);
    let fresh = plan(&stack, &crate::live::LiveState::default());
    let route = change(&fresh, "route[POST /events]");
    assert_eq!(
        route.depends_on,
        [
            Address::Role("apigateway-publish".into()),
            Address::Api,
            Address::Topic("events".into())
        ]
    );
    assert_eq!(
        change(&fresh, "role.apigateway-publish").depends_on,
        [Address::Topic("events".into())]
    );
    // Applied, the stack plans nothing; once the route invokes a function instead, the role
    // is deleted after the route moved off it.
    let live = applied(&stack);
    let plan_applied = plan(&stack, &live);
    assert!(!plan_applied.has_changes(), "{:?}", plan_applied.changes);
    let to_function = self::stack(&rest.replace("{ publish = \"events\" }", "\"notify\""));
    let moved = plan(&to_function, &live);
    assert_eq!(change(&moved, "route[POST /events]").action, Action::Update);
    let role = change(&moved, "role.apigateway-publish");
    assert_eq!(role.action, Action::Delete);
    assert_eq!(
        role.reason.as_deref(),
        Some("no route publishes to a topic any more")
    );
    assert_eq!(role.depends_on, [Address::Route("POST /events".into())]);
}
