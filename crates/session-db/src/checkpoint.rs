//! WAL checkpoints on a thread of their own, so that no save ever runs one.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: that
//! save copies pages into the database file and syncs it, which is the slow tail of a
//! store that otherwise commits in microseconds. A file store turns it off on its writer
//! and starts this thread instead, with its own connection: every interval, if anything
//! was committed since the last look (by this store or another process), a `PASSIVE`
//! checkpoint, which waits for nobody (while the store sweeps, at most every 250 ms); when readers keep the WAL from being reset and it
//! has grown past [`WAL_CAP_FRAMES`], a `RESTART` checkpoint, which holds writers off until
//! the WAL starts over. The thread ends when the store is dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// WAL frames (pages) past which a checkpoint that could not finish becomes a `RESTART`
/// one: 16,384 frames, 64 MiB with 4 KiB pages.
pub(crate) const WAL_CAP_FRAMES: i64 = 16_384;

/// How often the thread checkpoints while the store sweeps: each of a sweep's batches
/// rewrites pages the previous one touched, and copying them into the database file after
/// every batch costs the sweep more than a longer WAL costs anyone.
const SWEEPING_INTERVAL: Duration = Duration::from_millis(250);

/// Keeps the checkpoint thread alive; dropping it ends the thread.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
    sweeping: Arc<AtomicBool>,
}

/// What one `PRAGMA wal_checkpoint` reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// The checkpoint could not take a lock it needed (another checkpoint, or a writer
    /// during `RESTART`).
    pub(crate) busy: bool,
    /// Frames in the WAL.
    pub(crate) wal_frames: i64,
    /// Of those, frames now copied into the database file.
    pub(crate) copied: i64,
}

/// Runs `PRAGMA wal_checkpoint(mode)` on `conn`.
pub(crate) fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<Checkpoint> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok(Checkpoint {
            busy: r.get::<_, i64>(0)? != 0,
            wal_frames: r.get(1)?,
            copied: r.get(2)?,
        })
    })
}

impl Checkpointer {
    /// Starts the thread for the database at `path`, checking every `every`; `busy_timeout`
    /// bounds how long a `RESTART` checkpoint waits. `None` when the thread or its
    /// connection cannot be had (the caller keeps SQLite's automatic checkpoints then).
    pub(crate) fn start(path: &Path, every: Duration, busy_timeout: Duration) -> Option<Self> {
        let conn = match open(path, busy_timeout) {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(path = %path.display(), error = &error as &dyn std::error::Error,
                    "no checkpoint connection; SQLite checkpoints on commit instead");
                return None;
            }
        };
        let (stop, stopped) = mpsc::channel::<()>();
        let path_owned: PathBuf = path.to_owned();
        let sweeping = Arc::new(AtomicBool::new(false));
        let sweep_flag = Arc::clone(&sweeping);
        let spawned = std::thread::Builder::new()
            .name("session-db-checkpoint".into())
            .spawn(move || {
                let mut last_version = None;
                let mut last_tick = Instant::now();
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if sweep_flag.load(Ordering::Relaxed) && last_tick.elapsed() < SWEEPING_INTERVAL
                    {
                        continue;
                    }
                    last_tick = Instant::now();
                    if let Err(error) = tick(&conn, &mut last_version) {
                        tracing::warn!(path = %path_owned.display(),
                            error = &error as &dyn std::error::Error,
                            "WAL checkpoint failed; trying again at the next interval");
                    }
                }
            });
        match spawned {
            Ok(_) => Some(Checkpointer {
                _stop: stop,
                sweeping,
            }),
            Err(error) => {
                tracing::warn!(
                    error = &error as &dyn std::error::Error,
                    "no checkpoint thread; SQLite checkpoints on commit instead"
                );
                None
            }
        }
    }
}

impl Checkpointer {
    /// Checkpoints at most every [`SWEEPING_INTERVAL`] until the returned guard drops.
    pub(crate) fn sweeping(&self) -> Sweeping<'_> {
        self.sweeping.store(true, Ordering::Relaxed);
        Sweeping(&self.sweeping)
    }
}

/// A sweep in progress (see [`Checkpointer::sweeping`]).
pub(crate) struct Sweeping<'a>(&'a AtomicBool);

impl Drop for Sweeping<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

fn open(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy_timeout)?;
    Ok(conn)
}

/// One look: checkpoint if anything was committed since the previous look.
fn tick(conn: &Connection, last_version: &mut Option<i64>) -> rusqlite::Result<()> {
    // `data_version` changes when another connection (or process) commits.
    let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    if *last_version == Some(version) {
        return Ok(());
    }
    let done = checkpoint(conn, "PASSIVE")?;
    if done.copied < done.wal_frames && done.wal_frames > WAL_CAP_FRAMES {
        let restarted = checkpoint(conn, "RESTART")?;
        tracing::debug!(
            wal_frames = done.wal_frames,
            busy = restarted.busy,
            "WAL past its cap; restarted it"
        );
    }
    // Only a checkpoint that copied everything leaves nothing for the next look.
    let settled = done.copied >= done.wal_frames;
    *last_version = settled.then_some(version);
    Ok(())
}

#[cfg(test)]
mod sweeping_tests {
    use super::*;

    /// A sweep slows the thread down for exactly as long as its guard lives.
    #[test]
    fn a_sweep_holds_the_slow_interval_while_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA journal_mode = WAL")
            .unwrap();
        let checkpointer =
            Checkpointer::start(&path, Duration::from_millis(5), Duration::from_secs(1)).unwrap();
        assert!(!checkpointer.sweeping.load(Ordering::Relaxed));
        {
            let _sweep = checkpointer.sweeping();
            assert!(checkpointer.sweeping.load(Ordering::Relaxed));
        }
        assert!(!checkpointer.sweeping.load(Ordering::Relaxed));
    }
}
