//! `name = "..."` on a table, function, topic or user pool: the physical name AWS knows it by,
//! instead of `<stack>-<logical>` (an adopted resource keeps its name). Checked by each
//! service's naming rules; two resources of a kind with one physical name are refused; a file
//! with environments must put `${env}` in every such name (a fixed name would be the same
//! resource in every environment).

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::typed::{Reader, entry};
use crate::marks::{ENV_IN_NAME, fixed_name, physical_name, topic_name};
use crate::stack::diagnostic::Problem;
use crate::stack::spec::FixedNames;

/// A kind's naming rules: its section, what it is called, the length range and the
/// characters its names may hold.
struct Rule {
    section: &'static str,
    what: &'static str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
    characters: &'static str,
}

/// Table names: CreateTable
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html>);
/// function names: CreateFunction
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html>); topic names:
/// CreateTopic (<https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html>); user pool
/// names: CreateUserPool
/// (<https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPool.html>).
const RULES: [Rule; 4] = [
    Rule {
        section: "tables",
        what: "table name",
        min: 3,
        max: 255,
        allowed: |c| c.is_ascii_alphanumeric() || "_.-".contains(c),
        characters: "letters, digits, '_', '.' and '-'",
    },
    Rule {
        section: "functions",
        what: "function name",
        min: 1,
        max: 64,
        allowed: |c| c.is_ascii_alphanumeric() || "_-".contains(c),
        characters: "letters, digits, '_' and '-'",
    },
    Rule {
        section: "topics",
        what: "topic name",
        min: 1,
        max: 256,
        allowed: |c| c.is_ascii_alphanumeric() || "_-.".contains(c),
        characters: "letters, digits, '_' and '-' (and '.fifo' at the end of a FIFO topic's)",
    },
    Rule {
        section: "user_pools",
        what: "user pool name",
        min: 1,
        max: 128,
        allowed: |c| c.is_alphanumeric() || c == ' ' || "_+=,.@-".contains(c),
        characters: "letters, digits, spaces and '_+=,.@-'",
    },
];

/// A `name` as written: the logical name, the name with `${env}` replaced, and its span.
struct Written {
    logical: String,
    name: String,
    span: Range<usize>,
}

impl Reader<'_> {
    /// Every `name = "..."` of the file's tables, functions, topics and user pools, checked,
    /// for the stack `stack` (its name with the environment's `suffix`).
    pub(super) fn fixed_names(
        &mut self,
        doc: &DeTable<'_>,
        stack: &str,
        suffix: &str,
    ) -> FixedNames {
        let has_envs = matches!(entry(doc, "env").map(|(_, v)| v.get_ref()), Some(DeValue::Table(t)) if !t.is_empty());
        let mut names = FixedNames::default();
        for rule in &RULES {
            let Some((_, DeValue::Table(section))) =
                entry(doc, rule.section).map(|(k, v)| (k, v.get_ref()))
            else {
                continue;
            };
            let mut made: BTreeMap<String, String> = BTreeMap::new();
            let mut fixed = BTreeMap::new();
            for (key, value) in section.iter() {
                let DeValue::Table(resource) = value.get_ref() else {
                    continue;
                };
                let fifo = matches!(
                    entry(resource, "fifo").map(|(_, v)| v.get_ref()),
                    Some(DeValue::Boolean(true))
                );
                let written = entry(resource, "name")
                    .and_then(|(_, v)| self.string(v, rule.what))
                    .map(|n| Written {
                        logical: key.get_ref().to_string(),
                        name: fixed_name(n.get_ref(), suffix),
                        span: n.span(),
                    });
                let Some(written) = written else {
                    let made_name = match rule.section {
                        "topics" => topic_name(stack, key.get_ref(), fifo),
                        _ => physical_name(stack, key.get_ref()),
                    };
                    made.insert(made_name, key.get_ref().to_string());
                    continue;
                };
                if self.check_fixed_name(rule, &written, fifo, has_envs) {
                    fixed.insert(written.logical.clone(), written);
                }
            }
            for written in fixed.values() {
                self.check_unique(rule, written, &mut made);
            }
            let fixed = fixed.into_values().map(|w| (w.logical, w.name)).collect();
            match rule.section {
                "tables" => names.tables = fixed,
                "functions" => names.functions = fixed,
                "topics" => names.topics = fixed,
                _ => names.user_pools = fixed,
            }
        }
        names
    }

    /// Whether `written` follows the kind's rules; each rule it breaks is a problem.
    fn check_fixed_name(
        &mut self,
        rule: &Rule,
        written: &Written,
        fifo: bool,
        has_envs: bool,
    ) -> bool {
        let name = &written.name;
        let span = written.span.clone();
        let raw = &self.source[span.clone()];
        if has_envs && !raw.contains(ENV_IN_NAME) {
            self.problem(
                Problem::new(format!("{} {name:?} would be the same in every environment", rule.what), span, "no ${env} in it")
                    .help(format!("the file declares environments, and each is a stack of its own: write name = \"{name}${{env}}\" (${{env}} is the environment's name_suffix, empty without --env)")),
            );
            return false;
        }
        let len = name.chars().count();
        let bare = if rule.section == "topics" && fifo {
            name.strip_suffix(".fifo")
        } else {
            Some(name.as_str())
        };
        let problem = if len < rule.min || len > rule.max {
            Some((
                format!("{} {name:?} has {len} characters", rule.what),
                format!("AWS takes {} to {} characters", rule.min, rule.max),
            ))
        } else if rule.section == "topics" && bare.is_none() {
            Some((
                format!("FIFO topic name {name:?} does not end in .fifo"),
                format!("SNS requires it: write name = \"{name}.fifo\""),
            ))
        } else if !bare.unwrap_or(name).chars().all(rule.allowed)
            || (rule.section == "topics" && bare.is_some_and(|b| b.contains('.')))
        {
            Some((
                format!("invalid {} {name:?}", rule.what),
                format!("AWS takes {} in a {}", rule.characters, rule.what),
            ))
        } else {
            None
        };
        let Some((message, help)) = problem else {
            return true;
        };
        self.problem(Problem::new(message, span, format!("not a valid {}", rule.what)).help(help));
        false
    }

    /// A fixed name another resource of the kind already has (its `name`, or `<stack>-NAME`)
    /// is a problem; otherwise it is recorded in `made`.
    fn check_unique(
        &mut self,
        rule: &Rule,
        written: &Written,
        made: &mut BTreeMap<String, String>,
    ) {
        match made.get(&written.name) {
            Some(other) => self.problem(
                Problem::new(format!("{} {:?} is also the name of [{}.{other}]", rule.what, written.name, rule.section), written.span.clone(), "used twice")
                    .help("two resources cannot share one name on AWS: give this one another name, or remove one of them"),
            ),
            None => {
                made.insert(written.name.clone(), written.logical.clone());
            }
        }
    }
}
