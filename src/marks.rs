//! How stackctl marks the resources it makes on AWS, and recognises them again. There is no
//! state file: these names, tags and IDs are the whole record of what a stack owns and what
//! stackctl last did to it, so every layer that writes or reads them takes them from here.
//! Pure functions and constants; no AWS calls.

use std::collections::{BTreeMap, BTreeSet};

use crate::hash::sha256_hex;

/// The prefix of every tag stackctl writes; a stack file may not use it.
pub const TAG_PREFIX: &str = "stackctl:";

/// The tag every resource stackctl creates carries; its value is the stack name.
pub const STACK_TAG: &str = "stackctl:stack";

/// The tag on a table or function that holds the fingerprint of what stackctl last applied
/// (see `plan::drift`).
pub const APPLIED_TAG: &str = "stackctl:applied";

/// The tag on the API that records the invoke permissions stackctl granted its routes'
/// functions (see [`permissions_record`]).
pub const PERMISSIONS_TAG: &str = "stackctl:permissions";
/// On a function whose reserved concurrency stackctl set: the number it set. A plan reads
/// reserved concurrency (GetFunctionConcurrency, Lambda's 15 control-plane requests a second)
/// only of functions the stack file gives one or that carry this tag, so that removing
/// `reserved_concurrency` from the stack file is still seen without a read per function.
pub const CONCURRENCY_TAG: &str = "stackctl:concurrency";
/// On a function whose versions stackctl publishes (`publish = true`): a plan reads versions
/// and aliases (ListVersionsByFunction, ListAliases) only of functions the stack file lets
/// publish or that carry this tag, so that aliases left behind by a removed `publish` are seen.
pub const VERSIONS_TAG: &str = "stackctl:versions";

/// The output that holds the URL of the API's stage `stage`: `api.stages.NAME.url`.
pub fn stage_url_output(stage: &str) -> String {
    format!("api.stages.{stage}.url")
}

/// On a table: the time to live and point-in-time recovery stackctl set (see
/// [`table_settings_record`]). A plan trusts it instead of reading DescribeTimeToLive and
/// DescribeContinuousBackups of every table; `plan --refresh-only` and `apply --refresh` read
/// them, so settings changed by hand show up there.
pub const TABLE_SETTINGS_TAG: &str = "stackctl:ttl-pitr";

/// A tag value holds at most 256 characters, of letters, digits, white space and the
/// characters `_.:/=+-@` (TagResource:
/// <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Tag.html>).
const TAG_VALUE_MAX: usize = 256;

/// The live time to live attribute (if on) and point-in-time recovery of a table.
pub type TableSettings = (Option<String>, bool);

/// What [`TABLE_SETTINGS_TAG`] holds once apply has set `ttl` (the attribute, when on) and
/// `pitr` on a table whose fingerprint (`stackctl:applied`) is `applied`: `1.<hash of the
/// fingerprint>.<on|off>[.<ttl attribute>]`. Tied to the fingerprint, so a record left behind
/// by an apply that changed the table without writing it (an older stackctl) is not trusted.
/// `None` when the attribute's name cannot be a tag value: such a table's settings are read.
pub fn table_settings_record(applied: &str, ttl: Option<&str>, pitr: bool) -> Option<String> {
    let pitr = if pitr { "on" } else { "off" };
    let mut record = format!("1.{}.{pitr}", sha256_hex(applied, 4));
    if let Some(ttl) = ttl {
        let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
        if !ttl.chars().all(allowed) {
            return None;
        }
        record = format!("{record}.{ttl}");
    }
    (record.chars().count() <= TAG_VALUE_MAX).then_some(record)
}

