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
pub const MAX_DIRECT_UPLOAD: u64 = 50 * 1024 * 1024;
/// Lambda's limit for a function's unzipped code.
pub const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;

/// Left out of every folder's package, whatever `exclude` says: caches and system files that
/// change without any source changing, and stackctl's own local folder (for `code = "."`).
/// A trailing '/' names a folder, a leading '*' a file name's end.
pub const DEFAULT_EXCLUDES: &[&str] =
    &["__pycache__/", "*.pyc", ".DS_Store", ".git/", ".stackctl/"];

#[derive(Debug, Clone)]
pub struct Package {
    pub bytes: Arc<Vec<u8>>,
    /// Base64 of the SHA-256 of the zip, as Lambda's `CodeSha256`.
    pub sha256: String,
    /// The size of the files once unzipped.
    pub unzipped_size: u64,
    /// Each file of a zipped folder by its name in the zip, with the SHA-256 (hex) of its
    /// mode and content; empty for a `.zip` or `.jar` taken as it is.
    pub manifest: Arc<Manifest>,
}

/// A package's files: name in the zip -> SHA-256 (hex) of its mode and content.
pub type Manifest = std::collections::BTreeMap<String, String>;

impl Package {
    /// Checks Lambda's size limits; `via_s3` when the package goes through an artifact bucket.
    pub fn check_limits(&self, code: &Path, via_s3: bool) -> Result<(), PackageError> {
        let size = self.bytes.len() as u64;
        if self.unzipped_size > MAX_UNZIPPED {
            return Err(PackageError::TooLargeUnzipped {
                path: code.to_path_buf(),
                size: self.unzipped_size,
            });
        }
        if size > MAX_DIRECT_UPLOAD && !via_s3 {
            return Err(PackageError::TooLarge {
                path: code.to_path_buf(),
                size,
            });
        }
        Ok(())
    }

    /// Whether the package must go through S3.
    pub fn needs_s3(&self) -> bool {
        self.bytes.len() as u64 > MAX_DIRECT_UPLOAD
    }

    /// The hash as hex, for object keys.
    pub fn sha256_hex(&self) -> String {
        use base64::Engine;
        crate::hash::hex(
            &base64::engine::general_purpose::STANDARD
                .decode(&self.sha256)
                .unwrap_or_default(),
        )
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PackageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{link} points outside the repository {root}")]
    #[diagnostic(help(
        "copy the file into the repository; links to folders of the same repository (the git root, else the stack file's folder) are followed, links that leave it are not packaged"
    ))]
    EscapingLink { link: PathBuf, root: PathBuf },
    #[error(
        "the package for {path} is {size} bytes, over Lambda's {MAX_DIRECT_UPLOAD}-byte limit for direct upload"
    )]
    #[diagnostic(help(
        "set artifact_bucket = \"BUCKET\" under [stack] to upload it through S3, or make it smaller with exclude = [...]"
    ))]
    TooLarge { path: PathBuf, size: u64 },
    #[error(
        "{path} is {size} bytes, more than Lambda's {MAX_UNZIPPED}-byte limit for a function's code, even unzipped"
    )]
    #[diagnostic(help("make it smaller, or move dependencies into layers"))]
    TooLargeArchive { path: PathBuf, size: u64 },
    #[error("the code in {path} is {size} bytes unzipped, over Lambda's {MAX_UNZIPPED}-byte limit")]
    #[diagnostic(help("make it smaller with exclude = [...], or move dependencies into layers"))]
    TooLargeUnzipped { path: PathBuf, size: u64 },
    #[error("{path} is not a regular file or folder (a named pipe, socket or device)")]
    #[diagnostic(help(
        "remove it from the code folder, or leave it out with exclude = [...]: only files and folders are packaged"
    ))]
    SpecialFile { path: PathBuf },
    #[error("{link} leads back to a folder that holds it")]
    #[diagnostic(help("remove the link, or leave it out with exclude = [...]"))]
    LinkLoop { link: PathBuf },
    #[error("the name of {path} is not UTF-8")]
    #[diagnostic(help(
        "rename the file, or leave it out with exclude = [...]: names in a Lambda package are UTF-8, and stackctl never changes one"
    ))]
    NotUtf8 { path: PathBuf },
    #[error("{path} is not a readable zip: {source}")]
    BadZip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error("invalid exclude pattern {pattern:?}: {source}")]
    Pattern {
        pattern: String,
        source: globset::Error,
    },
    #[error("cannot write the zip for {path}: {source}")]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
}

