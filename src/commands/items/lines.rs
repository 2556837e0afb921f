//! JSON Lines files: one JSON value per line, each with its line number for messages.

use std::path::Path;

use miette::{IntoDiagnostic, Result, WrapErr};

/// One line's value and where it is (`items.jsonl:17`).
pub struct Line {
    pub at: String,
    pub json: serde_json::Value,
}

/// The values of a JSON Lines file (empty lines skipped), or of one value given on the
/// command line (`at` = "the argument"); lines that are not JSON are problems, all of them.
pub fn read(file: Option<&Path>, argument: Option<&str>) -> Result<(Vec<Line>, Vec<String>)> {
    let (name, text) = match (file, argument) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read {}", path.display()))?;
            (path.display().to_string(), text)
        }
        (None, Some(arg)) => {
            return Ok(match serde_json::from_str(arg) {
                Ok(json) => (
                    vec![Line {
                        at: "the argument".into(),
                        json,
                    }],
                    Vec::new(),
                ),
                Err(e) => (Vec::new(), vec![format!("the argument: not JSON: {e}")]),
            });
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{name}:{}", i + 1);
        match serde_json::from_str(line) {
            Ok(json) => lines.push(Line { at, json }),
            Err(e) => problems.push(format!("{at}: not JSON: {e}")),
        }
    }
    Ok((lines, problems))
}
