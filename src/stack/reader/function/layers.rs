//! `layers`: layer version ARNs, at most five, in the function's region.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::stack::diagnostic::Problem;
use crate::stack::reader::limits;
use crate::stack::reader::typed::{Reader, entry};

/// Lambda allows five layers per function.
const MAX_LAYERS: usize = 5;

impl Reader<'_> {
    pub(super) fn layers(&mut self, t: &DeTable<'_>) -> Option<Vec<String>> {
        let layers = self.string_list(
            t,
            "layers",
            "write layers = [\"arn:aws:lambda:us-east-1:123456789012:layer:NAME:1\"]",
        )?;
        let mut ok = true;
        if layers.len() > MAX_LAYERS
            && let Some((k, _)) = entry(t, "layers")
        {
            self.problem(
                Problem::new(
                    format!("{} layers, more than Lambda's {MAX_LAYERS}", layers.len()),
                    k.span(),
                    "too many",
                )
                .help("merge layers, or move code into the function package"),
            );
            ok = false;
        }
        for layer in &layers {
            if !limits::is_layer_arn(layer.get_ref()) {
                self.problem(
                    Problem::new("a layer must be a layer version ARN", layer.span(), "not a layer ARN")
                        .help("write the ARN with its version: arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION"),
                );
                ok = false;
            }
        }
        ok.then(|| layers.into_iter().map(Spanned::into_inner).collect())
    }

    /// Lambda takes layers from the function's own region only ("Layers ... must be in the
    /// same Region as the function":
    /// <https://docs.aws.amazon.com/lambda/latest/dg/adding-layers.html>). Known offline when the
    /// file names the region.
    pub(in crate::stack::reader) fn check_layer_regions(
        &mut self,
        doc: &DeTable<'_>,
        region: &str,
    ) {
        let Some((_, DeValue::Table(functions))) =
            entry(doc, "functions").map(|(k, v)| (k, v.get_ref()))
        else {
            return;
        };
        for (_, function) in functions.iter() {
            let DeValue::Table(function) = function.get_ref() else {
                continue;
            };
            let Some((_, layers)) = entry(function, "layers") else {
                continue;
            };
            let DeValue::Array(layers) = layers.get_ref() else {
                continue;
            };
            for layer in layers.iter() {
                let DeValue::String(arn) = layer.get_ref() else {
                    continue;
                };
                let Some(layer_region) = arn.split(':').nth(3) else {
                    continue;
                };
                if limits::is_layer_arn(arn) && layer_region != region {
                    self.problem(
                        Problem::new(
                            format!("a layer in {layer_region} for a function in {region}"),
                            layer.span(),
                            "another region",
                        )
                        .help(format!("Lambda takes layers from the function's region only: publish the layer in {region} and name that version")),
                    );
                }
            }
        }
    }
}
