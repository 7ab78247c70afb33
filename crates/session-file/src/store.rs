//! The file store: one file per session, written atomically.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use session_core::expiry::{clamp, saturating_add};
use session_core::{
    CREATE_ATTEMPTS, ClearExpired, Error, Record, Result, SessionStore, key, key_prefix,
};
use tempfile::NamedTempFile;

use crate::config::{FileConfig, Format};
use crate::format::{self, HEADER_LEN, TEMP_PREFIX};
use crate::fsio::{
    changed_at, is_absent, make_dir, open_existing, remove, replace_existing, sync_dir,
};

const BACKEND: &str = "file";
/// In-process lock stripes: `save` and `delete` of keys in one stripe are serialized.
const STRIPES: usize = 64;

/// Sessions as files in one directory (Django's `file` engine), crash-safe.
///
/// - Keys are checked ([`key::is_well_formed`]) before any path is built: a key with `/`,
///   `\`, `..`, NUL or non-ASCII never reaches the filesystem (`load` → `None`, `delete` →
///   no-op, `save` → [`Error::Interrupted`]: a malformed key names no session).
/// - A native file is named by the SHA-256 of its key (see [`format`](crate::format)).
/// - Every write goes to a temp file in the same directory (mode 0600), is fsynced (see
///   [`FileConfig::fsync`]), then renamed onto the session's name: a crash leaves the old or
///   the new session, never a torn one. `create` renames without replacing (`O_EXCL`
///   semantics) and retries with a fresh key on collision.
/// - `save` of a vanished or expired session gives [`Error::Interrupted`] and a logout is
///   never undone by a save in flight. Within one process, `save` and `delete` of a key are
///   serialized by a striped lock. Across processes sharing a directory, on Linux, `save`
///   swaps the new file in with `renameat2(RENAME_EXCHANGE)`, which fails if the session's
///   file was deleted since the check. Elsewhere (and on filesystems without that flag,
///   such as NFS) the check and the rename are two steps, and a `delete` from another
///   process landing between them is undone, as in Django's file backend.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use session_core::{Record, SessionStore};
/// use session_file::FileStore;
///
/// let dir = tempfile::tempdir()?;
/// let store = FileStore::new(dir.path())?;
/// let key = store.create(&Record::new(b"{}".to_vec(), SystemTime::now() + Duration::from_secs(60)))?;
/// assert_eq!(store.load(&key)?.as_deref(), Some(&b"{}"[..]));
/// assert!(store.load("../../etc/passwd")?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FileStore {
    dir: PathBuf,
    config: FileConfig,
    locks: Arc<[Mutex<()>]>,
    /// Turns for async callers' writes on the blocking pool
    /// ([`FileConfig::pooled_writes`]); `None`: no limit.
    pub(crate) writers: Option<Arc<tokio::sync::Semaphore>>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Where one session's file lives.
struct Target {
    dir: PathBuf,
    path: PathBuf,
}

