//! `[topics.NAME]`: an SNS topic, its FIFO settings and its subscriptions (a function of the
//! stack, an SQS queue or an email address, each with an optional filter policy).

use toml::de::DeValue;

use super::declared::Declared;
use super::typed::{Key, Reader, RefSite, Value, entry};
use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use crate::stack::topic::{Endpoint, SubscriptionSpec, TopicSpec, same_endpoint};

const TOPIC_KEYS: &[&str] = &[
    "fifo",
    "content_based_deduplication",
    "display_name",
    "tags",
    "name",
    "subscriptions",
];

const ENDPOINT_KEYS: &[&str] = &["function", "queue", "email"];
const SUBSCRIPTION_KEYS: &[&str] = &["function", "queue", "email", "raw", "filter"];

/// The longest display name SNS takes (DisplayName, for SMS senders:
/// <https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html>).
const MAX_DISPLAY_NAME: usize = 100;

impl Reader<'_> {
    pub(super) fn topic(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<TopicSpec> {
        let logical = key.get_ref().to_string();
        let what = format!("[topics.{logical}]");
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, TOPIC_KEYS, &format!("in {what}"));
        let fifo = self.opt_bool(t, "fifo").unwrap_or(false);
        let dedup = self.opt_bool(t, "content_based_deduplication");
        if let (Some(true), false, Some((k, _))) =
            (dedup, fifo, entry(t, "content_based_deduplication"))
        {
            self.problem(
                Problem::new(
                    "content_based_deduplication is for FIFO topics only",
                    k.span(),
                    "standard topic",
                )
                .help("add fifo = true (the topic is then named with .fifo), or remove content_based_deduplication"),
            );
        }
        let display_name = match entry(t, "display_name") {
            None => Some(String::new()),
            Some((_, v)) => self
                .string(v, "display_name")
                .and_then(|d| self.at_most(&d, "display_name", MAX_DISPLAY_NAME, "SNS")),
        };
        let tags = self.tags(t);
        let subscriptions = match entry(t, "subscriptions") {
            None => Some(Vec::new()),
            Some((_, v)) => self.subscriptions(v, &logical, fifo, declared),
        };
        Some(TopicSpec {
            logical,
            fifo,
            content_based_deduplication: dedup.unwrap_or(false) && fifo,
            display_name: display_name?,
            tags,
            subscriptions: subscriptions?,
        })
    }

    fn subscriptions(
        &mut self,
        value: &Value<'_>,
        topic: &str,
        fifo: bool,
        declared: &Declared,
    ) -> Option<Vec<SubscriptionSpec>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                Problem::new("subscriptions must be a list", value.span(), "expected a list")
                    .help("write subscriptions = [{ function = \"notify\" }, { queue = \"arn:aws:sqs:...\" }]"),
            );
            return None;
        };
        let mut out: Vec<SubscriptionSpec> = Vec::new();
        let mut ok = true;
        for item in items.iter() {
            match self.subscription(item, topic, declared) {
                Some(s) if fifo && !matches!(s.endpoint, Endpoint::Queue(_)) => {
                    self.problem(
                        Problem::new(
                            format!("a FIFO topic cannot deliver to {}", s.endpoint.key()),
                            item.span(),
                            "FIFO topic",
                        )
                        .help("SNS FIFO topics deliver to SQS queues only: subscribe a queue, or make the topic standard (fifo = false)"),
                    );
                    ok = false;
                }
                Some(s) if !fifo && is_fifo_queue(&s.endpoint) => {
                    self.problem(
                        Problem::new("a FIFO queue cannot subscribe to a standard topic", item.span(), "FIFO queue")
                            .help("SNS delivers to FIFO queues from FIFO topics only: make the topic fifo = true, or subscribe a standard queue"),
                    );
                    ok = false;
                }
                Some(s)
                    if out
                        .iter()
                        .any(|o| same_endpoint(&o.endpoint.key(), &s.endpoint.key())) =>
                {
                    self.problem(
                        Problem::new(
                            format!("{} is subscribed twice", s.endpoint.key()),
                            item.span(),
                            "second subscription",
                        )
                        .help("SNS keeps one subscription per protocol and endpoint: remove one"),
                    );
                    ok = false;
                }
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn subscription(
        &mut self,
        value: &Value<'_>,
        topic: &str,
        declared: &Declared,
    ) -> Option<SubscriptionSpec> {
        let t = self.as_table(value, "a subscription")?;
        self.unknown_keys(t, SUBSCRIPTION_KEYS, "in a subscription");
        let written: Vec<(&Key<'_>, &Value<'_>)> =
            ENDPOINT_KEYS.iter().filter_map(|k| entry(t, k)).collect();
        let (key, endpoint) = match written.as_slice() {
            [one] => *one,
            [] => {
                self.problem(
                    Problem::new("a subscription has no endpoint", value.span(), "this subscription")
                        .help("write one of function = \"NAME\", queue = \"arn:aws:sqs:...\" or email = \"ops@example.com\""),
                );
                return None;
            }
            [first, second, ..] => {
                self.problem(
                    Problem::new(
                        "a subscription has two endpoints",
                        second.0.span(),
                        "second endpoint",
                    )
                    .also(first.0.span(), "first endpoint")
                    .help(
                        "one subscription delivers to one endpoint: write each in its own { ... }",
                    ),
                );
                return None;
            }
        };
        let text = self.string(endpoint, key.get_ref())?;
        let endpoint = self.endpoint(key.get_ref(), text, topic, declared)?;
        let raw = self.opt_bool(t, "raw").unwrap_or(false);
        if let (true, false, Some((k, _))) =
            (raw, matches!(endpoint, Endpoint::Queue(_)), entry(t, "raw"))
        {
            self.problem(
                Problem::new(
                    "raw delivery is for queue subscriptions",
                    k.span(),
                    "not a queue",
                )
                .help("SNS delivers its JSON envelope to functions and email; remove raw"),
            );
            return None;
        }
        let filter = match entry(t, "filter") {
            None => Some(None),
            Some((_, v)) => self.filter_policy(v).map(Some),
        };
        Some(SubscriptionSpec {
            endpoint,
            raw,
            filter: filter?,
        })
    }

    fn endpoint(
        &mut self,
        kind: &str,
        text: toml::Spanned<String>,
        topic: &str,
        declared: &Declared,
    ) -> Option<Endpoint> {
        let span = text.span();
        let value = text.into_inner();
        let bad = |message: &str, help: &str| {
            Problem::new(message.to_string(), span.clone(), "here").help(help.to_string())
        };
        match kind {
            "function" => {
                if let Some(problem) =
                    declared.check(&RefTarget::Function(value.clone()), span.clone())
                {
                    self.problem(problem);
                    return None;
                }
                self.references.push(RefSite {
                    from: Address::Subscription(format!("{topic} function:{value}")),
                    to: Address::Function(value.clone()),
                    span,
                });
                Some(Endpoint::Function(value))
            }
            "queue" if value.starts_with("arn:") && value.contains(":sqs:") => {
                Some(Endpoint::Queue(value))
            }
            "queue" => {
                self.problem(bad(
                    "queue must be an SQS queue ARN",
                    "write queue = \"arn:aws:sqs:REGION:ACCOUNT:NAME\"",
                ));
                None
            }
            _ if is_email(&value) => Some(Endpoint::Email(value)),
            _ => {
                self.problem(bad(
                    "email must be an email address",
                    "write email = \"ops@example.com\"",
                ));
                None
            }
        }
    }

    /// `filter = { kind = ["refund"] }`: a filter policy on message attributes, as canonical
    /// JSON (SNS's FilterPolicy).
    fn filter_policy(&mut self, value: &Value<'_>) -> Option<String> {
        let DeValue::Table(t) = value.get_ref() else {
            self.problem(
                Problem::new("filter must be a table", value.span(), "expected a table")
                    .help("write filter = { kind = [\"refund\"] }: message attribute names and the values they may have"),
            );
            return None;
        };
        if t.is_empty() {
            self.problem(Problem::new("filter is empty", value.span(), "empty").help(
                "name at least one message attribute, or remove filter to receive every message",
            ));
            return None;
        }
        if !self.filter_rules(t, value) {
            return None;
        }
        match to_json(value.get_ref()) {
            Some(json) => Some(crate::live::canonical_json(&json.to_string())),
            None => {
                self.problem(
                    Problem::new(
                        "filter holds a date, which JSON cannot",
                        value.span(),
                        "here",
                    )
                    .help("write dates as strings"),
                );
                None
            }
        }
    }
}

/// A TOML value as JSON; `None` for dates and times.
pub(super) fn to_json(value: &DeValue<'_>) -> Option<serde_json::Value> {
    Some(match value {
        DeValue::String(s) => serde_json::Value::String(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let digits = digits.trim_start_matches("0x").trim_start_matches("0o");
            let digits = digits.trim_start_matches("0b");
            serde_json::Value::from(i64::from_str_radix(digits, i.radix()).ok()?)
        }
        DeValue::Float(f) => {
            serde_json::Value::from(f.as_str().replace('_', "").parse::<f64>().ok()?)
        }
        DeValue::Boolean(b) => serde_json::Value::Bool(*b),
        DeValue::Datetime(_) => return None,
        DeValue::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|v| to_json(v.get_ref()))
                .collect::<Option<_>>()?,
        ),
        DeValue::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| Some((k.get_ref().to_string(), to_json(v.get_ref())?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// An SQS FIFO queue (its name ends in `.fifo`:
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues.html>).
fn is_fifo_queue(endpoint: &Endpoint) -> bool {
    matches!(endpoint, Endpoint::Queue(arn) if arn.ends_with(".fifo"))
}

/// An address SNS may send to: something before and after one `@`, a dot in the domain.
fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !text.contains(char::is_whitespace)
        }
        None => false,
    }
}
