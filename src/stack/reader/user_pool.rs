//! `[user_pools.NAME]`: a Cognito user pool, its custom attributes, app clients and domain.
//! Limits are Cognito's (CreateUserPool, SchemaAttributeType, CreateUserPoolClient and
//! CreateUserPoolDomain API references).

use std::collections::BTreeMap;

use toml::de::DeTable;

use super::names::is_logical_name;
use super::typed::{Key, Reader, Value, entry};
use crate::stack::diagnostic::Problem;
use crate::stack::spec::user_pool::{
    CustomAttribute, Mfa, PasswordPolicy, UserPoolClientSpec, UserPoolSpec,
};

const POOL_KEYS: &[&str] = &[
    "sign_in",
    "auto_verify",
    "password",
    "mfa",
    "attributes",
    "deletion_protection",
    "clients",
    "domain",
    "tags",
    "name",
];
const PASSWORD_KEYS: &[&str] = &[
    "min_length",
    "require_symbols",
    "require_numbers",
    "require_uppercase",
    "require_lowercase",
    "temporary_validity_days",
];
const ATTRIBUTE_KEYS: &[&str] = &["type", "mutable", "min", "max"];
const CLIENT_KEYS: &[&str] = &[
    "callback_urls",
    "logout_urls",
    "oauth_flows",
    "scopes",
    "generate_secret",
    "auth_flows",
];
/// `sign_in` and `auto_verify` values: the stack file's word, Cognito's attribute.
const SIGN_IN: &[(&str, &str)] = &[("email", "email"), ("phone", "phone_number")];
const MFA: &[(&str, Mfa)] = &[
    ("off", Mfa::Off),
    ("optional", Mfa::Optional),
    ("on", Mfa::On),
];
const DATA_TYPES: &[(&str, &str)] = &[
    ("string", "String"),
    ("number", "Number"),
    ("datetime", "DateTime"),
    ("boolean", "Boolean"),
];
const OAUTH_FLOWS: &[(&str, &str)] = &[
    ("code", "code"),
    ("implicit", "implicit"),
    ("client_credentials", "client_credentials"),
];
/// Cognito's ExplicitAuthFlows.
const AUTH_FLOWS: &[(&str, &str)] = &[
    ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH"),
    ("ALLOW_USER_SRP_AUTH", "ALLOW_USER_SRP_AUTH"),
    ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
    (
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    ),
    ("ALLOW_CUSTOM_AUTH", "ALLOW_CUSTOM_AUTH"),
    ("ALLOW_USER_AUTH", "ALLOW_USER_AUTH"),
];

