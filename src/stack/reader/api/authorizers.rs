//! `[api] authorizers`: JWT (HTTP APIs), Cognito (REST APIs) and Lambda authorizers.

use std::collections::BTreeMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::limits;
use crate::stack::reader::typed::{Reader, RefSite, Value, entry};
use crate::stack::reference::{RefAttr, RefTarget, Reference};
use crate::stack::spec::{ApiType, AuthorizerSpec};

const JWT_KEYS: &[&str] = &["type", "issuer", "audience", "user_pool", "client"];

const COGNITO_KEYS: &[&str] = &["type", "user_pools", "user_pool", "client"];

const LAMBDA_KEYS: &[&str] = &["type", "function"];

impl Reader<'_> {
    pub(super) fn authorizers(
        &mut self,
        value: &Value<'_>,
        api: ApiType,
        declared: &Declared,
    ) -> Option<BTreeMap<String, AuthorizerSpec>> {
        let t = self.as_table(value, "authorizers")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, value) in t.iter() {
            let len = name.get_ref().chars().count();
            if !(1..=limits::MAX_AUTHORIZER_NAME).contains(&len) {
                self.problem(
                    Problem::new(
                        format!("an authorizer name has {len} characters"),
                        name.span(),
                        "not an authorizer name",
                    )
                    .help(format!(
                        "API Gateway takes authorizer names of 1 to {} characters",
                        limits::MAX_AUTHORIZER_NAME
                    )),
                );
                ok = false;
                continue;
            }
            match self.authorizer(value, api, declared) {
                Some(a) => {
                    out.insert(name.get_ref().to_string(), a);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn authorizer(
        &mut self,
        value: &Value<'_>,
        api: ApiType,
        declared: &Declared,
    ) -> Option<AuthorizerSpec> {
        let t = self.as_table(value, "an authorizer")?;
        let kind = self.required(t, "type", || {
            Problem::new("an authorizer has no type", value.span(), "here")
                .help("use type = \"jwt\" (HTTP APIs) or type = \"cognito\" (REST APIs)")
        })?;
        let kind = self.string(kind, "authorizer type")?;
        match (kind.get_ref().as_str(), api) {
            ("jwt", ApiType::Http) => self.jwt_authorizer(t, value, declared),
            ("cognito", ApiType::Rest) => self.cognito_authorizer(t, value, declared),
            ("jwt", ApiType::Rest) | ("cognito", ApiType::Http) => {
                let fits = if api == ApiType::Http {
                    "jwt"
                } else {
                    "cognito"
                };
                self.problem(
                    Problem::new(
                        format!(
                            "{} authorizers are not available on {} APIs",
                            kind.get_ref(),
                            api.protocol()
                        ),
                        kind.span(),
                        "wrong kind for this API",
                    )
                    .help(format!("use type = \"{fits}\" on this API")),
                );
                None
            }
            ("lambda", _) => self.lambda_authorizer(t, value, declared),
            (other, _) => {
                self.problem(
                    Problem::new(
                        format!("unsupported authorizer type {other:?}"),
                        kind.span(),
                        "not supported",
                    )
                    .help("use type = \"jwt\" (HTTP APIs), \"cognito\" (REST APIs) or \"lambda\""),
                );
                None
            }
        }
    }

    /// `type = "jwt"` (HTTP APIs): an issuer and its audiences.
    fn jwt_authorizer(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<AuthorizerSpec> {
        self.unknown_keys(t, JWT_KEYS, "in a jwt authorizer");
        let derived = "remove it: user_pool and client give the issuer and the audience";
        let ok = if entry(t, "user_pool").is_some() {
            self.conflicting(t, "user_pool", &["issuer", "audience"], derived)
        } else {
            let help = "add user_pool = \"NAME\" (a pool of this stack), or remove client and write audience = [\"CLIENT_ID\"]";
            self.unused(t, "client", "without user_pool", help)
        };
        if !ok {
            return None;
        }
        if entry(t, "user_pool").is_some() {
            let (pool, client) = self.pool_of_authorizer(t, value, declared, true)?;
            let client = client?;
            return Some(AuthorizerSpec::Jwt {
                issuer: pool_ref(RefTarget::UserPool(pool.clone()), RefAttr::Issuer),
                audience: vec![pool_ref(
                    RefTarget::UserPoolClient(pool, client),
                    RefAttr::Id,
                )],
            });
        }
        let issuer = self
            .required(t, "issuer", || {
                Problem::new("the authorizer has no issuer", value.span(), "here")
                    .help("add issuer = \"https://cognito-idp.REGION.amazonaws.com/POOL_ID\"")
            })
            .and_then(|v| self.string(v, "issuer"))
            .map(Spanned::into_inner);
        let audience = self.authorizer_list(t, value, "audience");
        Some(AuthorizerSpec::Jwt {
            issuer: issuer?,
            audience: audience?,
        })
    }

    /// `type = "cognito"` (REST APIs): the user pools, by ARN.
    fn cognito_authorizer(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<AuthorizerSpec> {
        self.unknown_keys(t, COGNITO_KEYS, "in a cognito authorizer");
        let one = "write either user_pool = \"NAME\" (a pool of this stack) or user_pools = [\"ARN\", ...]";
        let no_client = "remove client: a cognito authorizer (REST APIs) accepts the tokens of every client of its pools";
        let ok = self.conflicting(t, "user_pool", &["user_pools"], one)
            & self.unused(t, "client", "in a cognito authorizer", no_client);
        if !ok {
            return None;
        }
        if entry(t, "user_pool").is_some() {
            let (pool, _) = self.pool_of_authorizer(t, value, declared, false)?;
            let arn = pool_ref(RefTarget::UserPool(pool), RefAttr::Arn);
            return Some(AuthorizerSpec::Cognito {
                user_pools: vec![arn],
            });
        }
        let user_pools = self.authorizer_list(t, value, "user_pools")?;
        if let Some(bad) = user_pools.iter().find(|p| !limits::is_user_pool_arn(p))
            && let Some((_, v)) = entry(t, "user_pools")
        {
            self.problem(
                Problem::new(
                    format!("{bad:?} is not a Cognito user pool ARN"),
                    v.span(),
                    "here",
                )
                .help("write arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID"),
            );
            return None;
        }
        Some(AuthorizerSpec::Cognito { user_pools })
    }

    /// `type = "lambda"`: a function of this stack, which the API then depends on.
    fn lambda_authorizer(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<AuthorizerSpec> {
        self.unknown_keys(t, LAMBDA_KEYS, "in a lambda authorizer");
        let function = self.required(t, "function", || {
            Problem::new("the authorizer has no function", value.span(), "here")
                .help("add function = \"NAME\", a function of this stack")
        })?;
        let function = self.string(function, "function")?;
        if let Some(problem) = declared.check(
            &RefTarget::Function(function.get_ref().clone()),
            function.span(),
        ) {
            self.problem(problem);
            return None;
        }
        self.references.push(RefSite {
            from: Address::Api,
            to: Address::Function(function.get_ref().clone()),
            span: function.span(),
        });
        Some(AuthorizerSpec::Lambda {
            function: function.into_inner(),
        })
    }

    /// `user_pool = "NAME"` and `client = "CLIENT"` (required when `needs_client`): a pool of
    /// this stack, which the API then depends on, and the client when written.
    fn pool_of_authorizer(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        declared: &Declared,
        needs_client: bool,
    ) -> Option<(String, Option<String>)> {
        let pool = self.string(entry(t, "user_pool")?.1, "user_pool")?;
        let target = RefTarget::UserPool(pool.get_ref().clone());
        if let Some(problem) = declared.check(&target, pool.span()) {
            self.problem(problem);
            return None;
        }
        let client = match entry(t, "client") {
            Some((_, v)) => {
                let client = self.string(v, "client")?;
                let target =
                    RefTarget::UserPoolClient(pool.get_ref().clone(), client.get_ref().clone());
                if let Some(problem) = declared.check(&target, client.span()) {
                    self.problem(problem);
                    return None;
                }
                Some(client.into_inner())
            }
            None if needs_client => {
                self.problem(
                    Problem::new("the authorizer names a user pool but no client", value.span(), "here")
                        .help("add client = \"NAME\", a client of the pool: its ID is the audience the authorizer accepts"),
                );
                return None;
            }
            None => None,
        };
        self.references.push(RefSite {
            from: Address::Api,
            to: Address::UserPool(pool.get_ref().clone()),
            span: pool.span(),
        });
        Some((pool.into_inner(), client))
    }

    /// Where `key` is written, none of `others` may be: an error at each one written, with
    /// `help`. Whether none is.
    fn conflicting(&mut self, t: &DeTable<'_>, key: &str, others: &[&str], help: &str) -> bool {
        if entry(t, key).is_none() {
            return true;
        }
        let mut ok = true;
        for other in others {
            if let Some((k, _)) = entry(t, other) {
                self.problem(
                    Problem::new(
                        format!("{other} cannot be written with {key} in an authorizer"),
                        k.span(),
                        format!("conflicts with {key}"),
                    )
                    .help(help),
                );
                ok = false;
            }
        }
        ok
    }

    /// `key` is written where it has no effect (`why`: `without user_pool`): an error at it,
    /// with `help`. Whether it is not written.
    fn unused(&mut self, t: &DeTable<'_>, key: &str, why: &str, help: &str) -> bool {
        let Some((k, _)) = entry(t, key) else {
            return true;
        };
        self.problem(
            Problem::new(format!("{key} has no effect {why}"), k.span(), "not used").help(help),
        );
        false
    }

    /// A required, non-empty list of strings of an authorizer (`value`).
    fn authorizer_list(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        key: &str,
    ) -> Option<Vec<String>> {
        let v = self.required(t, key, || {
            Problem::new(format!("the authorizer has no {key}"), value.span(), "here")
                .help(format!("add {key} = [\"...\"]"))
        })?;
        match v.get_ref() {
            DeValue::Array(items) if !items.is_empty() => items
                .iter()
                .map(|i| self.string(i, key).map(Spanned::into_inner))
                .collect(),
            _ => {
                self.problem(
                    Problem::new(
                        format!("{key} must be a non-empty list of strings"),
                        v.span(),
                        "here",
                    )
                    .help(format!("write {key} = [\"...\"]")),
                );
                None
            }
        }
    }
}

/// `${REFERENCE}`: how an authorizer names a value of a user pool of this stack, resolved by
/// the plan where it is known and by apply once the pool exists.
fn pool_ref(target: RefTarget, attr: RefAttr) -> String {
    format!("${{{}}}", Reference { target, attr })
}
