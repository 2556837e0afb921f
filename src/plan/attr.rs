//! Attribute names as a typed contract between the planner and apply: each resource kind
//! names its attributes in one enum (`TableAttr`, `FunctionAttr`, `RoleAttr`), the planner
//! writes them into a change's attribute maps and apply asks whether one changed
//! ([`super::Change::changed`]), so a misspelt name is a compile error, not a silently
//! skipped update. A new kind declares its enum with [`attr_names!`].

/// One attribute name of a resource kind, as plans show it and apply reads it.
pub trait AttrName: Copy {
    /// The name in plans (text and JSON) and saved plans: `ttl_attribute`.
    fn as_str(self) -> &'static str;
}

/// Declares the attribute names of one resource kind: an enum whose variants map to the names
/// plans show, implementing [`AttrName`] and `Into<String>` (for attribute maps).
macro_rules! attr_names {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $crate::plan::attr::AttrName for $name {
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                $crate::plan::attr::AttrName::as_str(name).to_string()
            }
        }
    };
}
pub(crate) use attr_names;