/// The settings a table's `record` ([`TABLE_SETTINGS_TAG`]) holds, if it was written with the
/// table's current fingerprint `applied`; `None` means read them.
pub fn read_table_settings(record: &str, applied: Option<&str>) -> Option<TableSettings> {
    let mut parts = record.splitn(4, '.');
    let (Some("1"), Some(hash), Some(pitr)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    if hash != sha256_hex(applied?, 4) {
        return None;
    }
    let pitr = match pitr {
        "on" => true,
        "off" => false,
        _ => return None,
    };
    Some((parts.next().map(str::to_string), pitr))
}

/// The name of the inline policy stackctl writes on the roles it manages.
pub const POLICY_NAME: &str = "stackctl";

/// The name of stackctl's target-tracking policy on a table's or index's `dimension` (`read`
/// or `write`) capacity: `stackctl-read-utilization`. stackctl knows its own policy on a
/// scalable target by this name and leaves others alone.
pub fn scaling_policy_name(dimension: &str) -> String {
    format!("stackctl-{dimension}-utilization")
}

/// The DynamoDB table, one per account and region, that holds the apply locks of every stack.
pub const LOCK_TABLE: &str = "stackctl-locks";

/// Whether a tag key is one stackctl writes (not the user's).
pub fn is_own_tag(key: &str) -> bool {
    key.starts_with(TAG_PREFIX)
}

/// Who manages a resource, from its stack tag: `stack "shop"`, or `no stackctl stack`.
pub fn managed_by(owner: Option<&str>) -> String {
    match owner {
        Some(stack) => format!("stack {stack:?}"),
        None => "no stackctl stack".to_string(),
    }
}

/// The AWS name of the resource `stack` declares as `logical` (table, function, managed role).
pub fn physical_name(stack: &str, logical: &str) -> String {
    format!("{stack}-{logical}")
}

/// What `${env}` in a resource's `name` stands for: the environment's name suffix.
pub const ENV_IN_NAME: &str = "${env}";

/// The AWS name of a resource `stack` declares as `logical`: its stack file's `name`
/// (`fixed`, with `${env}` already replaced by [`fixed_name`]) when it has one, else
/// [`physical_name`]. The one rule every reader of names (plan, live, commands) follows.
pub fn resource_name(stack: &str, logical: &str, fixed: Option<&str>) -> String {
    fixed.map_or_else(|| physical_name(stack, logical), str::to_string)
}

/// A `name` as the stack file writes it, for the environment whose name suffix is `suffix`
/// (`-staging`; empty without `--env`): `${env}` replaced by the suffix, so that
/// `legacy-orders${env}` is `legacy-orders` in the base and `legacy-orders-staging` there.
pub fn fixed_name(written: &str, suffix: &str) -> String {
    written.replace(ENV_IN_NAME, suffix)
}

/// The name of the SNS topic `stack` declares as `logical`: FIFO topics' names must end in
/// `.fifo` (<https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html>).
pub fn topic_name(stack: &str, logical: &str, fifo: bool) -> String {
    let name = physical_name(stack, logical);
    if fifo { format!("{name}.fifo") } else { name }
}

/// The name of the SQS queue `stack` declares as `logical`: FIFO queues' names must end in
/// `.fifo` (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html>).
pub fn queue_name(stack: &str, logical: &str, fifo: bool) -> String {
    topic_name(stack, logical, fifo)
}

/// The name of the EventBridge rule of the `index`th (from 1) schedule of the function
/// `function` of `stack`.
pub fn schedule_rule_name(stack: &str, function: &str, index: usize) -> String {
    format!("{stack}-{function}-schedule-{index}")
}

/// The statement ID of the invoke permission a function holds for its `index`th schedule's
/// rule (principal `events.amazonaws.com`, source the rule's ARN).
pub fn schedule_statement_id(index: usize) -> String {
    format!("stackctl-schedule-{index}")
}

/// The statement ID of the invoke permission a function holds for a topic of the stack that
/// it subscribes to (principal `sns.amazonaws.com`, source the topic's ARN).
pub fn topic_statement_id(topic: &str) -> String {
    format!("stackctl-topic-{topic}")
}

/// The statement ID (`Sid`) of a managed role's statement about one resource of a `kind`
/// (`Table`, `Topic`) named `logical`, among the `siblings` of that kind the same policy names
/// (`logical` included). IAM's `Sid` takes only ASCII letters and digits and must be unique in
/// its policy
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html>):
/// the name keeps its letters and digits (`order-events` gives `Topicorderevents`); when
/// another sibling keeps the same ones (`orderevents`), the name that lost characters carries
/// 8 hex digits of the SHA-256 of itself, so that no two statements share an ID.
pub fn policy_sid<'a>(
    kind: &str,
    logical: &str,
    siblings: impl IntoIterator<Item = &'a str>,
) -> String {
    let kept =
        |name: &str| -> String { name.chars().filter(char::is_ascii_alphanumeric).collect() };
    let plain = format!("{kind}{}", kept(logical));
    let lossy = kept(logical) != logical;
    let shared = siblings
        .into_iter()
        .any(|other| other != logical && kept(other) == kept(logical));
    if lossy && shared {
        format!("{plain}{}", sha256_hex(logical, 4))
    } else {
        plain
    }
}

