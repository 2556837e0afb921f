//! SQS queues: created with their attributes, tags and dead-letter queue, referred to by a
//! function, changed in place attribute by attribute, replaced (fifo) and deleted only with
//! `--allow-data-loss` (messages are data).

use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName;

use crate::support::{Project, change};

const STACK: &str = r#"
[stack]
name = "shop"

[queues.jobs]
visibility_timeout = 60
retention = "4d"
dead_letter = { queue = "failed", max_receives = 3 }
tags = { team = "core" }

[queues.failed]
retention = 1209600

[queues.audit]

[functions.worker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/worker"
environment = { JOBS = "${queues.jobs.url}", JOBS_ARN = "${queues.jobs.arn}" }
"#;

fn sqs(project: &Project) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&project.sdk_config())
}

/// The names of the account's queues.
fn queue_names(project: &Project) -> Vec<String> {
    let out = project.block_on(sqs(project).list_queues().send()).unwrap();
    let mut names: Vec<String> = out
        .queue_urls()
        .iter()
        .map(|u| u.rsplit('/').next().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn attributes(project: &Project, url: &str) -> HashMap<QueueAttributeName, String> {
    let out = project.block_on(
        sqs(project)
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send(),
    );
    out.unwrap().attributes.unwrap()
}

#[test]
fn queues_are_applied_changed_in_place_replaced_and_deleted_with_their_messages() {
    let project = Project::new(STACK);
    let plan = project.plan_json(&[]);
    let jobs = change(&plan, "queue.jobs");
    assert_eq!(jobs["action"], "create");
    assert_eq!(jobs["after"]["retention"], 345_600);
    assert_eq!(
        jobs["after"]["dead_letter"],
        serde_json::json!({ "queue": "failed", "max_receives": 3 })
    );
    // The dead-letter queue is made first: the RedrivePolicy names its ARN.
    assert_eq!(jobs["depends_on"], serde_json::json!(["queue.failed"]));
    project.apply_converges();

    assert_eq!(
        queue_names(&project),
        ["shop-audit", "shop-failed", "shop-jobs"]
    );
    let outputs = project.outputs_json();
    let url = outputs["queues.jobs.url"].as_str().unwrap().to_string();
    let arn = outputs["queues.jobs.arn"].as_str().unwrap().to_string();
    assert!(url.ends_with("/shop-jobs"), "{outputs}");
    assert!(arn.ends_with(":shop-jobs"), "{outputs}");
    assert_eq!(outputs["queues.jobs.name"], "shop-jobs");
    let jobs = attributes(&project, &url);
    assert_eq!(jobs[&QueueAttributeName::VisibilityTimeout], "60");
    assert_eq!(jobs[&QueueAttributeName::MessageRetentionPeriod], "345600");
    let redrive: serde_json::Value =
        serde_json::from_str(&jobs[&QueueAttributeName::RedrivePolicy]).unwrap();
    let failed_arn = outputs["queues.failed.arn"].as_str().unwrap();
    assert_eq!(redrive["deadLetterTargetArn"], failed_arn);
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "3"
    );
    let tags = project
        .block_on(sqs(&project).list_queue_tags().queue_url(&url).send())
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(tags["team"], "core");
    assert_eq!(tags["stackctl:stack"], "shop");
    // The function knows the queue by URL and ARN.
    let worker = project.function("shop-worker").unwrap();
    let env = worker
        .configuration()
        .unwrap()
        .environment()
        .unwrap()
        .variables()
        .unwrap();
    assert_eq!(env["JOBS"], url);
    assert_eq!(env["JOBS_ARN"], arn);

    // A visibility timeout change is one SetQueueAttributes (and the tags' fingerprint).
    let longer = STACK.replace("visibility_timeout = 60", "visibility_timeout = \"2m\"");
    project.set_stack(&longer);
    assert_eq!(
        project.planned("queue.jobs"),
        ("update".to_string(), vec!["visibility_timeout".to_string()])
    );
    let (run, requests) = project.requests(&["apply", "--yes"]);
    run.success();
    let writes: Vec<&str> = requests
        .iter()
        .map(String::as_str)
        .filter(|r| {
            r.starts_with("sqs:") && !r.starts_with("sqs:Get") && !r.starts_with("sqs:List")
        })
        .collect();
    assert_eq!(writes, ["sqs:SetQueueAttributes", "sqs:TagQueue"]);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(
        attributes(&project, &url)[&QueueAttributeName::VisibilityTimeout],
        "120"
    );

    // A queue holding messages is replaced (fifo) only with --allow-data-loss.
    let audit_url = outputs["queues.audit.url"].as_str().unwrap();
    let send = sqs(&project)
        .send_message()
        .queue_url(audit_url)
        .message_body("order 42");
    project.block_on(send.send()).unwrap();
    let fifo = longer.replace("[queues.audit]\n", "[queues.audit]\nfifo = true\n");
    project.set_stack(&fifo);
    let plan = project.plan_json(&[]);
    let audit = change(&plan, "queue.audit");
    assert_eq!(audit["action"], "replace");
    assert_eq!(audit["destroys_data"], true);
    let shown = project.run(&["plan"]);
    assert!(
        shown.stdout.contains("fifo and name cannot change in place: the queue is deleted and created again as shop-audit.fifo, and its 1 message(s)"),
        "{}",
        shown.stdout
    );
    project.run(&["apply", "--yes"]).code(1);
    assert!(queue_names(&project).contains(&"shop-audit".to_string()));
    project
        .run(&["apply", "--yes", "--allow-data-loss"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(
        queue_names(&project),
        ["shop-audit.fifo", "shop-failed", "shop-jobs"]
    );

    // Removed from the file: deleted, with its messages, only with --allow-data-loss.
    let removed = fifo.replace("[queues.audit]\nfifo = true\n", "");
    project.set_stack(&removed);
    let plan = project.plan_json(&[]);
    let audit = change(&plan, "queue.audit");
    assert_eq!(audit["action"], "delete");
    assert_eq!(audit["destroys_data"], true);
    project.run(&["apply", "--yes"]).code(1);
    project
        .run(&["apply", "--yes", "--allow-data-loss"])
        .success();
    project.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(queue_names(&project), ["shop-failed", "shop-jobs"]);
}