/// Packages a function's code: a folder is zipped without the files `exclude` (and
/// [`DEFAULT_EXCLUDES`]) match, following links that stay inside `code` or the repository
/// folder `within`; a `.zip` or `.jar` is taken as it is.
pub fn build(code: &Path, exclude: &[String], within: &Path) -> Result<Package, PackageError> {
    let read_err = |source| PackageError::Read {
        path: code.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(code).map_err(read_err)?;
    let (bytes, unzipped_size, manifest) = if meta.is_dir() {
        zip_dir(code, exclude, within)?
    } else if !meta.is_file() {
        return Err(PackageError::SpecialFile {
            path: code.to_path_buf(),
        });
    } else if meta.len() > MAX_UNZIPPED {
        // No zip this large holds code small enough for Lambda: refused before it is read.
        return Err(PackageError::TooLargeArchive {
            path: code.to_path_buf(),
            size: meta.len(),
        });
    } else {
        let bytes = std::fs::read(code).map_err(read_err)?;
        let size = unzipped_size(code, &bytes)?;
        (bytes, size, Manifest::new())
    };
    let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
    Ok(Package {
        bytes: Arc::new(bytes),
        sha256,
        unzipped_size,
        manifest: Arc::new(manifest),
    })
}

fn unzipped_size(path: &Path, bytes: &[u8]) -> Result<u64, PackageError> {
    let bad = |source| PackageError::BadZip {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        total += archive.by_index_raw(i).map_err(bad)?.size();
    }
    Ok(total)
}

fn zip_dir(
    root: &Path,
    exclude: &[String],
    within: &Path,
) -> Result<(Vec<u8>, u64, Manifest), PackageError> {
    let files = files(root, exclude, within)?;
    check_files(root, &files)?;
    write_zip(root, files)
}

/// The files a folder's package holds, sorted by name: below `root`, without those `exclude`
/// or [`DEFAULT_EXCLUDES`] match, links followed when they stay inside `root` or `within`
/// (a link leaving both is [`PackageError::EscapingLink`]).
pub fn files(root: &Path, exclude: &[String], within: &Path) -> Result<Vec<File>, PackageError> {
    let canonical_root = root.canonicalize().map_err(|source| PackageError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let allowed = Allowed {
        root: canonical_root.clone(),
        repository: within
            .canonicalize()
            .unwrap_or_else(|_| canonical_root.clone()),
    };
    let excluded = exclusions(exclude)?;
    let mut files = Vec::new();
    collect(
        &allowed,
        root,
        "",
        true,
        &mut files,
        &mut vec![canonical_root],
    )?;
    // A pattern without '/' matches a file name in any folder, as in .gitignore.
    files.retain(|f| {
        let file_name = f.name.rsplit('/').next().unwrap_or(&f.name);
        !excluded.is_match(&f.name) && !excluded.is_match(file_name)
    });
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Where links may lead: the code folder and the repository that holds it (both canonical).
struct Allowed {
    root: PathBuf,
    repository: PathBuf,
}

impl Allowed {
    fn holds(&self, path: &Path) -> bool {
        path.starts_with(&self.root) || path.starts_with(&self.repository)
    }
}

/// Whether a default exclude ([`DEFAULT_EXCLUDES`]) leaves out the entry `file_name`.
fn excluded_by_default(file_name: &std::ffi::OsStr, is_dir: bool) -> bool {
    let name = file_name.to_string_lossy();
    DEFAULT_EXCLUDES
        .iter()
        .any(|pattern| match pattern.strip_suffix('/') {
            Some(folder) => is_dir && name == folder,
            None => match pattern.strip_prefix('*') {
                Some(end) => !is_dir && name.ends_with(end),
                None => !is_dir && name == *pattern,
            },
        })
}

/// The `exclude` patterns as one glob set; `*` stops at '/'.
fn exclusions(exclude: &[String]) -> Result<globset::GlobSet, PackageError> {
    let mut globs = globset::GlobSetBuilder::new();
    for pattern in exclude {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|source| PackageError::Pattern {
                pattern: pattern.clone(),
                source,
            })?;
        globs.add(glob);
    }
    globs.build().map_err(|source| PackageError::Pattern {
        pattern: exclude.join(", "),
        source,
    })
}

/// Everything is checked from metadata before any file is read: no special file, no name
/// that is not UTF-8, at most [`MAX_UNZIPPED`] bytes in all.
fn check_files(root: &Path, files: &[File]) -> Result<(), PackageError> {
    let mut unzipped = 0u64;
    for file in files {
        if file.special {
            return Err(PackageError::SpecialFile {
                path: file.path.clone(),
            });
        }
        if !file.utf8 {
            return Err(PackageError::NotUtf8 {
                path: file.path.clone(),
            });
        }
        unzipped += file.size;
    }
    if unzipped > MAX_UNZIPPED {
        return Err(PackageError::TooLargeUnzipped {
            path: root.to_path_buf(),
            size: unzipped,
        });
    }
    Ok(())
}

/// Zips `files` in their order, with fixed timestamps so that the same files give the same
/// bytes; returns the zip, the bytes read (unzipped) and the files' hashes.
fn write_zip(root: &Path, files: Vec<File>) -> Result<(Vec<u8>, u64, Manifest), PackageError> {
    let mut unzipped = 0u64;
    let mut manifest = Manifest::new();
    let zip_err = |source| PackageError::Zip {
        path: root.to_path_buf(),
        source,
    };
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for File {
        name,
        resolved: path,
        executable,
        ..
    } in files
    {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(if executable { 0o755 } else { 0o644 });
        let content = std::fs::read(&path).map_err(|source| PackageError::Read {
            path: path.clone(),
            source,
        })?;
        unzipped += content.len() as u64;
        let mode: &[u8] = if executable { b"755 " } else { b"644 " };
        let hash = crate::hash::hex(
            &Sha256::new()
                .chain_update(mode)
                .chain_update(&content)
                .finalize(),
        );
        manifest.insert(name.clone(), hash);
        writer.start_file(name, options).map_err(zip_err)?;
        writer
            .write_all(&content)
            .map_err(|e| zip_err(zip::result::ZipError::Io(e)))?;
    }
    let bytes = writer.finish().map_err(zip_err)?.into_inner();
    Ok((bytes, unzipped, manifest))
}

/// One entry below a code folder, as its metadata describes it.
pub struct File {
    /// The name in the zip: the path below the folder, '/'-separated.
    pub name: String,
    /// The name and its folders' are UTF-8 on disk (`name` is then exact).
    utf8: bool,
    /// Where it was found, for messages.
    path: PathBuf,
    /// Where it is, links resolved.
    pub resolved: PathBuf,
    pub executable: bool,
    /// Bytes, from its metadata.
    size: u64,
    /// Neither a file nor a folder: a named pipe, socket or device, never opened.
    special: bool,
}

/// Collects every entry below `dir`, following links that stay inside `allowed`. Nothing is
/// opened: a named pipe would block a read forever.
fn collect(
    allowed: &Allowed,
    dir: &Path,
    prefix: &str,
    prefix_utf8: bool,
    files: &mut Vec<File>,
    visiting: &mut Vec<PathBuf>,
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
        let file_name = entry.file_name();
        let name = format!("{prefix}{}", file_name.to_string_lossy());
        let resolved = path.canonicalize().map_err(|source| PackageError::Read {
            path: path.clone(),
            source,
        })?;
        if !allowed.holds(&resolved) {
            return Err(PackageError::EscapingLink {
                link: path,
                root: allowed.repository.clone(),
            });
        }
        let meta = std::fs::metadata(&resolved).map_err(|source| PackageError::Read {
            path: path.clone(),
            source,
        })?;
        let utf8 = prefix_utf8 && file_name.to_str().is_some();
        if excluded_by_default(&file_name, meta.is_dir()) {
            continue;
        }
        if meta.is_dir() {
            // A link to a folder on the way here would be followed forever.
            if visiting.contains(&resolved) {
                return Err(PackageError::LinkLoop { link: path });
            }
            visiting.push(resolved);
            collect(allowed, &path, &format!("{name}/"), utf8, files, visiting)?;
            visiting.pop();
            continue;
        }
        files.push(File {
            name,
            utf8,
            executable: is_executable(&meta),
            size: meta.len(),
            special: !meta.is_file(),
            path,
            resolved,
        });
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests;
