//! The API's settings: CORS, stage throttling and access logs.

use toml::Spanned;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::spec::{AccessLog, Cors, Throttle};

const ACCESS_LOG_KEYS: &[&str] = &["destination", "format"];

const CORS_KEYS: &[&str] = &["allow_origins", "allow_methods", "allow_headers", "max_age"];

const THROTTLE_KEYS: &[&str] = &["rate", "burst"];

impl Reader<'_> {
    pub(in crate::stack::reader) fn access_log(&mut self, value: &Value<'_>) -> Option<AccessLog> {
        let t = self.as_table(value, "access_log")?;
        self.unknown_keys(t, ACCESS_LOG_KEYS, "in access_log");
        let help = "write access_log = { destination = \"arn:aws:logs:REGION:ACCOUNT:log-group:NAME\", format = \"$context.requestId $context.status\" }";
        let field = |r: &mut Self, key: &str| {
            let v = r.required(t, key, || {
                Problem::new(format!("access_log has no {key}"), value.span(), "here").help(help)
            })?;
            r.string(v, key)
        };
        let destination = field(self, "destination");
        let format = field(self, "format");
        let destination = destination?;
        if !destination.get_ref().starts_with("arn:")
            || !destination.get_ref().contains(":log-group:")
        {
            self.problem(
                Problem::new(
                    "destination must be a log group ARN",
                    destination.span(),
                    "not a log group ARN",
                )
                .help(help),
            );
            return None;
        }
        Some(AccessLog {
            destination: destination.into_inner(),
            format: format?.into_inner(),
        })
    }

    pub(super) fn cors(&mut self, value: &Value<'_>) -> Option<Cors> {
        let t = self.as_table(value, "cors")?;
        self.unknown_keys(t, CORS_KEYS, "in cors");
        let list = |r: &mut Self, key: &str| {
            let list = r.string_list(t, key, &format!("write {key} = [\"...\"]"))?;
            Some(
                list.into_iter()
                    .map(Spanned::into_inner)
                    .collect::<Vec<_>>(),
            )
        };
        let allow_origins = list(self, "allow_origins");
        let allow_methods = list(self, "allow_methods");
        let allow_headers = list(self, "allow_headers");
        let max_age = self.opt_int(t, "max_age", 0..=86_400).map(|n| n as i32);
        let allow_origins = allow_origins?;
        if allow_origins.is_empty() {
            self.problem(
                Problem::new("cors has no allow_origins", value.span(), "here")
                    .help("add allow_origins = [\"https://shop.example\"] (or [\"*\"])"),
            );
            return None;
        }
        Some(Cors {
            allow_origins,
            allow_methods: allow_methods?,
            allow_headers: allow_headers?,
            max_age,
        })
    }

    pub(in crate::stack::reader) fn throttle(&mut self, value: &Value<'_>) -> Option<Throttle> {
        let t = self.as_table(value, "throttle")?;
        self.unknown_keys(t, THROTTLE_KEYS, "in throttle");
        let rate = self.opt_int(t, "rate", 0..=1_000_000);
        let burst = self.opt_int(t, "burst", 0..=1_000_000);
        match (rate, burst) {
            (Some(rate), Some(burst)) => Some(Throttle {
                rate: rate as f64,
                burst: burst as i32,
            }),
            _ => {
                if entry(t, "rate").is_none() || entry(t, "burst").is_none() {
                    self.problem(
                        Problem::new("throttle needs both rate and burst", value.span(), "here")
                            .help("write throttle = { rate = 100, burst = 200 }"),
                    );
                }
                None
            }
        }
    }
}
