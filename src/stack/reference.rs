//! `${tables.orders.arn}`-style references inside string values.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::address::Address;

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "name")]
pub enum RefTarget {
    Table(String),
    Function(String),
    Api,
    /// The stack's WebSocket API.
    Websocket,
    /// An SSM parameter, by name; its value is secret.
    Ssm(String),
    /// A Cognito user pool, by logical name.
    #[serde(rename = "user_pool")]
    UserPool(String),
    /// An app client of a user pool: (pool, client).
    #[serde(rename = "user_pool_client")]
    UserPoolClient(String, String),
    /// An SNS topic, by logical name.
    Topic(String),
    /// An SQS queue, by logical name.
    Queue(String),
}

impl RefTarget {
    /// The resource the reference depends on; SSM parameters are not stackctl's resources.
    pub fn address(&self) -> Option<Address> {
        match self {
            RefTarget::Table(name) => Some(Address::Table(name.clone())),
            RefTarget::Function(name) => Some(Address::Function(name.clone())),
            RefTarget::Api => Some(Address::Api),
            RefTarget::Websocket => Some(Address::Websocket),
            RefTarget::Ssm(_) => None,
            RefTarget::UserPool(name) | RefTarget::UserPoolClient(name, _) => {
                Some(Address::UserPool(name.clone()))
            }
            RefTarget::Topic(name) => Some(Address::Topic(name.clone())),
            RefTarget::Queue(name) => Some(Address::Queue(name.clone())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefAttr {
    Name,
    Arn,
    Id,
    Url,
    /// A WebSocket API's `https://` URL that functions post to (the @connections API).
    CallbackUrl,
    Value,
    /// A user pool's token issuer URL (the `iss` claim).
    Issuer,
    /// A table's stream ARN (while its stream is on).
    StreamArn,
}

impl RefAttr {
    fn as_str(self) -> &'static str {
        match self {
            RefAttr::Name => "name",
            RefAttr::Arn => "arn",
            RefAttr::Id => "id",
            RefAttr::Url => "url",
            RefAttr::CallbackUrl => "callback_url",
            RefAttr::Value => "value",
            RefAttr::Issuer => "issuer",
            RefAttr::StreamArn => "stream_arn",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub target: RefTarget,
    pub attr: RefAttr,
}

impl Reference {
    /// The reference a stack file may write as `${text}` (`api.url`), if `text` is one.
    pub fn parse(text: &str) -> Option<Reference> {
        interpret(text).ok()
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            RefTarget::Table(name) => write!(f, "tables.{name}.{}", self.attr.as_str()),
            RefTarget::Function(name) => write!(f, "functions.{name}.{}", self.attr.as_str()),
            RefTarget::Api => write!(f, "api.{}", self.attr.as_str()),
            RefTarget::Websocket => write!(f, "websocket.{}", self.attr.as_str()),
            RefTarget::Ssm(name) => write!(f, "ssm:{name}"),
            RefTarget::UserPool(name) => write!(f, "user_pools.{name}.{}", self.attr.as_str()),
            RefTarget::UserPoolClient(pool, client) => {
                write!(
                    f,
                    "user_pools.{pool}.clients.{client}.{}",
                    self.attr.as_str()
                )
            }
            RefTarget::Topic(name) => write!(f, "topics.{name}.{}", self.attr.as_str()),
            RefTarget::Queue(name) => write!(f, "queues.{name}.{}", self.attr.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    Text(String),
    Ref(Reference),
}

/// A string value that may embed references, resolved when the referenced values are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub segments: Vec<Segment>,
}

impl Template {
    pub fn text(text: &str) -> Self {
        Template {
            segments: vec![Segment::Text(text.to_string())],
        }
    }

    /// A reference followed by literal text.
    pub fn reference(reference: Reference, suffix: &str) -> Self {
        let mut segments = vec![Segment::Ref(reference)];
        if !suffix.is_empty() {
            segments.push(Segment::Text(suffix.to_string()));
        }
        Template { segments }
    }

    /// Whether the value contains a secret (an SSM parameter).
    /// The bytes of its text, without what references resolve to (known only at apply).
    pub fn literal_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => t.len(),
                Segment::Ref(_) => 0,
            })
            .sum()
    }

    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Ref(r) => Some(r),
            Segment::Text(_) => None,
        })
    }

    /// The value with every reference replaced, or `None` while one of them is not known yet.
    pub fn resolve(&self, lookup: impl Fn(&Reference) -> Option<String>) -> Option<String> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Ref(r) => out.push_str(&lookup(r)?),
            }
        }
        Some(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => write!(f, "{}", text.replace("${", "$${"))?,
                Segment::Ref(r) => write!(f, "${{{r}}}")?,
            }
        }
        Ok(())
    }
}

/// A reference as written, before it is checked against what the file declares.
#[derive(Debug)]
pub struct RawRef {
    pub text: String,
    /// Byte range of `${...}` within the string's contents.
    pub range: Range<usize>,
}

