//! `[inputs]`: values from outside the stack, read at plan time and used as
//! `${inputs.NAME}` wherever references work. An input names an SSM parameter
//! (`NAME = { ssm = "/shop/x" }`); `${inputs.NAME}` reads as `${ssm:/shop/x}`, so it is read
//! with the other SSM values and hidden in plans when the parameter is a SecureString.

use toml::de::DeTable;

use std::ops::Range;

use super::declared::Declared;
use super::typed::{Reader, entry};
use crate::stack::diagnostic::Problem;
use crate::stack::reference::{self, RefTarget, Reference};

const INPUT_HELP: &str = "write NAME = { ssm = \"/parameter/name\" }, and use it as ${inputs.NAME}";

impl Reader<'_> {
    /// What `${inputs.NAME}` stands for: the SSM parameter's value; a problem at `span` when
    /// the file declares no such input.
    pub(super) fn input(
        &mut self,
        name: &str,
        span: Range<usize>,
        declared: &Declared,
    ) -> Option<Reference> {
        let found = declared.inputs.get(name).and_then(|parameter| {
            reference::interpret(&format!("ssm:{parameter}"))
                .ok()
                .filter(|r| matches!(r.target, RefTarget::Ssm(_)))
        });
        if found.is_some() {
            return found;
        }
        let names: Vec<&str> = declared.inputs.keys().map(String::as_str).collect();
        let help = if names.is_empty() {
            INPUT_HELP.to_string()
        } else {
            format!("declared inputs: {}", names.join(", "))
        };
        self.problem(
            Problem::new(format!("unknown input {name:?}"), span, "no such input").help(help),
        );
        None
    }

    /// Checks `[inputs]`: each a table with a valid `ssm` parameter name.
    pub(super) fn check_inputs(&mut self, doc: &DeTable<'_>) {
        let Some((_, value)) = entry(doc, "inputs") else {
            return;
        };
        let Some(inputs) = self.as_table(value, "[inputs]") else {
            return;
        };
        for (name, value) in inputs.iter() {
            let place = format!("in input {}", name.get_ref());
            let Some(t) = self.as_table(value, &format!("input {}", name.get_ref())) else {
                continue;
            };
            if let Some((key, _)) = entry(t, "stack") {
                self.problem(
                    Problem::new("inputs from another stack's outputs are not supported yet", key.span(), "not yet")
                        .help("have the other stack's value in an SSM parameter, and read it with { ssm = \"/parameter/name\" }"),
                );
                continue;
            }
            self.unknown_keys(t, &["ssm"], &place);
            let Some(parameter) = self.required(t, "ssm", || {
                Problem::new(
                    format!("input {} has no ssm", name.get_ref()),
                    value.span(),
                    "here",
                )
                .help(INPUT_HELP)
            }) else {
                continue;
            };
            let Some(parameter) = self.string(parameter, "ssm") else {
                continue;
            };
            if reference::interpret(&format!("ssm:{}", parameter.get_ref())).is_err() {
                self.problem(
                    Problem::new("invalid SSM parameter name", parameter.span(), "here")
                        .help("use letters, digits and / _ . -, like \"/shop/orders-table\""),
                );
            }
        }
    }
}
