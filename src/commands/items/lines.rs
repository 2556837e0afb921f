//! JSON Lines files: one JSON value per line, each with its line number for messages.

use std::path::Path;

use miette::{IntoDiagnostic, Result, WrapErr};

/// A line that is not JSON: its number and what is wrong.
pub type Problem = (usize, String);

/// One line's value and where it is (`items.jsonl:17`).
pub struct Line {
    /// The line's number (1 for the argument), to order messages.
    pub number: usize,
    pub at: String,
    pub json: serde_json::Value,
}

/// The values of a JSON Lines file (empty lines skipped), or of one value given on the
/// command line (`at` = "the argument"); lines that are not JSON are problems, all of them,
/// each with its line's number.
pub fn read(file: Option<&Path>, argument: Option<&str>) -> Result<(Vec<Line>, Vec<Problem>)> {
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
                        number: 1,
                        at: "the argument".into(),
                        json,
                    }],
                    Vec::new(),
                ),
                Err(e) => (
                    Vec::new(),
                    vec![(1, format!("the argument: not JSON: {e}"))],
                ),
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
            Ok(json) => lines.push(Line {
                number: i + 1,
                at,
                json,
            }),
            Err(e) => problems.push((i + 1, format!("{at}: not JSON: {e}"))),
        }
    }
    Ok((lines, problems))
}
