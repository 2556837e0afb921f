//! Where the stack file writes secret values, so that the source shown under an error (its
//! line and the lines around it) never shows one.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::typed::{Value, entry};

/// The stack file text with the characters of every secret value (`{ secret = true, value =
/// "..." }` in a function's environment, in the base file or an `[env.NAME]` overlay) replaced
/// by `*`, one per byte, so that spans, lines and columns stay where they were. Where the file
/// does not parse, a line that mentions `secret` has every string after a `value` key masked.
pub fn masked(source: &str) -> String {
    let (doc, syntax_errors) = DeTable::parse_recoverable(source);
    let mut spans = Vec::new();
    let doc = doc.get_ref();
    functions(doc, &mut spans);
    if let Some(envs) = entry(doc, "env").and_then(|(_, v)| table(v)) {
        for (_, overlay) in envs.iter() {
            if let Some(overlay) = table(overlay) {
                functions(overlay, &mut spans);
            }
        }
    }
    if !syntax_errors.is_empty() {
        spans.extend(lexical(source));
    }
    let mut bytes = source.as_bytes().to_vec();
    for span in spans {
        let inner = inside_quotes(source, span);
        for b in &mut bytes[inner] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Only whole characters inside strings were replaced, byte by byte, with ASCII.
    String::from_utf8(bytes).unwrap_or_default()
}

fn table<'a, 'i>(value: &'a Value<'i>) -> Option<&'a DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

/// The secret values of `[functions.*.environment]` under `doc`.
fn functions(doc: &DeTable<'_>, spans: &mut Vec<Range<usize>>) {
    let Some(functions) = entry(doc, "functions").and_then(|(_, v)| table(v)) else {
        return;
    };
    for (_, function) in functions.iter() {
        let environment = table(function)
            .and_then(|f| entry(f, "environment"))
            .and_then(|(_, v)| table(v));
        for (_, value) in environment.iter().flat_map(|e| e.iter()) {
            let Some(t) = table(value) else { continue };
            let declared_plain = matches!(
                entry(t, "secret").map(|(_, v)| v.get_ref()),
                None | Some(DeValue::Boolean(false))
            );
            if declared_plain {
                continue;
            }
            // Every string but the parameter's name: `value` misspelled holds the secret too.
            for (key, text) in t.iter() {
                if key.get_ref() != "ssm" && matches!(text.get_ref(), DeValue::String(_)) {
                    spans.push(text.span());
                }
            }
        }
    }
}

/// For a file that does not parse: on each line mentioning `secret`, the rest of the line
/// after each `value` key.
fn lexical(source: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    for line in source.split_inclusive('\n') {
        if line.contains("secret") {
            for (at, _) in line.match_indices("value") {
                let rest = &line[at + "value".len()..];
                if let Some(quote) = rest.find(['"', '\'']) {
                    let from = start + at + "value".len() + quote;
                    spans.push(from..start + line.trim_end().len());
                }
            }
        }
        start += line.len();
    }
    spans
}

/// The part of `span` between its quotes (all of it when it is not quoted), on whole
/// characters.
fn inside_quotes(source: &str, span: Range<usize>) -> Range<usize> {
    let end = span.end.min(source.len());
    let start = span.start.min(end);
    let text = &source[start..end];
    let open = text.len() - text.trim_start_matches(['"', '\'']).len();
    let close = text.len() - text.trim_end_matches(['"', '\'']).len();
    if open + close >= text.len() {
        return start..start;
    }
    start + open..end - close
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_masked_in_place_and_nothing_else() {
        let source = "[functions.f]\nenvironment = { A = \"plain\", K = { secret = true, value = \"CANARY-é1\" }, S = { ssm = \"/x\" } }\nmemory = 99999\n\n[env.prod.functions.f.environment.K]\nsecret = true\nvalue = 'CANARY-2'\n";
        let masked = masked(source);
        assert_eq!(masked.len(), source.len());
        assert!(!masked.contains("CANARY"), "{masked}");
        assert!(masked.contains("\"plain\"") && masked.contains("\"/x\""));
        assert!(masked.contains("value = \"**********\""));
        assert!(masked.contains("value = '********'"));
        assert_eq!(masked.lines().count(), source.lines().count());
    }

    #[test]
    fn a_misspelled_value_key_is_masked_too() {
        let source = "[functions.f]\nenvironment = { K = { secret = true, valeu = \"CANARY-5\", ssm = \"/x\" } }\n";
        let masked = masked(source);
        assert!(!masked.contains("CANARY"), "{masked}");
        assert!(masked.contains("\"/x\""), "{masked}");
    }

    #[test]
    fn a_file_that_does_not_parse_loses_its_secrets_too() {
        let source = "[functions.f]\nenvironment = { K = { secret = true, value = \"CANARY-3\" } }\nmemory = = 1\nx = { secret = true, value = \"CANARY-4 }\n";
        let masked = masked(source);
        assert!(!masked.contains("CANARY"), "{masked}");
        assert_eq!(masked.len(), source.len());
    }
}
