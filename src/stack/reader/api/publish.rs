//! `"POST /events" = { publish = "order-events" }`: a route that publishes its request body to
//! a topic of the stack. What each kind of API can do with it is said here, at the route.

use toml::de::DeTable;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::typed::{Reader, entry};
use crate::stack::reference::RefTarget;
use crate::stack::spec::ApiType;

/// Which API a route that publishes belongs to.
#[derive(Clone, Copy)]
pub(in crate::stack::reader) enum PublishingApi {
    Api(Option<ApiType>),
    Websocket,
}

impl Reader<'_> {
    /// Reads `publish` in route `t`: the topic must be declared, and the API must be able to
    /// publish (REST APIs only). Returns the topic (logical name) of a REST route that
    /// publishes; `None` when `t` has no `publish` or a problem was reported.
    pub(in crate::stack::reader) fn publish_route(
        &mut self,
        t: &DeTable<'_>,
        api: PublishingApi,
        declared: &Declared,
    ) -> Option<String> {
        let (key, value) = entry(t, "publish")?;
        let mut topic = self.string(value, "publish");
        if let Some(named) = &topic
            && let Some(problem) =
                declared.check(&RefTarget::Topic(named.get_ref().clone()), named.span())
        {
            self.problem(problem);
            topic = None;
        }
        let (message, help) = match api {
            PublishingApi::Api(Some(ApiType::Rest)) => {
                if entry(t, "function").is_some() {
                    let problem = Problem::new("a route both publishes and invokes a function", key.span(), "publish")
                        .help("keep publish (API Gateway publishes the request body) or function, not both");
                    self.problem(problem);
                    return None;
                }
                if let Some(named) = &topic
                    && declared.fifo_topics.contains(named.get_ref())
                {
                    let problem = Problem::new("a route cannot publish to a FIFO topic", named.span(), "fifo = true")
                        .help("SNS's Publish to a FIFO topic needs a MessageGroupId, which the route's request does not carry: publish to a standard topic, or route to a function that publishes with a message group");
                    self.problem(problem);
                    return None;
                }
                return topic.map(toml::Spanned::into_inner);
            }
            PublishingApi::Api(_) => (
                "an HTTP API cannot publish to an SNS topic",
                "HTTP APIs integrate with Lambda, HTTP and a few AWS services (EventBridge, SQS, Kinesis, Step Functions, AppConfig), not SNS: route to a function that publishes (topics = { NAME = \"publish\" }), or make the API type = \"rest\"",
            ),
            PublishingApi::Websocket => (
                "a WebSocket route cannot publish to an SNS topic",
                "stackctl's WebSocket routes invoke functions: route to a function that publishes (topics = { NAME = \"publish\" })",
            ),
        };
        self.problem(Problem::new(message, key.span(), "publish").help(help));
        None
    }
}
