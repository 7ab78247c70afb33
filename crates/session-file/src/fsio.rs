//! Filesystem primitives of the store: atomic replace, directory fsync, inode change time.

use std::fs::{self, File};
use std::io;
use std::path::Path;
#[cfg(unix)]
use std::time::Duration;
use std::time::SystemTime;

use session_core::{Error, Result};
use tempfile::NamedTempFile;

use crate::store::backend;

/// Moves `tmp` onto `target` only if `target` still exists, atomically: with
/// `renameat2(RENAME_EXCHANGE)` the two names swap (failing if `target` is gone, e.g.
/// deleted by another process since the liveness check), then the old session, now under
/// the temp name, is removed. A crash in between leaves that temp file for
/// `clear_expired`. Filesystems without the flag fall back to a plain rename.
#[cfg(target_os = "linux")]
pub(crate) fn replace_existing(tmp: NamedTempFile, target: &Path) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, tmp.path(), CWD, target, RenameFlags::EXCHANGE) {
        // Dropping `tmp` removes its path, which now holds the old session.
        Ok(()) => Ok(()),
        Err(Errno::NOENT) => Err(Error::Interrupted),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            tmp.persist(target).map(drop).map_err(|e| backend(e.error))
        }
        Err(e) => Err(backend(e.into())),
    }
}

/// Moves `tmp` onto `target` (a plain rename: the caller checked `target` exists, and
/// the in-process lock covers races within this process).
#[cfg(not(target_os = "linux"))]
pub(crate) fn replace_existing(tmp: NamedTempFile, target: &Path) -> Result<()> {
    tmp.persist(target).map(drop).map_err(|e| backend(e.error))
}

/// Not found, or a path component is not a directory: the session does not exist.
pub(crate) fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

pub(crate) fn open_existing(path: &Path) -> Result<Option<File>> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if is_absent(&e) => Ok(None),
        Err(e) => Err(backend(e)),
    }
}

/// Removes a file; `true` if this call removed it.
pub(crate) fn remove(path: &Path) -> bool {
    match fs::remove_file(path) {
        Ok(()) => true,
        Err(e) => {
            if !is_absent(&e) {
                tracing::warn!(file = %path.display(), error = %e, "cannot remove session file");
            }
            false
        }
    }
}

pub(crate) fn make_dir(dir: &Path, recursive: bool) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(recursive);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// When the file's inode last changed (ctime on unix: unlike mtime it cannot be set back,
/// and Django mode back-dates mtimes).
#[cfg(unix)]
pub(crate) fn changed_at(meta: &fs::Metadata) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let secs = u64::try_from(meta.ctime()).ok()?;
    let nanos = u32::try_from(meta.ctime_nsec()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

#[cfg(not(unix))]
pub(crate) fn changed_at(meta: &fs::Metadata) -> Option<SystemTime> {
    meta.modified().ok()
}
