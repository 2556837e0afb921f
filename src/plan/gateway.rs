//! What the plans of API Gateway's APIs share (HTTP and REST APIs in `api.rs`, WebSocket APIs
//! in `websocket.rs`): the attribute values of a stage, its throttle and its access log, and
//! the functions an API that goes leaves with its invoke permission.

use std::collections::{BTreeMap, BTreeSet};

use super::{Attrs, Change, Live, Value};
use crate::stack::{AccessLog, Address, Stack, Throttle};

/// A live API of either kind (HTTP or REST, WebSocket), as its plan reads it.
pub(super) trait LiveGateway: Clone {
    /// The address of its change.
    const ADDRESS: Address;
    fn name(&self) -> &str;
    fn id(&self) -> &str;
    /// Each route's function, by name and ARN.
    fn route_functions(&self) -> Vec<(Option<&str>, Option<&String>)>;
    /// Its attributes as read, without the invoke permissions (not read for a delete).
    fn attrs(&self) -> Attrs;
    /// The API as the apply carries it, with the functions (ARNs) it leaves once it goes.
    fn live(&self, revoke: Vec<String>) -> Live;
}

/// Implements [`LiveGateway`] for a live API type `$api` with routes, `$address` and the
/// `Live::$live` variant; its attributes are the module's `live_attrs(api, None)`.
macro_rules! live_gateway {
    ($api:ty, $address:expr, $live:ident) => {
        impl LiveGateway for $api {
            const ADDRESS: Address = $address;

            fn name(&self) -> &str {
                &self.name
            }

            fn id(&self) -> &str {
                &self.id
            }

            fn route_functions(&self) -> Vec<(Option<&str>, Option<&String>)> {
                let routes = self.routes.iter();
                routes
                    .map(|r| (r.function_name(), r.function_arn.as_ref()))
                    .collect()
            }

            fn attrs(&self) -> Attrs {
                live_attrs(self, None)
            }

            fn live(&self, revoke: Vec<String>) -> Live {
                Live::$live {
                    api: self.clone(),
                    revoke,
                }
            }
        }
    };
}
pub(super) use live_gateway;

/// The delete of a live API (`routed`: the functions, by logical name, that the stack file's
/// routes of this kind invoke).
pub(super) fn plan_delete<'s, A: LiveGateway>(
    stack: &Stack,
    routed: impl Iterator<Item = &'s String>,
    live: &A,
    reason: &str,
) -> Change {
    let attrs = live.attrs();
    let name = format!("{}, id {}", live.name(), live.id());
    Change::delete(
        A::ADDRESS,
        name,
        reason,
        attrs,
        live_api(stack, routed, live),
    )
}

/// The API as read, and the functions its routes invoke that no route of its kind in the
/// stack file does (`routed`, by logical name): when the API goes (deleted, or replaced by one
/// of another type), they lose its invoke permission. The others keep the statement, which the
/// new API's routes take over.
pub(super) fn live_api<'s, A: LiveGateway>(
    stack: &Stack,
    routed: impl Iterator<Item = &'s String>,
    live: &A,
) -> Live {
    let routed: BTreeSet<String> = routed.map(|f| stack.function_name(f)).collect();
    let revoke: BTreeSet<String> = live
        .route_functions()
        .into_iter()
        .filter(|(name, _)| name.is_some_and(|f| !routed.contains(f)))
        .filter_map(|(_, arn)| arn.cloned())
        .collect();
    live.live(revoke.into_iter().collect())
}

/// The live stages as one attribute: a name, or a list where there are several (the plan then
/// deletes the others); `None` for an API without a stage.
pub(super) fn stages(live: &[String]) -> Option<Value> {
    match live {
        [] => None,
        [one] => Some(Value::str(one)),
        many => Some(Value::list(many)),
    }
}

/// The stage-wide throttle: `rate` (requests per second) and `burst`.
pub(super) fn throttle(t: Throttle) -> Value {
    let mut m = BTreeMap::new();
    m.insert("rate".to_string(), Value::Int(t.rate as i64));
    m.insert("burst".to_string(), Value::Int(t.burst.into()));
    Value::Map(m)
}

/// The stage's access log: its destination (a log group's ARN) and its format.
pub(super) fn access_log(log: &AccessLog) -> Value {
    let mut m = BTreeMap::new();
    m.insert("destination".to_string(), Value::str(&log.destination));
    m.insert("format".to_string(), Value::str(&log.format));
    Value::Map(m)
}
