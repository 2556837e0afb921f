use std::sync::Arc;

use super::*;
use crate::package::{Manifest, Package};

fn stack_in(dir: &Path) -> crate::stack::Stack {
    std::fs::create_dir_all(dir.join("fn")).unwrap();
    let text = "[stack]\nname = \"s\"\n\n[functions.api]\nruntime = \"python3.12\"\nhandler = \"app.handler\"\ncode = \"fn\"\n";
    crate::stack::parse("stack.toml", text, dir, None).unwrap()
}

#[test]
fn only_declared_dependencies_without_a_build_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("fn");
    let warned = || warnings(&stack_in(dir.path()));
    assert!(warned().is_empty());
    std::fs::write(code.join("requirements.txt"), "# nothing yet\n\n").unwrap();
    std::fs::write(code.join("package.json"), r#"{"type": "module"}"#).unwrap();
    assert!(
        warned().is_empty(),
        "comments and a module type need no build"
    );
    std::fs::write(code.join("package.json"), r#"{"dependencies": {"x": "1"}}"#).unwrap();
    let found = warned();
    assert_eq!(found.len(), 1);
    assert!(
        found[0].contains("package.json declares dependencies")
            && found[0].contains("build = \"npm\""),
        "{found:?}"
    );
    std::fs::create_dir(code.join("node_modules")).unwrap();
    assert!(
        warned().is_empty(),
        "installed in the folder: packaged as it is"
    );
    std::fs::write(code.join("requirements.txt"), "requests==2.32.0\n").unwrap();
    assert!(
        warned()
            .first()
            .is_some_and(|w| w.contains("add build = \"pip\" to [functions.api]"))
    );
}

fn package(files: &[(&str, &str)]) -> Package {
    let manifest: Manifest = files
        .iter()
        .map(|(n, h)| (n.to_string(), h.to_string()))
        .collect();
    Package {
        bytes: Arc::new(Vec::new()),
        sha256: String::new(),
        unzipped_size: 0,
        manifest: Arc::new(manifest),
    }
}

#[test]
fn a_changed_package_names_its_files_against_the_live_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::of(&dir.path().join("stack.toml"));
    let mut live = package(&[("app.py", "1"), ("old.py", "1"), ("same.py", "1")]);
    live.sha256 = "bGl2ZQ==".to_string();
    remember(&ws, "api", &live);
    assert!(ws.local.join("manifests/api/6c697665.json").is_file());
    assert!(ws.local.join(".gitignore").is_file());
    let now = package(&[("app.py", "2"), ("new.py", "1"), ("same.py", "1")]);
    assert_eq!(
        changed_files(&ws, "api", &live.sha256, &now).as_deref(),
        Some("code: changed app.py, added new.py, removed old.py")
    );
    // Built elsewhere: nothing to compare with.
    assert_eq!(changed_files(&ws, "api", "b3RoZXI=", &now), None);
    let many: Vec<(String, String)> = (0..12)
        .map(|i| (format!("f{i:02}.py"), "1".to_string()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, h)| (n.as_str(), h.as_str())).collect();
    let note = changed_files(&ws, "api", &live.sha256, &package(&many)).unwrap();
    assert!(note.ends_with("added f09.py, 5 more"), "{note}");
}
