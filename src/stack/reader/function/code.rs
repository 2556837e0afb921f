//! `code` and `exclude`: where the function's code is, and what of it to leave out.

use std::path::Path;

use toml::Spanned;
use toml::de::DeTable;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::Reader;

impl Reader<'_> {
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
                .is_some_and(|e| e.eq_ignore_ascii_case("zip") || e.eq_ignore_ascii_case("jar"))
            {
                return Some(path);
            }
            Problem::new(
                format!("code {:?} is a file but not a .zip or .jar", code.get_ref()),
                code.span(),
                "not a folder, .zip or .jar",
            )
            .help("point code at the folder that holds the function's files, or at a .zip or .jar")
        } else if std::fs::metadata(&path).is_ok() {
            Problem::new(
                format!(
                    "code {:?} is not a regular file or folder (a named pipe, socket or device)",
                    code.get_ref()
                ),
                code.span(),
                "not a folder, .zip or .jar",
            )
            .help("point code at the folder that holds the function's files, or at a .zip or .jar")
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

    pub(super) fn exclude(&mut self, t: &DeTable<'_>) -> Option<Vec<String>> {
        let patterns = self.string_list(
            t,
            "exclude",
            "write exclude = [\"*.test.js\", \"node_modules/.cache/**\"]",
        )?;
        let mut ok = true;
        for pattern in &patterns {
            if let Err(e) = globset::Glob::new(pattern.get_ref()) {
                self.problem(
                    Problem::new(
                        format!("invalid pattern: {}", e.kind()),
                        pattern.span(),
                        "not a glob pattern",
                    )
                    .help("use glob patterns such as \"*.test.js\" or \"docs/**\""),
                );
                ok = false;
            }
        }
        ok.then(|| patterns.into_iter().map(Spanned::into_inner).collect())
    }
}
