//! Options of a [`FileStore`](crate::FileStore).

use std::time::Duration;

/// How session files are named and what they hold.
///
/// ```
/// use session_file::{FileConfig, Format};
/// assert_eq!(FileConfig::default().format, Format::Native);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `sess-<sha256 hex of the key>` holding a versioned header (expiry) and the payload.
    /// The default: a directory listing leaks no usable cookie.
    Native,
    /// Django's file backend layout: `<file_prefix><key>` (Django uses its
    /// `SESSION_COOKIE_NAME`, `sessionid`) holding just the payload, which must be the
    /// Django `session_data` text; the expiry is the file's mtime + `cookie_age`, as in
    /// Django. See the crate docs for the limits of this mode.
    Django {
        /// Django's `SESSION_COOKIE_AGE`.
        cookie_age: Duration,
        /// Django's `SESSION_COOKIE_NAME`, the file name prefix.
        file_prefix: String,
    },
}

/// Options of a [`FileStore`](crate::FileStore); build with the chainable setters.
///
/// ```
/// use std::time::Duration;
/// use session_file::FileConfig;
/// let config = FileConfig::default().with_fsync(false).with_sharded(true).with_stale_temp_age(Duration::from_secs(60));
/// assert!(!config.fsync && config.sharded);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileConfig {
    /// `fsync` every written file before it replaces the old one, and the directory after
    /// each rename or delete (default `true`). Off, a process crash still leaves the old or
    /// the new session (rename is atomic), but a power loss may lose recent writes or leave
    /// a file that then reads as corrupt (treated as absent).
    pub fsync: bool,
    /// Spread files over 256 subdirectories named by the first two hex chars of the file
    /// name (default `false`: measured flat on ext4 up to 100k sessions, see the README).
    /// Ignored in Django mode.
    pub sharded: bool,
    /// Temporary files older than this are removed by `clear_expired` (default 15 min; a
    /// write never takes that long, so such a file was left by a crash).
    pub stale_temp_age: Duration,
    /// Create the directory (and its parents) with mode 0700 if it does not exist
    /// (default `false`: a missing directory is an error, as in Django).
    pub create_dir: bool,
    /// The file layout (default [`Format::Native`]).
    pub format: Format,
    /// Let async callers read in place (default `true`): the store's async side
    /// ([`AsyncSessionStore`](session_core::AsyncSessionStore)) runs `load_record` and
    /// `exists` on the calling task, and only writes (`create`, `save`, `delete`,
    /// `touch`, sweeps), which sync and may wait for another request's lock, on tokio's
    /// blocking pool. On a local filesystem a session file's read is a copy out of the
    /// page cache; turn this off where a read can block for long (a network filesystem,
    /// a cold spinning disk), and every operation moves to the blocking pool.
    pub inline_reads: bool,
    /// How many writes of async callers the store runs on tokio's blocking pool at once;
    /// more wait their turn on their task (default: 8 per CPU). A write holds a pool
    /// thread for as long as its fsyncs take: dozens of them at once crowd the executor's
    /// worker threads off the CPU — a worker then stalls for milliseconds — for little
    /// more throughput. `0` puts no limit.
    pub pooled_writes: usize,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            fsync: true,
            sharded: false,
            stale_temp_age: Duration::from_secs(15 * 60),
            create_dir: false,
            format: Format::Native,
            inline_reads: true,
            pooled_writes: std::thread::available_parallelism().map_or(8, |n| 8 * n.get()),
        }
    }
}

impl FileConfig {
    /// Sets [`fsync`](Self::fsync).
    ///
    /// ```
    /// assert!(!session_file::FileConfig::default().with_fsync(false).fsync);
    /// ```
    #[must_use]
    pub fn with_fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    /// The name of [`with_fsync`](Self::with_fsync) before the builders were named alike.
    #[deprecated(note = "renamed to `with_fsync`")]
    pub fn fsync(self, on: bool) -> Self {
        self.with_fsync(on)
    }

    /// Sets [`inline_reads`](Self::inline_reads).
    ///
    /// ```
    /// assert!(!session_file::FileConfig::default().with_inline_reads(false).inline_reads);
    /// ```
    #[must_use]
    pub fn with_inline_reads(mut self, on: bool) -> Self {
        self.inline_reads = on;
        self
    }

