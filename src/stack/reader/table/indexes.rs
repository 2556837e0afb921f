//! `[[tables.NAME.global_indexes]]` and `[[tables.NAME.local_indexes]]`.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::limits;
use crate::stack::reader::typed::{Key, Reader, Value, entry};
use crate::stack::spec::{Billing, CapacityScaling, GlobalIndexSpec, LocalIndexSpec, Projection};

use super::capacity::{self, Capacity};
use super::keys::KeySite;

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

impl Reader<'_> {
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

    pub(super) fn global_indexes(
        &mut self,
        t: &DeTable<'_>,
        billing: Option<(Billing, CapacityScaling)>,
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
        billing: Option<(Billing, CapacityScaling)>,
        sites: &mut Vec<KeySite>,
    ) -> Option<GlobalIndexSpec> {
        let t = self.as_table(value, "a global index")?;
        self.unknown_keys(t, GLOBAL_INDEX_KEYS, "in a global index");
        let name = self.index_name(t, value);
        let partition_key = self
            .required(t, "partition_key", || {
                Problem::new(
                    "a global index has no partition_key",
                    value.span(),
                    "this index",
                )
                .help("add partition_key = { name = \"customer\", type = \"string\" }")
            })
            .and_then(|v| self.key_spec(v, "partition_key", sites));
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
        let (capacity, autoscaling) = self.index_capacity(t, billing)?;
        Some(GlobalIndexSpec {
            name: name?,
            partition_key: partition_key?,
            sort_key,
            projection: projection?,
            capacity,
            autoscaling,
        })
    }

    /// An index's capacity (read and write units) and auto scaling: its own, or where it sets
    /// none the table's, auto scaling included; none on a table billed on demand (where
    /// setting any is a problem) or whose billing has a problem of its own.
    fn index_capacity(
        &mut self,
        t: &DeTable<'_>,
        billing: Option<(Billing, CapacityScaling)>,
    ) -> Option<(Option<(i64, i64)>, CapacityScaling)> {
        let (read, write) = self.capacities(t);
        Some(match billing {
            Some((
                Billing::Provisioned {
                    read_capacity,
                    write_capacity,
                },
                table,
            )) => {
                let read = read.map_or(Some(Capacity::Fixed(read_capacity)), |(_, r)| r);
                let write = write.map_or(Some(Capacity::Fixed(write_capacity)), |(_, w)| w);
                let (read, write) = (read?, write?);
                let mut scaling = capacity::scaling_of(Some(read), Some(write));
                let (own_read, own_write) = (entry(t, "read_capacity"), entry(t, "write_capacity"));
                if own_read.is_none() {
                    scaling.read = table.read;
                }
                if own_write.is_none() {
                    scaling.write = table.write;
                }
                (Some((read.units(), write.units())), scaling)
            }
            // The table's billing has a problem of its own: nothing to check against.
            None => (None, CapacityScaling::default()),
            Some((Billing::OnDemand, _)) => {
                self.capacity_on_demand(
                    (&read, &write),
                    |name| format!("{name} is set on an index of a table billed on demand"),
                    "remove it: on-demand indexes scale with the table",
                );
                (None, CapacityScaling::default())
            }
        })
    }

    pub(super) fn local_indexes(
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
            let sort_key = self
                .required(t, "sort_key", || {
                    Problem::new("a local index has no sort_key", value.span(), "this index")
                        .help("add sort_key = { name = \"status\", type = \"string\" }; a local index shares the table's partition key")
                })
                .and_then(|v| self.key_spec(v, "sort_key", sites));
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

    /// DynamoDB counts the attributes that `include` projections name across all of a table's
    /// indexes: at most [`limits::MAX_PROJECTED_TOTAL`].
    pub(super) fn check_projected_total(&mut self, t: &DeTable<'_>) {
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
    pub(super) fn check_index_names(&mut self, t: &DeTable<'_>) {
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
}
