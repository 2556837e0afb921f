//! Route paths: what API Gateway accepts in one path, and across the routes of one API.
//!
//! A REST API is a tree of resources, one per path part (CreateResource,
//! <https://docs.aws.amazon.com/apigateway/latest/api/API_CreateResource.html>): a path part
//! holds only `a-zA-Z0-9._-`, or is a whole `{name}` / `{name+}` variable, and the children of
//! one resource may have only one variable path part among them ("A sibling ({id}) of this
//! resource already has a variable path part -- only one is allowed"), greedy or not.
//! An HTTP API matches route keys instead
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html>),
//! so different variable names at one position, and a greedy variable beside a plain one, are
//! accepted there and not refused here. Both refuse a parameter name used twice in one path.

use std::ops::Range;

use crate::stack::diagnostic::Problem;
use crate::stack::spec::ApiType;

/// Checks one path (`/orders/{id}`) on its own; the reason when the API cannot take it.
pub(super) fn check_path(path: &str, api: Option<ApiType>) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("it must start with '/'".into());
    }
    if path == "/" {
        return Ok(());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut names: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        check_segment(segment, i + 1 == segments.len(), api)?;
        if let Some(name) = variable(segment) {
            if names.contains(&name) {
                return Err(format!(
                    "the parameter {{{name}}} appears twice; API Gateway needs each path parameter name once"
                ));
            }
            names.push(name);
        }
    }
    Ok(())
}

fn check_segment(segment: &str, last: bool, api: Option<ApiType>) -> Result<(), String> {
    if segment.is_empty() {
        return Err("it has an empty segment".into());
    }
    if segment.contains(char::is_whitespace) {
        return Err("a path part cannot hold spaces (write them as '-' or '_')".into());
    }
    // Clients remove "." and ".." path parts before sending (RFC 3986, section 5.2.4), so no
    // request could ever reach such a route, on either API type.
    if segment == "." || segment == ".." {
        return Err(format!(
            "{segment:?} is not a path part (clients resolve it away, so no request could reach the route)"
        ));
    }
    if let Some(param) = segment.strip_prefix('{') {
        let Some(name) = param.strip_suffix('}') else {
            return Err("a '{' is not closed".into());
        };
        let name = match name.strip_suffix('+') {
            Some(_) if !last => {
                return Err("a greedy {name+} parameter must be the last segment".into());
            }
            Some(n) => n,
            None => name,
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err("a path parameter name must be letters, digits or '_'".into());
        }
        return Ok(());
    }
    if segment.contains(['{', '}']) {
        return Err("a path parameter must be a whole segment".into());
    }
    if api == Some(ApiType::Rest)
        && !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "a REST API path part holds only letters, digits, '.', '_' and '-' (API Gateway's CreateResource)"
                .into(),
        );
    }
    Ok(())
}

/// The parameter name of a `{name}` or `{name+}` segment.
fn variable(segment: &str) -> Option<&str> {
    let inner = segment.strip_prefix('{')?.strip_suffix('}')?;
    Some(inner.strip_suffix('+').unwrap_or(inner))
}

/// The route with parameter names erased: two routes with the same shape collide.
pub(super) fn route_shape(key: &str) -> String {
    key.split('/')
        .map(|s| {
            if s.ends_with("+}") {
                "{+}"
            } else if s.starts_with('{') {
                "{}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// REST APIs: under one resource, every route must write the same variable path part (see the
/// module comment). `routes` are `METHOD /path` keys with where they are written; one problem
/// per route that disagrees with an earlier one, at it, the earlier route as related.
pub(super) fn rest_sibling_problems(routes: &[(String, Range<usize>)]) -> Vec<Problem> {
    // (parent path, variable part, route, where): the first variable seen under each parent.
    let mut first: Vec<(String, String, &str, Range<usize>)> = Vec::new();
    let mut problems = Vec::new();
    for (key, span) in routes {
        let Some((_, path)) = key.split_once(' ') else {
            continue;
        };
        let mut parent = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if segment.starts_with('{') {
                match first.iter().find(|(p, _, _, _)| *p == parent) {
                    Some((_, part, other, other_span)) if part != segment => {
                        problems.push(sibling_problem(key, span, segment, other, other_span, part));
                        break;
                    }
                    Some(_) => {}
                    None => first.push((parent.clone(), segment.to_string(), key, span.clone())),
                }
            }
            parent = format!("{parent}/{segment}");
        }
    }
    problems
}

fn sibling_problem(
    key: &str,
    span: &Range<usize>,
    part: &str,
    other: &str,
    other_span: &Range<usize>,
    other_part: &str,
) -> Problem {
    Problem::new(
        format!("route {key:?} has {part} where {other:?} has {other_part}"),
        span.clone(),
        format!("{part} here"),
    )
    .also(other_span.clone(), format!("{other_part} here"))
    .help(format!(
        "a REST API allows one variable path part per position (API Gateway refuses a sibling of {other_part}): use {other_part} in both routes, or a fixed path part before one of them"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(check_path("/orders/{id}", None).is_ok());
        assert!(check_path("/admin/{proxy+}", None).is_ok());
        assert!(check_path("/", None).is_ok());
        assert!(check_path("orders", None).is_err());
        assert!(check_path("/a/{proxy+}/b", None).is_err());
        assert!(check_path("/a//b", None).is_err());
        assert!(check_path("/a/x{id}", None).is_err());
        assert!(check_path("/a/{id}/b/{id}", Some(ApiType::Http)).is_err());
        assert!(check_path("/a/../b", Some(ApiType::Http)).is_err());
        assert!(check_path("/a b", Some(ApiType::Http)).is_err());
        assert!(check_path("/a:b", Some(ApiType::Http)).is_ok());
        assert!(check_path("/a:b", Some(ApiType::Rest)).is_err());
    }

    #[test]
    fn shapes_ignore_parameter_names() {
        assert_eq!(route_shape("GET /a/{id}"), route_shape("GET /a/{key}"));
        assert_ne!(route_shape("GET /a/{id}"), route_shape("POST /a/{id}"));
    }

    #[test]
    fn rest_siblings() {
        let at = |k: &str| (k.to_string(), 0..1);
        let ok = [at("GET /p/{id}"), at("POST /p/{id}/x"), at("GET /q/{game}")];
        assert!(rest_sibling_problems(&ok).is_empty());
        let clash = [at("GET /p/{id}"), at("POST /p/{game}")];
        assert_eq!(rest_sibling_problems(&clash).len(), 1);
        let greedy = [at("GET /p/{id}"), at("ANY /p/{proxy+}")];
        assert_eq!(rest_sibling_problems(&greedy).len(), 1);
    }
}
