//! `tags = { ... }` of a table, a function or the API.

use std::collections::BTreeMap;

use toml::de::DeTable;

use super::limits;
use super::typed::{Reader, entry};
use crate::stack::diagnostic::Problem;

impl Reader<'_> {
    pub(super) fn tags(&mut self, t: &DeTable<'_>) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        let Some((_, value)) = entry(t, "tags") else {
            return tags;
        };
        let Some(table) = self.as_table(value, "tags") else {
            return tags;
        };
        for (key, value) in table.iter() {
            // AWS reserves the prefix in any case (aws:, AWS:).
            if crate::marks::is_own_tag(key.get_ref())
                || key.get_ref().to_ascii_lowercase().starts_with("aws:")
            {
                self.problem(
                    Problem::new(
                        format!("tag {:?} uses a reserved prefix", key.get_ref()),
                        key.span(),
                        "reserved",
                    )
                    .help("tags starting with stackctl: or aws: are set by stackctl and AWS"),
                );
                continue;
            }
            if let Some(problem) = tag_text_problem(key.get_ref(), "key", limits::MAX_TAG_KEY) {
                self.problem(Problem::new(problem, key.span(), "not a tag key").help(TAG_HELP));
                continue;
            }
            let Some(v) = self.string(value, "a tag value") else {
                continue;
            };
            if let Some(problem) = tag_text_problem(v.get_ref(), "value", limits::MAX_TAG_VALUE)
                && !v.get_ref().is_empty()
            {
                self.problem(Problem::new(problem, v.span(), "not a tag value").help(TAG_HELP));
                continue;
            }
            tags.insert(key.get_ref().to_string(), v.into_inner());
        }
        let room = limits::MAX_TAGS - limits::OWN_TAGS;
        if table.len() > room
            && let Some((key, _)) = entry(t, "tags")
        {
            self.problem(
                Problem::new(
                    format!("{} tags, more than the {room} AWS leaves room for", table.len()),
                    key.span(),
                    "too many tags",
                )
                .help(format!(
                    "AWS allows {} tags per resource and stackctl sets {} of them (stackctl:stack, and stackctl:applied or stackctl:permissions): keep at most {room}",
                    limits::MAX_TAGS,
                    limits::OWN_TAGS
                )),
            );
        }
        tags
    }
}

const TAG_HELP: &str = "tag keys have 1 to 128 characters and values up to 256, of letters, digits, spaces and _ . : / = + - @";

/// What is wrong with a tag key or value, if anything ([`limits`] has AWS's rules).
fn tag_text_problem(text: &str, what: &str, max: usize) -> Option<String> {
    let len = text.chars().count();
    if len == 0 {
        Some(format!("a tag {what} cannot be empty"))
    } else if len > max {
        Some(format!(
            "tag {what} has {len} characters, more than AWS's {max}"
        ))
    } else {
        text.chars()
            .find(|c| !limits::is_tag_char(*c))
            .map(|c| format!("tag {what} {text:?} holds {c:?}, which AWS does not accept in tags"))
    }
}