/// Splits `text` into literal text and `${...}` references; `$${` is a literal `${`.
/// Returns the segments with unresolved references, or the byte range of an unclosed `${`.
pub fn split(text: &str) -> Result<Vec<(Option<RawRef>, String)>, Range<usize>> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(pos) = rest.find('$') {
        literal.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(escaped) = after.strip_prefix("$${") {
            literal.push_str("${");
            rest = escaped;
            offset += pos + 3;
        } else if let Some(inner) = after.strip_prefix("${") {
            let Some(end) = inner.find('}') else {
                return Err(offset + pos..text.len());
            };
            if !literal.is_empty() {
                parts.push((None, std::mem::take(&mut literal)));
            }
            let range = offset + pos..offset + pos + 2 + end + 1;
            parts.push((
                Some(RawRef {
                    text: inner[..end].trim().to_string(),
                    range,
                }),
                String::new(),
            ));
            rest = &inner[end + 1..];
            offset += pos + 2 + end + 1;
        } else {
            literal.push('$');
            rest = &after[1..];
            offset += pos + 1;
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push((None, literal));
    }
    Ok(parts)
}

/// Interprets the text inside `${...}`; the error says what forms exist.
pub fn interpret(text: &str) -> Result<Reference, &'static str> {
    if let Some(name) = text.strip_prefix("ssm:") {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c));
        return if valid {
            Ok(Reference {
                target: RefTarget::Ssm(name.to_string()),
                attr: RefAttr::Value,
            })
        } else {
            Err("invalid SSM parameter name")
        };
    }
    let parts: Vec<&str> = text.split('.').collect();
    let attr = |a: &str, allowed: &[RefAttr]| {
        allowed
            .iter()
            .copied()
            .find(|x| x.as_str() == a)
            .ok_or("unknown attribute")
    };
    match parts.as_slice() {
        ["tables", name, a] => Ok(Reference {
            target: RefTarget::Table(name.to_string()),
            attr: attr(a, &[RefAttr::Name, RefAttr::Arn, RefAttr::StreamArn])?,
        }),
        ["functions", name, a] => Ok(Reference {
            target: RefTarget::Function(name.to_string()),
            attr: attr(a, &[RefAttr::Name, RefAttr::Arn])?,
        }),
        ["queues", name, a] => Ok(Reference {
            target: RefTarget::Queue(name.to_string()),
            attr: attr(a, &[RefAttr::Name, RefAttr::Arn, RefAttr::Url])?,
        }),
        ["topics", name, a] => Ok(Reference {
            target: RefTarget::Topic(name.to_string()),
            attr: attr(a, &[RefAttr::Name, RefAttr::Arn])?,
        }),
        ["api", a] => Ok(Reference {
            target: RefTarget::Api,
            attr: attr(a, &[RefAttr::Id, RefAttr::Url])?,
        }),
        // `websocket.arn` (the execute-api ARN of the API) is stackctl's own, for the policy
        // of `websocket = "manage"`: not written in stack files.
        ["websocket", a] => Ok(Reference {
            target: RefTarget::Websocket,
            attr: attr(a, &[RefAttr::Id, RefAttr::Url, RefAttr::CallbackUrl])?,
        }),
        ["user_pools", name, a] => Ok(Reference {
            target: RefTarget::UserPool(name.to_string()),
            attr: attr(a, &[RefAttr::Id, RefAttr::Arn, RefAttr::Issuer])?,
        }),
        ["user_pools", pool, "clients", client, a] => Ok(Reference {
            target: RefTarget::UserPoolClient(pool.to_string(), client.to_string()),
            attr: attr(a, &[RefAttr::Id])?,
        }),
        _ => Err("unknown reference form"),
    }
}

pub const FORMS: &str = "references look like ${tables.NAME.name}, ${tables.NAME.arn}, ${tables.NAME.stream_arn}, ${functions.NAME.name}, ${functions.NAME.arn}, ${topics.NAME.name}, ${topics.NAME.arn}, ${queues.NAME.name}, ${queues.NAME.arn}, ${queues.NAME.url}, ${api.id}, ${api.url}, ${websocket.id}, ${websocket.url}, ${websocket.callback_url}, ${user_pools.NAME.id}, ${user_pools.NAME.arn}, ${user_pools.NAME.issuer}, ${user_pools.NAME.clients.CLIENT.id}, ${inputs.NAME} or ${ssm:/parameter/name}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_and_references() {
        let parts = split("arn=${tables.orders.arn}/x $${literal} $5").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].1, "arn=");
        let r = parts[1].0.as_ref().unwrap();
        assert_eq!(r.text, "tables.orders.arn");
        assert_eq!(r.range, 4..24);
        assert_eq!(parts[2].1, "/x ${literal} $5");
    }

    #[test]
    fn unclosed_reference_is_reported() {
        assert_eq!(split("a ${tables.x").unwrap_err(), 2..12);
    }

    #[test]
    fn interprets_forms() {
        assert_eq!(
            interpret("functions.get-order.arn").unwrap().to_string(),
            "functions.get-order.arn"
        );
        assert!(interpret("api.arn").is_err());
        assert_eq!(
            interpret("ssm:/shop/stripe-key").unwrap().to_string(),
            "ssm:/shop/stripe-key"
        );
        assert!(interpret("ssm:").is_err());
        assert_eq!(
            interpret("queues.jobs.url").unwrap().to_string(),
            "queues.jobs.url"
        );
        assert!(interpret("queues.x.id").is_err());
        assert!(interpret("buckets.x.url").is_err());
    }
}
