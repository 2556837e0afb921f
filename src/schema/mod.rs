//! Item schemas: what a table's items look like (`[tables.NAME.items]` in the stack file),
//! checked where data enters outside the application (`stackctl items`, `import-table
//! --validate`). A pure library: the declared types here, the checks in `check.rs`, defaults
//! and timestamps (the middleware) in `fill.rs`, and items as plain JSON or DynamoDB JSON in
//! `value.rs`. It makes no AWS call and knows nothing of tables; the stack reader checks a
//! schema against its table's keys.

mod check;
mod fill;
mod limits;
mod value;
mod violation;

pub use check::type_name;
pub use limits::{dynamodb_violations, number_problem};
pub use value::{
    Item, item_from_dynamodb_json, item_from_json, item_to_json, value_from_json, value_to_json,
};
pub use violation::{Rule, Violation};

/// A table's item schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemSchema {
    /// Attributes not declared are violations (`false`: allowed and kept as they are).
    pub strict: bool,
    /// The declared attributes, in the file's order.
    pub fields: Vec<Field>,
}

/// One declared attribute (or map field).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub spec: FieldSpec,
}

/// What one attribute may hold: its type and rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldSpec {
    pub kind: FieldType,
    /// The attribute must be present (after defaults). Table keys always are.
    pub required: bool,
    /// Filled in when the attribute is absent, as plain JSON (see `value.rs`).
    pub default: Option<serde_json::Value>,
    /// `enum`: the only values allowed (strings or numbers).
    pub allowed: Vec<serde_json::Value>,
    /// Strings must match it (anywhere, unless it is anchored).
    pub pattern: Option<Pattern>,
    /// Numbers: the value; strings: characters; binary: bytes; sets and lists: elements.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Numbers must be whole.
    pub integer: bool,
    /// A list's elements.
    pub items: Option<Box<FieldSpec>>,
    /// A map's fields; `None`: any map.
    pub fields: Option<Vec<Field>>,
    /// How a timestamp is written.
    pub format: TimestampFormat,
    /// A timestamp stackctl sets when it writes the item.
    pub auto: Option<Auto>,
}

/// The types an attribute can be declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldType {
    #[default]
    String,
    Number,
    Binary,
    Boolean,
    Null,
    Map,
    List,
    StringSet,
    NumberSet,
    BinarySet,
    /// A string (ISO 8601) or a number (epoch seconds or milliseconds), by its format.
    Timestamp,
}

impl FieldType {
    pub const ALL: [FieldType; 11] = [
        FieldType::String,
        FieldType::Number,
        FieldType::Binary,
        FieldType::Boolean,
        FieldType::Null,
        FieldType::Map,
        FieldType::List,
        FieldType::StringSet,
        FieldType::NumberSet,
        FieldType::BinarySet,
        FieldType::Timestamp,
    ];

    /// The name the stack file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Binary => "binary",
            FieldType::Boolean => "boolean",
            FieldType::Null => "null",
            FieldType::Map => "map",
            FieldType::List => "list",
            FieldType::StringSet => "string-set",
            FieldType::NumberSet => "number-set",
            FieldType::BinarySet => "binary-set",
            FieldType::Timestamp => "timestamp",
        }
    }

    /// Whether `min` and `max` mean something for this type.
    pub fn has_size(self) -> bool {
        !matches!(
            self,
            FieldType::Boolean | FieldType::Null | FieldType::Map | FieldType::Timestamp
        )
    }
}

/// How a timestamp attribute is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampFormat {
    /// An RFC 3339 (ISO 8601) string in UTC or with an offset: `2026-11-24T10:00:00Z`.
    #[default]
    Iso8601,
    /// A whole number of seconds since 1970-01-01T00:00:00Z: what DynamoDB's TTL reads.
    EpochSeconds,
    /// A whole number of milliseconds since the epoch.
    EpochMillis,
}

impl TimestampFormat {
    pub const ALL: [TimestampFormat; 3] = [
        TimestampFormat::Iso8601,
        TimestampFormat::EpochSeconds,
        TimestampFormat::EpochMillis,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimestampFormat::Iso8601 => "iso8601",
            TimestampFormat::EpochSeconds => "epoch-seconds",
            TimestampFormat::EpochMillis => "epoch-millis",
        }
    }
}

/// When stackctl sets a timestamp itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auto {
    /// When the item is put new; an item that exists keeps its value.
    Create,
    /// On every write.
    Update,
}

/// A compiled `pattern`, compared by its text.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl ItemSchema {
    /// The declared attribute `name`.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        find(&self.fields, name)
    }

    /// The attributes stackctl sets on `auto`.
    pub fn auto_fields(&self, auto: Auto) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(move |f| f.spec.auto == Some(auto))
    }
}

fn find<'a>(fields: &'a [Field], name: &str) -> Option<&'a FieldSpec> {
    fields.iter().find(|f| f.name == name).map(|f| &f.spec)
}
