//! docs/stack-schema.json (JSON Schema, draft 2020-12), for editors: every example stack
//! passes it, every broken fixture that a schema can describe fails it, and the schema's
//! directives (`#:schema`, `"$schema"`) are accepted by stackctl itself.

mod support;

use std::path::{Path, PathBuf};

use support::stackctl;

/// Fixtures whose problems no schema can express: references, cycles, AWS limits that depend
/// on other values, names that clash across environments, route paths, regions, item schemas.
/// They are valid JSON Schema instances and only `stackctl validate` rejects them.
const SEMANTIC_ONLY: &[&str] = &[
    "api.toml",
    "api_key_on_http.toml",
    "api_limits.toml",
    "authorizer_keys_http.toml",
    "authorizer_keys_rest.toml",
    "cycle.toml",
    "dangling_reference.toml",
    "env.toml",
    "env_domains.toml",
    "env_merged.toml",
    "env_names.toml",
    "fixed_names_env.toml",
    "http_routes.toml",
    "lambda_faults.toml",
    "region.toml",
    "region_bound.toml",
    "rest_publish.toml",
    "rest_routes.toml",
    "rest_without_routes.toml",
    "route_aliases.toml",
    "shared_names.toml",
    "topic_filters.toml",
    "user_pool_oauth.toml",
    "websocket_cycle.toml",
];

/// Fixtures that are not TOML a JSON value can hold (a syntax error, a key set twice, an
/// integer past 64 bits, a float that is infinite): editors report them before any schema.
const NOT_JSON: &[&str] = &[
    "items.toml",
    "limits.toml",
    "syntax.toml",
    "websocket_duplicate.toml",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Whether `file` is a TOML document that the schema accepts (`Err`: the TOML itself is
/// broken, which no schema gets to see).
fn accepted(
    schemas: &boon::Schemas,
    index: boon::SchemaIndex,
    file: &Path,
) -> Result<bool, String> {
    let text = std::fs::read_to_string(file).unwrap();
    let value: serde_json::Value = toml::from_str(&text).map_err(|e| e.to_string())?;
    Ok(schemas.validate(&value, index).is_ok())
}

fn compiled() -> (boon::Schemas, boon::SchemaIndex) {
    let path = root().join("docs/stack-schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = "file:///stack-schema.json";
    compiler.add_resource(url, schema).unwrap();
    let index = compiler.compile(url, &mut schemas).unwrap();
    (schemas, index)
}

#[test]
fn every_example_passes_the_schema_and_every_broken_fixture_it_can_describe_fails_it() {
    let (schemas, index) = compiled();
    let mut examples = toml_files(&root().join("examples"));
    examples.push(root().join("stack.toml"));
    for file in &examples {
        assert_eq!(
            accepted(&schemas, index, file),
            Ok(true),
            "{}",
            file.display()
        );
    }
    let mut rejected = Vec::new();
    for file in toml_files(&root().join("tests/fixtures/invalid")) {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        let answer = accepted(&schemas, index, &file);
        if NOT_JSON.contains(&name.as_str()) {
            assert!(answer.is_err(), "{name}: {answer:?}");
            continue;
        }
        let ok = answer.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            ok,
            SEMANTIC_ONLY.contains(&name.as_str()),
            "{name}: accepted = {ok}"
        );
        if !ok {
            rejected.push(name);
        }
    }
    // Every other fixture is rejected (asserted file by file above); at least these many.
    assert!(rejected.len() >= 14, "{rejected:?}");
}

#[test]
fn the_schema_directives_are_accepted_in_a_stack_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.toml"),
        "#:schema ./docs/stack-schema.json\n\"$schema\" = \"./docs/stack-schema.json\"\n\n[stack]\nname = \"shop\"\n\n[tables.orders]\npartition_key = { name = \"pk\", type = \"string\" }\n",
    )
    .unwrap();
    stackctl(dir.path(), None, &["validate"])
        .success()
        .stdout_has(&["stack.toml is valid: stack shop, 1 table"]);
}
