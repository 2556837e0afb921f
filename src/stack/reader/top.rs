//! The file as a whole: `[stack]`, the sections of named resources, and the checks that
//! need all of them (REST routes, layer regions, resolved sizes, name lengths).

use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::declared::Declared;
use super::defaults::DefaultSpans;
use super::env::EnvSettings;
use super::limits;
use super::names::{is_logical_name, is_stack_name, long_names};
use super::typed::{Key, Reader, Value, entry};
use crate::stack::diagnostic::Problem;
use crate::stack::spec::{ApiType, Stack};

const TOP_KEYS: &[&str] = &[
    "stack",
    "tables",
    "functions",
    "api",
    "routes",
    "websocket",
    "env",
    "user_pools",
    "topics",
    "defaults",
    "inputs",
    // Editors' schema (JSON Schema's keyword, as taplo and Even Better TOML read it): ignored.
    "$schema",
    "queues",
];

const STACK_KEYS: &[&str] = &["name", "region", "artifact_bucket"];

impl Reader<'_> {
    /// API Gateway cannot deploy a REST API without methods: a REST `[api]` needs a route.
    fn check_rest_has_routes(&mut self, doc: &DeTable<'_>, api: Option<&crate::stack::ApiSpec>) {
        let no_routes_written = entry(doc, "routes")
            .is_none_or(|(_, v)| matches!(v.get_ref(), DeValue::Table(t) if t.is_empty()));
        if let (Some(api), Some((key, _))) = (api, entry(doc, "api"))
            && api.api_type == ApiType::Rest
            && no_routes_written
        {
            self.problem(
            Problem::new("a REST API needs at least one route", key.span(), "REST API")
                .help("API Gateway cannot deploy a REST API without methods: add a route under [routes], or remove [api] to delete the API"),
        );
        }
    }

    pub(super) fn stack(
        &mut self,
        doc: &DeTable<'_>,
        dir: &Path,
        env: &EnvSettings,
    ) -> Option<Stack> {
        self.unknown_keys(doc, TOP_KEYS, "at the top level");
        let defaulted = self.with_function_defaults(doc);
        let (doc, default_spans) = match &defaulted {
            Some((doc, spans)) => (doc, spans),
            None => (doc, &DefaultSpans::default()),
        };
        let (name, region, artifact_bucket) = match entry(doc, "stack") {
            Some((_, value)) => self.stack_table(value),
            None => {
                self.problem(
                    Problem::new("the stack file has no [stack] table", 0..0, "expected here")
                        .help("start the file with:\n[stack]\nname = \"shop\""),
                );
                (None, None, None)
            }
        };
        let declared = Declared::collect(doc);
        self.check_inputs(doc);
        let tables = self.named_tables(doc, "tables", |r, key, value| r.table(key, value));
        let functions = self.named_tables(doc, "functions", |r, key, value| {
            let before = r.problems.len();
            let function = r.function(key, value, dir, &declared);
            r.blame_defaults(before, key, default_spans);
            function
        });
        let topics = self.named_tables(doc, "topics", |r, key, value| {
            r.topic(key, value, &declared)
        });
        let queues = self.named_tables(doc, "queues", |r, key, value| {
            r.queue(key, value, &declared)
        });
        let api = entry(doc, "api").and_then(|(_, v)| self.api(v, &declared));
        let routes = match entry(doc, "routes") {
            Some((key, value)) => self.routes(key, value, api.as_ref(), &declared),
            None => Vec::new(),
        };
        self.check_route_aliases(doc, &functions, api.as_ref());
        self.check_usage_plan_routes(doc, &routes);
        let websocket = entry(doc, "websocket").and_then(|(_, v)| self.websocket(v, &declared));
        let user_pools =
            self.named_tables(doc, "user_pools", |r, key, value| r.user_pool(key, value));
        self.check_rest_has_routes(doc, api.as_ref());
        let region = env.region.clone().or(region);
        if let Some(region) = &region {
            self.check_layer_regions(doc, region);
        }
        let name = name?;
        let names = self.fixed_names(doc, &format!("{name}{}", env.name_suffix), &env.name_suffix);
        self.check_resolved_environment_sizes(
            doc,
            &format!("{name}{}", env.name_suffix),
            region.as_deref(),
            (&functions, &names),
        );
        // The base's names here; every environment's, with its suffix, in check_envs (with or
        // without --env, so that validate without --env finds them too).
        self.check_name_lengths(doc, &name);
        let name = format!("{name}{}", env.name_suffix);
        Some(Stack {
            name,
            region,
            artifact_bucket,
            tables,
            functions,
            api,
            routes,
            websocket,
            user_pools,
            topics,
            names,
            queues,
        })
    }

    fn stack_table(
        &mut self,
        value: &Value<'_>,
    ) -> (Option<String>, Option<String>, Option<String>) {
        let Some(table) = self.as_table(value, "[stack]") else {
            return (None, None, None);
        };
        self.unknown_keys(table, STACK_KEYS, "in [stack]");
        let name = match entry(table, "name") {
            Some((_, v)) => self.string(v, "stack name").and_then(|n| {
                if is_stack_name(n.get_ref()) {
                    Some(n.into_inner())
                } else {
                    self.problem(
                        Problem::new(
                            format!("invalid stack name {:?}", n.get_ref()),
                            n.span(),
                            "not a valid stack name",
                        )
                        .help("use lowercase letters, digits and '-', starting with a letter, at most 40 characters"),
                    );
                    None
                }
            }),
            None => {
                self.problem(
                    Problem::new("[stack] has no name", value.span(), "this table")
                        .help("add name = \"shop\": physical names become shop-<logical name>"),
                );
                None
            }
        };
        let region = entry(table, "region").and_then(|(_, v)| self.region(v));
        let bucket = entry(table, "artifact_bucket")
            .and_then(|(_, v)| self.string(v, "artifact_bucket"))
            .and_then(|b| {
                if limits::is_bucket_name(b.get_ref(), limits::MAX_CODE_BUCKET) {
                    return Some(b.into_inner());
                }
                self.problem(
                    Problem::new(format!("{:?} is not an S3 bucket name", b.get_ref()), b.span(), "not a bucket name")
                        .help("Lambda takes code from buckets named with 3 to 63 letters, digits, '.', '_' and '-', beginning and ending with a letter or digit"),
                );
                None
            });
        (name, region, bucket)
    }

    /// Reads `[tables.*]` or `[functions.*]`: a table of named resources.
    fn named_tables<T>(
        &mut self,
        doc: &DeTable<'_>,
        section: &str,
        mut each: impl FnMut(&mut Self, &Key<'_>, &Value<'_>) -> Option<T>,
    ) -> Vec<T> {
        let Some((_, value)) = entry(doc, section) else {
            return Vec::new();
        };
        let Some(table) = self.as_table(value, &format!("[{section}]")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in table.iter() {
            if !is_logical_name(key.get_ref()) {
                self.problem(
                    Problem::new(
                        format!("invalid name {:?} in [{section}]", key.get_ref()),
                        key.span(),
                        "not a valid name",
                    )
                    .help("use lowercase letters, digits, '-' and '_', starting with a letter"),
                );
                continue;
            }
            if let Some(item) = each(self, key, value) {
                out.push(item);
            }
        }
        out
    }

    /// Tables and functions whose physical names exceed what AWS accepts.
    fn check_name_lengths(&mut self, doc: &DeTable<'_>, stack: &str) {
        for (key, physical, limit, what) in long_names(doc, stack) {
            self.problem(
                Problem::new(
                    format!("physical name {physical:?} is longer than {limit} characters"),
                    key,
                    "too long",
                )
                .help(format!(
                    "AWS limits {what} to {limit} characters; shorten the stack or resource name"
                )),
            );
        }
    }
}
