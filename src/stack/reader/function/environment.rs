//! `environment`: variable names, plain, secret and SSM values, and Lambda's size limit.

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::limits;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::reference::{self, Segment, Template};
use crate::stack::spec::EnvValue;

const SECRET_KEYS: &[&str] = &["secret", "value", "ssm"];
const ENV_VALUE_HELP: &str =
    "write a string, { secret = true, value = \"...\" }, or { ssm = \"/parameter/name\" }";

impl Reader<'_> {
    pub(super) fn environment(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<BTreeMap<String, EnvValue>> {
        let Some((_, value)) = entry(t, "environment") else {
            return Some(BTreeMap::new());
        };
        let env = self.as_table(value, "environment")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in env.iter() {
            let name = key.get_ref();
            if let Some((message, label, help)) = env_name_problem(name) {
                self.problem(Problem::new(message, key.span(), label).help(help));
                ok = false;
                continue;
            }
            match self.env_value(value, function, declared) {
                Some(v) => {
                    out.insert(name.to_string(), v);
                }
                None => ok = false,
            }
        }
        if ok {
            self.environment_size(value, &out);
        }
        ok.then_some(out)
    }

    /// Lambda refuses environments over 4 KB, keys and values together. References resolve at
    /// apply, so they count as nothing here: only the text the file holds (what is knowable).
    fn environment_size(&mut self, value: &Value<'_>, env: &BTreeMap<String, EnvValue>) {
        let known: usize = env
            .iter()
            .map(|(k, v)| k.len() + v.value.literal_len())
            .sum();
        if known > limits::MAX_ENVIRONMENT_BYTES {
            self.problem(
                Problem::new(
                    format!(
                        "the environment holds {known} bytes, more than Lambda's {} (keys and values together)",
                        limits::MAX_ENVIRONMENT_BYTES
                    ),
                    value.span(),
                    "too large",
                )
                .help("move large values to SSM ({ ssm = \"/name\" }) or into the code package"),
            );
        }
    }

    /// A plain value, `{ secret = true, value = "..." }`, or `{ ssm = "/parameter/name" }`.
    fn env_value(
        &mut self,
        value: &Value<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<EnvValue> {
        let t = match value.get_ref() {
            DeValue::String(_) => {
                let text = self.string(value, "an environment value")?;
                return self.templated(&text, value, false, function, declared);
            }
            DeValue::Table(t) => t,
            other => {
                self.problem(
                    Problem::new(
                        format!(
                            "an environment value must be a string or a table, found {}",
                            other.type_str()
                        ),
                        value.span(),
                        "here",
                    )
                    .help(ENV_VALUE_HELP),
                );
                return None;
            }
        };
        self.unknown_keys(t, SECRET_KEYS, "in an environment value");
        match (entry(t, "ssm"), entry(t, "value")) {
            (Some((_, name)), None) => self.ssm_value(name),
            (None, Some((_, inner))) => {
                let secret = match entry(t, "secret").map(|(_, v)| v.get_ref()) {
                    Some(DeValue::Boolean(b)) => *b,
                    None => false,
                    Some(_) => {
                        self.problem(
                            Problem::new("secret must be true or false", value.span(), "here")
                                .help(ENV_VALUE_HELP),
                        );
                        return None;
                    }
                };
                let text = self.string(inner, "an environment value")?;
                self.templated(&text, inner, secret, function, declared)
            }
            _ => {
                self.problem(
                    Problem::new("give either value or ssm", value.span(), "here")
                        .help(ENV_VALUE_HELP),
                );
                None
            }
        }
    }

    /// A string value with its references; sensitive when `secret` or when it refers to a
    /// secret.
    fn templated(
        &mut self,
        text: &Spanned<String>,
        value: &Value<'_>,
        secret: bool,
        function: &str,
        declared: &Declared,
    ) -> Option<EnvValue> {
        let template = self.template(text, value, function, declared)?;
        // A reference to an SSM parameter is hidden unless the parameter is a plain String
        // (known at plan time: EnvValue::hidden).
        Some(EnvValue {
            value: template,
            sensitive: secret,
        })
    }

    /// `{ ssm = "/parameter/name" }`: read at plan and apply; shown in plans only when the
    /// parameter is a plain String.
    fn ssm_value(&mut self, name: &Value<'_>) -> Option<EnvValue> {
        let name = self.string(name, "ssm")?;
        let Ok(reference) = reference::interpret(&format!("ssm:{}", name.get_ref())) else {
            self.problem(
                Problem::new("invalid SSM parameter name", name.span(), "here")
                    .help("use letters, digits and / _ . -, like \"/shop/stripe-key\""),
            );
            return None;
        };
        Some(EnvValue {
            value: Template {
                segments: vec![Segment::Ref(reference)],
            },
            sensitive: false,
        })
    }

    /// The environment's size once references resolve, where their lengths are known offline:
    /// names always (`<stack>-<logical>`, or `name = "..."`), ARNs when the file names the
    /// region (the account is 12 digits), API IDs (10 characters). SSM values and the API's URL count as nothing, so
    /// this never refuses what Lambda accepts. Reported only where the literal text alone was
    /// within the limit (that is reported by `environment_size`).
    pub(in crate::stack::reader) fn check_resolved_environment_sizes(
        &mut self,
        doc: &DeTable<'_>,
        stack: &str,
        region: Option<&str>,
        (functions, fixed): (
            &[crate::stack::spec::FunctionSpec],
            &crate::stack::spec::FixedNames,
        ),
    ) {
        let lookup =
            |r: &crate::stack::reference::Reference| Some(offline_value(r, stack, region, fixed));
        for spec in functions {
            let literal: usize = spec
                .environment
                .iter()
                .map(|(k, v)| k.len() + v.value.literal_len())
                .sum();
            let resolved: usize = spec
                .environment
                .iter()
                .map(|(k, v)| k.len() + v.value.resolve(lookup).map_or(0, |v| v.len()))
                .sum();
            if literal > limits::MAX_ENVIRONMENT_BYTES || resolved <= limits::MAX_ENVIRONMENT_BYTES
            {
                continue;
            }
            let span = entry(doc, "functions")
                .and_then(|(_, f)| match f.get_ref() {
                    DeValue::Table(t) => entry(t, &spec.logical),
                    _ => None,
                })
                .and_then(|(_, f)| match f.get_ref() {
                    DeValue::Table(t) => entry(t, "environment").map(|(_, v)| v.span()),
                    _ => None,
                })
                .unwrap_or(0..0);
            self.problem(
                Problem::new(
                    format!(
                        "the environment holds at least {resolved} bytes once its references resolve, more than Lambda's {} (keys and values together)",
                        limits::MAX_ENVIRONMENT_BYTES
                    ),
                    span,
                    "too large",
                )
                .help("move large values to SSM ({ ssm = \"/name\" }) or into the code package"),
            );
        }
    }
}

/// What is wrong with `name` as a Lambda environment variable, if anything: the message, the
/// label under the name and the help.
fn env_name_problem(name: &str) -> Option<(String, &'static str, &'static str)> {
    if !is_env_name(name) {
        return Some((
            format!("invalid environment variable name {name:?}"),
            "not a variable name",
            "use letters, digits and '_', starting with a letter",
        ));
    }
    if limits::RESERVED_VARIABLES.contains(&name) {
        return Some((
            format!("{name} is reserved by Lambda"),
            "reserved name",
            "Lambda sets this variable itself and refuses it in the configuration; choose another name (other AWS_* names, such as AWS_EMF_NAMESPACE, are yours to set)",
        ));
    }
    if name.len() < 2 {
        return Some((
            format!("environment variable name {name:?} has one character"),
            "too short for Lambda",
            "Lambda takes names of at least two characters ([a-zA-Z][a-zA-Z0-9_]+); use a longer name",
        ));
    }
    None
}

fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What reference `r` resolves to where its length is known offline (see
/// `check_resolved_environment_sizes`), else the empty string: a name is the resource's
/// `name = "..."` (`fixed`) or `<stack>-<logical>`.
fn offline_value(
    r: &crate::stack::reference::Reference,
    stack: &str,
    region: Option<&str>,
    fixed: &crate::stack::spec::FixedNames,
) -> String {
    use crate::stack::reference::{RefAttr, RefTarget};
    let named = |names: &std::collections::BTreeMap<String, String>, logical: &str| {
        crate::marks::resource_name(stack, logical, names.get(logical).map(String::as_str))
    };
    let account = "000000000000";
    match (&r.target, r.attr, region) {
        (RefTarget::Table(t), RefAttr::Name, _) => named(&fixed.tables, t),
        (RefTarget::Function(f), RefAttr::Name, _) => named(&fixed.functions, f),
        (RefTarget::Table(t), RefAttr::Arn, Some(region)) => format!(
            "arn:{}:dynamodb:{region}:{account}:table/{}",
            crate::arn::partition(region),
            named(&fixed.tables, t)
        ),
        (RefTarget::Function(f), RefAttr::Arn, Some(region)) => {
            crate::arn::function(region, account, &named(&fixed.functions, f))
        }
        (RefTarget::Topic(t), RefAttr::Name, _) if fixed.topics.contains_key(t) => {
            named(&fixed.topics, t)
        }
        (RefTarget::Api, RefAttr::Id, _) => "0".repeat(10),
        // The longer, FIFO form (`.fifo`) of the topic's name.
        (RefTarget::Topic(t), RefAttr::Name, _) => {
            format!("{}.fifo", crate::marks::physical_name(stack, t))
        }
        _ => String::new(),
    }
}
