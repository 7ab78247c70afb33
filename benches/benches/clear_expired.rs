//! `clear_expired` (Django's `clearsessions`) of 100,000 expired sessions per backend
//! (1,000 in the smoke run). Each timed sweep gets a freshly filled store; filling is
//! not timed.
//!
//! `sqlite-sweep` and `sqlite-floor` fill the same SQLite file layout the same way (rows
//! in creation order, each expiring a little after the one before, as sessions do) and
//! time the store's batched sweep against one `DELETE` of every expired row, the floor a
//! sweep that never releases the writer could reach; 100,000 rows, and a million with
//! `SESSION_BENCH_FULL=1`. `report` prints the ratios.

use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use session_benches::{Backend, Codec, RunMode, Size};
use session_core::Record;

/// The `clear_expired` group: few samples, each one sweep of a freshly filled store.
fn sweep_group(
    c: &mut Criterion,
) -> criterion::BenchmarkGroup<'_, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group("clear_expired");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    group
}

fn clear_expired(c: &mut Criterion) {
    let mode = RunMode::from_env();
    let bytes = Codec::Json.raw_encode(&Size::Typical.data());
    let mut group = sweep_group(c);
    for backend in Backend::all().into_iter().filter(Backend::sweeps) {
        let count = mode.expired_count();
        group.throughput(Throughput::Elements(count as u64));
        let mut reported = false;
        group.bench_function(format!("{}/{}", backend.name(), count), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let fixture = backend.empty();
                    let expires = SystemTime::now() + Duration::from_millis(50);
                    let record = Record::new(bytes.clone(), expires);
                    fixture.fill(count, &record);
                    if let Ok(wait) = expires.duration_since(SystemTime::now()) {
                        std::thread::sleep(wait + Duration::from_millis(5));
                    }
                    let sweeper = fixture.sweeper.as_ref().expect("a sweeper");
                    let start = Instant::now();
                    let cleared = sweeper.clear_expired().expect("clear_expired");
                    total += start.elapsed();
                    if !reported {
                        eprintln!("{}: cleared {cleared} of {count}", backend.name());
                        reported = true;
                    }
                }
                total
            })
        });
    }
    group.finish();
}

/// A SQLite session file in `dir` with `count` expired rows, oldest first.
fn filled_sqlite(dir: &std::path::Path, count: usize, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(format!("sweep-{}.sqlite3", session_core::key::generate()));
    drop(session_db::SqliteStore::open(&path).expect("open"));
    let mut raw = rusqlite::Connection::open(&path).expect("open raw");
    let tx = raw.transaction().expect("begin");
    {
        let mut insert = tx
            .prepare("INSERT INTO sessions (key_hash, data, expires_at) VALUES (?1, ?2, ?3)")
            .expect("prepare");
        for i in 0..count {
            // 32 random bytes, as a key's hash is; expired long ago, one millisecond
            // apart, oldest first
            let key_hash = session_core::key::generate().into_bytes();
            let expires = 1_000_000_000_000i64 + i as i64;
            insert.execute((key_hash, bytes, expires)).expect("insert");
        }
    }
    tx.commit().expect("commit");
    raw.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    path
}

/// The store's sweep against one `DELETE`, on equal files.
fn sqlite_sweep_floor(c: &mut Criterion) {
    let mode = RunMode::from_env();
    let bytes = Codec::Json.raw_encode(&Size::Typical.data());
    let counts: &[usize] = match mode {
        RunMode::Smoke => &[1_000],
        RunMode::Standard => &[100_000],
        RunMode::Full => &[100_000, 1_000_000],
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = sweep_group(c);
    for &count in counts {
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function(format!("sqlite-sweep/{count}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let path = filled_sqlite(dir.path(), count, &bytes);
                    let store = session_db::SqliteStore::open(&path).expect("open");
                    let start = Instant::now();
                    let cleared = session_core::ClearExpired::clear_expired(&store).expect("sweep");
                    total += start.elapsed();
                    assert_eq!(cleared, count as u64);
                }
                total
            })
        });
        group.bench_function(format!("sqlite-floor/{count}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let path = filled_sqlite(dir.path(), count, &bytes);
                    let raw = rusqlite::Connection::open(&path).expect("open raw");
                    raw.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
                        .expect("pragmas");
                    let start = Instant::now();
                    let cleared = raw
                        .execute("DELETE FROM sessions WHERE expires_at <= ?1", [i64::MAX])
                        .expect("delete");
                    total += start.elapsed();
                    assert_eq!(cleared, count);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, clear_expired, sqlite_sweep_floor);
criterion_main!(benches);
