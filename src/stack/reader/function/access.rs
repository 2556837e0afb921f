//! `tables = { orders = "read" }` and `topics = { events = "publish" }`: what a function's
//! managed role may do with which table and topic.

use std::collections::BTreeMap;

use toml::de::DeTable;

use crate::stack::address::Address;
use crate::stack::diagnostic::Problem;
use crate::stack::reader::declared::Declared;
use crate::stack::reader::typed::{Reader, RefSite, entry};
use crate::stack::reference::RefTarget;
use crate::stack::spec::TableAccess;
use crate::stack::topic::TopicAccess;

impl Reader<'_> {
    /// `tables = { orders = "read" }`: what the managed role may do with which table.
    pub(super) fn table_access(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
        has_role: bool,
    ) -> Option<BTreeMap<String, TableAccess>> {
        let Some((key, value)) = entry(t, "tables") else {
            return Some(BTreeMap::new());
        };
        if has_role {
            self.problem(
                Problem::new("tables is set but the function has its own role", key.span(), "only for managed roles")
                    .help("grant the access in your role's policy, or remove role so that stackctl manages one"),
            );
            return None;
        }
        let access = self.as_table(value, "tables")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, level) in access.iter() {
            if let Some(problem) =
                declared.check(&RefTarget::Table(name.get_ref().to_string()), name.span())
            {
                self.problem(problem);
                ok = false;
                continue;
            }
            let Some(level_text) = self.string(level, "table access") else {
                ok = false;
                continue;
            };
            let Some(level) = self.one_of(
                &level_text,
                &[
                    ("read", TableAccess::Read),
                    ("write", TableAccess::Write),
                    ("read-write", TableAccess::ReadWrite),
                ],
                "access",
                "not an access level",
                "use \"read\", \"write\" or \"read-write\"",
            ) else {
                ok = false;
                continue;
            };
            self.references.push(RefSite {
                from: Address::Function(function.to_string()),
                to: Address::Table(name.get_ref().to_string()),
                span: name.span(),
            });
            out.insert(name.get_ref().to_string(), level);
        }
        ok.then_some(out)
    }
}

impl Reader<'_> {
    /// `topics = { order-events = "publish" }`: the topics the managed role may publish to.
    pub(super) fn topic_access(
        &mut self,
        t: &DeTable<'_>,
        function: &str,
        declared: &Declared,
        has_role: bool,
    ) -> Option<BTreeMap<String, TopicAccess>> {
        let Some((key, value)) = entry(t, "topics") else {
            return Some(BTreeMap::new());
        };
        if has_role {
            self.problem(
                Problem::new("topics is set but the function has its own role", key.span(), "only for managed roles")
                    .help("grant sns:Publish in your role's policy, or remove role so that stackctl manages one"),
            );
            return None;
        }
        let access = self.as_table(value, "topics")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (name, level) in access.iter() {
            let target = RefTarget::Topic(name.get_ref().to_string());
            if let Some(problem) = declared.check(&target, name.span()) {
                self.problem(problem);
                ok = false;
                continue;
            }
            let level = self.string(level, "topic access").and_then(|text| {
                self.one_of(
                    &text,
                    &[("publish", TopicAccess::Publish)],
                    "access",
                    "not a topic access",
                    "use \"publish\": the function may publish to this topic",
                )
            });
            let Some(level) = level else {
                ok = false;
                continue;
            };
            self.references.push(RefSite {
                from: Address::Function(function.to_string()),
                to: Address::Topic(name.get_ref().to_string()),
                span: name.span(),
            });
            out.insert(name.get_ref().to_string(), level);
        }
        ok.then_some(out)
    }
}