/// The logical name of the role stackctl makes for API Gateway when REST routes publish to
/// topics (`publish`): its name is [`physical_name`] of it, like the functions' managed roles.
pub const PUBLISH_ROLE: &str = "apigateway-publish";

/// The IAM path that marks a role as managed by the stack.
pub fn role_path(stack: &str) -> String {
    format!("/stackctl/{stack}/")
}

/// The S3 key under which a function package too large to upload directly is stored in the
/// artifact bucket: by stack, function and the package's SHA-256 (hex), so an unchanged
/// package is found and not uploaded again.
pub fn artifact_key(stack: &str, logical: &str, sha256_hex: &str) -> String {
    format!("stackctl/{stack}/{logical}/{sha256_hex}.zip")
}

/// The statement ID of the one invoke permission a function holds for the stack's API, whatever
/// the number of its routes: API Gateway may invoke it for any route of that API (source
/// `arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/*`). One statement per function keeps a
/// function behind many routes far below Lambda's 20 KB resource-policy limit (about 60
/// per-route statements fill it: PolicyLengthExceededException,
/// <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>), and halves the
/// Lambda writes of making an API.
pub const ROUTES_STATEMENT_ID: &str = "stackctl-api-routes";

/// How a read policy's [`ROUTES_STATEMENT_ID`] statement is recorded when it names another API
/// than the stack's (left by an API that was replaced or deleted): the grant replaces it.
pub const ROUTES_STATEMENT_ELSEWHERE: &str = "stackctl-api-routes (another API)";

/// The statement ID of the per-route invoke permission stackctl granted before
/// [`ROUTES_STATEMENT_ID`] (derived from the route key). Apply removes such statements where it
/// finds them.
pub fn route_statement_id(route_key: &str) -> String {
    format!("stackctl-route-{}", sha256_hex(route_key, 8))
}

/// The statement ID of the invoke permission an authorizer adds to its function.
pub fn authorizer_statement_id(authorizer: &str) -> String {
    format!("stackctl-authorizer-{authorizer}")
}

/// What [`PERMISSIONS_TAG`] holds: a hash of the functions `routes` (route key, function name)
/// invoke. Apply writes it for the stack file's routes once all of them are applied. A plan
/// that finds it matching the live routes knows that each of their functions holds the API's
/// invoke permission ([`ROUTES_STATEMENT_ID`]), without reading every routed function's
/// policy (GetPolicy is held to 15 a second), even when the stack file has changed since.
/// Records of per-route statements (version 1) never match: the next plan reads the policies.
pub fn permissions_record(routes: impl IntoIterator<Item = (String, String)>) -> String {
    record("2", ROUTES_STATEMENT_ID, routes)
}

