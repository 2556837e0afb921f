use super::*;

#[test]
fn same_files_same_hash_whatever_the_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.js"), "b").unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::write(dir.path().join("lib/a.js"), "a").unwrap();
    let first = build(dir.path(), &[], dir.path()).unwrap();
    let touched = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let file = std::fs::File::options()
        .write(true)
        .open(dir.path().join("b.js"))
        .unwrap();
    file.set_modified(touched).unwrap();
    assert_eq!(
        build(dir.path(), &[], dir.path()).unwrap().sha256,
        first.sha256
    );
    std::fs::write(dir.path().join("b.js"), "c").unwrap();
    assert_ne!(
        build(dir.path(), &[], dir.path()).unwrap().sha256,
        first.sha256
    );
}

#[test]
fn excluded_files_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.js"), "code").unwrap();
    std::fs::write(dir.path().join("index.test.js"), "test").unwrap();
    std::fs::create_dir_all(dir.path().join("node_modules/.cache/x")).unwrap();
    std::fs::write(dir.path().join("node_modules/.cache/x/big"), "cache").unwrap();
    std::fs::write(dir.path().join("node_modules/keep.js"), "dep").unwrap();
    let exclude = [
        "*.test.js".to_string(),
        "node_modules/.cache/**".to_string(),
    ];
    let package = build(dir.path(), &exclude, dir.path()).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(package.bytes.as_slice())).unwrap();
    let mut names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["index.js", "node_modules/keep.js"]);
    assert_eq!(package.unzipped_size, 7);
}

#[cfg(unix)]
#[test]
fn links_inside_the_folder_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("real.js"), "x").unwrap();
    std::os::unix::fs::symlink(dir.path().join("real.js"), dir.path().join("alias.js")).unwrap();
    let package = build(dir.path(), &[], dir.path()).unwrap();
    let archive = zip::ZipArchive::new(Cursor::new(package.bytes.as_slice())).unwrap();
    assert_eq!(archive.len(), 2);
}

#[cfg(unix)]
#[test]
fn a_link_back_to_a_folder_that_holds_it_is_refused_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("lib"), dir.path().join("lib/again")).unwrap();
    assert!(matches!(
        build(dir.path(), &[], dir.path()),
        Err(PackageError::LinkLoop { .. })
    ));
    std::os::unix::fs::symlink(dir.path(), dir.path().join("root")).unwrap();
    assert!(build(dir.path(), &["again".to_string()], dir.path()).is_err());
}

#[cfg(unix)]
#[test]
fn links_outside_the_folder_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "x").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
    assert!(matches!(
        build(dir.path(), &[], dir.path()),
        Err(PackageError::EscapingLink { .. })
    ));
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_unread_unless_excluded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.js"), "x").unwrap();
    let fifo = dir.path().join("events.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Reading the pipe would block forever: the error proves it was never opened.
    assert!(matches!(
        build(dir.path(), &[], dir.path()),
        Err(PackageError::SpecialFile { path }) if path == fifo
    ));
    assert!(matches!(
        build(&fifo, &[], dir.path()),
        Err(PackageError::SpecialFile { .. })
    ));
    let package = build(dir.path(), &["*.fifo".to_string()], dir.path()).unwrap();
    assert_eq!(package.unzipped_size, 1);
}

#[cfg(target_os = "linux")]
#[test]
fn names_that_are_not_utf8_are_refused_not_renamed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9");
    std::fs::create_dir(dir.path().join(odd)).unwrap();
    std::fs::write(dir.path().join(odd).join("a.js"), "x").unwrap();
    assert!(matches!(
        build(dir.path(), &[], dir.path()),
        Err(PackageError::NotUtf8 { .. })
    ));
}

#[cfg(unix)]
#[test]
fn sizes_are_checked_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse file: 300 MB by its metadata, nothing on disk.
    let big = std::fs::File::create(dir.path().join("big.bin")).unwrap();
    big.set_len(MAX_UNZIPPED + 1).unwrap();
    assert!(matches!(
        build(dir.path(), &[], dir.path()),
        Err(PackageError::TooLargeUnzipped { size, .. }) if size == MAX_UNZIPPED + 1
    ));
    let zip = dir.path().join("big.bin");
    assert!(matches!(
        build(&zip, &[], dir.path()),
        Err(PackageError::TooLargeArchive { .. })
    ));
}

