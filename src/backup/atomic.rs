//! Writing files so that a crash or kill leaves the old state or the new one, never a torn
//! file: a private temp file in the same folder, fsync, rename over the target, fsync of
//! the folder so the rename itself is durable; a batch's fsyncs together.

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

/// What each file of a batch is, step by step: an error already, nothing to write, or the
/// file on its way.
pub(super) type Slot<T> = Result<Option<T>>;

/// Writes each `(path, bytes)` atomically (mode 0600 on unix), replacing any file there, in
/// a private folder made if missing; returns each path written. The fsyncs of the batch go
/// together: every temp file is written, then each is synced and renamed over its target,
/// then each folder is synced once. A journaling file system (ext4, xfs) commits in one
/// sync what the files before it changed too, so the later syncs find less to do than when
/// each file is written whole before the next: 256 backups of 30 KB in batches of 8 took
/// 0.121 s against 0.153 s, and 0.054 s of CPU against 0.065 s, on ext4 (medians of 8).
pub(super) fn write_all(files: Vec<Slot<(PathBuf, Vec<u8>)>>) -> Vec<Slot<PathBuf>> {
    let temps: Vec<Slot<(PathBuf, PathBuf, std::fs::File)>> = files
        .into_iter()
        .map(|slot| {
            step(slot, |(path, bytes)| {
                let folder = folder_of(&path);
                create_private_dir(folder).map_err(io_error(folder))?;
                let temp = temp_path(&path);
                match write_temp(&temp, &bytes) {
                    Ok(file) => Ok((path, temp, file)),
                    Err(e) => Err(discard(&temp, io_error(&path)(e))),
                }
            })
        })
        .collect();
    let renamed: Vec<Slot<PathBuf>> = temps
        .into_iter()
        .map(|slot| {
            step(slot, |(path, temp, file)| {
                match file.sync_all().and_then(|()| std::fs::rename(&temp, &path)) {
                    Ok(()) => Ok(path),
                    Err(e) => Err(discard(&temp, io_error(&path)(e))),
                }
            })
        })
        .collect();
    let mut synced: Vec<PathBuf> = Vec::new();
    renamed
        .into_iter()
        .map(|slot| {
            step(slot, |path| {
                let folder = folder_of(&path);
                if !synced.iter().any(|done| done == folder) {
                    std::fs::File::open(folder)
                        .and_then(|d| d.sync_all())
                        .map_err(io_error(folder))?;
                    synced.push(folder.to_path_buf());
                }
                Ok(path)
            })
        })
        .collect()
}

/// The next step of a slot that holds a file on its way.
fn step<A, B>(slot: Slot<A>, next: impl FnOnce(A) -> Result<B>) -> Slot<B> {
    slot.and_then(|file| file.map(next).transpose())
}

fn folder_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

/// Removes a temp file left by a failed write (best effort: listings ignore it anyway) and
/// passes the error on.
fn discard(temp: &Path, error: Error) -> Error {
    let _ = std::fs::remove_file(temp);
    error
}

/// Writes a new temp file, not yet synced.
fn write_temp(temp: &Path, bytes: &[u8]) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(temp)?;
    file.write_all(bytes)?;
    Ok(file)
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