    /// Sets [`pooled_writes`](Self::pooled_writes).
    ///
    /// ```
    /// assert_eq!(session_file::FileConfig::default().with_pooled_writes(4).pooled_writes, 4);
    /// ```
    #[must_use]
    pub fn with_pooled_writes(mut self, at_once: usize) -> Self {
        self.pooled_writes = at_once;
        self
    }

    /// Sets [`sharded`](Self::sharded).
    ///
    /// ```
    /// assert!(session_file::FileConfig::default().with_sharded(true).sharded);
    /// ```
    #[must_use]
    pub fn with_sharded(mut self, on: bool) -> Self {
        self.sharded = on;
        self
    }

    /// The name of [`with_sharded`](Self::with_sharded) before the builders were named alike.
    #[deprecated(note = "renamed to `with_sharded`")]
    pub fn sharded(self, on: bool) -> Self {
        self.with_sharded(on)
    }

    /// Sets [`stale_temp_age`](Self::stale_temp_age).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let c = session_file::FileConfig::default().with_stale_temp_age(Duration::ZERO);
    /// assert_eq!(c.stale_temp_age, Duration::ZERO);
    /// ```
    #[must_use]
    pub fn with_stale_temp_age(mut self, age: Duration) -> Self {
        self.stale_temp_age = age;
        self
    }

    /// The name of [`with_stale_temp_age`](Self::with_stale_temp_age) before the builders were named alike.
    #[deprecated(note = "renamed to `with_stale_temp_age`")]
    pub fn stale_temp_age(self, age: Duration) -> Self {
        self.with_stale_temp_age(age)
    }

    /// Sets [`create_dir`](Self::create_dir).
    ///
    /// ```
    /// assert!(session_file::FileConfig::default().with_create_dir(true).create_dir);
    /// ```
    #[must_use]
    pub fn with_create_dir(mut self, on: bool) -> Self {
        self.create_dir = on;
        self
    }

    /// The name of [`with_create_dir`](Self::with_create_dir) before the builders were named alike.
    #[deprecated(note = "renamed to `with_create_dir`")]
    pub fn create_dir(self, on: bool) -> Self {
        self.with_create_dir(on)
    }

    /// Django mode: Django's file naming (`sessionid<key>`) and contents, expiry from the
    /// mtime + `cookie_age` (Django's `SESSION_COOKIE_AGE`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// use session_file::{FileConfig, Format};
    /// let c = FileConfig::default().with_django(Duration::from_secs(1_209_600));
    /// assert!(matches!(c.format, Format::Django { ref file_prefix, .. } if file_prefix == "sessionid"));
    /// ```
    #[must_use]
    pub fn with_django(mut self, cookie_age: Duration) -> Self {
        self.format = Format::Django {
            cookie_age,
            file_prefix: "sessionid".to_owned(),
        };
        self
    }

    /// The name of [`with_django`](Self::with_django) before the builders were named alike.
    #[deprecated(note = "renamed to `with_django`")]
    pub fn django(self, cookie_age: Duration) -> Self {
        self.with_django(cookie_age)
    }

    /// Django mode with a custom file name prefix (Django's `SESSION_COOKIE_NAME`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// use session_file::{FileConfig, Format};
    /// let c = FileConfig::default().with_django_file_prefix(Duration::from_secs(60), "sid");
    /// assert!(matches!(c.format, Format::Django { ref file_prefix, .. } if file_prefix == "sid"));
    /// ```
    #[must_use]
    pub fn with_django_file_prefix(
        mut self,
        cookie_age: Duration,
        prefix: impl Into<String>,
    ) -> Self {
        self.format = Format::Django {
            cookie_age,
            file_prefix: prefix.into(),
        };
        self
    }

    /// The name of [`with_django_file_prefix`](Self::with_django_file_prefix) before the builders were named alike.
    #[deprecated(note = "renamed to `with_django_file_prefix`")]
    pub fn django_with_prefix(self, cookie_age: Duration, prefix: impl Into<String>) -> Self {
        self.with_django_file_prefix(cookie_age, prefix)
    }
}
