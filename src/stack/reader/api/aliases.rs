//! A route's `alias`: a declared alias of its function, or `${stageVariables.NAME}` where every
//! stage's variable NAME names a declared alias (API Gateway would otherwise call an alias that
//! does not exist, or one the route was never granted).

use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, entry};
use crate::stack::spec::{ApiSpec, FunctionSpec};

impl Reader<'_> {
    /// Checks every route's `alias` against its function's aliases and the API's stages.
    pub(in crate::stack::reader) fn check_route_aliases(
        &mut self,
        doc: &DeTable<'_>,
        functions: &[FunctionSpec],
        api: Option<&ApiSpec>,
    ) {
        let Some((_, routes)) = entry(doc, "routes") else {
            return;
        };
        let DeValue::Table(routes) = routes.get_ref() else {
            return;
        };
        for (_, route) in routes.iter() {
            let DeValue::Table(t) = route.get_ref() else {
                continue;
            };
            let (Some((_, alias)), Some((_, function))) = (entry(t, "alias"), entry(t, "function"))
            else {
                continue;
            };
            let (DeValue::String(text), DeValue::String(function)) =
                (alias.get_ref(), function.get_ref())
            else {
                continue;
            };
            if let Some(spec) = functions.iter().find(|f| f.logical == *function) {
                self.check_route_alias(spec, text, alias.span(), api);
            }
        }
    }

    /// One route's alias `text` (written at `span`) against its function `spec`.
    fn check_route_alias(
        &mut self,
        spec: &FunctionSpec,
        text: &str,
        span: std::ops::Range<usize>,
        api: Option<&ApiSpec>,
    ) {
        let function = &spec.logical;
        let declared: Vec<&str> = spec
            .versions
            .iter()
            .flat_map(|v| v.aliases.keys().map(String::as_str))
            .collect();
        let unknown = |name: &str| {
            let close = crate::suggest::closest(name, declared.iter().copied());
            let help = match (close, declared.is_empty()) {
                (Some(c), _) => format!("did you mean {c:?}?"),
                (None, true) => format!(
                    "declare it on the function: [functions.{function}] publish = true, aliases.{name} = \"latest\""
                ),
                (None, false) => format!("the function's aliases: {}", declared.join(", ")),
            };
            (format!("function {function} has no alias {name:?}"), help)
        };
        let variable = text
            .strip_prefix("${stageVariables.")
            .and_then(|v| v.strip_suffix('}'));
        let Some(variable) = variable else {
            if !declared.contains(&text) {
                let (message, help) = unknown(text);
                self.problem(Problem::new(message, span, "unknown alias").help(help));
            }
            return;
        };
        for stage in api.iter().flat_map(|a| &a.stages) {
            let (message, help) = match stage.variables.get(variable) {
                None => (
                    format!("stage {} has no variable {variable}", stage.name),
                    format!(
                        "add variables = {{ {variable} = \"ALIAS\" }} to stage {} (a route's stage variable must name an alias on every stage)",
                        stage.name
                    ),
                ),
                Some(value) if !declared.contains(&value.as_str()) => {
                    let (message, help) = unknown(value);
                    (
                        format!("{message} (stage {}'s {variable})", stage.name),
                        help,
                    )
                }
                Some(_) => continue,
            };
            self.problem(
                Problem::new(message, span.clone(), "alias from a stage variable").help(help),
            );
        }
    }
}
