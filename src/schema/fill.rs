//! The middleware of a write: defaults for absent attributes, and the timestamps stackctl
//! sets itself (`auto = "create"` and `auto = "update"`).

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::value::{Item, value_from_json};
use super::{Auto, Field, ItemSchema, TimestampFormat};

impl ItemSchema {
    /// Fills in the default of every declared attribute `item` lacks, also in declared maps
    /// it has. Defaults were checked against their declaration when the stack file was read.
    pub fn fill_defaults(&self, item: &mut Item) {
        fill(&self.fields, item, "");
    }

    /// Sets the `auto` timestamps to `now`: every `update` one; a `create` one only when the
    /// item is new (`before`, the stored item, has none) and the written item carries none
    /// (an import of old data keeps its times).
    pub fn stamp(&self, item: &mut Item, now: SystemTime, before: Option<&Item>) {
        for field in self.auto_fields(Auto::Update) {
            item.insert(field.name.clone(), now_stamp(field.spec.format, now));
        }
        for field in self.auto_fields(Auto::Create) {
            match before.and_then(|b| b.get(&field.name)) {
                Some(kept) => {
                    item.insert(field.name.clone(), kept.clone());
                }
                None => {
                    item.entry(field.name.clone())
                        .or_insert_with(|| now_stamp(field.spec.format, now));
                }
            }
        }
    }

    /// Whether writes need the stored items' creation times (see [`ItemSchema::stamp`]).
    pub fn keeps_creation_times(&self) -> bool {
        self.auto_fields(Auto::Create).next().is_some()
    }
}

fn fill(fields: &[Field], item: &mut Item, path: &str) {
    for field in fields {
        match item.get_mut(&field.name) {
            None => {
                if let Some(default) = &field.spec.default
                    && let Ok(value) = value_from_json(default, Some(&field.spec), &field.name)
                {
                    item.insert(field.name.clone(), value);
                }
            }
            Some(AttributeValue::M(map)) => {
                if let Some(inner) = &field.spec.fields {
                    fill(inner, map, &super::value::join(path, &field.name));
                }
            }
            Some(_) => {}
        }
    }
}

/// `now` as a timestamp attribute written in `format`. ISO 8601 is always UTC with three
/// fractional digits (`2026-12-07T19:49:09.040Z`): one length, so that string order is time
/// order.
pub fn now_stamp(format: TimestampFormat, now: SystemTime) -> AttributeValue {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    match format {
        TimestampFormat::Iso8601 => {
            let seconds = DateTime::from_secs(since.as_secs() as i64)
                .fmt(Format::DateTime)
                .unwrap_or_default();
            let whole = seconds.trim_end_matches('Z');
            AttributeValue::S(format!("{whole}.{:03}Z", since.subsec_millis()))
        }
        TimestampFormat::EpochSeconds => AttributeValue::N(since.as_secs().to_string()),
        TimestampFormat::EpochMillis => AttributeValue::N(since.as_millis().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::super::{FieldSpec, FieldType};
    use super::*;

    fn schema() -> ItemSchema {
        let stamp = |name: &str, auto, format| Field {
            name: name.into(),
            spec: FieldSpec {
                kind: FieldType::Timestamp,
                auto: Some(auto),
                format,
                ..FieldSpec::default()
            },
        };
        ItemSchema {
            strict: false,
            fields: vec![
                Field {
                    name: "status".into(),
                    spec: FieldSpec {
                        default: Some(json!("new")),
                        ..FieldSpec::default()
                    },
                },
                stamp("created_at", Auto::Create, TimestampFormat::Iso8601),
                stamp("updated_at", Auto::Update, TimestampFormat::EpochMillis),
            ],
        }
    }

    #[test]
    fn defaults_fill_only_what_is_absent() {
        let mut item = Item::from([("pk".to_string(), AttributeValue::S("a".into()))]);
        schema().fill_defaults(&mut item);
        assert_eq!(item["status"], AttributeValue::S("new".into()));
        item.insert("status".into(), AttributeValue::S("paid".into()));
        schema().fill_defaults(&mut item);
        assert_eq!(item["status"], AttributeValue::S("paid".into()));
    }

    #[test]
    fn creation_times_are_kept_and_update_times_are_now() {
        let now = UNIX_EPOCH + Duration::from_millis(1_800_000_000_123);
        let mut item = Item::new();
        schema().stamp(&mut item, now, None);
        assert_eq!(
            item["created_at"],
            AttributeValue::S("2027-01-15T08:00:00.123Z".into())
        );
        for (millis, stamp) in [
            (1_800_000_000_000, "2027-01-15T08:00:00.000Z"),
            (1_800_000_000_040, "2027-01-15T08:00:00.040Z"),
        ] {
            let now = UNIX_EPOCH + Duration::from_millis(millis);
            assert_eq!(
                now_stamp(TimestampFormat::Iso8601, now),
                AttributeValue::S(stamp.into())
            );
        }
        assert_eq!(
            item["updated_at"],
            AttributeValue::N("1800000000123".into())
        );
        let before = Item::from([(
            "created_at".to_string(),
            AttributeValue::S("2020-01-01T00:00:00Z".into()),
        )]);
        let mut again = Item::new();
        schema().stamp(&mut again, now, Some(&before));
        assert_eq!(again["created_at"], before["created_at"]);
    }
}
