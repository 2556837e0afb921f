//! `stackctl adopt`: a table and a function made outside stackctl (by the SDK) brought into
//! the stack; another stack's resource refused; `name = "..."` through apply, plan and
//! destroy; `--all-untagged` listing what no stack owns.

use std::io::Write;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, Tag,
    TimeToLiveSpecification,
};

use crate::support::Project;
use crate::support::output::{assert_has, assert_lacks, assert_output_snapshot};

const STACK: &str = "# The shop: adopted resources are appended below.\n[stack]\nname = \"shop\"\n";

fn attribute(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .unwrap()
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

/// Table legacy-orders as another tool made it: keys, an index, a stream, TTL and a tag.
fn create_legacy_table(project: &Project) {
    let index = GlobalSecondaryIndex::builder()
        .index_name("by-customer")
        .key_schema(key("customer", KeyType::Hash))
        .key_schema(key("created", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .non_key_attributes("total")
                .build(),
        )
        .build()
        .unwrap();
    let stream = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .unwrap();
    let dynamodb = project.dynamodb();
    let request = dynamodb
        .create_table()
        .table_name("legacy-orders")
        .attribute_definitions(attribute("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute("sk", ScalarAttributeType::N))
        .attribute_definitions(attribute("customer", ScalarAttributeType::S))
        .attribute_definitions(attribute("created", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(index)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream)
        .tags(Tag::builder().key("team").value("core").build().unwrap());
    project.block_on(request.send()).unwrap();
    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name("expires_at")
        .build()
        .unwrap();
    let request = dynamodb
        .update_time_to_live()
        .table_name("legacy-orders")
        .time_to_live_specification(ttl);
    project.block_on(request.send()).unwrap();
}

fn small_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("index.mjs", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"export const handler = async () => 1;\n")
        .unwrap();
    zip.finish().unwrap().into_inner()
}

/// Function legacy-fn with a role of its own, an environment holding a token, and a tag.
fn create_legacy_function(project: &Project, zip: Vec<u8>) {
    let role = project.block_on(
        project
            .iam()
            .create_role()
            .role_name("legacy-role")
            .assume_role_policy_document("{}")
            .send(),
    );
    let environment = aws_sdk_lambda::types::Environment::builder()
        .variables("TABLE", "legacy-orders")
        .variables("API_TOKEN", "tok-3141")
        .build();
    let request = project
        .lambda()
        .create_function()
        .function_name("legacy-fn")
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .handler("index.handler")
        .role(role.unwrap().role().unwrap().arn())
        .memory_size(256)
        .timeout(10)
        .environment(environment)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_smithy_types::Blob::new(zip))
                .build(),
        )
        .tags("team", "core");
    project.block_on(request.send()).unwrap();
}

fn table_owner(project: &Project, table: &str) -> Option<String> {
    let dynamodb = project.dynamodb();
    let arn = project
        .block_on(dynamodb.describe_table().table_name(table).send())
        .unwrap()
        .table()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_string();
    let tags = project
        .block_on(dynamodb.list_tags_of_resource().resource_arn(arn).send())
        .unwrap();
    let owner = tags.tags().iter().find(|t| t.key() == "stackctl:stack");
    owner.map(|t| t.value().to_string())
}

fn function_owner(project: &Project, function: &str) -> Option<String> {
    let lambda = project.lambda();
    let found = project
        .block_on(lambda.get_function().function_name(function).send())
        .unwrap();
    found.tags().and_then(|t| t.get("stackctl:stack")).cloned()
}

/// A table with an index, TTL, a stream and tags, and a function, both made by the SDK, are
/// adopted with `--write`: the stack file gains their exact sections (its comment kept), the
/// table is tagged at once (adopt's only write); the function's first plan shows its secret
/// value and code, so it is tagged once the value is given (`--replace-code` accepting the
/// code), and with the code it was deployed from the whole stack plans no change.
#[test]
fn a_table_and_a_function_made_outside_are_adopted() {
    let project = Project::new(STACK);
    create_legacy_table(&project);
    let zip = small_zip();
    create_legacy_function(&project, zip.clone());

    let (table, requests) = project.requests(&[
        "adopt",
        "table",
        "legacy-orders",
        "--as",
        "orders",
        "--write",
    ]);
    table.success();
    assert_has(
        &table.stdout,
        &["Adopted table legacy-orders as table.orders: tagged stackctl:stack = shop."],
    );
    let writes: Vec<&String> = crate::support::writes(&requests);
    assert_eq!(
        writes,
        ["dynamodb:TagResource"],
        "adopt writes only the tag"
    );
    assert_eq!(
        table_owner(&project, "legacy-orders").as_deref(),
        Some("shop")
    );

    let function = project.run(&["adopt", "function", "legacy-fn", "--write"]);
    function.code(1);
    assert_lacks(&function.stdout, &["tok-3141"]);
    assert_lacks(&function.stderr, &["tok-3141"]);
    assert_has(
        &function.stderr,
        &[
            "the values of API_TOKEN are not printed",
            "function legacy-fn is not the stack's yet",
        ],
    );
    assert_eq!(function_owner(&project, "legacy-fn"), None);
    let written = std::fs::read_to_string(project.path("stack.toml")).unwrap();
    assert_output_snapshot!("adopted_stack_file", &written);
    assert_output_snapshot!("function_differences", &function.stdout);

    // The user gives the token; the code alone differs, which --replace-code accepts.
    let with_token = written.replace("\"SET-ME\"", "\"tok-3141\"");
    project.write("stack.toml", &with_token);
    let dry = project.run(&[
        "adopt",
        "function",
        "legacy-fn",
        "--dry-run",
        "--replace-code",
    ]);
    dry.success();
    assert_has(
        &dry.stdout,
        &["adopt would tag it stackctl:stack = shop (dry run: nothing was changed)"],
    );
    assert_eq!(function_owner(&project, "legacy-fn"), None);
    let again = project.run(&[
        "adopt",
        "function",
        "legacy-fn",
        "--write",
        "--replace-code",
    ]);
    again.success();
    assert_has(
        &again.stdout,
        &[
            "Adopted function legacy-fn as function.legacy-fn: tagged stackctl:stack = shop.",
            "Its code differs from [functions.legacy-fn] code: the next apply uploads the code from there.",
        ],
    );
    assert_eq!(
        function_owner(&project, "legacy-fn").as_deref(),
        Some("shop")
    );
    // With the code it was deployed from (a .zip is uploaded as it is), nothing differs.
    std::fs::write(project.path("legacy-fn.zip"), &zip).unwrap();
    let fixed = with_token.replace("code = \"functions/legacy-fn\"", "code = \"legacy-fn.zip\"");
    project.write("stack.toml", &fixed);
    project.run(&["plan", "--detailed-exitcode"]).code(0);
}

/// Another stack's table is refused and nothing changes; without a terminal adopt needs
/// `--write` or `--dry-run`; `--all-untagged` lists only what no stack owns, and with
/// `--write` adopts an untagged table and topic (then the plan is empty); a table named by
/// `name = "..."` is created, planned, shown in outputs and destroyed by that name.
#[test]
fn another_stacks_table_is_refused_and_fixed_names_work_end_to_end() {
    let project = Project::new(STACK);
    project.create_table("legacy-orders", "pk", Some("billing"));
    project.create_table("shop-carts", "pk", None);
    let sns = aws_sdk_sns::Client::new(&project.sdk_config());
    let topic = sns
        .create_topic()
        .name("shop-alerts")
        .attributes("DisplayName", "Alerts");
    project.block_on(topic.send()).unwrap();
    let refused = project.run(&["adopt", "table", "legacy-orders", "--write"]);
    refused.code(1);
    assert_has(
        &refused.stderr,
        &[
            "table legacy-orders belongs to stack billing (its stackctl:stack tag): nothing was changed",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(project.path("stack.toml")).unwrap(),
        STACK
    );
    assert_eq!(
        table_owner(&project, "legacy-orders").as_deref(),
        Some("billing")
    );
    let asks = project.run(&["adopt", "table", "shop-carts"]);
    asks.code(1);
    assert_has(
        &asks.stderr,
        &["standard input is not a terminal", "--write", "--dry-run"],
    );

    // On a terminal adopt asks; "no" changes nothing.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let declined = declined_on_a_terminal(&project, &["adopt", "table", "shop-carts"]);
        assert_has(
            &declined,
            &["Append [tables.carts] to stack.toml? Only 'yes' will be accepted: "],
        );
    }

    let listed = project.run(&["adopt", "--all-untagged", "--prefix", "shop-", "--dry-run"]);
    listed.success();
    assert_has(&listed.stderr, &["  table shop-carts"]);
    assert_lacks(&listed.stderr, &["legacy-orders"]);
    assert_has(
        &listed.stdout,
        &["[tables.carts]\npartition_key = { name = \"pk\", type = \"string\" }"],
    );
    assert_eq!(
        std::fs::read_to_string(project.path("stack.toml")).unwrap(),
        STACK
    );
    assert_eq!(table_owner(&project, "shop-carts"), None);

    let adopted = project.run(&["adopt", "--all-untagged", "--prefix", "shop-", "--write"]);
    adopted.success();
    assert_has(
        &adopted.stdout,
        &[
            "Adopted table shop-carts as table.carts",
            "[topics.alerts]\ndisplay_name = \"Alerts\"\n",
            "Adopted topic shop-alerts as topic.alerts",
        ],
    );
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    let file = std::fs::read_to_string(project.path("stack.toml")).unwrap();
    project.set_stack(&format!(
        "{file}\n[tables.orders]\nname = \"orders-v1\"\npartition_key = {{ name = \"pk\", type = \"string\" }}\ndeletion_protection = false\n"
    ));
    project.apply_converges();
    assert_eq!(table_owner(&project, "orders-v1").as_deref(), Some("shop"));
    let outputs = project.outputs_json();
    assert_eq!(outputs["tables.orders.name"], "orders-v1", "{outputs}");
    project
        .run(&["destroy", "--yes", "--allow-data-loss"])
        .success();
    let tables = project
        .block_on(project.dynamodb().list_tables().send())
        .unwrap();
    assert!(!tables.table_names().contains(&"orders-v1".to_string()));
}

/// Runs stackctl with a terminal as standard input, answers "no" to its question, and
/// returns its standard output once it exits (successfully: declining is not an error).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn declined_on_a_terminal(project: &Project, args: &[&str]) -> String {
    let (controller, input) = crate::support::pseudo_terminal();
    let child = crate::support::command(project.dir.path(), Some(project.endpoint()), args, &[])
        .stdin(std::process::Stdio::from(input))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::fs::File::from(controller).write_all(b"no\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("Nothing was changed."), "{stderr}");
    stdout
}
