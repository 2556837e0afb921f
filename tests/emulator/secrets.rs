//! Secrets are never printed: a canary secret planted in every position (declared secret,
//! an SSM SecureString, a live value applied as secret that leaves the stack file, the lines
//! around a stack file error) never appears in any command's output or written file.

use crate::support::output::assert_output_snapshot;
use crate::support::{Project, Run, stackctl_with};

fn canary(n: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("CANARY-{:x}-{:x}-{n}", std::process::id(), nanos)
}

fn stack(declared: &str, memory: u32, environment: &str) -> String {
    format!(
        r#"[stack]
name = "vault"

[functions.worker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "worker"
memory = {memory}
environment = {{ PLAIN = "hello", {environment} }}

[functions.spare]
runtime = "nodejs20.x"
handler = "index.handler"
code = "worker"
environment = {{ TOKEN = {{ secret = true, value = "{declared}-spare" }} }}
"#
    )
}

/// Everything the user could read: standard output and error of every run, and every file
/// written, checked at the end.
struct Seen<'a> {
    project: &'a Project,
    canaries: Vec<String>,
    checked: usize,
}

impl Seen<'_> {
    fn run(&mut self, args: &[&str]) -> Run {
        let run = stackctl_with(
            self.project.dir.path(),
            Some(self.project.endpoint()),
            args,
            &[("STACKCTL_LOG", "requests")],
        );
        self.check(&format!("stackctl {}", args.join(" ")), &run.stdout);
        self.check(
            &format!("stackctl {} (stderr)", args.join(" ")),
            &run.stderr,
        );
        run
    }

    fn file(&mut self, rel: &str) -> String {
        let text = std::fs::read_to_string(self.project.path(rel)).unwrap();
        self.check(rel, &text);
        text
    }

    #[track_caller]
    fn check(&mut self, what: &str, text: &str) {
        for canary in &self.canaries {
            assert!(!text.contains(canary), "{what} shows a secret:\n{text}");
        }
        self.checked += 1;
    }
}

#[test]
fn a_canary_secret_is_never_printed_by_any_command() {
    let (declared, from_ssm) = (canary(1), canary(2));
    let environment = format!(
        r#"API_KEY = {{ secret = true, value = "{declared}" }}, STRIPE = {{ ssm = "/vault/stripe" }}, DSN = "postgres://app:${{ssm:/vault/stripe}}@db""#
    );
    let project = Project::new(&stack(&declared, 128, &environment));
    project.put_secure_parameter("/vault/stripe", &from_ssm);
    let mut seen = Seen {
        project: &project,
        canaries: vec![declared.clone(), from_ssm.clone()],
        checked: 0,
    };

    seen.run(&["validate"]).success();
    let plan = seen.run(&["plan"]);
    plan.success();
    assert_output_snapshot!("secrets_plan", &plan.stdout);
    seen.run(&["plan", "--output", "json"]).success();
    seen.run(&["plan", "--out", "plan.json"]).success();
    seen.file("plan.json");
    seen.run(&["apply", "plan.json"]).success();
    seen.run(&["outputs"]).success();
    seen.run(&["outputs", "--output", "json"]).success();
    // An update, in text and as JSON events.
    project.set_stack(&stack(&declared, 256, &environment));
    seen.run(&["apply", "--yes"]).success();
    project.set_stack(&stack(&declared, 384, &environment));
    seen.run(&["apply", "--yes", "--log-format", "json"])
        .success();
    seen.run(&["plan", "--detailed-exitcode"]).code(0);
    seen.run(&["plan", "--refresh-only"]).success();

    // API_KEY stops being secret: its live value was applied as secret, the new one is not.
    let plain = environment.replace(
        &format!(r#"{{ secret = true, value = "{declared}" }}"#),
        r#""now-plain""#,
    );
    project.set_stack(&stack(&declared, 384, &plain));
    let plan = seen.run(&["plan"]);
    assert_output_snapshot!("a_secret_made_plain_plan", &plan.stdout);

    // The secrets leave the stack file: their live values were applied as secret.
    project.set_stack(&stack(&declared, 384, r#"OTHER = "x""#));
    let plan = seen.run(&["plan"]);
    assert_output_snapshot!("secrets_removed_plan", &plan.stdout);
    plan.stdout_lacks(&["changed outside stackctl"]);
    seen.run(&["plan", "--output", "json"]).success();
    seen.run(&["plan", "--out", "removed.json"]).success();
    seen.file("removed.json");
    seen.run(&["apply", "--yes", "--log-format", "json"])
        .success();
    seen.run(&["plan", "--detailed-exitcode"]).code(0);

    // A function that goes: none of its environment is shown.
    let without_spare = stack(&declared, 384, r#"OTHER = "x""#);
    let without_spare = &without_spare[..without_spare.find("[functions.spare]").unwrap()];
    project.set_stack(without_spare);
    seen.run(&["plan", "--output", "json"]).success();
    seen.run(&["apply", "--yes"]).success();

    // A stack file error on the line after a secret, and one that does not parse at all.
    // The issue's example: a secret on line 8, an error on line 9.
    project.set_stack(&format!(
        "[stack]\nname = \"vault\"\n\n[functions.worker]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\ncode = \"worker\"\nenvironment = {{ API_KEY = {{ secret = true, value = \"{declared}\" }} }}\nmemory = 99999\n"
    ));
    for command in [&["validate"][..], &["plan"], &["apply", "--yes"]] {
        let run = seen.run(command);
        run.code(1)
            .stderr_has(&["stack.toml:9:10", "value = \"****"]);
    }
    project.set_stack(
        &stack(&declared, 384, &environment).replace("[functions.spare]", "[functions.spare"),
    );
    let run = seen.run(&["validate"]);
    run.code(1).stderr_has(&["invalid TOML"]);

    project.set_stack(&stack(&declared, 384, &environment));
    seen.run(&["destroy", "--yes", "--allow-data-loss"])
        .success();

    // What stackctl left in AWS besides the functions: the lock item.
    let locks = project
        .block_on(
            project
                .dynamodb()
                .scan()
                .table_name("stackctl-locks")
                .send(),
        )
        .unwrap();
    seen.check("the lock table", &format!("{:?}", locks.items()));
    assert!(seen.checked > 40);
}
