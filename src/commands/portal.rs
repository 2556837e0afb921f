//! `stackctl portal`: one static, self-contained HTML page for the API's consumers (no
//! scripts, fonts or styles fetched from anywhere), written with the OpenAPI document beside
//! it (`openapi.json`) and inside it (a data URL, so the page alone is enough).

use std::fmt::Write as _;

use base64::Engine as _;
use miette::{IntoDiagnostic, Result};

use super::openapi::{no_api, servers, stages};
use super::{ExitStatus, load_stack};
use crate::cli::{AwsArgs, PortalArgs};
use crate::openapi::{Servers, method_and_path, path_parameters};
use crate::output::errln;
use crate::stack::{ApiSpec, AuthorizerSpec, Stack, Throttle};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2rem}.method{font-weight:bold;font-family:monospace}\
.yes{color:#a40000;font-weight:bold}";

pub async fn run(args: &PortalArgs, aws: &AwsArgs) -> Result<ExitStatus> {
    let stack = load_stack(&args.file)?;
    let stages = stages(&stack, None)?;
    let servers = servers(&stack, &stages, args.live, aws).await?;
    let document = crate::openapi::document(&stack, &servers).ok_or_else(no_api)?;
    let mut json = serde_json::to_string_pretty(&document).into_diagnostic()?;
    json.push('\n');
    let html = page(&stack, &servers, &json);
    let write = |name: &str, text: &str| {
        let path = args.out.join(name);
        std::fs::write(&path, text)
            .into_diagnostic()
            .map_err(|e| e.wrap_err(format!("cannot write {}", path.display())))
    };
    std::fs::create_dir_all(&args.out)
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot create {}", args.out.display())))?;
    write("openapi.json", &json)?;
    write("index.html", &html)?;
    errln!("Wrote {}", args.out.join("index.html").display());
    Ok(ExitStatus::Success)
}

/// The page: stages, routes, authorizers, usage plans, and the document to download.
fn page(stack: &Stack, servers: &Servers, openapi_json: &str) -> String {
    let api = stack.api.as_ref().expect("document() checked the API");
    let title = escape(&stack.name);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} API</title>\
         <style>{STYLE}</style></head><body>\n<h1>{title} API</h1>\n"
    );
    let data = base64::engine::general_purpose::STANDARD.encode(openapi_json);
    let _ = writeln!(
        h,
        "<p>A {} API. <a id=\"openapi\" download=\"openapi.json\" \
         href=\"data:application/json;base64,{data}\">Download the OpenAPI document</a> \
         (also <a href=\"openapi.json\">openapi.json</a> beside this page).</p>",
        api.api_type.protocol()
    );
    stages_section(&mut h, servers);
    routes_section(&mut h, stack, api);
    authorizers_section(&mut h, stack, api);
    plans_section(&mut h, api);
    h.push_str("</body></html>\n");
    h
}

fn stages_section(h: &mut String, servers: &Servers) {
    h.push_str("<h2>Stages</h2>\n<table id=\"stages\"><tr><th>stage</th><th>URL</th></tr>\n");
    let rows: Vec<(String, String)> = match servers {
        Servers::Live(urls) => urls.clone(),
        Servers::Placeholder { region, stages } => stages
            .iter()
            .map(|s| {
                let url = format!("https://API_ID.execute-api.{region}.amazonaws.com/{s}");
                (s.clone(), url.replace("/$default", "/"))
            })
            .collect(),
    };
    for (stage, url) in rows {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td></tr>",
            escape(&stage),
            escape(&url)
        );
    }
    h.push_str("</table>\n");
    if matches!(servers, Servers::Placeholder { .. }) {
        h.push_str("<p>API_ID: the API's ID, which <code>stackctl outputs</code> shows once the stack is applied.</p>\n");
    }
}

fn routes_section(h: &mut String, stack: &Stack, api: &ApiSpec) {
    h.push_str(
        "<h2>Routes</h2>\n<table id=\"routes\"><tr><th>method</th><th>path</th>\
        <th>what it does</th><th>path parameters</th><th>authorizer</th><th>API key</th></tr>\n",
    );
    for route in &stack.routes {
        let (method, path) = method_and_path(&route.key);
        let docs = &route.docs;
        let tags = (!docs.tags.is_empty())
            .then(|| format!("<small>tags: {}</small>", escape(&docs.tags.join(", "))));
        let about = [
            docs.summary.as_deref().map(escape),
            docs.description.as_deref().map(escape),
            tags,
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("<br>");
        let params = path_parameters(path)
            .iter()
            .map(|p| format!("<code>{}</code>", escape(p)))
            .collect::<Vec<_>>()
            .join(", ");
        let authorizer = match &route.authorizer {
            None => "none".to_string(),
            Some(name) if route.scopes.is_empty() => escape(name),
            Some(name) => format!(
                "{} (scopes: {})",
                escape(name),
                escape(&route.scopes.join(", "))
            ),
        };
        let key = if route.api_key {
            "<span class=\"yes\">required</span> (<code>x-api-key</code> header)"
        } else {
            "no"
        };
        let _ = writeln!(
            h,
            "<tr class=\"route\"><td class=\"method\">{}</td><td><code>{}</code></td><td>{about}</td>\
             <td>{params}</td><td>{authorizer}</td><td>{key}</td></tr>",
            escape(method),
            escape(path)
        );
    }
    h.push_str("</table>\n");
    if let Some(cors) = &api.cors {
        let _ = writeln!(
            h,
            "<p>Browsers may call the API from {} (CORS).</p>",
            escape(&cors.allow_origins.join(", "))
        );
    }
}

fn authorizers_section(h: &mut String, stack: &Stack, api: &ApiSpec) {
    if api.authorizers.is_empty() {
        return;
    }
    h.push_str("<h2>Authorizers</h2>\n<ul id=\"authorizers\">\n");
    for (name, spec) in &api.authorizers {
        let how = match spec {
            AuthorizerSpec::Jwt { issuer, .. } => format!("a JWT from {issuer}"),
            AuthorizerSpec::Cognito { .. } => "a token of the Cognito user pool".to_string(),
            AuthorizerSpec::Lambda { function } => {
                format!(
                    "a token the function {} checks",
                    stack.function_name(function)
                )
            }
        };
        let _ = writeln!(
            h,
            "<li><b>{}</b>: {} in the <code>Authorization</code> header</li>",
            escape(name),
            escape(&how)
        );
    }
    h.push_str("</ul>\n");
}

fn plans_section(h: &mut String, api: &ApiSpec) {
    if api.usage_plans.is_empty() {
        return;
    }
    h.push_str("<h2>Usage plans</h2>\n<p>Routes that need an API key count its requests against the key's usage plan.</p>\n\
        <table id=\"usage-plans\"><tr><th>plan</th><th>stages</th><th>throttle</th><th>quota</th><th>per route</th></tr>\n");
    let limit = |t: Throttle| format!("{} requests/s, bursts of {}", t.rate, t.burst);
    for (name, plan) in &api.usage_plans {
        let throttle = plan.throttle.map(limit).unwrap_or_else(|| "none".into());
        let quota = plan.quota.map_or("none".into(), |q| {
            format!("{} requests a {}", q.limit, q.period.as_str())
        });
        let routes = plan
            .routes
            .iter()
            .map(|(route, t)| format!("<code>{}</code>: {}", escape(route), limit(*t)))
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{throttle}</td><td>{quota}</td><td>{routes}</td></tr>",
            escape(name),
            escape(&plan.stages.join(", "))
        );
    }
    h.push_str("</table>\n");
}

/// Text as HTML: `&`, `<`, `>` and quotes escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
