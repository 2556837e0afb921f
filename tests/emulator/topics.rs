//! SNS topics: subscriptions of a function, a queue and an email address, a publishing
//! function, filter changes in place, a FIFO switch as a replacement, and removal.

use crate::support::{Project, change, strings};

const STACK: &str = r#"
[stack]
name = "shop"

[topics.order-events]
display_name = "Orders"
tags = { team = "core" }
subscriptions = [
  { function = "notify" },
  { queue = "QUEUE_ARN", raw = true },
  { email = "ops@example.com", filter = { kind = ["refund"] } },
]

[topics.audit]

[functions.notify]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/notify"

[functions.create-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/create-order"
topics = { order-events = "publish" }
environment = { EVENTS = "${topics.order-events.arn}", EVENTS_NAME = "${topics.order-events.name}" }
"#;

fn sns(project: &Project) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&project.sdk_config())
}

fn sqs(project: &Project) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&project.sdk_config())
}

/// A queue made outside the stack, as a subscriber of another team would be: its ARN and URL.
fn queue(project: &Project, name: &str) -> (String, String) {
    let sqs = sqs(project);
    let url = project
        .block_on(sqs.create_queue().queue_name(name).send())
        .unwrap()
        .queue_url
        .unwrap();
    let attributes = project.block_on(
        sqs.get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send(),
    );
    let arn = attributes.unwrap().attributes.unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    (arn, url)
}