impl Reader<'_> {
    pub(super) fn user_pool(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<UserPoolSpec> {
        let what = format!("[user_pools.{}]", key.get_ref());
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, POOL_KEYS, &format!("in {what}"));
        let sign_in = self.choices(t, "sign_in", SIGN_IN, "sign-in attribute");
        let auto_verify = self.choices(t, "auto_verify", SIGN_IN, "attribute to verify");
        let password = self.optional(t, "password", |r, v| r.password(v));
        let mfa = match entry(t, "mfa") {
            None => Some(Mfa::Off),
            Some((_, v)) => self.string(v, "mfa").and_then(|s| {
                self.one_of(
                    &s,
                    MFA,
                    "mfa setting",
                    "not a setting",
                    "use \"off\", \"optional\" or \"on\" (time-based one-time passwords)",
                )
            }),
        };
        let attributes = self.optional(t, "attributes", |r, v| r.custom_attributes(v));
        let clients = self.optional(t, "clients", |r, v| r.pool_clients(v));
        let domain = self.optional(t, "domain", |r, v| r.pool_domain(v));
        let deletion_protection = self.opt_bool(t, "deletion_protection").unwrap_or(true);
        let tags = self.tags(t);
        Some(UserPoolSpec {
            logical: key.get_ref().to_string(),
            sign_in: sign_in?,
            auto_verify: auto_verify?,
            password: password?.unwrap_or_default(),
            mfa: mfa?,
            attributes: attributes?.unwrap_or_default(),
            deletion_protection,
            clients: clients?.unwrap_or_default(),
            domain: domain?,
            tags,
        })
    }

    /// A list of words among `choices`, as Cognito names them.
    fn choices(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        choices: &[(&str, &'static str)],
        what: &str,
    ) -> Option<Vec<String>> {
        let words: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
        let help = format!("use {}", quoted(&words));
        let items = self.string_list(t, key, &format!("write {key} = [\"...\"]; {help}"))?;
        let mut out = Vec::new();
        for item in &items {
            out.push(
                self.one_of(item, choices, what, "not known", &help)?
                    .to_string(),
            );
        }
        Some(out)
    }

    fn password(&mut self, value: &Value<'_>) -> Option<PasswordPolicy> {
        let t = self.as_table(value, "password")?;
        self.unknown_keys(t, PASSWORD_KEYS, "in password");
        let d = PasswordPolicy::default();
        let flag = |r: &mut Self, key: &str, default: bool| r.opt_bool(t, key).unwrap_or(default);
        let min_length = match entry(t, "min_length") {
            None => Some(d.min_length),
            Some((_, v)) => self.int(v, "min_length", 6..=99),
        };
        let days = match entry(t, "temporary_validity_days") {
            None => Some(d.temporary_validity_days),
            Some((_, v)) => self.int(v, "temporary_validity_days", 0..=365),
        };
        Some(PasswordPolicy {
            require_symbols: flag(self, "require_symbols", d.require_symbols),
            require_numbers: flag(self, "require_numbers", d.require_numbers),
            require_uppercase: flag(self, "require_uppercase", d.require_uppercase),
            require_lowercase: flag(self, "require_lowercase", d.require_lowercase),
            min_length: min_length?,
            temporary_validity_days: days?,
        })
    }

    fn custom_attributes(
        &mut self,
        value: &Value<'_>,
    ) -> Option<BTreeMap<String, CustomAttribute>> {
        let t = self.as_table(value, "attributes")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, value) in t.iter() {
            // Cognito: custom attribute names of 1 to 20 characters (custom: excluded).
            let fits = (1..=20).contains(&name.get_ref().len())
                && name
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !fits {
                self.problem(
                    Problem::new(format!("invalid custom attribute name {:?}", name.get_ref()), name.span(), "not an attribute name")
                        .help("Cognito takes custom attribute names of 1 to 20 letters, digits, '_' and '-'"),
                );
                ok = false;
                continue;
            }
            match self.custom_attribute(value) {
                Some(a) => {
                    out.insert(name.get_ref().to_string(), a);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn custom_attribute(&mut self, value: &Value<'_>) -> Option<CustomAttribute> {
        let t = self.as_table(value, "a custom attribute")?;
        self.unknown_keys(t, ATTRIBUTE_KEYS, "in a custom attribute");
        let data_type = match entry(t, "type") {
            None => Some("String"),
            Some((_, v)) => self.string(v, "type").and_then(|s| {
                let help = "use \"string\", \"number\", \"datetime\" or \"boolean\"";
                self.one_of(&s, DATA_TYPES, "attribute type", "not a type", help)
            }),
        };
        let data_type = data_type?;
        // Bounds are a string's length (0 to 2048 characters) or a number's value.
        let range = match data_type {
            "String" => 0..=2048,
            "Number" => -(1 << 53)..=(1 << 53),
            _ => {
                if let Some((key, _)) = entry(t, "min").or_else(|| entry(t, "max")) {
                    self.problem(
                        Problem::new(
                            "only string and number attributes have bounds",
                            key.span(),
                            "no bounds here",
                        )
                        .help("remove min and max, or make the attribute a string or a number"),
                    );
                    return None;
                }
                0..=0
            }
        };
        let min = self.opt_int(t, "min", range.clone());
        let max = self.opt_int(t, "max", range);
        if let (Some(lo), Some(hi), Some((key, _))) = (min, max, entry(t, "max"))
            && lo > hi
        {
            self.problem(
                Problem::new(
                    format!("max = {hi} is below min = {lo}"),
                    key.span(),
                    "below min",
                )
                .help("make max at least min"),
            );
            return None;
        }
        Some(CustomAttribute {
            data_type: data_type.to_string(),
            mutable: self.opt_bool(t, "mutable").unwrap_or(true),
            min,
            max,
        })
    }

    fn pool_clients(&mut self, value: &Value<'_>) -> Option<BTreeMap<String, UserPoolClientSpec>> {
        let t = self.as_table(value, "clients")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, value) in t.iter() {
            if !is_logical_name(name.get_ref()) {
                self.problem(
                    Problem::new(
                        format!("invalid client name {:?}", name.get_ref()),
                        name.span(),
                        "not a valid name",
                    )
                    .help("use lowercase letters, digits, '-' and '_', starting with a letter"),
                );
                ok = false;
                continue;
            }
            match self.pool_client(value) {
                Some(c) => {
                    out.insert(name.get_ref().to_string(), c);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn pool_client(&mut self, value: &Value<'_>) -> Option<UserPoolClientSpec> {
        let t = self.as_table(value, "a client")?;
        self.unknown_keys(t, CLIENT_KEYS, "in a user pool client");
        let urls = |r: &mut Self, key: &str| {
            let list = r.string_list(t, key, &format!("write {key} = [\"https://...\"]"))?;
            r.oauth_urls(key, list)
        };
        let callback_urls = urls(self, "callback_urls");
        let logout_urls = urls(self, "logout_urls");
        let scopes = self
            .string_list(t, "scopes", "write scopes = [\"openid\", \"email\"]")
            .and_then(|list| self.oauth_scopes(list));
        let oauth_flows = self.choices(t, "oauth_flows", OAUTH_FLOWS, "OAuth flow");
        let auth_flows = self.choices(t, "auth_flows", AUTH_FLOWS, "auth flow");
        let client = UserPoolClientSpec {
            callback_urls: callback_urls?,
            logout_urls: logout_urls?,
            oauth_flows: oauth_flows?,
            scopes: scopes?,
            generate_secret: self.opt_bool(t, "generate_secret").unwrap_or(false),
            auth_flows: auth_flows?,
        };
        match oauth_problem(&client) {
            None => Some(client),
            Some(help) => {
                let span = entry(t, "oauth_flows").map_or(value.span(), |(k, _)| k.span());
                self.problem(
                    Problem::new("Cognito refuses these OAuth settings", span, "here").help(help),
                );
                None
            }
        }
    }

    /// A domain prefix: lowercase letters, digits and '-', 1 to 63 characters, not starting
    /// or ending with '-' (CreateUserPoolDomain's Domain pattern).
    fn pool_domain(&mut self, value: &Value<'_>) -> Option<String> {
        let text = self.string(value, "domain")?;
        let d = text.get_ref();
        let fits = (1..=63).contains(&d.len())
            && !d.starts_with('-')
            && !d.ends_with('-')
            && d.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        // Cognito reserves these words in prefixes (CreateUserPoolDomain).
        let reserved = ["aws", "amazon", "cognito"]
            .into_iter()
            .find(|w| d.contains(w));
        if let (true, Some(word)) = (fits, reserved) {
            self.problem(
                Problem::new(
                    format!("domain prefix {d:?} contains {word:?}"),
                    text.span(),
                    "reserved word",
                )
                .help("Cognito refuses prefixes containing aws, amazon or cognito: choose another"),
            );
            return None;
        }
        if fits {
            return Some(text.into_inner());
        }
        self.problem(
            Problem::new(format!("{d:?} is not a domain prefix"), text.span(), "not a prefix")
                .help("write a prefix of 1 to 63 lowercase letters, digits and '-' (the hosted UI is PREFIX.auth.REGION.amazoncognito.com)"),
        );
        None
    }
}

/// What CreateUserPoolClient refuses in OAuth settings, as help: a browser flow needs a
/// callback URL, any flow needs scopes, and `client_credentials` needs a secret and no
/// browser flow.
fn oauth_problem(c: &UserPoolClientSpec) -> Option<&'static str> {
    let has = |f: &str| c.oauth_flows.iter().any(|x| x == f);
    let browser = has("code") || has("implicit");
    if browser && c.callback_urls.is_empty() {
        return Some(
            "the code and implicit flows redirect to a callback URL: add callback_urls = [\"https://...\"]",
        );
    }
    if !c.oauth_flows.is_empty() && c.scopes.is_empty() {
        return Some(
            "an OAuth client needs the scopes it may grant: add scopes = [\"openid\", ...]",
        );
    }
    if has("client_credentials") && (browser || !c.generate_secret) {
        return Some(
            "client_credentials is for a server with a secret: use it alone, with generate_secret = true",
        );
    }
    None
}

fn quoted(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    quoted.join(", ")
}
