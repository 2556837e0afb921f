//! Checks of what users read: whole outputs pinned by snapshots (with what differs from run to
//! run filtered out), single facts by substrings.

use super::Run;

/// What differs between two runs of the same test, and what stands for it in a snapshot.
pub const OUTPUT_FILTERS: &[(&str, &str)] = &[
    // The request log of `Project::requests`: concurrent, so in no fixed order.
    (r"(?m)^aws request: .*\n", ""),
    // The emulator's or the proxy's port.
    (r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT"),
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})",
        "TIMESTAMP",
    ),
    (r"\b\d+\.\d+s\b", "TIME"),
    // IDs that AWS generates: API IDs (in URLs and ARNs), export and import IDs.
    (
        r"https://[a-z0-9]+\.execute-api",
        "https://API_ID.execute-api",
    ),
    (
        r"(execute-api:[a-z0-9-]+:[0-9]{12}:)[a-z0-9]+",
        "${1}API_ID",
    ),
    (r"(\(\S+, id )[a-z0-9]+\)", "${1}API_ID)"),
    (r"/(export|import)/[A-Za-z0-9-]+", "/$1/ID"),
    (r"AWSDynamoDB/[A-Za-z0-9-]+", "AWSDynamoDB/EXPORT_ID"),
    (r"\b[0-9]{12}\b", "ACCOUNT_ID"),
    // A test's temporary folder.
    (r"/[^\s:]*/\.tmp[A-Za-z0-9]+", "TMPDIR"),
];

/// Compares `text` (what a user reads) with snapshot `name` of the calling test file
/// (`tests/emulator/snapshots/emulator__<file>__<name>.snap`), through [`OUTPUT_FILTERS`].
#[allow(unused_macros)]
macro_rules! assert_output_snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => $crate::support::output::OUTPUT_FILTERS.to_vec()}, {
            insta::assert_snapshot!($name, $text);
        })
    };
}
#[allow(unused_imports)]
pub(crate) use assert_output_snapshot;

/// Asserts that `text` holds each of `parts`, showing `text` when one is missing.
#[track_caller]
pub fn assert_has(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "no {part:?} in:\n{text}");
    }
}

/// Asserts that `text` holds none of `parts`, showing `text` when one is there.
#[track_caller]
pub fn assert_lacks(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(!text.contains(part), "{part:?} in:\n{text}");
    }
}

impl Run {
    /// Standard output, then standard error under a line that says so: for a snapshot of all
    /// a run showed.
    pub fn shown(&self) -> String {
        format!("{}----- stderr -----\n{}", self.stdout, self.stderr)
    }

    /// Asserts that standard output holds each of `parts`.
    #[track_caller]
    pub fn stdout_has(&self, parts: &[&str]) -> &Self {
        assert_has(&self.stdout, parts);
        self
    }

    /// Asserts that standard error holds each of `parts`.
    #[track_caller]
    pub fn stderr_has(&self, parts: &[&str]) -> &Self {
        assert_has(&self.stderr, parts);
        self
    }

    /// Asserts that standard output holds none of `parts`.
    #[track_caller]
    pub fn stdout_lacks(&self, parts: &[&str]) -> &Self {
        assert_lacks(&self.stdout, parts);
        self
    }
}
