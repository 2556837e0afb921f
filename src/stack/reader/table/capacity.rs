//! `read_capacity` and `write_capacity`, of a provisioned table and of its global indexes:
//! a number of capacity units, or `{ min, max, target, ... }` for auto scaling.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::limits;
use crate::stack::reader::typed::{Reader, Value, entry};
use crate::stack::spec::{Autoscaling, CapacityScaling};

const AUTOSCALING_KEYS: &[&str] = &[
    "min",
    "max",
    "target",
    "scale_in_cooldown",
    "scale_out_cooldown",
];

/// Cooldowns are whole seconds; AWS documents no maximum
/// (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html>),
/// so a day stands for "a mistake".
const MAX_COOLDOWN_SECONDS: i64 = 86_400;

/// One capacity as the stack file gives it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Capacity {
    Fixed(i64),
    Scaled(Autoscaling),
}

impl Capacity {
    /// The capacity units a new table or index starts with: the minimum when scaled.
    pub(super) fn units(self) -> i64 {
        match self {
            Capacity::Fixed(n) => n,
            Capacity::Scaled(a) => a.min,
        }
    }

    pub(super) fn scaling(self) -> Option<Autoscaling> {
        match self {
            Capacity::Fixed(_) => None,
            Capacity::Scaled(a) => Some(a),
        }
    }
}

/// The auto scaling of a read and a write capacity.
pub(super) fn scaling_of(read: Option<Capacity>, write: Option<Capacity>) -> CapacityScaling {
    CapacityScaling {
        read: read.and_then(Capacity::scaling),
        write: write.and_then(Capacity::scaling),
    }
}

/// A capacity as written: where its key is, and the capacity when it reads.
pub(super) type Written = Option<(Range<usize>, Option<Capacity>)>;

impl Reader<'_> {
    /// `read_capacity` and `write_capacity` of `t`, each where written.
    pub(super) fn capacities(&mut self, t: &DeTable<'_>) -> (Written, Written) {
        let read =
            entry(t, "read_capacity").map(|(k, v)| (k.span(), self.capacity(v, "read_capacity")));
        let write =
            entry(t, "write_capacity").map(|(k, v)| (k.span(), self.capacity(v, "write_capacity")));
        (read, write)
    }

    fn capacity(&mut self, value: &Value<'_>, what: &str) -> Option<Capacity> {
        match value.get_ref() {
            DeValue::Table(t) => self.autoscaling(t, value, what).map(Capacity::Scaled),
            _ => self
                .int(value, what, 1..=limits::MAX_CAPACITY_UNITS)
                .map(Capacity::Fixed),
        }
    }

    /// `{ min, max, target, scale_in_cooldown, scale_out_cooldown }`.
    fn autoscaling(
        &mut self,
        t: &DeTable<'_>,
        value: &Value<'_>,
        what: &str,
    ) -> Option<Autoscaling> {
        let place = format!("in {what}'s auto scaling");
        self.unknown_keys(t, AUTOSCALING_KEYS, &place);
        let units = 1..=limits::MAX_CAPACITY_UNITS;
        let need = |reader: &mut Self, key: &str, range: std::ops::RangeInclusive<i64>| match entry(
            t, key,
        ) {
            Some((_, v)) => reader.int(v, &format!("{what}.{key}"), range),
            None => {
                reader.problem(
                        Problem::new(
                            format!("{what} auto scaling has no {key}"),
                            value.span(),
                            "auto scaling",
                        )
                        .help(format!(
                            "write {what} = {{ min = 5, max = 500, target = 70 }}, or a number for fixed capacity"
                        )),
                    );
                None
            }
        };
        let min = need(self, "min", units.clone());
        let max = need(self, "max", units);
        let target = need(self, "target", limits::AUTOSCALING_TARGET);
        let cooldown = |reader: &mut Self, key: &str| {
            reader.optional(t, key, |r, v| {
                r.int(v, &format!("{what}.{key}"), 0..=MAX_COOLDOWN_SECONDS)
            })
        };
        let scale_in_cooldown = cooldown(self, "scale_in_cooldown");
        let scale_out_cooldown = cooldown(self, "scale_out_cooldown");
        if let (Some(min), Some(max), Some((_, v))) = (min, max, entry(t, "max"))
            && max < min
        {
            self.problem(
                Problem::new(
                    format!("{what}.max = {max} is below min = {min}"),
                    v.span(),
                    "below min",
                )
                .help("max must be at least min"),
            );
            return None;
        }
        Some(Autoscaling {
            min: min?,
            max: max?,
            target: target?,
            scale_in_cooldown: scale_in_cooldown?,
            scale_out_cooldown: scale_out_cooldown?,
        })
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
            if let Some((span, capacity)) = found {
                let (message, label) = match capacity {
                    Some(Capacity::Scaled(_)) => (
                        format!(
                            "{} (auto scaling needs provisioned capacity)",
                            message(name)
                        ),
                        "only for provisioned tables",
                    ),
                    _ => (message(name), "only for provisioned tables"),
                };
                self.problem(Problem::new(message, span.clone(), label).help(help));
            }
        }
    }
}
