//! `[websocket]` and `[websocket.routes]`: a WebSocket API, its stage, the `$connect`
//! authorizer and the routes, each to a function of the stack.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::api::PublishingApi;
use super::declared::Declared;
use super::typed::{Key, Reader, RefSite, Value, entry};
use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reference::RefTarget;
use crate::stack::spec::{AccessLog, WebsocketAuthorizer, WebsocketRouteSpec, WebsocketSpec};

const WEBSOCKET_KEYS: &[&str] = &[
    "stage",
    "route_selection",
    "authorizer",
    "throttle",
    "access_log",
    "tags",
    "routes",
];

const ROUTE_KEYS: &[&str] = &["function", "respond", "custom"];

const AUTHORIZER_KEYS: &[&str] = &["function", "identity_source"];

/// The route keys API Gateway gives a meaning of its own.
const PREDEFINED: &[&str] = &["$connect", "$disconnect", "$default"];

/// What a REQUEST authorizer of a WebSocket API may read its identity from (IdentitySource:
/// <https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers.html>).
const IDENTITY_SOURCES: &[&str] = &[
    "route.request.header.",
    "route.request.querystring.",
    "stageVariables.",
    "context.",
];

/// The selection expression when none is written (API Gateway's own example).
pub(super) const DEFAULT_ROUTE_SELECTION: &str = "$request.body.action";

/// The longest route key API Gateway takes (RouteKey).
const MAX_ROUTE_KEY: usize = 128;

