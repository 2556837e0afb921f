//! `[functions.NAME]`: code, configuration, environment with references.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::DeTable;

use super::{Declared, Key, Reader, RefSite, Value, entry};
use crate::stack::FunctionSpec;
use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reference::{self, Segment, Template};

const FUNCTION_KEYS: &[&str] = &[
    "runtime",
    "handler",
    "code",
    "memory",
    "timeout",
    "environment",
    "role",
    "tags",
];

impl Reader<'_> {
    pub(super) fn function(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        dir: &Path,
        declared: &Declared,
    ) -> Option<FunctionSpec> {
        let logical = key.get_ref().to_string();
        let what = format!("[functions.{logical}]");
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, FUNCTION_KEYS, &format!("in {what}"));
        let runtime = self.required_string(t, key, &what, "runtime", "runtime = \"nodejs20.x\"");
        let handler = self.required_string(t, key, &what, "handler", "handler = \"index.handler\"");
        let code = self
            .required_string(t, key, &what, "code", "code = \"functions/NAME\"")
            .and_then(|c| self.code_path(&c, dir));
        let memory = self.opt_int(t, "memory", 128..=10_240).unwrap_or(128);
        let timeout = self.opt_int(t, "timeout", 1..=900).unwrap_or(3);
        let environment = self.environment(t, &logical, declared);
        let role = entry(t, "role")
            .and_then(|(_, v)| self.string(v, "role"))
            .and_then(|r| {
                if r.get_ref().starts_with("arn:") && r.get_ref().contains(":role/") {
                    Some(r.into_inner())
                } else {
                    self.problem(
                        Problem::new("role must be an IAM role ARN", r.span(), "not a role ARN")
                            .help("write role = \"arn:aws:iam::123456789012:role/NAME\", or remove it and stackctl manages a role for the function"),
                    );
                    None
                }
            });
        let tags = self.tags(t);
        Some(FunctionSpec {
            logical,
            runtime: runtime?.into_inner(),
            handler: handler?.into_inner(),
            code: code?,
            memory: memory as i32,
            timeout: timeout as i32,
            environment: environment?,
            role,
            tags,
        })
    }

    pub(super) fn code_path(
        &mut self,
        code: &Spanned<String>,
        dir: &Path,
    ) -> Option<std::path::PathBuf> {
        let path = dir.join(code.get_ref());
        let problem = if path.is_dir() {
            return Some(path);
        } else if path.is_file() {
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
            {
                return Some(path);
            }
            Problem::new(
                format!("code {:?} is a file but not a .zip", code.get_ref()),
                code.span(),
                "not a folder or .zip",
            )
            .help("point code at the folder that holds the function's files, or at a .zip")
        } else {
            Problem::new(
                format!("code {:?} does not exist", code.get_ref()),
                code.span(),
                "no such file or folder",
            )
            .help("paths are relative to the folder of the stack file")
        };
        self.problem(problem);
        None
    }

    pub(super) fn environment(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<BTreeMap<String, Template>> {
        let Some((_, value)) = entry(t, "environment") else {
            return Some(BTreeMap::new());
        };
        let env = self.as_table(value, "environment")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in env.iter() {
            let name = key.get_ref();
            if !is_env_name(name) {
                self.problem(
                    Problem::new(
                        format!("invalid environment variable name {name:?}"),
                        key.span(),
                        "not a variable name",
                    )
                    .help("use letters, digits and '_', starting with a letter"),
                );
                ok = false;
                continue;
            }
            if name.starts_with("AWS_") {
                self.problem(
                    Problem::new(
                        format!("{name} is reserved by Lambda"),
                        key.span(),
                        "reserved name",
                    )
                    .help("Lambda sets AWS_* variables itself; choose another name"),
                );
                ok = false;
                continue;
            }
            match self
                .string(value, "an environment value")
                .and_then(|s| self.template(&s, value, function, declared))
            {
                Some(template) => {
                    out.insert(name.to_string(), template);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Reads references in a string value. `value` is the TOML value, whose span includes quotes.
    pub(super) fn template(
        &mut self,
        text: &Spanned<String>,
        value: &Value<'_>,
        function: &str,
        declared: &Declared,
    ) -> Option<Template> {
        // Spans inside the string are exact for plain strings; for strings with escapes, point
        // at the whole value rather than at a wrong place.
        let raw = &self.source[value.span()];
        let inner_start = value.span().start + 1;
        let exact = raw.len() == text.get_ref().len() + 2;
        let at = |range: Range<usize>| {
            if exact {
                inner_start + range.start..inner_start + range.end
            } else {
                value.span()
            }
        };
        let parts = match reference::split(text.get_ref()) {
            Ok(parts) => parts,
            Err(range) => {
                self.problem(
                    Problem::new("unclosed reference", at(range), "no closing '}'")
                        .help("close it with '}'; write $${ for a literal ${"),
                );
                return None;
            }
        };
        let mut segments = Vec::new();
        let mut ok = true;
        for (raw_ref, text) in parts {
            let Some(raw_ref) = raw_ref else {
                segments.push(Segment::Text(text));
                continue;
            };
            let span = at(raw_ref.range.clone());
            match reference::interpret(&raw_ref.text) {
                Err(why) => {
                    self.problem(
                        Problem::new(
                            format!("{why} in ${{{}}}", raw_ref.text),
                            span,
                            "not a reference stackctl knows",
                        )
                        .help(reference::FORMS),
                    );
                    ok = false;
                }
                Ok(r) => {
                    if let Some(problem) = declared.check(&r.target, span.clone()) {
                        self.problem(problem);
                        ok = false;
                    } else {
                        self.references.push(RefSite {
                            from: Address::Function(function.to_string()),
                            to: r.target.address(),
                            span,
                        });
                        segments.push(Segment::Ref(r));
                    }
                }
            }
        }
        ok.then_some(Template { segments })
    }
}

fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
