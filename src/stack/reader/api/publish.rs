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
    /// Reports `publish` in route `t`: the topic must be declared, and the API must be able to
    /// publish. Returns whether the route has `publish` (it is then not read further).
    pub(in crate::stack::reader) fn publish_route(
        &mut self,
        t: &DeTable<'_>,
        api: PublishingApi,
        declared: &Declared,
    ) -> bool {
        let Some((key, value)) = entry(t, "publish") else {
            return false;
        };
        if let Some(topic) = self.string(value, "publish")
            && let Some(problem) =
                declared.check(&RefTarget::Topic(topic.get_ref().clone()), topic.span())
        {
            self.problem(problem);
        }
        let (message, help) = match api {
            PublishingApi::Api(Some(ApiType::Rest)) => (
                "publish routes of REST APIs are not supported by this version of stackctl yet",
                "route to a function of the stack that publishes (topics = { NAME = \"publish\" } in its [functions] table)",
            ),
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
        true
    }
}