impl FileStore {
    /// A store in `dir`, which must exist (as in Django); default [`FileConfig`].
    ///
    /// ```
    /// use session_file::FileStore;
    /// let dir = tempfile::tempdir()?;
    /// assert!(FileStore::new(dir.path()).is_ok());
    /// assert!(FileStore::new(dir.path().join("missing")).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        Self::with_config(dir, FileConfig::default())
    }

    /// A store in `dir`, creating it (and its parents) with mode 0700 if it is missing.
    ///
    /// ```
    /// use session_file::FileStore;
    /// let dir = tempfile::tempdir()?;
    /// let store = FileStore::create_dir(dir.path().join("sessions"))?;
    /// assert!(store.dir().is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_dir(dir: impl AsRef<Path>) -> Result<Self> {
        Self::with_config(dir, FileConfig::default().with_create_dir(true))
    }

    /// A store in `dir` with `config`.
    ///
    /// ```
    /// use session_file::{FileConfig, FileStore};
    /// let dir = tempfile::tempdir()?;
    /// let store = FileStore::with_config(dir.path(), FileConfig::default().with_fsync(false).with_sharded(true))?;
    /// assert!(store.config().sharded);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_config(dir: impl AsRef<Path>, config: FileConfig) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        if config.create_dir {
            make_dir(&dir, true).map_err(backend)?;
        }
        let meta = fs::metadata(&dir).map_err(|e| {
            backend(io::Error::new(
                e.kind(),
                format!("session directory {}: {e}", dir.display()),
            ))
        })?;
        if !meta.is_dir() {
            return Err(backend(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("session directory {} is not a directory", dir.display()),
            )));
        }
        if let Format::Django { file_prefix, .. } = &config.format {
            let ok = !file_prefix.is_empty()
                && !file_prefix.starts_with('.')
                && file_prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(backend(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Django file prefix must be non-empty [A-Za-z0-9_-] not starting with `.`",
                )));
            }
        }
        let writers = (config.pooled_writes > 0).then(|| {
            let at_once = config
                .pooled_writes
                .min(tokio::sync::Semaphore::MAX_PERMITS);
            Arc::new(tokio::sync::Semaphore::new(at_once))
        });
        Ok(FileStore {
            dir,
            config,
            locks: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            writers,
        })
    }

    /// The session directory.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = session_file::FileStore::new(dir.path())?;
    /// assert_eq!(store.dir(), dir.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The store's options.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = session_file::FileStore::new(dir.path())?;
    /// assert!(store.config().fsync);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &FileConfig {
        &self.config
    }

    /// The file of `key`, or `None` for a malformed key (no path is built from it).
    fn target(&self, key: &str) -> Option<Target> {
        if !key::is_well_formed(key) {
            return None;
        }
        Some(match &self.config.format {
            Format::Django { file_prefix, .. } => Target {
                dir: self.dir.clone(),
                path: self.dir.join(format!("{file_prefix}{key}")),
            },
            Format::Native => {
                let name = format::file_name(key);
                let dir = if self.config.sharded {
                    self.dir.join(&name[format::FILE_PREFIX.len()..][..2])
                } else {
                    self.dir.clone()
                };
                Target {
                    path: dir.join(name),
                    dir,
                }
            }
        })
    }

    fn lock(&self, key: &str) -> MutexGuard<'_, ()> {
        let h = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        // The guarded data is `()`: a panic elsewhere cannot leave it inconsistent.
        self.locks[(h % STRIPES as u64) as usize]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn django_cookie_age(&self) -> Option<Duration> {
        match &self.config.format {
            Format::Django { cookie_age, .. } => Some(*cookie_age),
            _ => None,
        }
    }

    /// The expiry and bytes of the file at `path`; `None` if absent or corrupt.
    fn read_file(&self, path: &Path) -> Result<Option<(SystemTime, Vec<u8>)>> {
        let Some(mut file) = open_existing(path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(backend)?;
        if let Some(age) = self.django_cookie_age() {
            let mtime = file
                .metadata()
                .and_then(|m| m.modified())
                .map_err(backend)?;
            return Ok(Some((saturating_add(mtime, age), bytes)));
        }
        match format::parse(&bytes) {
            Ok((expires_at, _)) => {
                bytes.drain(..HEADER_LEN);
                Ok(Some((expires_at, bytes)))
            }
            Err(e) => {
                corrupt(path, e);
                Ok(None)
            }
        }
    }

    /// The expiry of the file at `path` from its header (or mtime); `None` if absent or corrupt.
    fn read_expiry(&self, path: &Path) -> Result<Option<SystemTime>> {
        if let Some(age) = self.django_cookie_age() {
            return match fs::metadata(path) {
                Ok(m) => Ok(Some(saturating_add(m.modified().map_err(backend)?, age))),
                Err(e) if is_absent(&e) => Ok(None),
                Err(e) => Err(backend(e)),
            };
        }
        let Some(file) = open_existing(path)? else {
            return Ok(None);
        };
        let size = file.metadata().map_err(backend)?.len();
        let mut head = Vec::with_capacity(HEADER_LEN);
        (&file)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut head)
            .map_err(backend)?;
        match format::parse_header(&head) {
            Ok((expires_at, len)) if Some(size) == len.checked_add(HEADER_LEN as u64) => {
                Ok(Some(expires_at))
            }
            Ok(_) => {
                corrupt(path, format::FormatError::Truncated);
                Ok(None)
            }
            Err(e) => {
                corrupt(path, e);
                Ok(None)
            }
        }
    }

    /// Writes `record` to a fresh temp file in `dir`, synced when fsync is on.
    /// `Ok(None)` when `dir` does not exist and `make` is false.
    fn write_temp(&self, dir: &Path, record: &Record, make: bool) -> Result<Option<NamedTempFile>> {
        let builder = {
            let mut b = tempfile::Builder::new();
            b.prefix(TEMP_PREFIX);
            b
        };
        let mut tmp = match builder.tempfile_in(dir) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound && !make => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound && dir != self.dir => {
                make_dir(dir, false).map_err(backend)?;
                builder.tempfile_in(dir).map_err(backend)?
            }
            Err(e) => return Err(backend(e)),
        };
        if let Some(age) = self.django_cookie_age() {
            tmp.write_all(&record.data).map_err(backend)?;
            // Django reads the expiry as mtime + SESSION_COOKIE_AGE: back-date the mtime
            // (from the expiry ceiling at the latest; an age too long to subtract gives the
            // epoch, and such a session reads as live until the ceiling).
            let mtime = clamp(record.expires_at)
                .checked_sub(age)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            tmp.as_file().set_modified(mtime).map_err(backend)?;
        } else {
            tmp.write_all(&format::header(record.expires_at, record.data.len()))
                .map_err(backend)?;
            tmp.write_all(&record.data).map_err(backend)?;
        }
        if self.config.fsync {
            tmp.as_file().sync_all().map_err(backend)?;
        }
        Ok(Some(tmp))
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        if self.config.fsync {
            sync_dir(dir).map_err(backend)?;
        }
        Ok(())
    }

    /// Removes expired session files and stale temp files directly in `dir`; descends
    /// into shard directories when `top`.
    fn sweep(&self, dir: &Path, top: bool, now: SystemTime, removed: &mut u64) -> Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if !top && is_absent(&e) => return Ok(()),
            Err(e) => return Err(backend(e)),
        };
        let mut changed = false;
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot list session directory entry");
                    continue;
                }
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                if top && self.django_cookie_age().is_none() && format::is_shard_name(name) {
                    self.sweep(&path, false, now, removed)?;
                }
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            if name.starts_with(TEMP_PREFIX) {
                if self.is_stale_temp(&path, now) && remove(&path) {
                    tracing::debug!(file = name, "removed stale session temp file");
                    changed = true;
                }
                continue;
            }
            let ours = match &self.config.format {
                Format::Django { file_prefix, .. } => name
                    .strip_prefix(file_prefix.as_str())
                    .is_some_and(key::is_well_formed),
                Format::Native => format::is_session_file_name(name),
            };
            if !ours {
                continue;
            }
            // A file that is expired now can never become live again (save refuses
            // expired sessions and create never reuses a name), so no lock is needed.
            let dead = match self.read_expiry(&path) {
                Ok(Some(expires_at)) => expires_at <= now,
                // Corrupt files never load; remove them too, unless written by a newer
                // version of this crate.
                Ok(None) => !self.is_newer_version(&path),
                Err(e) => {
                    tracing::warn!(file = name, error = %e, "cannot read session file");
                    false
                }
            };
            if dead && remove(&path) {
                *removed += 1;
                changed = true;
            }
        }
        if changed {
            self.sync_dir(dir)?;
        }
        Ok(())
    }

    fn is_stale_temp(&self, path: &Path, now: SystemTime) -> bool {
        let Ok(meta) = fs::metadata(path) else {
            return false;
        };
        changed_at(&meta).is_some_and(|t| t + self.config.stale_temp_age <= now)
    }

    fn is_newer_version(&self, path: &Path) -> bool {
        if self.django_cookie_age().is_some() {
            return false;
        }
        let mut head = [0u8; 5];
        File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head[..4] == format::MAGIC && head[4] > format::VERSION)
    }
}

