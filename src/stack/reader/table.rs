//! `[tables.NAME]`: keys, billing, stream, class, and global and local indexes.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Key, Reader, Value, entry, limits};
use crate::stack::diagnostic::Problem;
use crate::stack::{
    Billing, GlobalIndexSpec, KeySpec, KeyType, LocalIndexSpec, Projection, StreamView, TableClass,
    TableSpec,
};

const TABLE_KEYS: &[&str] = &[
    "partition_key",
    "sort_key",
    "billing",
    "read_capacity",
    "write_capacity",
    "ttl_attribute",
    "stream",
    "point_in_time_recovery",
    "deletion_protection",
    "table_class",
    "global_indexes",
    "local_indexes",
    "tags",
];
const KEY_KEYS: &[&str] = &["name", "type"];
const GLOBAL_INDEX_KEYS: &[&str] = &[
    "name",
    "partition_key",
    "sort_key",
    "projection",
    "read_capacity",
    "write_capacity",
];
const LOCAL_INDEX_KEYS: &[&str] = &["name", "sort_key", "projection"];
/// DynamoDB's limits per table.
const MAX_GLOBAL_INDEXES: usize = 20;
const MAX_LOCAL_INDEXES: usize = 5;
const MAX_PROJECTED_ATTRIBUTES: usize = 100;

/// A key attribute and where it is declared, to find attributes declared with two types.
type KeySite = (KeySpec, Range<usize>);

