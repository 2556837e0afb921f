//! Checks what the command line and the environment name as the target (profile, endpoint,
//! region) before any request, so that a typo fails at once and says where it came from.

use std::path::PathBuf;

use super::regions;

/// A target that cannot be used; nothing was sent to AWS.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TargetError {
    #[error("{source_name} names profile {profile}, which is not in {files}")]
    #[diagnostic(help("{help}"))]
    UnknownProfile {
        profile: String,
        /// `--profile` or `AWS_PROFILE`.
        source_name: &'static str,
        files: String,
        help: String,
    },

    #[error("{source_name} is empty")]
    #[diagnostic(help(
        "give the endpoint's URL, like http://127.0.0.1:4566, or leave the option out to use AWS"
    ))]
    EmptyEndpoint { source_name: &'static str },

    #[error("{source_name} {url:?} is not a valid http:// or https:// URL")]
    #[diagnostic(help(
        "give the scheme, the host and, if needed, a port from 1 to 65535, like http://127.0.0.1:4566"
    ))]
    BadEndpoint {
        source_name: &'static str,
        url: String,
    },

    #[error("{source_name}: {message}")]
    #[diagnostic(help("{help}"))]
    BadRegion {
        /// `--region`, or where the AWS configuration chain found it.
        source_name: String,
        message: String,
        help: String,
    },
}

/// An endpoint URL and where it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    /// `--endpoint-url` or `AWS_ENDPOINT_URL`.
    pub source_name: &'static str,
}

/// The endpoint from `--endpoint-url`, else `AWS_ENDPOINT_URL`, checked. An empty
/// `AWS_ENDPOINT_URL` (a CI variable that expands to nothing) is unset; an empty
/// `--endpoint-url` is an error, since it was typed.
pub fn endpoint(flag: Option<&str>) -> Result<Option<Endpoint>, TargetError> {
    let (url, source_name) = match flag {
        Some(url) => (url.to_string(), "--endpoint-url"),
        None => match std::env::var("AWS_ENDPOINT_URL") {
            Ok(url) if !url.trim().is_empty() => (url, "AWS_ENDPOINT_URL"),
            _ => return Ok(None),
        },
    };
    if url.trim().is_empty() {
        return Err(TargetError::EmptyEndpoint { source_name });
    }
    if !is_http_url(&url) {
        return Err(TargetError::BadEndpoint { source_name, url });
    }
    Ok(Some(Endpoint { url, source_name }))
}

/// `http://host[:port][/path]` or `https://...`, with a host and no spaces.
fn is_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or_default();
    // A port, when given, is a number from 1 to 65535 ("[::1]:4566" for IPv6).
    let port = match host.rsplit_once(']') {
        Some((_, after)) => after.strip_prefix(':'),
        None => host.split_once(':').map(|(_, port)| port),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    port_ok
        && !host.is_empty()
        && !host.starts_with(':')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:[]".contains(c))
        && !rest.chars().any(char::is_whitespace)
}

/// Checks a region code, naming where it was given.
pub fn region(region: &str, source_name: &str) -> Result<(), TargetError> {
    regions::check(region).map_err(|p| TargetError::BadRegion {
        source_name: source_name.to_string(),
        message: p.message,
        help: p.help,
    })
}

/// Where the configuration chain found the region (source:
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html>).
pub fn region_source() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find(|var| std::env::var_os(var).is_some())
        .map_or_else(|| "the profile's region".to_string(), str::to_string)
}

/// The profile to check: `--profile`, else `AWS_PROFILE` (unless it is `default`, which the
/// SDK uses without any file).
pub fn named_profile(flag: Option<&str>) -> Option<(String, &'static str)> {
    match flag {
        Some(profile) => Some((profile.to_string(), "--profile")),
        None => std::env::var("AWS_PROFILE")
            .ok()
            .filter(|p| !p.is_empty() && p != "default")
            .map(|p| (p, "AWS_PROFILE")),
    }
}

/// Checks that `profile` is declared in the AWS config or credentials file (the paths
/// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` name, else `~/.aws/config` and
/// `~/.aws/credentials`). Source: <https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html>.
pub fn profile(profile: &str, source_name: &'static str) -> Result<(), TargetError> {
    let files = [
        (profile_file("AWS_CONFIG_FILE", "config"), true),
        (
            profile_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            false,
        ),
    ];
    let mut known = Vec::new();
    for (path, is_config) in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        known.extend(profiles_in(&text, *is_config));
    }
    if known.iter().any(|p| p == profile) {
        return Ok(());
    }
    known.sort();
    known.dedup();
    let help = match crate::suggest::closest(profile, known.iter().map(String::as_str)) {
        Some(near) => format!("did you mean {near}?"),
        None if known.is_empty() => format!(
            "neither file declares a profile: add [profile {profile}] to the config file (`aws configure --profile {profile}`)"
        ),
        None => format!("known profiles: {}", known.join(", ")),
    };
    Err(TargetError::UnknownProfile {
        profile: profile.to_string(),
        source_name,
        files: format!("{} or {}", files[0].0.display(), files[1].0.display()),
        help,
    })
}

/// The file `var` names, else `~/.aws/<name>`.
fn profile_file(var: &str, name: &str) -> PathBuf {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".aws")
            .join(name),
    }
}

/// The profiles a file declares: `[profile NAME]` and `[default]` in the config file, `[NAME]`
/// in the credentials file.
fn profiles_in(text: &str, is_config: bool) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let section = line.strip_prefix('[')?.split(']').next()?.trim();
            if !is_config {
                return Some(section.to_string());
            }
            match section.strip_prefix("profile") {
                Some(name) if name.starts_with(char::is_whitespace) => {
                    Some(name.trim().to_string())
                }
                _ if section == "default" => Some(section.to_string()),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_read_from_section_headers() {
        let config = "[default]\nregion = x\n[profile prod]\n[ profile  dev ]\n[sso-session s]\n[services s]\n# [profile commented]\n";
        assert_eq!(profiles_in(config, true), ["default", "prod", "dev"]);
        assert_eq!(profiles_in("[ci]\nkey = v\n", false), ["ci"]);
    }

    #[test]
    fn endpoint_urls_need_a_scheme_and_a_host() {
        for good in [
            "http://127.0.0.1:4566",
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://localhost:4566/",
            "http://[::1]:4566",
        ] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "localhost:4566",
            "http://",
            "http://:4566",
            "ftp://x",
            "http://a b",
            "http:/x",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:0",
            "http://127.0.0.1:x",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