impl SessionStore for FileStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        let Some(target) = self.target(key) else {
            return Ok(None);
        };
        let now = SystemTime::now();
        Ok(self
            .read_file(&target.path)?
            .filter(|(expires_at, _)| *expires_at > now)
            .map(|(expires_at, data)| Record::new(data, expires_at)))
    }

    fn create(&self, record: &Record) -> Result<String> {
        let mut tmp: Option<NamedTempFile> = None;
        for _ in 0..CREATE_ATTEMPTS {
            let key = key::generate();
            let target = self.target(&key).expect("generated keys are well-formed");
            let file = match tmp.take() {
                Some(file) => file,
                None => self
                    .write_temp(&target.dir, record, true)?
                    .expect("write_temp with make=true always writes"),
            };
            let file = match file.persist_noclobber(&target.path) {
                Ok(_) => {
                    self.sync_dir(&target.dir)?;
                    return Ok(key);
                }
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => e.file,
                // A retry's shard directory may not exist yet.
                Err(e) if e.error.kind() == io::ErrorKind::NotFound && target.dir != self.dir => {
                    make_dir(&target.dir, false).map_err(backend)?;
                    match e.file.persist_noclobber(&target.path) {
                        Ok(_) => {
                            self.sync_dir(&target.dir)?;
                            return Ok(key);
                        }
                        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => e.file,
                        Err(e) => return Err(backend(e.error)),
                    }
                }
                Err(e) => return Err(backend(e.error)),
            };
            tracing::warn!(key = %key_prefix(&key), "session key collision; retrying with a new key");
            session_core::telemetry::record_create_collision("FileStore");
            tmp = Some(file);
        }
        Err(Error::KeyExists)
    }

    fn save(&self, key: &str, record: &Record) -> Result<String> {
        let Some(target) = self.target(key) else {
            return Err(Error::Interrupted);
        };
        // Write and sync outside the lock; only the check and the rename are serialized.
        let Some(tmp) = self.write_temp(&target.dir, record, false)? else {
            return Err(Error::Interrupted);
        };
        {
            let _guard = self.lock(key);
            let live = self
                .read_expiry(&target.path)?
                .is_some_and(|expires_at| expires_at > SystemTime::now());
            if !live {
                // Dropping `tmp` removes the temp file: nothing is written.
                return Err(Error::Interrupted);
            }
            replace_existing(tmp, &target.path)?;
        }
        self.sync_dir(&target.dir)?;
        Ok(key.to_owned())
    }

    fn delete(&self, key: &str) -> Result<()> {
        let Some(target) = self.target(key) else {
            return Ok(());
        };
        let removed = {
            let _guard = self.lock(key);
            match fs::remove_file(&target.path) {
                Ok(()) => true,
                Err(e) if is_absent(&e) => false,
                Err(e) => return Err(backend(e)),
            }
        };
        if removed {
            self.sync_dir(&target.dir)?;
        }
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        let Some(target) = self.target(key) else {
            return Ok(false);
        };
        let now = SystemTime::now();
        Ok(self
            .read_expiry(&target.path)?
            .is_some_and(|expires_at| expires_at > now))
    }
}

impl ClearExpired for FileStore {
    /// Removes expired (and corrupt) session files, returning how many, and temp files
    /// older than [`FileConfig::stale_temp_age`]. Files that are not the store's are left
    /// alone.
    fn clear_expired(&self) -> Result<u64> {
        let mut removed = 0;
        self.sweep(&self.dir, true, SystemTime::now(), &mut removed)?;
        Ok(removed)
    }
}

pub(crate) fn backend(e: io::Error) -> Error {
    Error::backend(BACKEND, e)
}

fn corrupt(path: &Path, e: format::FormatError) {
    tracing::warn!(file = %path.display(), error = %e, "corrupt session file ignored");
}