/// Random code folders (nested folders, names with spaces, dots, non-ASCII and non-UTF-8
/// bytes, named pipes, empty and executable files, links) always give a package with
/// exactly the files and names on disk, or a named error, and never block: nothing but
/// regular files is opened.
#[cfg(target_os = "linux")]
#[test]
fn random_code_folders_package_exactly_or_fail_by_name() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    const NAMES: &[&[u8]] = &[
        b"index.js",
        b"a b.txt",
        b".hidden",
        b"caf\xc3\xa9.js",
        b"caf\xe9",
        b"lib",
        b"x..y",
        b"\xff\xfe",
    ];
    let cases: u64 = std::env::var("STACKCTL_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    for seed in 0..cases {
        let mut rng = fastrand::Rng::with_seed(seed);
        let dir = tempfile::tempdir().unwrap();
        let mut folders = vec![dir.path().to_path_buf()];
        let (mut bad_name, mut special, mut link) = (false, false, false);
        for _ in 0..rng.usize(1..8) {
            let parent = folders[rng.usize(..folders.len())].clone();
            let name = NAMES[rng.usize(..NAMES.len())];
            let path = parent.join(OsStr::from_bytes(name));
            if std::fs::symlink_metadata(&path).is_ok() {
                continue;
            }
            match rng.u8(..10) {
                0..=5 => std::fs::write(&path, vec![b'x'; rng.usize(..64)]).unwrap(),
                6 | 7 => {
                    std::fs::create_dir(&path).unwrap();
                    folders.push(path.clone());
                    continue;
                }
                8 => {
                    let made = std::process::Command::new("mkfifo").arg(&path).status();
                    assert!(made.unwrap().success());
                    special = true;
                }
                _ => {
                    std::os::unix::fs::symlink(dir.path().join("lib"), &path).unwrap();
                    link = true;
                }
            }
            let relative = path.strip_prefix(dir.path()).unwrap();
            bad_name |= relative.to_str().is_none();
        }
        match build(dir.path(), &[], dir.path()) {
            Ok(package) => {
                assert!(!special, "seed {seed}: a named pipe was packaged");
                let archive = zip::ZipArchive::new(Cursor::new(package.bytes.as_slice())).unwrap();
                for name in archive.file_names() {
                    let name = name.unwrap();
                    let on_disk = dir.path().join(name.as_ref());
                    assert!(
                        std::fs::symlink_metadata(&on_disk).is_ok(),
                        "seed {seed}: {name} is not a name on disk"
                    );
                }
            }
            Err(PackageError::SpecialFile { .. }) => assert!(special, "seed {seed}"),
            Err(PackageError::NotUtf8 { .. }) => assert!(bad_name, "seed {seed}"),
            // A link to a folder that is not there, or to one that holds the link.
            Err(PackageError::Read { .. } | PackageError::LinkLoop { .. }) => {
                assert!(link, "seed {seed}")
            }
            Err(other) => panic!("seed {seed}: {other}"),
        }
    }
}

#[test]
fn caches_and_system_files_are_left_out_by_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), "x").unwrap();
    for (path, content) in [
        ("__pycache__/app.cpython-312.pyc", "cache"),
        ("lib/__pycache__/x.pyc", "cache"),
        ("stale.pyc", "cache"),
        (".DS_Store", "finder"),
        (".git/HEAD", "ref"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let package = build(dir.path(), &[], dir.path()).unwrap();
    let names: Vec<&String> = package.manifest.keys().collect();
    assert_eq!(names, ["app.py"]);
    // The manifest hashes the mode and the content.
    assert_eq!(
        package.manifest["app.py"],
        crate::hash::sha256_hex(b"644 x", usize::MAX)
    );
}

#[cfg(unix)]
#[test]
fn links_to_folders_of_the_same_repository_are_followed() {
    let repository = tempfile::tempdir().unwrap();
    let shared = repository.path().join("packages/shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("util.js"), "u").unwrap();
    let code = repository.path().join("functions/api");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(code.join("index.js"), "i").unwrap();
    std::os::unix::fs::symlink("../../packages/shared", code.join("shared")).unwrap();
    let package = build(&code, &[], repository.path()).unwrap();
    let names: Vec<&String> = package.manifest.keys().collect();
    assert_eq!(names, ["index.js", "shared/util.js"]);
    // Only the code folder counts as the repository: the link leaves it.
    assert!(matches!(
        build(&code, &[], &code),
        Err(PackageError::EscapingLink { link, .. }) if link == code.join("shared")
    ));
}
