//! `[tables.NAME]`: billing, stream and class here; keys and indexes in their own files.

mod capacity;
mod indexes;
mod item_keys;
mod items;
mod keys;

use keys::KeySite;

use toml::Spanned;
use toml::de::DeTable;

use crate::stack::diagnostic::Problem;
use crate::stack::reader::typed::{Key, Reader, Value, entry};
use crate::stack::spec::{Billing, CapacityScaling, StreamView, TableClass, TableSpec};

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
    "name",
    "items",
];

impl Reader<'_> {
    pub(super) fn table(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<TableSpec> {
        let what = format!("[tables.{}]", key.get_ref());
        let t = self.as_table(value, &what)?;
        self.unknown_keys(t, TABLE_KEYS, &format!("in {what}"));
        let mut sites: Vec<KeySite> = Vec::new();
        let partition_key = self
            .required(t, "partition_key", || {
                Problem::new(
                    format!("{what} has no partition_key"),
                    key.span(),
                    "this table",
                )
                .help("add partition_key = { name = \"pk\", type = \"string\" }")
            })
            .and_then(|v| self.key_spec(v, "partition_key", &mut sites));
        let sort_key =
            entry(t, "sort_key").and_then(|(_, v)| self.key_spec(v, "sort_key", &mut sites));
        let table_keys = sites.len();
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
        let provisioning = self.billing(t, key, &what);
        let billing = provisioning.map(|(b, _)| b);
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
        let global_indexes = self.global_indexes(t, provisioning, &mut sites);
        let local_indexes = self.local_indexes(t, key, sort_key.is_some(), &mut sites);
        self.check_index_names(t);
        self.check_projected_total(t);
        self.check_key_types(&sites);
        let tags = self.tags(t);
        let ttl_site = entry(t, "ttl_attribute").map(|(_, v)| v.span());
        let keys = items::TableKeys {
            sites: &sites,
            table_keys,
            ttl: ttl_attribute.clone().zip(ttl_site),
        };
        let items = self.item_schema(t, key.get_ref(), &keys);
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
            items,
            autoscaling: provisioning.map(|(_, s)| s).unwrap_or_default(),
        })
    }

    /// The billing mode, with the capacity's auto scaling on a provisioned table.
    fn billing(
        &mut self,
        t: &DeTable<'_>,
        key: &Key<'_>,
        what: &str,
    ) -> Option<(Billing, CapacityScaling)> {
        let mode = match entry(t, "billing") {
            Some((_, v)) => {
                let mode = self.string(v, "billing")?;
                self.one_of(
                    &mode,
                    &[("on-demand", ()), ("provisioned", ())],
                    "billing mode",
                    "not a billing mode",
                    "use billing = \"on-demand\" or billing = \"provisioned\"",
                )?;
                Some(mode)
            }
            None => None,
        };
        let (read, write) = self.capacities(t);
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
            let (read, write) = (read?.1?, write?.1?);
            let billing = Billing::Provisioned {
                read_capacity: read.units(),
                write_capacity: write.units(),
            };
            Some((billing, capacity::scaling_of(Some(read), Some(write))))
        } else {
            self.capacity_on_demand(
                (&read, &write),
                |name| format!("{name} is set but {what} is billed on demand"),
                "add billing = \"provisioned\", or remove the capacity",
            );
            Some((Billing::OnDemand, CapacityScaling::default()))
        }
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
        self.one_of(
            &s,
            &[
                ("standard", TableClass::Standard),
                (
                    "standard-infrequent-access",
                    TableClass::StandardInfrequentAccess,
                ),
            ],
            "table class",
            "not a table class",
            "use \"standard\" or \"standard-infrequent-access\"",
        )
    }
}
