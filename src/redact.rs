//! The last line of defence for secrets: every secret value a plan knows (declared secret,
//! read from SSM, live values applied as secret) is remembered here, and text bound for the
//! terminal, a log or a file that is not a rendered plan (errors, apply events, panics) passes
//! through [`text`] or [`json`] first. AWS error messages may quote what a request carried
//! (Lambda's "String measured: ..." for environments over 4 KB).

use crate::output::errln;
use std::borrow::Cow;
use std::sync::RwLock;

use crate::plan::SENSITIVE;

/// Shorter values are not searched for: they would mangle ordinary words and numbers.
pub const MIN_LEN: usize = 4;

static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers secret values for [`text`] to take out; longer ones are replaced first.
pub fn remember(values: impl IntoIterator<Item = String>) {
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    known.extend(values.into_iter().filter(|v| v.len() >= MIN_LEN));
    known.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    known.dedup();
}

/// `text` with every remembered secret replaced by `(sensitive)`.
pub fn text(text: &str) -> Cow<'_, str> {
    let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), SENSITIVE));
        }
    }
    out
}

/// [`text`] applied to every string in a JSON value.
pub fn json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let Cow::Owned(redacted) = text(s) {
                *s = redacted;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(json),
        serde_json::Value::Object(map) => map.values_mut().for_each(json),
        _ => {}
    }
}

/// Panics print their location and a redacted message (no value a panic message quotes
/// leaves the process in clear); `RUST_BACKTRACE` still adds the backtrace.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let location = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        errln!(
            "stackctl panicked{location}: {}\nThis is a bug in stackctl; please report it.",
            text(message)
        );
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            errln!("{backtrace}");
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_secrets_are_taken_out_of_text_and_json() {
        remember([
            "CANARY-abc".to_string(),
            "CANARY-abcdef".to_string(),
            "ab".to_string(),
        ]);
        assert_eq!(
            text("sent CANARY-abcdef and CANARY-abc, ab"),
            "sent (sensitive) and (sensitive), ab"
        );
        let mut value = serde_json::json!({ "error": ["x CANARY-abc"] });
        json(&mut value);
        assert_eq!(value, serde_json::json!({ "error": ["x (sensitive)"] }));
    }
}
