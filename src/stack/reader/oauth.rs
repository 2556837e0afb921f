//! A user pool client's OAuth settings as Cognito's CreateUserPoolClient takes them, checked
//! where they are written
//! (<https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolClient.html>):
//! callback and logout URLs are absolute, without a fragment, HTTPS (plain HTTP only for
//! `localhost`) or an app's own scheme (`myapp://cb`); scopes are Cognito's (`openid`, `email`,
//! `phone`, `profile`, `aws.cognito.signin.user.admin`) or a resource server's
//! (`IDENTIFIER/NAME`).

use toml::Spanned;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::Reader;

/// The scopes Cognito grants itself; others name a resource server's (`IDENTIFIER/NAME`).
const COGNITO_SCOPES: &[&str] = &[
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// The length Cognito takes for a URL (1 to 1024 characters).
const MAX_URL: usize = 1024;

impl Reader<'_> {
    /// Callback or logout URLs (`key`): each one Cognito takes, or an error at it.
    pub(super) fn oauth_urls(
        &mut self,
        key: &str,
        urls: Vec<Spanned<String>>,
    ) -> Option<Vec<String>> {
        let mut ok = true;
        for url in &urls {
            if let Some(help) = url_problem(url.get_ref()) {
                self.problem(
                    Problem::new(
                        format!("Cognito refuses {:?} as one of {key}", url.get_ref()),
                        url.span(),
                        "here",
                    )
                    .help(help),
                );
                ok = false;
            }
        }
        ok.then(|| urls.into_iter().map(Spanned::into_inner).collect())
    }

    /// OAuth scopes: each Cognito's or a resource server's, or an error at it.
    pub(super) fn oauth_scopes(&mut self, scopes: Vec<Spanned<String>>) -> Option<Vec<String>> {
        let mut ok = true;
        for scope in &scopes {
            let s = scope.get_ref();
            if COGNITO_SCOPES.contains(&s.as_str()) || is_resource_server_scope(s) {
                continue;
            }
            let guess = crate::suggest::closest(s, COGNITO_SCOPES.iter().copied());
            let mut help = format!(
                "use {} or a resource server's scope IDENTIFIER/NAME",
                COGNITO_SCOPES.join(", ")
            );
            if let Some(g) = guess {
                help = format!("did you mean {g:?}? {help}");
            }
            self.problem(
                Problem::new(
                    format!("{s:?} is not an OAuth scope Cognito knows"),
                    scope.span(),
                    "unknown scope",
                )
                .help(help),
            );
            ok = false;
        }
        ok.then(|| scopes.into_iter().map(Spanned::into_inner).collect())
    }
}

/// Why Cognito would refuse `url` as a callback or logout URL, as help; `None` when it takes it.
fn url_problem(url: &str) -> Option<&'static str> {
    if url.contains("${") {
        return Some("write the URL itself: callback and logout URLs take no references");
    }
    if url.is_empty() || url.chars().count() > MAX_URL || url.contains(char::is_whitespace) {
        return Some("write an absolute URL of 1 to 1024 characters, without spaces");
    }
    if url.contains('#') {
        return Some("remove the fragment (#...): a redirect URL has none");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("write an absolute URL such as https://shop.example/cb");
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || rest.is_empty() {
        return Some("write an absolute URL such as https://shop.example/cb");
    }
    if scheme.eq_ignore_ascii_case("http") {
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        if !host.eq_ignore_ascii_case("localhost") {
            return Some("use https: Cognito takes plain http only for http://localhost");
        }
    }
    None
}

/// `IDENTIFIER/NAME`: a scope of a resource server of the pool (neither part empty).
fn is_resource_server_scope(scope: &str) -> bool {
    match scope.rsplit_once('/') {
        Some((identifier, name)) => {
            !identifier.is_empty() && !name.is_empty() && !scope.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_cognito_takes() {
        for ok in [
            "https://shop.example/cb",
            "http://localhost:3000/cb",
            "http://localhost/cb",
            "myapp://callback",
        ] {
            assert_eq!(url_problem(ok), None, "{ok}");
        }
        for bad in [
            "http://shop.example/cb",
            "http://localhost.evil.example/cb",
            "https://shop.example/cb#x",
            "shop.example/cb",
            "${api.url}/cb",
            "",
        ] {
            assert!(url_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn resource_server_scopes() {
        assert!(is_resource_server_scope("api/read"));
        assert!(is_resource_server_scope("https://api.example.com/read"));
        assert!(!is_resource_server_scope("read"));
        assert!(!is_resource_server_scope("api/"));
    }
}
