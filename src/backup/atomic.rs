//! Writing a file so that a crash or kill leaves the old state or the new one, never a torn
//! file: a private temp file in the same folder, fsync, rename over the target, fsync of
//! the folder so the rename itself is durable.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Maps an io error on `path` to the error of a failed backup write.
pub(super) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action: "write backup",
        path,
        source,
    }
}

/// Creates `folder` and its parents, private to the user (0700 on unix).
pub(super) fn create_private_dir(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Writes `bytes` to `path` atomically (mode 0600 on unix), replacing any file there.
pub(super) fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let temp = temp_path(path);
    let result = write_temp(&temp, bytes)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(io_error(path));
    if result.is_err() {
        // Best effort: a leftover temp file is ignored by listings anyway.
        let _ = std::fs::remove_file(&temp);
    }
    result?;
    std::fs::File::open(folder)
        .and_then(|d| d.sync_all())
        .map_err(io_error(folder))
}

fn write_temp(temp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `.<name>.<random>.tmp` beside `path`: hidden, and not ending in `.json`, so no listing
/// takes it for a backup.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let random = uuid::Uuid::new_v4().simple().to_string();
    path.with_file_name(format!(".{name}.{}.tmp", &random[..8]))
}
