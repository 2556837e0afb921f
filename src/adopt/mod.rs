//! `stackctl adopt`: existing resources into the stack. What a resource's stack-file section
//! says (`render.rs`, pure: live form in, TOML text out), the logical name it is given, and
//! the one write adoption makes on AWS, the stack's ownership tag (`tag.rs`).

mod render;
mod tag;

pub use render::{Section, function_section, table_section, topic_section};
pub use tag::tag_as_owned;

pub use crate::live::AdoptKind as Kind;

impl Kind {
    /// The stack file's section: `tables`, `functions`, `topics`.
    pub fn section(self) -> &'static str {
        match self {
            Kind::Table => "tables",
            Kind::Function => "functions",
            Kind::Topic => "topics",
        }
    }

    /// The word for it in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Function => "function",
            Kind::Topic => "topic",
        }
    }
}

/// The logical name a resource named `physical` on AWS gets in the stack `stack`: the part
/// after `<stack>-` (without a FIFO topic's `.fifo`) when it follows that form, else the whole
/// name, lowercased, with each character a logical name cannot hold made `-`. `None` when
/// that does not start with a letter (then `--as` must give one).
pub fn logical_name(stack: &str, physical: &str) -> Option<String> {
    let bare = physical.strip_suffix(".fifo").unwrap_or(physical);
    let rest = bare
        .strip_prefix(stack)
        .and_then(|r| r.strip_prefix('-'))
        .filter(|r| !r.is_empty())
        .unwrap_or(bare);
    let logical: String = rest
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => c,
            _ => '-',
        })
        .collect();
    logical
        .starts_with(|c: char| c.is_ascii_lowercase())
        .then_some(logical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_names_drop_the_stack_prefix() {
        assert_eq!(
            logical_name("shop", "shop-orders").as_deref(),
            Some("orders")
        );
        assert_eq!(
            logical_name("shop", "shop-events.fifo").as_deref(),
            Some("events")
        );
        assert_eq!(
            logical_name("shop", "Legacy.Orders").as_deref(),
            Some("legacy-orders")
        );
        assert_eq!(logical_name("shop", "shop-").as_deref(), Some("shop-"));
        assert_eq!(logical_name("shop", "2023-orders"), None);
    }
}
