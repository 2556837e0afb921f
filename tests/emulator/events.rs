//! Functions triggered by a queue and by a table's stream: Lambda event source mappings with
//! a filter and an on-failure queue, the role's read permissions for each source, a batch
//! size changed in place, and a source removed from `events` deleting its mapping.

use crate::support::{Project, change, strings};

const STACK: &str = r#"
[stack]
name = "shop"

[tables.orders]
partition_key = { name = "pk", type = "string" }
stream = "new-image"
deletion_protection = false

[queues.jobs]

[queues.dead-letters]

[functions.on-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/on-order"
environment = { STREAM = "${tables.orders.stream_arn}" }
events = [
  { stream = "orders", starting_position = "trim_horizon", batch_size = 100, filter = { eventName = ["INSERT"] }, on_failure = { queue = "dead-letters" } },
  { queue = "jobs", batch_size = 10, max_concurrency = 5 },
]
"#;

/// (source ARN, batch size, maximum concurrency, starting position, filter pattern,
/// on-failure destination) of each mapping of `function`, by source ARN.
type Mapping = (String, i32, Option<i32>, String, String, String);

fn mappings(project: &Project, function: &str) -> Vec<Mapping> {
    let lambda = project.lambda();
    let list = lambda.list_event_source_mappings().function_name(function);
    let out = project.block_on(list.send()).unwrap();
    let mut all: Vec<Mapping> = out
        .event_source_mappings()
        .iter()
        .map(|m| {
            let filter = m.filter_criteria().and_then(|f| f.filters().first());
            let destination = m.destination_config().and_then(|d| d.on_failure());
            (
                m.event_source_arn().unwrap().to_string(),
                m.batch_size().unwrap(),
                m.scaling_config().and_then(|s| s.maximum_concurrency()),
                m.starting_position().map_or("", |p| p.as_str()).to_string(),
                filter.and_then(|f| f.pattern()).unwrap_or("").to_string(),
                destination
                    .and_then(|d| d.destination())
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

/// The statements of the function's managed role policy, by Sid: (actions, resources).
fn role_statements(project: &Project, role: &str) -> serde_json::Value {
    let request = project
        .iam()
        .get_role_policy()
        .role_name(role)
        .policy_name("stackctl");
    let policy = project.block_on(request.send()).unwrap();
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8()
        .unwrap()
        .to_string();
    serde_json::from_str(&document).unwrap()
}

#[test]
fn queue_and_stream_triggers_are_applied_changed_in_place_and_removed() {
    let project = Project::new(STACK);
    let plan = project.plan_json(&[]);
    let stream = change(&plan, "event_source[on-order stream:orders]");
    assert_eq!(stream["action"], "create");
    assert_eq!(stream["after"]["filter"], r#"{"eventName":["INSERT"]}"#);
    assert_eq!(
        strings(&stream["depends_on"]),
        [
            "role.on-order",
            "table.orders",
            "function.on-order",
            "queue.dead-letters"
        ]
    );
    project.apply_converges();

    let outputs = project.outputs_json();
    let stream_arn = outputs["tables.orders.stream_arn"].as_str().unwrap();
    let jobs_arn = outputs["queues.jobs.arn"].as_str().unwrap();
    let dead_letters_arn = outputs["queues.dead-letters.arn"].as_str().unwrap();
    let table_arn = outputs["tables.orders.arn"].as_str().unwrap();
    assert!(
        stream_arn.starts_with(&format!("{table_arn}/stream/")),
        "{outputs}"
    );
    let mut expected = vec![
        (
            stream_arn.to_string(),
            100,
            None,
            "TRIM_HORIZON".to_string(),
            r#"{"eventName":["INSERT"]}"#.to_string(),
            dead_letters_arn.to_string(),
        ),
        (
            jobs_arn.to_string(),
            10,
            Some(5),
            String::new(),
            String::new(),
            String::new(),
        ),
    ];
    expected.sort();
    assert_eq!(mappings(&project, "shop-on-order"), expected);
    // The function knows its stream.
    let function = project.function("shop-on-order").unwrap();
    let env = function.configuration().unwrap().environment().unwrap();
    assert_eq!(env.variables().unwrap()["STREAM"], stream_arn);
    // The role may read exactly its sources, and send failed batches to the queue.
    let document = role_statements(&project, "shop-on-order");
    let statement = |sid: &str| {
        let all = document["Statement"].as_array().unwrap();
        let found = all.iter().find(|s| s["Sid"] == sid);
        found
            .unwrap_or_else(|| panic!("{sid} in {document}"))
            .clone()
    };
    let queue = statement("EventQueuejobs");
    assert_eq!(
        strings(&queue["Action"]),
        [
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage"
        ]
    );
    assert_eq!(strings(&queue["Resource"]), [jobs_arn]);
    let stream = statement("EventStreamorders");
    assert_eq!(
        strings(&stream["Action"]),
        [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams"
        ]
    );
    assert_eq!(
        strings(&stream["Resource"]),
        [format!("{table_arn}/stream/*").as_str()]
    );
    let failure = statement("EventFailuredeadletters");
    assert_eq!(strings(&failure["Action"]), ["sqs:SendMessage"]);
    assert_eq!(strings(&failure["Resource"]), [dead_letters_arn]);

    // A batch size changed in place: one UpdateEventSourceMapping.
    let smaller = STACK.replace(
        "{ queue = \"jobs\", batch_size = 10,",
        "{ queue = \"jobs\", batch_size = 5,",
    );
    project.set_stack(&smaller);
    assert_eq!(
        project.planned("event_source[on-order queue:jobs]"),
        ("update".to_string(), vec!["batch_size".to_string()])
    );
    assert_eq!(project.apply_writes(), ["lambda:UpdateEventSourceMapping"]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    let jobs = mappings(&project, "shop-on-order");
    let jobs = jobs.iter().find(|m| m.0 == jobs_arn).unwrap();
    assert_eq!((jobs.1, jobs.2), (5, Some(5)));

    // The queue removed from events: its mapping is deleted, and the role's read permission.
    let without_queue = smaller.replace(
        "  { queue = \"jobs\", batch_size = 5, max_concurrency = 5 },\n",
        "",
    );
    project.set_stack(&without_queue);
    let plan = project.plan_json(&[]);
    assert_eq!(
        change(&plan, "event_source[on-order queue:jobs]")["action"],
        "delete"
    );
    project.apply_converges();
    let left = mappings(&project, "shop-on-order");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, stream_arn);
    assert!(
        !role_statements(&project, "shop-on-order")
            .to_string()
            .contains("EventQueuejobs")
    );

    // No events at all: the last mapping goes too.
    let start = without_queue.find("events = [").unwrap();
    let end = without_queue[start..].find("]\n").unwrap() + start + 2;
    let no_events = format!("{}{}", &without_queue[..start], &without_queue[end..]);
    project.set_stack(&no_events);
    project.apply_converges();
    assert!(mappings(&project, "shop-on-order").is_empty());
}

const SCHEDULED: &str = r#"
[stack]
name = "shop"

[functions.ticker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/ticker"
events = [{ schedule = "rate(5 minutes)" }]
"#;

fn eventbridge(project: &Project) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(&project.sdk_config())
}

/// The rules of the account: (name, schedule expression, target ARNs).
fn rules(project: &Project) -> Vec<(String, String, Vec<String>)> {
    let events = eventbridge(project);
    let out = project.block_on(events.list_rules().send()).unwrap();
    out.rules()
        .iter()
        .map(|r| {
            let name = r.name().unwrap().to_string();
            let targets = project
                .block_on(events.list_targets_by_rule().rule(&name).send())
                .unwrap();
            let arns = targets.targets().iter().map(|t| t.arn().to_string());
            let expression = r.schedule_expression().unwrap_or_default().to_string();
            (name, expression, arns.collect())
        })
        .collect()
}

#[test]
fn a_schedule_is_a_rule_that_invokes_its_function_changed_in_place_and_removed() {
    let project = Project::new(SCHEDULED);
    let plan = project.plan_json(&[]);
    let schedule = change(&plan, "schedule[ticker 1]");
    assert_eq!(schedule["action"], "create");
    assert_eq!(schedule["after"]["schedule_expression"], "rate(5 minutes)");
    assert_eq!(strings(&schedule["depends_on"]), ["function.ticker"]);
    project.apply_converges();

    let function = project.function("shop-ticker").unwrap();
    let function_arn = function.configuration().unwrap().function_arn().unwrap();
    assert_eq!(
        rules(&project),
        [(
            "shop-ticker-schedule-1".to_string(),
            "rate(5 minutes)".to_string(),
            vec![function_arn.to_string()]
        )]
    );
    // EventBridge may invoke the function, for this rule only.
    let rule = project.block_on(
        eventbridge(&project)
            .describe_rule()
            .name("shop-ticker-schedule-1")
            .send(),
    );
    let rule_arn = rule.unwrap().arn().unwrap().to_string();
    let policy: serde_json::Value = serde_json::from_str(&project.policy("shop-ticker")).unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Sid"], "stackctl-schedule-1");
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(
        statement["Condition"]["ArnLike"]["AWS:SourceArn"],
        rule_arn.as_str()
    );

    // A new expression is one PutRule.
    let daily = SCHEDULED.replace("rate(5 minutes)", "cron(0 12 * * ? *)");
    project.set_stack(&daily);
    assert_eq!(
        project.planned("schedule[ticker 1]"),
        (
            "update".to_string(),
            vec!["schedule_expression".to_string()]
        )
    );
    assert_eq!(project.apply_writes(), ["eventbridge:PutRule"]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(rules(&project)[0].1, "cron(0 12 * * ? *)");

    // Removed (while another function gets a schedule): the target, the rule and the
    // permission go.
    let removed = daily.replace("events = [{ schedule = \"cron(0 12 * * ? *)\" }]\n", "");
    project.set_stack(&format!(
        "{removed}\n[functions.report]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"functions/report\"\nevents = [{{ schedule = \"rate(1 day)\" }}]\n"
    ));
    let plan = project.plan_json(&[]);
    assert_eq!(change(&plan, "schedule[ticker 1]")["action"], "delete");
    assert_eq!(change(&plan, "schedule[report 1]")["action"], "create");
    project.apply_converges();
    let names: Vec<String> = rules(&project).into_iter().map(|r| r.0).collect();
    assert_eq!(names, ["shop-report-schedule-1"]);
    let left = project.statements_if_any("shop-ticker");
    assert!(left.unwrap_or_default().is_empty());
}