/// A permissions record of version `version`: a hash of the statement ID and the functions
/// `routes` (route key, function name) invoke.
fn record(
    version: &str,
    statement: &str,
    routes: impl IntoIterator<Item = (String, String)>,
) -> String {
    let functions: BTreeSet<String> = routes.into_iter().map(|(_, function)| function).collect();
    let functions: Vec<String> = functions.into_iter().collect();
    let hash = sha256_hex(format!("{statement}:{}", functions.join(",")), 8);
    format!("{version}.{hash}")
}

/// Each function `routes` (route key, function name) invoke, holding `statement`.
fn recorded(
    statement: &str,
    routes: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, BTreeSet<String>> {
    let held = |function| (function, BTreeSet::from([statement.to_string()]));
    routes
        .into_iter()
        .map(|(_, function)| held(function))
        .collect()
}

/// The statement IDs each function's policy holds while the record of `routes` is current.
pub fn recorded_permissions(
    routes: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, BTreeSet<String>> {
    recorded(ROUTES_STATEMENT_ID, routes)
}

/// The statement ID of the one invoke permission a function holds for the stack's WebSocket
/// API, whatever the number of its routes (source `arn:PARTITION:execute-api:REGION:ACCOUNT:
/// API_ID/*`): as [`ROUTES_STATEMENT_ID`], for the other API a stack may have, so that a
/// function routed by both holds one statement for each.
pub const WEBSOCKET_STATEMENT_ID: &str = "stackctl-websocket-routes";

/// How a read policy's [`WEBSOCKET_STATEMENT_ID`] statement is recorded when it names another
/// API than the stack's WebSocket API (left by one that was deleted): the grant replaces it.
pub const WEBSOCKET_STATEMENT_ELSEWHERE: &str = "stackctl-websocket-routes (another API)";

/// The statement ID of the invoke permission the WebSocket API's `$connect` authorizer adds to
/// its function (source `API_ID/authorizers/*`).
pub const WEBSOCKET_AUTHORIZER_STATEMENT_ID: &str = "stackctl-websocket-authorizer";

/// The name of the Lambda REQUEST authorizer stackctl makes for a WebSocket API's `$connect`.
pub const WEBSOCKET_AUTHORIZER: &str = "connect";

/// What the WebSocket API's [`PERMISSIONS_TAG`] holds: as [`permissions_record`], for
/// [`WEBSOCKET_STATEMENT_ID`]. `routes` are (route key, function name).
pub fn websocket_permissions_record(routes: impl IntoIterator<Item = (String, String)>) -> String {
    record("ws1", WEBSOCKET_STATEMENT_ID, routes)
}

/// The statement IDs each function's policy holds while the WebSocket API's record of
/// `routes` is current.
pub fn recorded_websocket_permissions(
    routes: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, BTreeSet<String>> {
    recorded(WEBSOCKET_STATEMENT_ID, routes)
}

/// The tag on the API that records the function aliases its routes may invoke, each of which
/// holds the API's invoke permission ([`ROUTES_STATEMENT_ID`] on the alias: AddPermission with
/// `Qualifier`), see [`alias_permissions_record`]. A plan compares the aliases the stack file's
/// routes and stage variables reach with it: a newly reachable alias is granted, one no longer
/// reachable is revoked.
pub const ALIAS_PERMISSIONS_TAG: &str = "stackctl:alias-permissions";

/// What [`ALIAS_PERMISSIONS_TAG`] holds for the `pairs` (logical function name, alias): the
/// pairs as `function:alias` separated by spaces (`none` for no pair), or, past a tag value's
/// 256 characters, `sha256:` and a hash of that list.
pub fn alias_permissions_record(pairs: &BTreeSet<(String, String)>) -> String {
    if pairs.is_empty() {
        return "none".to_string();
    }
    let list = alias_pairs_text(pairs);
    if list.len() <= TAG_VALUE_MAX {
        return list;
    }
    format!("sha256:{}", sha256_hex(&list, 16))
}

/// The pairs (logical function name, alias) a record of [`alias_permissions_record`] holds;
/// a hashed record holds `desired` when it is `desired`'s, else nothing known (empty).
pub fn recorded_alias_permissions(
    record: &str,
    desired: &BTreeSet<(String, String)>,
) -> BTreeSet<(String, String)> {
    if record.starts_with("sha256:") {
        return match alias_permissions_record(desired) == record {
            true => desired.clone(),
            false => BTreeSet::new(),
        };
    }
    record
        .split(' ')
        .filter_map(|pair| pair.rsplit_once(':'))
        .map(|(f, a)| (f.to_string(), a.to_string()))
        .collect()
}

/// The pairs as `function:alias`, separated by spaces.
pub fn alias_pairs_text(pairs: &BTreeSet<(String, String)>) -> String {
    let pairs: Vec<String> = pairs.iter().map(|(f, a)| format!("{f}:{a}")).collect();
    pairs.join(" ")
}

/// The ClientToken of an import stackctl starts: a prefix that names the stack and the table
/// (so that `--resume` can tell this stack's imports from others'), and `unique` (a token
/// sent again within 8 hours returns the earlier import instead of starting one). At most 36
/// characters for an 8-character `unique`. (ImportTable:
/// <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ImportTable.html>)
pub fn import_client_token(stack: &str, table: &str, unique: &str) -> String {
    format!("{}-{unique}", import_token_prefix(stack, table))
}

/// Whether `token` is the ClientToken of an import stackctl started for `stack`'s `table`.
pub fn is_import_token(token: &str, stack: &str, table: &str) -> bool {
    token.starts_with(&format!("{}-", import_token_prefix(stack, table)))
}

fn import_token_prefix(stack: &str, table: &str) -> String {
    format!("sc-{}", sha256_hex(format!("{stack}\0{table}"), 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(physical_name("shop", "orders"), "shop-orders");
        assert_eq!(role_path("shop"), "/stackctl/shop/");
        assert_eq!(
            artifact_key("shop", "api", "ab12"),
            "stackctl/shop/api/ab12.zip"
        );
        assert_eq!(managed_by(Some("shop")), "stack \"shop\"");
        assert_eq!(managed_by(None), "no stackctl stack");
        assert_eq!(resource_name("shop", "orders", None), "shop-orders");
        assert_eq!(resource_name("shop", "orders", Some("legacy")), "legacy");
        assert_eq!(fixed_name("legacy${env}", "-dev"), "legacy-dev");
        assert_eq!(fixed_name("legacy${env}", ""), "legacy");
    }

    #[test]
    fn own_tags() {
        for tag in [STACK_TAG, APPLIED_TAG, PERMISSIONS_TAG, TABLE_SETTINGS_TAG] {
            assert!(is_own_tag(tag), "{tag}");
        }
        assert!(!is_own_tag("team"));
        assert!(!is_own_tag("aws:cloudformation:stack-name"));
    }

    #[test]
    fn policy_sids_never_collide() {
        let names = ["order-events", "orderevents", "order_events", "audit-log"];
        let sids: BTreeSet<String> = names
            .iter()
            .map(|n| policy_sid("Topic", n, names))
            .collect();
        assert_eq!(sids.len(), names.len());
        assert_eq!(
            policy_sid("Topic", "orderevents", names),
            "Topicorderevents"
        );
        // Without a sibling of the same letters, the ID is the plain one earlier versions wrote.
        assert_eq!(policy_sid("Topic", "audit-log", names), "Topicauditlog");
        let hashed = policy_sid("Table", "order-events", names);
        assert!(hashed.starts_with("Tableorderevents") && hashed.len() == 16 + 8);
        assert!(hashed.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn statement_ids_are_stable_and_short() {
        let id = route_statement_id("GET /orders");
        assert_eq!(id, route_statement_id("GET /orders"));
        assert_ne!(id, route_statement_id("POST /orders"));
        assert!(id.starts_with("stackctl-route-") && id.len() == 15 + 16);
        assert_eq!(authorizer_statement_id("jwt"), "stackctl-authorizer-jwt");
    }

    #[test]
    fn permissions_record_ignores_order_and_follows_functions() {
        let routes = |f: &str| {
            vec![
                ("GET /a".to_string(), "shop-a".to_string()),
                ("GET /b".to_string(), f.to_string()),
            ]
        };
        let mut reversed = routes("shop-b");
        reversed.reverse();
        assert_eq!(
            permissions_record(routes("shop-b")),
            permissions_record(reversed)
        );
        assert_ne!(
            permissions_record(routes("shop-b")),
            permissions_record(routes("shop-a"))
        );
        // One statement per function, however many routes invoke it.
        let recorded = recorded_permissions(routes("shop-a"));
        assert_eq!(recorded.len(), 1);
        assert_eq!(
            recorded["shop-a"],
            BTreeSet::from([ROUTES_STATEMENT_ID.to_string()])
        );
        // A record of per-route statements (version 1) is never current.
        assert!(permissions_record(routes("shop-a")).starts_with("2."));
    }

    #[test]
    fn alias_permissions_record_lists_pairs_or_hashes_long_lists() {
        let pair = |f: &str, a: &str| (f.to_string(), a.to_string());
        let pairs = BTreeSet::from([pair("get-order", "live"), pair("get-order", "stable")]);
        let record = alias_permissions_record(&pairs);
        assert_eq!(record, "get-order:live get-order:stable");
        assert_eq!(recorded_alias_permissions(&record, &BTreeSet::new()), pairs);
        assert!(
            recorded_alias_permissions(&alias_permissions_record(&BTreeSet::new()), &pairs)
                .is_empty()
        );
        let many: BTreeSet<_> = (0..40).map(|n| pair(&format!("fn-{n}"), "live")).collect();
        let hashed = alias_permissions_record(&many);
        assert!(hashed.starts_with("sha256:") && hashed.len() <= 256);
        assert_eq!(recorded_alias_permissions(&hashed, &many), many);
        assert!(recorded_alias_permissions(&hashed, &pairs).is_empty());
    }

    #[test]
    fn table_settings_record_follows_the_fingerprint() {
        let record = table_settings_record("1.ab.cd", Some("expires.at"), true).unwrap();
        assert!(
            record.starts_with("1.") && record.ends_with(".on.expires.at"),
            "{record}"
        );
        assert_eq!(
            read_table_settings(&record, Some("1.ab.cd")),
            Some((Some("expires.at".to_string()), true))
        );
        // Another fingerprint (an apply that did not write the record), or none: read.
        assert_eq!(read_table_settings(&record, Some("1.ab.ce")), None);
        assert_eq!(read_table_settings(&record, None), None);
        let off = table_settings_record("1.ab.cd", None, false).unwrap();
        assert_eq!(
            read_table_settings(&off, Some("1.ab.cd")),
            Some((None, false))
        );
        assert_eq!(read_table_settings("2.x.on", Some("1.ab.cd")), None);
        // A name a tag value cannot hold is not recorded.
        assert_eq!(table_settings_record("1.ab.cd", Some("ttl#1"), false), None);
        assert_eq!(
            table_settings_record("1", Some(&"a".repeat(250)), false),
            None
        );
    }

    #[test]
    fn import_tokens_name_stack_and_table() {
        let token = import_client_token("shop", "shop-orders", "0123abcd");
        assert!(token.len() <= 36, "{token}");
        assert!(is_import_token(&token, "shop", "shop-orders"));
        assert!(!is_import_token(&token, "shop", "shop-users"));
        assert!(!is_import_token(&token, "other", "shop-orders"));
        assert!(!is_import_token("anything", "shop", "shop-orders"));
    }
}
