//! The CI examples in examples/ci/ run only commands that parse with the real command line.

use clap::Parser;

use super::{Cli, Command};

/// Every string value of a YAML document, depth first.
fn strings(value: &serde_norway::Value, out: &mut Vec<String>) {
    match value {
        serde_norway::Value::String(s) => out.push(s.clone()),
        serde_norway::Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        serde_norway::Value::Mapping(map) => map.values().for_each(|v| strings(v, out)),
        serde_norway::Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

/// Splits a shell command into words: quotes group, a redirection ends the command.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => break,
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The `stackctl ...` commands the file's scripts run, as words.
fn stackctl_commands(file: &str) -> Vec<Vec<String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).expect("the example exists");
    let doc: serde_norway::Value = serde_norway::from_str(&text).expect("the example is YAML");
    let mut all = Vec::new();
    strings(&doc, &mut all);
    all.iter()
        .flat_map(|s| s.lines())
        .flat_map(|line| line.split(['|', ';', '&']))
        .map(words)
        .filter(|w| w.first().is_some_and(|w| w == "stackctl"))
        .collect()
}

fn checked(file: &str) -> Vec<&'static str> {
    stackctl_commands(file)
        .iter()
        .map(|command| match Cli::try_parse_from(command) {
            Ok(cli) => match cli.command {
                Command::Validate(_) => "validate",
                Command::Plan(_) => "plan",
                Command::Apply(args) if args.plan.is_some() => "apply PLAN_FILE",
                Command::Show(_) => "show",
                other => panic!("{file}: unexpected command {other:?}"),
            },
            Err(e) => panic!("{file}: {} does not parse: {e}", command.join(" ")),
        })
        .collect()
}

#[test]
fn the_ci_examples_run_commands_that_parse() {
    assert_eq!(
        checked("examples/ci/github-actions.yml"),
        ["validate", "plan", "plan", "show", "apply PLAN_FILE"]
    );
    assert_eq!(
        checked("examples/ci/gitlab-ci.yml"),
        ["validate", "plan", "plan", "show", "apply PLAN_FILE"]
    );
}

#[test]
fn a_bad_command_in_an_example_would_be_found() {
    let command = words("stackctl plan --output yaml > plan.md");
    assert_eq!(command, ["stackctl", "plan", "--output", "yaml"]);
    assert!(Cli::try_parse_from(&command).is_err());
}