impl Reader<'_> {
    pub(super) fn table(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<TableSpec> {
        let what = format!("[tables.{}]", key.get_ref());
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, TABLE_KEYS, &format!("in {what}"));
        let mut sites: Vec<KeySite> = Vec::new();
        let partition_key = match entry(t, "partition_key") {
            Some((_, v)) => self.key_spec(v, "partition_key", &mut sites),
            None => {
                self.problem(
                    Problem::new(
                        format!("{what} has no partition_key"),
                        key.span(),
                        "this table",
                    )
                    .help("add partition_key = { name = \"pk\", type = \"string\" }"),
                );
                None
            }
        };
        let sort_key =
            entry(t, "sort_key").and_then(|(_, v)| self.key_spec(v, "sort_key", &mut sites));
        if let (Some(pk), Some(sk)) = (&partition_key, &sort_key)
            && pk.name == sk.name
            && let Some((_, v)) = entry(t, "sort_key")
        {
            self.problem(
                Problem::new(
                    format!("sort_key uses the partition key's attribute {:?}", sk.name),
                    v.span(),
                    "same attribute as the partition key",
                )
                .help("the sort key must be a different attribute"),
            );
        }
        let billing = self.billing(t, key, &what);
        let ttl_attribute = entry(t, "ttl_attribute")
            .and_then(|(_, v)| self.string(v, "ttl_attribute"))
            .and_then(|a| self.attribute_name(a, "ttl_attribute"));
        let stream = entry(t, "stream").and_then(|(_, v)| self.stream(v));
        let table_class = match entry(t, "table_class") {
            None => Some(TableClass::Standard),
            Some((_, v)) => self.table_class(v),
        };
        let pitr = self.opt_bool(t, "point_in_time_recovery").unwrap_or(false);
        let deletion_protection = self.opt_bool(t, "deletion_protection").unwrap_or(true);
        let global_indexes = self.global_indexes(t, billing, &mut sites);
        let local_indexes = self.local_indexes(t, key, sort_key.is_some(), &mut sites);
        self.check_index_names(t);
        self.check_projected_total(t);
        self.check_key_types(&sites);
        let tags = self.tags(t);
        Some(TableSpec {
            logical: key.get_ref().to_string(),
            partition_key: partition_key?,
            sort_key,
            billing: billing?,
            ttl_attribute,
            stream,
            point_in_time_recovery: pitr,
            deletion_protection,
            table_class: table_class?,
            global_indexes: global_indexes?,
            local_indexes: local_indexes?,
            tags,
        })
    }

    fn billing(&mut self, t: &DeTable<'_>, key: &Key<'_>, what: &str) -> Option<Billing> {
        let mode = match entry(t, "billing") {
            Some((_, v)) => {
                let mode = self.string(v, "billing")?;
                match mode.get_ref().as_str() {
                    "on-demand" | "provisioned" => Some(mode),
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown billing mode {other:?}"),
                                mode.span(),
                                "not a billing mode",
                            )
                            .help("use billing = \"on-demand\" or billing = \"provisioned\""),
                        );
                        return None;
                    }
                }
            }
            None => None,
        };
        let read = entry(t, "read_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "read_capacity", 1..=40_000)));
        let write = entry(t, "write_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "write_capacity", 1..=40_000)));
        let provisioned = mode.as_ref().is_some_and(|m| m.get_ref() == "provisioned");
        if provisioned {
            let missing: Vec<&str> = [("read_capacity", &read), ("write_capacity", &write)]
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| *n)
                .collect();
            if !missing.is_empty() {
                let span = mode.as_ref().map_or(key.span(), Spanned::span);
                self.problem(
                    Problem::new(
                        format!("{what} is provisioned but has no {}", missing.join(" or ")),
                        span,
                        "provisioned billing",
                    )
                    .help("add read_capacity = 5 and write_capacity = 5, or use billing = \"on-demand\""),
                );
                return None;
            }
            Some(Billing::Provisioned {
                read_capacity: read?.1?,
                write_capacity: write?.1?,
            })
        } else {
            for (name, found) in [("read_capacity", &read), ("write_capacity", &write)] {
                if let Some((span, _)) = found {
                    self.problem(
                        Problem::new(
                            format!("{name} is set but {what} is billed on demand"),
                            span.clone(),
                            "only for provisioned tables",
                        )
                        .help("add billing = \"provisioned\", or remove the capacity"),
                    );
                }
            }
            Some(Billing::OnDemand)
        }
    }

    fn key_spec(
        &mut self,
        value: &Value<'_>,
        what: &str,
        sites: &mut Vec<KeySite>,
    ) -> Option<KeySpec> {
        let t = self.as_table(value, what)?;
        self.unknown_keys(t, KEY_KEYS, &format!("in {what}"));
        let name = match entry(t, "name") {
            Some((_, v)) => self
                .string(v, &format!("{what} name"))
                .and_then(|n| self.attribute_name(n, &format!("{what} name")))
                .map(|n| Spanned::new(v.span(), n)),
            None => {
                self.problem(
                    Problem::new(format!("{what} has no name"), value.span(), "here").help(
                        format!("write {what} = {{ name = \"pk\", type = \"string\" }}"),
                    ),
                );
                None
            }
        };
        let key_type = match entry(t, "type") {
            Some((_, v)) => {
                let s = self.string(v, &format!("{what} type"))?;
                match s.get_ref().as_str() {
                    "string" => Some(KeyType::String),
                    "number" => Some(KeyType::Number),
                    "binary" => Some(KeyType::Binary),
                    other => {
                        self.problem(
                            Problem::new(
                                format!("unknown key type {other:?}"),
                                s.span(),
                                "not a key type",
                            )
                            .help("use \"string\", \"number\" or \"binary\""),
                        );
                        None
                    }
                }
            }
            None => {
                self.problem(
                    Problem::new(format!("{what} has no type"), value.span(), "here")
                        .help("add type = \"string\", \"number\" or \"binary\""),
                );
                None
            }
        };
        let spec = KeySpec {
            name: name?.into_inner(),
            key_type: key_type?,
        };
        sites.push((spec.clone(), value.span()));
        Some(spec)
    }

    fn stream(&mut self, value: &Value<'_>) -> Option<StreamView> {
        let s = self.string(value, "stream")?;
        let found = StreamView::ALL
            .into_iter()
            .find(|v| v.as_str() == s.get_ref());
        if found.is_none() {
            let names: Vec<String> = StreamView::ALL
                .iter()
                .map(|v| format!("{:?}", v.as_str()))
                .collect();
            self.problem(
                Problem::new(
                    format!("unknown stream view {:?}", s.get_ref()),
                    s.span(),
                    "not a stream view",
                )
                .help(format!(
                    "use one of {}; leave stream out for no stream",
                    names.join(", ")
                )),
            );
        }
        found
    }

    fn table_class(&mut self, value: &Value<'_>) -> Option<TableClass> {
        let s = self.string(value, "table_class")?;
        match s.get_ref().as_str() {
            "standard" => Some(TableClass::Standard),
            "standard-infrequent-access" => Some(TableClass::StandardInfrequentAccess),
            other => {
                self.problem(
                    Problem::new(
                        format!("unknown table class {other:?}"),
                        s.span(),
                        "not a table class",
                    )
                    .help("use \"standard\" or \"standard-infrequent-access\""),
                );
                None
            }
        }
    }

    /// The entries of `[[tables.NAME.<key>]]`, each a table.
    fn index_entries<'a, 'i>(
        &mut self,
        t: &'a DeTable<'i>,
        key: &str,
        max: usize,
    ) -> Vec<&'a Value<'i>> {
        let Some((k, value)) = entry(t, key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                Problem::new(
                    format!("{key} must be a list of tables"),
                    value.span(),
                    "expected [[...]] entries",
                )
                .help(format!(
                    "declare each index in its own [[tables.NAME.{key}]] section"
                )),
            );
            return Vec::new();
        };
        if items.len() > max {
            self.problem(
                Problem::new(
                    format!("{} {key}, more than DynamoDB's {max}", items.len()),
                    k.span(),
                    "too many",
                )
                .help("remove indexes, or split the data across tables"),
            );
        }
        items.iter().collect()
    }

    fn global_indexes(
        &mut self,
        t: &DeTable<'_>,
        billing: Option<Billing>,
        sites: &mut Vec<KeySite>,
    ) -> Option<Vec<GlobalIndexSpec>> {
        let mut out = Vec::new();
        let mut ok = true;
        for value in self.index_entries(t, "global_indexes", MAX_GLOBAL_INDEXES) {
            match self.global_index(value, billing, sites) {
                Some(index) => out.push(index),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn global_index(
        &mut self,
        value: &Value<'_>,
        billing: Option<Billing>,
        sites: &mut Vec<KeySite>,
    ) -> Option<GlobalIndexSpec> {
        let t = self.as_table(value, "a global index")?;
        self.unknown_keys(t, GLOBAL_INDEX_KEYS, "in a global index");
        let name = self.index_name(t, value);
        let partition_key = match entry(t, "partition_key") {
            Some((_, v)) => self.key_spec(v, "partition_key", sites),
            None => {
                self.problem(
                    Problem::new(
                        "a global index has no partition_key",
                        value.span(),
                        "this index",
                    )
                    .help("add partition_key = { name = \"customer\", type = \"string\" }"),
                );
                None
            }
        };
        let sort_key = entry(t, "sort_key").and_then(|(_, v)| self.key_spec(v, "sort_key", sites));
        if let (Some(pk), Some(sk), Some((_, v))) =
            (&partition_key, &sort_key, entry(t, "sort_key"))
            && pk.name == sk.name
        {
            // CreateTable / UpdateTable refuse a key schema whose two keys are one attribute.
            self.problem(
                Problem::new(
                    format!(
                        "sort_key uses the index's partition key attribute {:?}",
                        sk.name
                    ),
                    v.span(),
                    "same attribute as the partition key",
                )
                .help("the sort key must be a different attribute"),
            );
        }
        let projection = self.projection(t);
        let read = entry(t, "read_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "read_capacity", 1..=40_000)));
        let write = entry(t, "write_capacity")
            .map(|(k, v)| (k.span(), self.int(v, "write_capacity", 1..=40_000)));
        let capacity = match billing {
            Some(Billing::Provisioned {
                read_capacity,
                write_capacity,
            }) => {
                let read = read.map_or(Some(read_capacity), |(_, r)| r);
                let write = write.map_or(Some(write_capacity), |(_, w)| w);
                Some((read?, write?))
            }
            _ => {
                for (name, found) in [("read_capacity", &read), ("write_capacity", &write)] {
                    if let Some((span, _)) = found {
                        self.problem(
                            Problem::new(
                                format!("{name} is set on an index of a table billed on demand"),
                                span.clone(),
                                "only for provisioned tables",
                            )
                            .help("remove it: on-demand indexes scale with the table"),
                        );
                    }
                }
                None
            }
        };
        Some(GlobalIndexSpec {
            name: name?,
            partition_key: partition_key?,
            sort_key,
            projection: projection?,
            capacity,
        })
    }

    fn local_indexes(
        &mut self,
        t: &DeTable<'_>,
        table_key: &Key<'_>,
        table_has_sort_key: bool,
        sites: &mut Vec<KeySite>,
    ) -> Option<Vec<LocalIndexSpec>> {
        let entries = self.index_entries(t, "local_indexes", MAX_LOCAL_INDEXES);
        if !entries.is_empty() && !table_has_sort_key {
            self.problem(
                Problem::new(
                    "local indexes need a table with a sort key",
                    table_key.span(),
                    "this table has no sort_key",
                )
                .help("add a sort_key to the table, or use a global index"),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for value in entries {
            let Some(t) = self.as_table(value, "a local index") else {
                ok = false;
                continue;
            };
            self.unknown_keys(t, LOCAL_INDEX_KEYS, "in a local index");
            let name = self.index_name(t, value);
            let sort_key = match entry(t, "sort_key") {
                Some((_, v)) => self.key_spec(v, "sort_key", sites),
                None => {
                    self.problem(
                        Problem::new("a local index has no sort_key", value.span(), "this index")
                            .help("add sort_key = { name = \"status\", type = \"string\" }; a local index shares the table's partition key"),
                    );
                    None
                }
            };
            let projection = self.projection(t);
            match (name, sort_key, projection) {
                (Some(name), Some(sort_key), Some(projection)) => out.push(LocalIndexSpec {
                    name,
                    sort_key,
                    projection,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn index_name(&mut self, t: &DeTable<'_>, index: &Value<'_>) -> Option<String> {
        let Some((_, value)) = entry(t, "name") else {
            self.problem(
                Problem::new("an index has no name", index.span(), "this index")
                    .help("add name = \"by-customer\""),
            );
            return None;
        };
        let name = self.string(value, "index name")?;
        let valid = (3..=255).contains(&name.get_ref().len())
            && name
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            self.problem(
                Problem::new(
                    format!("invalid index name {:?}", name.get_ref()),
                    name.span(),
                    "not a valid index name",
                )
                .help("use 3 to 255 letters, digits, '_', '-' and '.'"),
            );
            return None;
        }
        Some(name.into_inner())
    }

    fn projection(&mut self, t: &DeTable<'_>) -> Option<Projection> {
        let Some((_, value)) = entry(t, "projection") else {
            return Some(Projection::All);
        };
        let help = "use projection = \"all\", \"keys-only\", or a list of attributes to include: [\"total\", \"status\"]";
        match value.get_ref() {
            DeValue::String(s) if s == "all" => Some(Projection::All),
            DeValue::String(s) if s == "keys-only" => Some(Projection::KeysOnly),
            DeValue::Array(items)
                if !items.is_empty() && items.len() <= MAX_PROJECTED_ATTRIBUTES =>
            {
                let attrs: Option<Vec<String>> = items
                    .iter()
                    .map(|i| {
                        self.string(i, "a projected attribute")
                            .and_then(|a| self.attribute_name(a, "a projected attribute"))
                    })
                    .collect();
                attrs.map(Projection::Include)
            }
            _ => {
                self.problem(
                    Problem::new("invalid projection", value.span(), "not a projection").help(help),
                );
                None
            }
        }
    }

    /// A DynamoDB attribute name: 1 to 255 bytes ([`limits::MAX_ATTRIBUTE_NAME`]).
    fn attribute_name(&mut self, name: Spanned<String>, what: &str) -> Option<String> {
        let len = name.get_ref().len();
        if (1..=limits::MAX_ATTRIBUTE_NAME).contains(&len) {
            return Some(name.into_inner());
        }
        let (message, label) = if len == 0 {
            (format!("{what} is empty"), "empty")
        } else {
            (
                format!(
                    "{what} has {len} bytes, more than DynamoDB's {}",
                    limits::MAX_ATTRIBUTE_NAME
                ),
                "too long",
            )
        };
        self.problem(
            Problem::new(message, name.span(), label)
                .help("DynamoDB attribute names have 1 to 255 bytes"),
        );
        None
    }

    /// DynamoDB counts the attributes that `include` projections name across all of a table's
    /// indexes: at most [`limits::MAX_PROJECTED_TOTAL`].
    fn check_projected_total(&mut self, t: &DeTable<'_>) {
        let mut total = 0;
        let mut last = None;
        for key in ["global_indexes", "local_indexes"] {
            let Some((_, DeValue::Array(items))) = entry(t, key).map(|(k, v)| (k, v.get_ref()))
            else {
                continue;
            };
            for item in items.iter() {
                if let Some((_, v)) = item
                    .get_ref()
                    .as_table()
                    .and_then(|i| entry(i, "projection"))
                    && let DeValue::Array(attrs) = v.get_ref()
                {
                    total += attrs.len();
                    last = Some(v.span());
                }
            }
        }
        if total > limits::MAX_PROJECTED_TOTAL
            && let Some(span) = last
        {
            self.problem(
                Problem::new(
                    format!(
                        "the table's indexes project {total} attributes, more than DynamoDB's {} in all",
                        limits::MAX_PROJECTED_TOTAL
                    ),
                    span,
                    "passes the total here",
                )
                .help("DynamoDB counts every attribute named in an include projection, across all of a table's indexes (twice if in two); use projection = \"all\" for some"),
            );
        }
    }

    /// Index names are unique across a table's global and local indexes.
    fn check_index_names(&mut self, t: &DeTable<'_>) {
        let mut seen: Vec<(String, Range<usize>)> = Vec::new();
        for key in ["global_indexes", "local_indexes"] {
            let Some((_, value)) = entry(t, key) else {
                continue;
            };
            let DeValue::Array(items) = value.get_ref() else {
                continue;
            };
            for item in items.iter() {
                let Some(DeValue::String(name)) = item
                    .get_ref()
                    .as_table()
                    .and_then(|t| entry(t, "name"))
                    .map(|(_, v)| v.get_ref())
                else {
                    continue;
                };
                let span = item
                    .get_ref()
                    .as_table()
                    .and_then(|t| entry(t, "name"))
                    .map_or(item.span(), |(_, v)| v.span());
                if let Some((_, first)) = seen.iter().find(|(n, _)| n == name.as_ref()) {
                    let problem = Problem::new(
                        format!("two indexes are named {name:?}"),
                        span.clone(),
                        "second use",
                    )
                    .also(first.clone(), "first use")
                    .help("give each index of a table its own name");
                    self.problem(problem);
                } else {
                    seen.push((name.to_string(), span));
                }
            }
        }
    }

    /// DynamoDB defines each key attribute once, with one type.
    fn check_key_types(&mut self, sites: &[KeySite]) {
        for (i, (key, span)) in sites.iter().enumerate() {
            if let Some((first, first_span)) = sites[..i]
                .iter()
                .find(|(k, _)| k.name == key.name && k.key_type != key.key_type)
            {
                let problem = Problem::new(
                    format!(
                        "attribute {:?} is declared as {} here but as {} before",
                        key.name,
                        key.key_type.as_str(),
                        first.key_type.as_str()
                    ),
                    span.clone(),
                    format!("{} here", key.key_type.as_str()),
                )
                .also(first_span.clone(), format!("{} here", first.key_type.as_str()))
                .help("an attribute has one type wherever it is used as a key; use the same type, or another attribute");
                self.problem(problem);
            }
        }
    }
}