impl Reader<'_> {
    pub(super) fn websocket(
        &mut self,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<WebsocketSpec> {
        let t = self.as_table(value, "[websocket]")?;
        self.unknown_keys(t, WEBSOCKET_KEYS, "in [websocket]");
        let stage = match entry(t, "stage") {
            Some((_, v)) => self
                .string(v, "stage")
                .and_then(|s| self.websocket_stage(s)),
            None => {
                self.problem(
                    Problem::new("[websocket] has no stage", value.span(), "this table")
                        .help("add stage = \"prod\": clients connect to wss://API_ID.execute-api.REGION.amazonaws.com/STAGE"),
                );
                None
            }
        };
        let route_selection = match entry(t, "route_selection") {
            None => Some(DEFAULT_ROUTE_SELECTION.to_string()),
            Some((_, v)) => self
                .string(v, "route_selection")
                .and_then(|s| self.route_selection(s)),
        };
        let throttle = self.optional(t, "throttle", Self::throttle);
        let access_log = self.optional(t, "access_log", Self::access_log);
        let log_ok = self.check_websocket_log(t, access_log.as_ref().and_then(Option::as_ref));
        let tags = self.tags(t);
        let routes = match entry(t, "routes") {
            Some((key, v)) => self.websocket_routes(key, v, declared),
            None => {
                self.problem(
                    Problem::new("[websocket] has no routes", value.span(), "this table")
                        .help("add [websocket.routes] with at least \"$default\" = \"FUNCTION\""),
                );
                None
            }
        };
        let authorizer = self.optional(t, "authorizer", |r, v| {
            r.websocket_authorizer(v, declared, routes.as_deref())
        });
        if !log_ok {
            return None;
        }
        Some(WebsocketSpec {
            stage: stage?,
            route_selection: route_selection?,
            authorizer: authorizer?,
            throttle: throttle?,
            access_log: access_log?,
            tags,
            routes: routes?,
        })
    }

    /// A named stage: WebSocket APIs have no `$default` stage.
    fn websocket_stage(&mut self, s: Spanned<String>) -> Option<String> {
        if s.get_ref() == "$default" {
            self.problem(
                Problem::new(
                    "a WebSocket API needs a stage name",
                    s.span(),
                    "not for WebSocket APIs",
                )
                .help("use a name of letters, digits, '-' and '_', like stage = \"prod\""),
            );
            return None;
        }
        self.stage_name(s)
    }

    /// `$request.body.FIELD`: the field of a client's JSON message that names the route
    /// (RouteSelectionExpression:
    /// <https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-selection-expressions.html>).
    fn route_selection(&mut self, s: Spanned<String>) -> Option<String> {
        let field = s.get_ref().strip_prefix("$request.body.");
        let valid = field.is_some_and(|f| {
            !f.is_empty()
                && !f.starts_with('.')
                && !f.ends_with('.')
                && !f.contains("..")
                && f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        });
        if valid {
            return Some(s.into_inner());
        }
        self.problem(
            Problem::new(
                format!("invalid route selection expression {:?}", s.get_ref()),
                s.span(),
                "not $request.body.FIELD",
            )
            .help(format!(
                "write route_selection = \"$request.body.FIELD\", the field of the client's JSON message that names the route (default {DEFAULT_ROUTE_SELECTION:?})"
            )),
        );
        None
    }

    /// "Access Log format must contain at least $context.requestId" (WebSocket APIs:
    /// <https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html>).
    /// Whether the format holds it.
    fn check_websocket_log(&mut self, t: &DeTable<'_>, settings: Option<&AccessLog>) -> bool {
        let (Some((_, log)), Some(settings)) = (entry(t, "access_log"), settings) else {
            return true;
        };
        if settings.format.contains("$context.requestId")
            || settings.format.contains("$context.extendedRequestId")
        {
            return true;
        }
        self.problem(
            Problem::new(
                "a WebSocket API's access log format must hold the request ID",
                log.span(),
                "no $context.requestId",
            )
            .help("add $context.requestId (or $context.extendedRequestId) to format"),
        );
        false
    }

    /// `[websocket.routes]`: every route key with its function.
    fn websocket_routes(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<Vec<WebsocketRouteSpec>> {
        let table = self.as_table(value, "[websocket.routes]")?;
        if table.is_empty() {
            self.problem(
                Problem::new("[websocket.routes] is empty", key.span(), "no routes")
                    .help("add at least \"$default\" = \"FUNCTION\": a WebSocket API without routes answers nothing"),
            );
            return None;
        }
        let mut routes = Vec::new();
        let mut ok = true;
        for (route_key, value) in table.iter() {
            match self.websocket_route(route_key, value, declared) {
                Some(route) => routes.push(route),
                None => ok = false,
            }
        }
        ok.then_some(routes)
    }

    fn websocket_route(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        declared: &Declared,
    ) -> Option<WebsocketRouteSpec> {
        let custom = match value.get_ref() {
            DeValue::Table(t) => self.opt_bool(t, "custom").unwrap_or(false),
            _ => false,
        };
        let key_ok = self.websocket_route_key(key, custom);
        let mut respond = false;
        let help = "write \"sendMessage\" = \"FUNCTION\" or \"sendMessage\" = { function = \"FUNCTION\", respond = true }";
        let function = self.route_function(value, declared, help, |this, t| {
            if entry(t, "publish").is_some() {
                this.publish_route(t, PublishingApi::Websocket, declared);
                return None;
            }
            this.websocket_route_authorizer(t);
            // Said by the check above.
            let known = match entry(t, "authorizer") {
                Some(_) => &["function", "respond", "custom", "authorizer"][..],
                None => ROUTE_KEYS,
            };
            this.unknown_keys(t, known, "in a websocket route");
            respond = this.opt_bool(t, "respond").unwrap_or(false);
            if let (true, "$disconnect", Some((k, _))) =
                (respond, key.get_ref().as_ref(), entry(t, "respond"))
            {
                this.problem(
                    Problem::new("$disconnect cannot respond", k.span(), "the connection is closed")
                        .help("remove respond: API Gateway calls $disconnect after the connection is gone"),
                );
                return None;
            }
            this.required(t, "function", || {
                Problem::new("route has no function", value.span(), "here")
                    .help("write { function = \"NAME\", respond = true }")
            })
            .and_then(|v| this.string(v, "function"))
        })?;
        key_ok?;
        Some(WebsocketRouteSpec {
            key: key.get_ref().to_string(),
            function: function.into_inner(),
            respond,
        })
    }

    /// A route's own `authorizer`: WebSocket APIs check a client once, on `$connect`, with the
    /// authorizer of `[websocket]`.
    fn websocket_route_authorizer(&mut self, t: &DeTable<'_>) {
        let Some((k, _)) = entry(t, "authorizer") else {
            return;
        };
        self.problem(
            Problem::new(
                "a WebSocket route has no authorizer of its own",
                k.span(),
                "not a route key",
            )
            .help("API Gateway checks a WebSocket client once, when it connects: declare the authorizer in [websocket], as authorizer = { function = \"NAME\", identity_source = [\"route.request.querystring.token\"] }, and it checks $connect"),
        );
    }

    /// `$connect`, `$disconnect`, `$default`, or a custom key of letters, digits and `_-.`;
    /// `connect`, `disconnect` and `default` only with `custom = true` (they look like a
    /// forgotten `$`).
    fn websocket_route_key(&mut self, key: &Key<'_>, custom: bool) -> Option<()> {
        let text = key.get_ref();
        if let (false, Some(predefined)) = (custom, PREDEFINED.iter().find(|p| p[1..] == **text)) {
            self.problem(
                Problem::new(
                    format!("route key {text:?} looks like {predefined:?} without its '$'"),
                    key.span(),
                    format!("did you mean \"{predefined}\"?"),
                )
                .help(format!(
                    "write \"{predefined}\" for the route API Gateway calls itself; to route the messages that name {text:?}, write \"{text}\" = {{ function = \"NAME\", custom = true }}"
                )),
            );
            return None;
        }
        let custom = !text.starts_with('$')
            && (1..=MAX_ROUTE_KEY).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        if custom || PREDEFINED.contains(&text.as_ref()) {
            return Some(());
        }
        let help = match crate::suggest::closest(text, PREDEFINED.iter().copied()) {
            Some(close) if text.starts_with('$') => format!(
                "did you mean {close:?}? Keys starting with '$' are API Gateway's: $connect, $disconnect, $default"
            ),
            _ => format!(
                "use $connect, $disconnect, $default, or a key of letters, digits, '_', '-' and '.' (at most {MAX_ROUTE_KEY}) that the client's messages name"
            ),
        };
        self.problem(
            Problem::new(
                format!("invalid WebSocket route key {text:?}"),
                key.span(),
                "not a route key",
            )
            .help(help),
        );
        None
    }

    /// `authorizer = { function, identity_source }`: a Lambda REQUEST authorizer on `$connect`,
    /// a function of this stack, which the API then waits for.
    fn websocket_authorizer(
        &mut self,
        value: &Value<'_>,
        declared: &Declared,
        routes: Option<&[WebsocketRouteSpec]>,
    ) -> Option<WebsocketAuthorizer> {
        let t = self.as_table(value, "authorizer")?;
        self.unknown_keys(t, AUTHORIZER_KEYS, "in a websocket authorizer");
        let help = "write authorizer = { function = \"NAME\", identity_source = [\"route.request.querystring.token\"] }";
        let function = self
            .required(t, "function", || {
                Problem::new("the authorizer has no function", value.span(), "here").help(help)
            })
            .and_then(|v| self.string(v, "function"));
        let sources = self.identity_sources(t, value, help);
        let function = function?;
        if let Some(problem) = declared.check(
            &RefTarget::Function(function.get_ref().clone()),
            function.span(),
        ) {
            self.problem(problem);
            return None;
        }
        if routes.is_some_and(|r| !r.iter().any(|r| r.key == "$connect")) {
            self.problem(
                Problem::new("an authorizer without a $connect route", value.span(), "checks $connect only")
                    .help("add \"$connect\" = \"FUNCTION\" under [websocket.routes]: API Gateway authorizes a WebSocket client once, when it connects"),
            );
            return None;
        }
        self.references.push(RefSite {
            from: Address::Websocket,
            to: Address::Function(function.get_ref().clone()),
            span: function.span(),
        });
        Some(WebsocketAuthorizer {
            function: function.into_inner(),
            identity_source: sources?,
        })
    }

    fn identity_sources(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        help: &str,
    ) -> Option<Vec<String>> {
        let Some((key, _)) = entry(t, "identity_source") else {
            self.problem(
                Problem::new(
                    "the authorizer has no identity_source",
                    value.span(),
                    "here",
                )
                .help(help),
            );
            return None;
        };
        let sources = self.string_list(t, "identity_source", help)?;
        if sources.is_empty() {
            self.problem(Problem::new("identity_source is empty", key.span(), "here").help(help));
            return None;
        }
        let mut ok = true;
        for source in &sources {
            let known = IDENTITY_SOURCES.iter().any(|p| {
                source
                    .get_ref()
                    .strip_prefix(p)
                    .is_some_and(|rest| !rest.is_empty())
            });
            if !known {
                self.problem(
                    Problem::new(
                        format!("invalid identity source {:?}", source.get_ref()),
                        source.span(),
                        "not an identity source",
                    )
                    .help("use route.request.header.NAME, route.request.querystring.NAME, stageVariables.NAME or context.NAME"),
                );
                ok = false;
            }
        }
        ok.then(|| sources.into_iter().map(Spanned::into_inner).collect())
    }
}
