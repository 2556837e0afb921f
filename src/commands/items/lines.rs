//! JSON Lines files: one JSON value per line, each with its line number for messages. A file
//! may start with a UTF-8 byte order mark; `-` is standard input; an object with a key twice
//! is an error (JSON parsers differ on which one wins).

use std::io::Read;
use std::path::Path;

use miette::{IntoDiagnostic, Result, WrapErr};
use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A line that is not JSON: its number and what is wrong.
pub type Problem = (usize, String);

/// One line's value and where it is (`items.jsonl:17`).
pub struct Line {
    /// The line's number (1 for the argument), to order messages.
    pub number: usize,
    pub at: String,
    pub json: Value,
}

/// What was read: where from (the file's name, `standard input` or `the argument`), its
/// values, and the lines that are not JSON.
pub struct Lines {
    pub source: String,
    pub lines: Vec<Line>,
    pub problems: Vec<Problem>,
}

/// The values of a JSON Lines file (empty lines skipped; `-`: standard input), or of one value
/// given on the command line; lines that are not UTF-8 or not JSON are problems, all of them,
/// each with its line's number.
///
/// # Errors
/// A file that cannot be read.
pub fn read(file: Option<&Path>, argument: Option<&str>) -> Result<Lines> {
    let (source, bytes) = match (file, argument) {
        (Some(path), _) if path == Path::new("-") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .into_diagnostic()
                .wrap_err("cannot read standard input")?;
            ("standard input".to_string(), bytes)
        }
        (Some(path), _) => {
            let bytes = std::fs::read(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read {}", path.display()))?;
            (path.display().to_string(), bytes)
        }
        (None, Some(arg)) => {
            let (lines, problems) = match parse(arg) {
                Ok(json) => (
                    vec![Line {
                        number: 1,
                        at: "the argument".into(),
                        json,
                    }],
                    vec![],
                ),
                Err(e) => (vec![], vec![(1, format!("the argument: not JSON: {e}"))]),
            };
            let source = "the argument".to_string();
            return Ok(Lines {
                source,
                lines,
                problems,
            });
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        let at = format!("{source}:{}", i + 1);
        let line = match std::str::from_utf8(line) {
            Ok(line) => line,
            Err(e) => {
                problems.push((
                    i + 1,
                    format!(
                        "{at}: not UTF-8 (at byte {} of the line); items files are UTF-8",
                        e.valid_up_to() + 1
                    ),
                ));
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match parse(line) {
            Ok(json) => lines.push(Line {
                number: i + 1,
                at,
                json,
            }),
            Err(e) => problems.push((i + 1, format!("{at}: not JSON: {e}"))),
        }
    }
    Ok(Lines {
        source,
        lines,
        problems,
    })
}

/// One JSON value; an object with a key twice is an error.
fn parse(text: &str) -> serde_json::Result<Value> {
    serde_json::from_str::<Unique>(text).map(|u| u.0)
}

/// A JSON value whose objects have each key once.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(v)))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(v.to_string())))
    }

    fn visit_unit<E: Error>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Unique(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some((key, Unique(v))) = map.next_entry::<String, Unique>()? {
            if object.contains_key(&key) {
                return Err(A::Error::custom(format!(
                    "the key {key:?} is twice in one object"
                )));
            }
            object.insert(key, v);
        }
        Ok(Unique(Value::Object(object)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_line_by_line_with_their_problems() {
        let dir = std::env::temp_dir().join(format!("stackctl-lines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("items.jsonl");
        std::fs::write(
            &path,
            b"\xEF\xBB\xBF{\"pk\": \"a\"}\r\n\n{\"pk\": 1, \"pk\": 2}\n{\"s\": \"\xFF\"}\n{\"m\": {\"a\": 1, \"a\": 1}}\n[1e200]",
        )
        .unwrap();
        let read = read(Some(&path), None).unwrap();
        let name = path.display().to_string();
        assert_eq!(read.lines.len(), 2);
        assert_eq!(read.lines[0].json, serde_json::json!({"pk": "a"}));
        assert_eq!(read.lines[1].number, 6);
        let problems: Vec<String> = read
            .problems
            .iter()
            .map(|p| p.1.replace(&name, "F"))
            .collect();
        assert_eq!(
            problems,
            [
                "F:3: not JSON: the key \"pk\" is twice in one object at line 1 column 18",
                "F:4: not UTF-8 (at byte 8 of the line); items files are UTF-8",
                "F:5: not JSON: the key \"a\" is twice in one object at line 1 column 22",
            ]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
