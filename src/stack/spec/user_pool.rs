//! `[user_pools.NAME]` as declared: a Cognito user pool with its app clients and hosted UI
//! domain. Source: the CreateUserPool, CreateUserPoolClient and CreateUserPoolDomain API
//! references (Amazon Cognito user pools API reference).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::AuthorizerSpec;
use crate::stack::reference::{RefTarget, Reference};

/// A Cognito user pool; physical name `<stack>-<logical>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPoolSpec {
    pub logical: String,
    /// Username attributes (`email`, `phone_number`): what users sign in with. Fixed at
    /// creation: a change replaces the pool.
    pub sign_in: Vec<String>,
    /// Attributes Cognito verifies by itself (`email`, `phone_number`).
    pub auto_verify: Vec<String>,
    pub password: PasswordPolicy,
    pub mfa: Mfa,
    /// Custom attributes by name without the `custom:` prefix.
    pub attributes: BTreeMap<String, CustomAttribute>,
    pub deletion_protection: bool,
    pub clients: BTreeMap<String, UserPoolClientSpec>,
    /// The hosted UI's domain prefix (`PREFIX.auth.REGION.amazoncognito.com`).
    pub domain: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// The pool's password policy; the defaults are Cognito's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Characters, 6 to 99 (Cognito's PasswordPolicyType.MinimumLength).
    pub min_length: i64,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    /// Days a temporary password set by an administrator stays valid, 0 to 365.
    pub temporary_validity_days: i64,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            require_symbols: true,
            require_numbers: true,
            require_uppercase: true,
            require_lowercase: true,
            temporary_validity_days: 7,
        }
    }
}

/// Multi-factor authentication, with time-based one-time passwords (software tokens) as the
/// method: Cognito refuses OPTIONAL or ON without a method, and SMS needs an IAM role and an
/// SNS sandbox exit that a stack file does not describe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mfa {
    #[default]
    Off,
    Optional,
    On,
}

impl Mfa {
    pub fn as_str(self) -> &'static str {
        match self {
            Mfa::Off => "off",
            Mfa::Optional => "optional",
            Mfa::On => "on",
        }
    }

    /// Cognito's MfaConfiguration (`OFF`, `OPTIONAL`, `ON`).
    pub fn aws_name(self) -> &'static str {
        match self {
            Mfa::Off => "OFF",
            Mfa::Optional => "OPTIONAL",
            Mfa::On => "ON",
        }
    }

    pub fn from_aws(name: Option<&str>) -> Self {
        match name {
            Some("ON") => Mfa::On,
            Some("OPTIONAL") => Mfa::Optional,
            _ => Mfa::Off,
        }
    }
}

/// A custom attribute (`custom:NAME`): its data type, whether users may change it, and the
/// bounds Cognito checks (string length or number value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAttribute {
    /// `string`, `number`, `datetime` or `boolean` (Cognito's AttributeDataType, lowercase).
    pub data_type: String,
    pub mutable: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// An app client of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPoolClientSpec {
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    /// OAuth flows: `code`, `implicit`, `client_credentials`.
    pub oauth_flows: Vec<String>,
    pub scopes: Vec<String>,
    /// Whether Cognito generates a client secret; fixed at creation (a change makes a new
    /// client, with a new ID).
    pub generate_secret: bool,
    /// Explicit auth flows (`ALLOW_USER_PASSWORD_AUTH`, ...); empty: Cognito's default.
    pub auth_flows: Vec<String>,
}

/// The issuer of the pool's tokens (the `iss` claim), for JWT authorizers.
/// Source: "Verifying a JSON Web Token", Amazon Cognito developer guide.
pub fn issuer(region: &str, pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// The authorizer with each value written as one `${user_pools...}` reference (how the reader
/// writes `user_pool = "NAME"`) replaced by what `lookup` knows of it; values it does not know
/// stay as written.
pub fn resolve_authorizer(
    spec: &AuthorizerSpec,
    lookup: impl Fn(&Reference) -> Option<String>,
) -> AuthorizerSpec {
    let one = |text: &String| {
        reference_in(text)
            .and_then(|r| lookup(&r))
            .unwrap_or_else(|| text.clone())
    };
    match spec {
        AuthorizerSpec::Jwt { issuer, audience } => AuthorizerSpec::Jwt {
            issuer: one(issuer),
            audience: audience.iter().map(one).collect(),
        },
        AuthorizerSpec::Cognito { user_pools } => AuthorizerSpec::Cognito {
            user_pools: user_pools.iter().map(one).collect(),
        },
        AuthorizerSpec::Lambda { .. } => spec.clone(),
    }
}

/// The user pool references of an authorizer (`user_pool = "NAME"`).
pub fn authorizer_references(spec: &AuthorizerSpec) -> Vec<Reference> {
    let texts: Vec<&String> = match spec {
        AuthorizerSpec::Jwt { issuer, audience } => {
            std::iter::once(issuer).chain(audience).collect()
        }
        AuthorizerSpec::Cognito { user_pools } => user_pools.iter().collect(),
        AuthorizerSpec::Lambda { .. } => Vec::new(),
    };
    texts.into_iter().filter_map(|t| reference_in(t)).collect()
}

/// Whether `text` is a user pool's value not known yet (a `${user_pools...}` the plan could
/// not resolve: the pool is created or replaced by this apply).
pub fn is_unresolved_pool_value(text: &str) -> bool {
    reference_in(text).is_some()
}

/// The reference `text` is, when it is exactly one `${user_pools...}`.
fn reference_in(text: &str) -> Option<Reference> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    let reference = Reference::parse(inner)?;
    matches!(
        reference.target,
        RefTarget::UserPool(_) | RefTarget::UserPoolClient(..)
    )
    .then_some(reference)
}
