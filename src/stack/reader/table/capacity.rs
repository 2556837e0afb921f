//! `read_capacity` and `write_capacity`, of a provisioned table and of its global indexes.

use std::ops::Range;

use toml::de::DeTable;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Reader, entry};

/// A capacity as written: where its key is, and the number when it is one.
pub(super) type Written = Option<(Range<usize>, Option<i64>)>;

impl Reader<'_> {
    /// `read_capacity` and `write_capacity` of `t`, each where written.
    pub(super) fn capacities(&mut self, t: &DeTable<'_>) -> (Written, Written) {
        let read = entry(t, "read_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "read_capacity", 1..=40_000)));
        let write = entry(t, "write_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "write_capacity", 1..=40_000)));
        (read, write)
    }

    /// A problem at each capacity written where billing is on demand: `message` says it of
    /// the key's name.
    pub(super) fn capacity_on_demand(
        &mut self,
        (read, write): (&Written, &Written),
        message: impl Fn(&str) -> String,
        help: &str,
    ) {
        for (name, found) in [("read_capacity", read), ("write_capacity", write)] {
            if let Some((span, _)) = found {
                self.problem(
                    Problem::new(message(name), span.clone(), "only for provisioned tables")
                        .help(help),
                );
            }
        }
    }
}