/// The topics of the account, by name.
fn topic_names(project: &Project) -> Vec<String> {
    let out = project.block_on(sns(project).list_topics().send()).unwrap();
    let mut names: Vec<String> = out
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .map(|a| a.rsplit(':').next().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// (protocol, endpoint, FilterPolicy, RawMessageDelivery) of every subscription of `topic_arn`.
fn subscriptions(project: &Project, topic_arn: &str) -> Vec<(String, String, String, String)> {
    let sns = sns(project);
    let listed = project
        .block_on(
            sns.list_subscriptions_by_topic()
                .topic_arn(topic_arn)
                .send(),
        )
        .unwrap();
    let mut out: Vec<_> = listed
        .subscriptions()
        .iter()
        .map(|s| {
            let attributes = project
                .block_on(
                    sns.get_subscription_attributes()
                        .subscription_arn(s.subscription_arn().unwrap())
                        .send(),
                )
                .unwrap()
                .attributes
                .unwrap_or_default();
            let get = |k: &str| attributes.get(k).cloned().unwrap_or_default();
            (
                s.protocol().unwrap().to_string(),
                s.endpoint().unwrap().to_string(),
                get("FilterPolicy"),
                get("RawMessageDelivery"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn topics_with_subscriptions_are_applied_changed_in_place_replaced_and_removed() {
    let project = Project::new("[stack]\nname = \"shop\"\n");
    let (queue_arn, queue_url) = queue(&project, "audit-inbox");
    let stack = STACK.replace("QUEUE_ARN", &queue_arn);
    project.set_stack(&stack);

    let plan = project.plan_json(&[]);
    let topic = change(&plan, "topic.order-events");
    assert_eq!(topic["action"], "create");
    assert_eq!(topic["after"]["name"], "shop-order-events");
    let email = change(&plan, "subscription[order-events email:ops@example.com]");
    assert_eq!(email["after"]["filter_policy"], r#"{"kind":["refund"]}"#);
    // A new email subscription waits for its recipient's confirmation.
    assert_eq!(email["after"]["status"], "pending confirmation");
    project.apply_converges();

    // The topic, its attributes and tags, and its subscriptions as declared.
    assert_eq!(topic_names(&project), ["shop-audit", "shop-order-events"]);
    let outputs = project.outputs_json();
    let arn = outputs["topics.order-events.arn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(arn.ends_with(":shop-order-events"), "{outputs}");
    assert_eq!(outputs["topics.order-events.name"], "shop-order-events");
    let sns = sns(&project);
    let attributes = project
        .block_on(sns.get_topic_attributes().topic_arn(&arn).send())
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes["DisplayName"], "Orders");
    let tags = project
        .block_on(sns.list_tags_for_resource().resource_arn(&arn).send())
        .unwrap();
    let tags: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert!(tags.contains(&("team", "core")) && tags.contains(&("stackctl:stack", "shop")));
    let notify = project.function("shop-notify").unwrap();
    let notify_arn = notify
        .configuration()
        .unwrap()
        .function_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        subscriptions(&project, &arn),
        [
            (
                "email".into(),
                "ops@example.com".into(),
                r#"{"kind":["refund"]}"#.into(),
                "false".into()
            ),
            (
                "lambda".into(),
                notify_arn.clone(),
                String::new(),
                "false".into()
            ),
            (
                "sqs".into(),
                queue_arn.clone(),
                String::new(),
                "true".into()
            ),
        ]
    );
    // SNS may invoke the subscribed function, for this topic only.
    let policy: serde_json::Value = serde_json::from_str(&project.policy("shop-notify")).unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Sid"], "stackctl-topic-order-events");
    assert_eq!(statement["Principal"]["Service"], "sns.amazonaws.com");
    assert_eq!(
        statement["Condition"]["ArnLike"]["AWS:SourceArn"],
        arn.as_str()
    );
    // The publishing function knows the topic, and its role may publish to it alone.
    let creator = project.function("shop-create-order").unwrap();
    let env = creator
        .configuration()
        .unwrap()
        .environment()
        .unwrap()
        .variables()
        .unwrap();
    assert_eq!(env["EVENTS"], arn);
    assert_eq!(env["EVENTS_NAME"], "shop-order-events");
    let role_policy = project
        .block_on(
            project
                .iam()
                .get_role_policy()
                .role_name("shop-create-order")
                .policy_name("stackctl")
                .send(),
        )
        .unwrap();
    let document = percent_encoding::percent_decode_str(role_policy.policy_document())
        .decode_utf8()
        .unwrap()
        .to_string();
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let publish = document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "Topicorderevents")
        .unwrap_or_else(|| panic!("{document}"));
    assert_eq!(strings(&publish["Action"]), ["sns:Publish"]);
    assert_eq!(strings(&publish["Resource"]), [arn.as_str()]);

    // A message published by the SDK reaches the queue, raw.
    project
        .block_on(
            sns.publish()
                .topic_arn(&arn)
                .message("order 42 placed")
                .send(),
        )
        .unwrap();
    let received = project
        .block_on(
            sqs(&project)
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(10)
                .send(),
        )
        .unwrap();
    let bodies: Vec<&str> = received
        .messages()
        .iter()
        .filter_map(|m| m.body())
        .collect();
    assert_eq!(bodies, ["order 42 placed"]);

    // SNS's invoke permission removed outside stackctl is granted again.
    let remove = project
        .lambda()
        .remove_permission()
        .function_name("shop-notify")
        .statement_id("stackctl-topic-order-events");
    project.block_on(remove.send()).unwrap();
    let plan = project.plan_json(&[]);
    let notify = change(&plan, "subscription[order-events function:notify]");
    assert_eq!(notify["action"], "update");
    assert_eq!(notify["changed"][0]["name"], "invoke_permission");
    project.apply_converges();
    assert!(
        project
            .policy("shop-notify")
            .contains("stackctl-topic-order-events")
    );

    // A filter change is an in-place update of that subscription alone.
    let changed = stack.replace(r#"kind = ["refund"]"#, r#"kind = ["refund", "chargeback"]"#);
    project.set_stack(&changed);
    let plan = project.plan_json(&[]);
    let email = change(&plan, "subscription[order-events email:ops@example.com]");
    assert_eq!(email["action"], "update");
    let updates: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        updates,
        ["subscription[order-events email:ops@example.com]"]
    );
    // Applied as a saved plan: a scoped read (no function or table), one SNS write.
    project.run(&["plan", "--out", "plan.json"]).success();
    let (run, requests) = project.requests(&["apply", "plan.json"]);
    run.success();
    let mut sorted: Vec<&str> = requests.iter().map(String::as_str).collect();
    sorted.sort();
    // Two topics (tags, attributes, subscriptions) and three subscriptions read, concurrently;
    // the lock taken and given back; the one write.
    assert_eq!(
        sorted,
        [
            "dynamodb:UpdateItem",
            "dynamodb:UpdateItem",
            "lambda:GetPolicy",
            "sns:GetSubscriptionAttributes",
            "sns:GetSubscriptionAttributes",
            "sns:GetSubscriptionAttributes",
            "sns:GetTopicAttributes",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "sns:ListTagsForResource",
            "sns:ListTopics",
            "sns:SetSubscriptionAttributes",
            "sts:GetCallerIdentity",
        ]
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let filters: Vec<String> = subscriptions(&project, &arn)
        .into_iter()
        .map(|s| s.2)
        .collect();
    assert!(
        filters.contains(&r#"{"kind":["refund","chargeback"]}"#.to_string()),
        "{filters:?}"
    );

    // fifo cannot change in place: the topic is replaced, under its new name.
    let fifo = changed.replace(
        "[topics.audit]\n",
        "[topics.audit]\nfifo = true\ncontent_based_deduplication = true\n",
    );
    project.set_stack(&fifo);
    let plan = project.run(&["plan"]);
    plan.success();
    assert!(
        plan.stdout.contains(
            "fifo cannot change in place: the topic is deleted and created again as shop-audit.fifo"
        ),
        "{}",
        plan.stdout
    );
    let json = project.plan_json(&[]);
    assert_eq!(change(&json, "topic.audit")["action"], "replace");
    project.apply_converges();
    assert_eq!(
        topic_names(&project),
        ["shop-audit.fifo", "shop-order-events"]
    );

    // Removing the topics deletes them with their subscriptions, and SNS's invoke permission.
    let without = fifo
        .split("[functions.notify]")
        .nth(1)
        .unwrap()
        .replace("topics = { order-events = \"publish\" }\n", "")
        .replace("environment = { EVENTS = \"${topics.order-events.arn}\", EVENTS_NAME = \"${topics.order-events.name}\" }\n", "");
    project.set_stack(&format!(
        "[stack]\nname = \"shop\"\n\n[functions.notify]{without}"
    ));
    let plan = project.plan_json(&[]);
    let topic = change(&plan, "topic.order-events");
    assert_eq!(topic["action"], "delete");
    assert_eq!(
        change(&plan, "subscription[order-events function:notify]")["action"],
        "delete"
    );
    project.apply_converges();
    assert!(topic_names(&project).is_empty());
    let policy = project.block_on(
        project
            .lambda()
            .get_policy()
            .function_name("shop-notify")
            .send(),
    );
    let left = policy.ok().and_then(|p| p.policy).unwrap_or_default();
    assert!(!left.contains("stackctl-topic-"), "{left}");
}

const REST: &str = r#"
[stack]
name = "shop"

[topics.order-events]

[functions.orders]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/orders"

[api]
type = "rest"
stage = "prod"

[routes]
"GET /orders" = "orders"
"POST /events" = { publish = "order-events" }
"#;

/// (type, uri, credentials, the JSON request template, the Content-Type parameter) of the
/// integration of `method` on the resource at `path` of the stack's REST API.
fn integration(project: &Project, path: &str, method: &str) -> [String; 5] {
    let client = project.rest_apigateway();
    let api = project.rest_apis().remove(0);
    let api_id = api.id().unwrap();
    let resources = project
        .block_on(client.get_resources().rest_api_id(api_id).send())
        .unwrap();
    let resource = resources
        .items()
        .iter()
        .find(|r| r.path() == Some(path))
        .unwrap_or_else(|| panic!("no resource {path}"));
    let found = project
        .block_on(
            client
                .get_integration()
                .rest_api_id(api_id)
                .resource_id(resource.id().unwrap())
                .http_method(method)
                .send(),
        )
        .unwrap();
    let get = |m: Option<&std::collections::HashMap<String, String>>, k: &str| {
        m.and_then(|m| m.get(k)).cloned().unwrap_or_default()
    };
    [
        found.r#type().unwrap().as_str().to_ascii_uppercase(),
        found.uri().unwrap_or_default().to_string(),
        found.credentials().unwrap_or_default().to_string(),
        get(found.request_templates(), "application/json"),
        get(
            found.request_parameters(),
            "integration.request.header.Content-Type",
        ),
    ]
}

/// The inline policy of the stack's publishing role, decoded.
fn publish_policy(project: &Project) -> serde_json::Value {
    let iam = project.iam();
    let request = iam
        .get_role_policy()
        .role_name("shop-apigateway-publish")
        .policy_name("stackctl");
    let policy = project.block_on(request.send()).unwrap();
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8()
        .unwrap()
        .to_string();
    serde_json::from_str(&document).unwrap()
}

#[test]
fn a_rest_route_publishes_its_body_with_a_role_of_the_stack() {
    let project = Project::new(REST);
    let plan = project.plan_json(&[]);
    let route = change(&plan, "route[POST /events]");
    assert_eq!(route["after"]["publish"], "shop-order-events");
    assert_eq!(route["after"]["role"], "shop-apigateway-publish");
    let role = change(&plan, "role.apigateway-publish");
    assert_eq!(
        strings(&role["after"]["trusted_services"]),
        ["apigateway.amazonaws.com"]
    );
    project.apply_converges();

    // An AWS integration calling SNS's Publish with the stack's role and the body as message.
    let arn = project.outputs_json()["topics.order-events.arn"]
        .as_str()
        .unwrap()
        .to_string();
    let role_arn = project
        .block_on(
            project
                .iam()
                .get_role()
                .role_name("shop-apigateway-publish")
                .send(),
        )
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    let expected = [
        "AWS".to_string(),
        "arn:aws:apigateway:us-east-1:sns:action/Publish".to_string(),
        role_arn.clone(),
        format!(
            "Action=Publish&TopicArn=$util.urlEncode('{arn}')&Message=$util.urlEncode($input.body)"
        ),
        "'application/x-www-form-urlencoded'".to_string(),
    ];
    assert_eq!(integration(&project, "/events", "POST"), expected);
    assert_eq!(integration(&project, "/orders", "GET")[0], "AWS_PROXY");
    let policy = publish_policy(&project);
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{policy}");
    assert_eq!(strings(&statements[0]["Action"]), ["sns:Publish"]);
    assert_eq!(strings(&statements[0]["Resource"]), [arn.as_str()]);

    // Switching the route to a function and back is an in-place change of the route.
    let to_function = REST.replace(r#"{ publish = "order-events" }"#, r#""orders""#);
    project.set_stack(&to_function);
    let plan = project.plan_json(&[]);
    assert_eq!(change(&plan, "route[POST /events]")["action"], "update");
    // No route publishes any more: the role goes.
    assert_eq!(change(&plan, "role.apigateway-publish")["action"], "delete");
    project.apply_converges();
    assert_eq!(integration(&project, "/events", "POST")[0], "AWS_PROXY");
    assert!(!project.role_exists("shop-apigateway-publish"));
    project.set_stack(REST);
    let plan = project.plan_json(&[]);
    assert_eq!(change(&plan, "route[POST /events]")["action"], "update");
    project.apply_converges();
    assert_eq!(integration(&project, "/events", "POST")[0], "AWS");

    // Through the whole-API write (more than 5 route changes): the same integration.
    let many = (1..=6)
        .map(|i| format!("\"GET /more{i}\" = \"orders\"\n"))
        .collect::<String>();
    let more = REST.replace(r#""POST /events""#, r#""POST /notices""#) + &many;
    project.set_stack(&more);
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    assert!(
        requests.iter().any(|r| r == "api gateway:PutRestApi"),
        "{requests:?}"
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let mut notices = integration(&project, "/notices", "POST");
    let role_arn = project
        .block_on(
            project
                .iam()
                .get_role()
                .role_name("shop-apigateway-publish")
                .send(),
        )
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    notices[2] = notices[2].replace(&role_arn, "ROLE");
    let mut expected = expected;
    expected[2] = "ROLE".to_string();
    assert_eq!(notices, expected);

    // Removing the last publishing route deletes the role.
    project.set_stack(&more.replace("\"POST /notices\" = { publish = \"order-events\" }\n", ""));
    let plan = project.plan_json(&[]);
    assert_eq!(change(&plan, "role.apigateway-publish")["action"], "delete");
    project.apply_converges();
    assert!(!project.role_exists("shop-apigateway-publish"));
}

/// The managed role's inline policy of function `name`, decoded.
fn role_policy(project: &Project, name: &str) -> serde_json::Value {
    let request = project
        .iam()
        .get_role_policy()
        .role_name(name)
        .policy_name("stackctl");
    let policy = project.block_on(request.send()).unwrap();
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8()
        .unwrap()
        .to_string();
    serde_json::from_str(&document).unwrap()
}

const LOOKALIKES: &str = r#"
[stack]
name = "shop"

[topics.order-events]
subscriptions = [{ email = "Ops@Example.com" }]
[topics.orderevents]

[tables.order-log]
partition_key = { name = "id", type = "string" }
deletion_protection = false
[tables.orderlog]
partition_key = { name = "id", type = "string" }
deletion_protection = false

[functions.create-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/create-order"
topics = { order-events = "publish", orderevents = "publish" }
tables = { order-log = "write", orderlog = "read" }
"#;

/// Topics (and tables) whose names differ only by `-` get statements of their own in the
/// managed role's policy (IAM refuses two statements with one ID); `destroy` skips a topic of
/// a declared name the stack never owned, as it skips such a table.
#[test]
fn lookalike_names_get_their_own_statements_and_destroy_skips_unowned_topics() {
    let project = Project::new(LOOKALIKES);
    project.apply_converges();
    let policy = role_policy(&project, "shop-create-order");
    let mut sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    sids.sort();
    assert_eq!(
        sids,
        [
            "Logs",
            "Tableorderlog",
            "Tableorderlog74b7da07",
            "Topicorderevents",
            "Topicorderevents684dc626",
        ],
        "{policy}"
    );

    // An address is one address whatever its case, in validate and plan alike.
    project.set_stack(&LOOKALIKES.replace("Ops@Example.com", "ops@example.com"));
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    // A subscription made outside stackctl is deleted, saying so.
    let sns = sns(&project);
    let arn = project.outputs_json()["topics.order-events.arn"]
        .as_str()
        .unwrap()
        .to_string();
    let subscribe = sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("email")
        .endpoint("audit@example.com");
    project.block_on(subscribe.send()).unwrap();
    let plan = project.plan_json(&[]);
    let outside = change(&plan, "subscription[order-events email:audit@example.com]");
    assert_eq!(outside["action"], "delete");
    assert_eq!(
        outside["reason"],
        "not in the stack file (removed from it, or subscribed outside stackctl)"
    );

    // A topic named as the stack would name `audit`, made outside it: destroy leaves it.
    project
        .block_on(sns.create_topic().name("shop-audit").send())
        .unwrap();
    project.set_stack(&format!("{LOOKALIKES}\n[topics.audit]\n"));
    let destroyed = project.run(&["destroy", "--yes", "--allow-data-loss"]);
    destroyed.success().stdout_lacks(&["topic.audit"]);
    assert_eq!(topic_names(&project), ["shop-audit"]);
}

/// A saved plan made in an empty account applies: a new role that may publish to a new topic
/// (a function's and the REST publishing role) names the topic's ARN from the account both
/// when planned and when the saved plan is checked, so the plan is not stale.
#[test]
fn a_saved_plan_of_new_publishers_and_topics_applies() {
    let project = Project::new(REST);
    project.run(&["plan", "--out", "plan.json"]).code(0);
    project.run(&["apply", "plan.json"]).code(0);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}
