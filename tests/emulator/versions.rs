//! Function versions and aliases, tracing: a version is published only when code or
//! configuration changed, aliases (weighted too) follow, and removal cleans up.

use std::collections::BTreeMap;

use crate::support::Project;

const STACK: &str = r#"
[stack]
name = "ver"

[functions.get-order]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/get-order"
tracing = "active"
publish = true
aliases.live = "latest"
aliases.stable = 1
aliases.canary = { version = "latest", weight = 0.1, of = "stable" }
"#;

/// Each alias of the function: (version, additional version weights).
fn aliases(project: &Project, function: &str) -> BTreeMap<String, (String, BTreeMap<String, f64>)> {
    let lambda = project.lambda();
    let out = project
        .block_on(lambda.list_aliases().function_name(function).send())
        .unwrap();
    out.aliases()
        .iter()
        .map(|a| {
            let weights = a
                .routing_config()
                .and_then(|r| r.additional_version_weights())
                .map(|w| w.iter().map(|(k, v)| (k.clone(), *v)).collect())
                .unwrap_or_default();
            let version = a.function_version().unwrap().to_string();
            (a.name().unwrap().to_string(), (version, weights))
        })
        .collect()
}

fn versions(project: &Project, function: &str) -> Vec<String> {
    let lambda = project.lambda();
    let out = project
        .block_on(
            lambda
                .list_versions_by_function()
                .function_name(function)
                .send(),
        )
        .unwrap();
    out.versions()
        .iter()
        .filter_map(|v| v.version().map(str::to_string))
        .filter(|v| v != "$LATEST")
        .collect()
}

#[test]
fn versions_are_published_on_change_only_and_aliases_follow() {
    let project = Project::new(STACK);
    project.apply_converges();
    assert_eq!(versions(&project, "ver-get-order"), ["1"]);
    let config = project.function("ver-get-order").unwrap();
    let config = config.configuration().unwrap();
    let mode = config.tracing_config().and_then(|t| t.mode()).unwrap();
    assert_eq!(mode.as_str(), "Active");
    let no_weights = BTreeMap::new();
    assert_eq!(
        aliases(&project, "ver-get-order"),
        BTreeMap::from([
            ("canary".to_string(), ("1".to_string(), no_weights.clone())),
            ("live".to_string(), ("1".to_string(), no_weights.clone())),
            ("stable".to_string(), ("1".to_string(), no_weights.clone())),
        ])
    );
    // The managed role may write traces.
    let iam = project.iam();
    let policy = project
        .block_on(
            iam.get_role_policy()
                .role_name("ver-get-order")
                .policy_name("stackctl")
                .send(),
        )
        .unwrap();
    let document =
        percent_encoding::percent_decode_str(policy.policy_document()).decode_utf8_lossy();
    assert!(document.contains("xray:PutTraceSegments"), "{document}");
    assert!(document.contains("xray:PutTelemetryRecords"), "{document}");

    // Applying again publishes nothing.
    project.run(&["apply", "--yes"]).success();
    assert_eq!(versions(&project, "ver-get-order"), ["1"]);

    // Changed code: version 2, shown as new in the plan; live moves, canary weighs 10% on it.
    project.write(
        "functions/get-order/index.mjs",
        "export const handler = async () => 2;\n",
    );
    let plan = project.run(&["plan"]);
    plan.success();
    assert!(
        plan.stdout.contains("version:     1 -> (known after apply)"),
        "{}",
        plan.stdout
    );
    project.apply_converges();
    assert_eq!(versions(&project, "ver-get-order"), ["1", "2"]);
    let aliases_now = aliases(&project, "ver-get-order");
    assert_eq!(aliases_now["live"], ("2".to_string(), no_weights.clone()));
    assert_eq!(aliases_now["stable"], ("1".to_string(), no_weights.clone()));
    assert_eq!(
        aliases_now["canary"],
        ("1".to_string(), BTreeMap::from([("2".to_string(), 0.1)]))
    );

    // Pinning stable to 2 and dropping canary: in place, no new version.
    let pinned = STACK
        .replace("aliases.stable = 1", "aliases.stable = 2")
        .replace(
            "aliases.canary = { version = \"latest\", weight = 0.1, of = \"stable\" }\n",
            "",
        );
    project.set_stack(&pinned);
    project.apply_converges();
    assert_eq!(versions(&project, "ver-get-order"), ["1", "2"]);
    let aliases_now = aliases(&project, "ver-get-order");
    assert_eq!(aliases_now.keys().collect::<Vec<_>>(), ["live", "stable"]);
    assert_eq!(aliases_now["stable"], ("2".to_string(), no_weights.clone()));

    // Without publish, the aliases go.
    let unpublished = pinned
        .replace("publish = true\n", "")
        .replace("aliases.live = \"latest\"\n", "")
        .replace("aliases.stable = 2\n", "");
    project.set_stack(&unpublished);
    project.apply_converges();
    assert!(aliases(&project, "ver-get-order").is_empty());
}
