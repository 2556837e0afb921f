//! Function code packages: deterministic zips, hashed the way Lambda reports `CodeSha256`.
//!
//! The same files always give the same bytes (sorted entries, fixed timestamps, normalized
//! permissions), so a plan after an apply shows no code change unless a file's content did.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

/// Lambda's limit for a zip uploaded directly with the request.
pub const MAX_DIRECT_UPLOAD: usize = 50 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Package {
    pub bytes: Arc<Vec<u8>>,
    /// Base64 of the SHA-256 of the zip, as Lambda's `CodeSha256`.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PackageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{link} points outside the code folder {root}")]
    #[diagnostic(help("copy the file into the folder; links that leave it are not packaged"))]
    EscapingLink { link: PathBuf, root: PathBuf },
    #[error(
        "the package for {path} is {size} bytes, over Lambda's {MAX_DIRECT_UPLOAD}-byte limit for direct upload"
    )]
    #[diagnostic(help("make the package smaller (exclude test files and dev dependencies)"))]
    TooLarge { path: PathBuf, size: usize },
    #[error("cannot write the zip for {path}: {source}")]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
}

/// Packages a function's code: a folder is zipped, a `.zip` is taken as it is.
pub fn build(code: &Path) -> Result<Package, PackageError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Read { path, source }
    };
    let bytes = if code.is_dir() {
        zip_dir(code)?
    } else {
        std::fs::read(code).map_err(read_err(code))?
    };
    if bytes.len() > MAX_DIRECT_UPLOAD {
        return Err(PackageError::TooLarge {
            path: code.to_path_buf(),
            size: bytes.len(),
        });
    }
    let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
    Ok(Package {
        bytes: Arc::new(bytes),
        sha256,
    })
}

fn zip_dir(root: &Path) -> Result<Vec<u8>, PackageError> {
    let canonical_root = root.canonicalize().map_err(|source| PackageError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    collect(&canonical_root, root, "", &mut files)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));

    let zip_err = |source| PackageError::Zip {
        path: root.to_path_buf(),
        source,
    };
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, path, executable) in files {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(if executable { 0o755 } else { 0o644 });
        let content = std::fs::read(&path).map_err(|source| PackageError::Read {
            path: path.clone(),
            source,
        })?;
        writer.start_file(name, options).map_err(zip_err)?;
        writer
            .write_all(&content)
            .map_err(|e| zip_err(zip::result::ZipError::Io(e)))?;
    }
    Ok(writer.finish().map_err(zip_err)?.into_inner())
}

/// Collects `(name in zip, path, executable)` for every file below `dir`, following links that
/// stay inside `root`.
fn collect(
    root: &Path,
    dir: &Path,
    prefix: &str,
    files: &mut Vec<(String, PathBuf, bool)>,
) -> Result<(), PackageError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PackageError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| PackageError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let resolved = path.canonicalize().map_err(|source| PackageError::Read {
            path: path.clone(),
            source,
        })?;
        if !resolved.starts_with(root) {
            return Err(PackageError::EscapingLink {
                link: path,
                root: root.to_path_buf(),
            });
        }
        if resolved.is_dir() {
            collect(root, &path, &format!("{name}/"), files)?;
        } else {
            let executable = is_executable(&resolved);
            files.push((name, resolved, executable));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_files_same_hash_whatever_the_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.js"), "b").unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/a.js"), "a").unwrap();
        let first = build(dir.path()).unwrap();
        let touched =
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        let file = std::fs::File::options()
            .write(true)
            .open(dir.path().join("b.js"))
            .unwrap();
        file.set_modified(touched).unwrap();
        assert_eq!(build(dir.path()).unwrap().sha256, first.sha256);
        std::fs::write(dir.path().join("b.js"), "c").unwrap();
        assert_ne!(build(dir.path()).unwrap().sha256, first.sha256);
    }

    #[cfg(unix)]
    #[test]
    fn links_outside_the_folder_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
        assert!(matches!(
            build(dir.path()),
            Err(PackageError::EscapingLink { .. })
        ));
    }
}
