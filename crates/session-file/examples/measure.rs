//! Ad-hoc measurements behind the README numbers (not a benchmark suite: see `benches/`).
//!
//! ```text
//! cargo run -p session-file --release --example measure [SESSIONS]
//! ```
//! 1. `load`/`save` cost against the raw floor (temp file + write + rename, and `fs::read`)
//!    with fsync off and on, in the same run.
//! 2. A directory of SESSIONS (default 100,000) sessions, flat vs sharded: create, load and
//!    save cost per operation, and the time of a `clear_expired` scan (skipped for 0).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use session_core::{ClearExpired, Record, SessionStore};
use session_file::{FileConfig, FileStore};

const PAYLOAD: usize = 1024;

fn record() -> Record {
    Record::new(
        vec![b'x'; PAYLOAD],
        SystemTime::now() + Duration::from_secs(3600),
    )
}

fn per_op(start: Instant, n: usize) -> f64 {
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn raw_write(dir: &Path, target: &Path, data: &[u8], fsync: bool) {
    let mut tmp = tempfile::NamedTempFile::new_in(dir).unwrap();
    tmp.write_all(data).unwrap();
    if fsync {
        tmp.as_file().sync_all().unwrap();
    }
    tmp.persist(target).unwrap();
    if fsync {
        fs::File::open(dir).unwrap().sync_all().unwrap();
    }
}

fn ratios(fsync: bool, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        FileStore::with_config(dir.path(), FileConfig::default().with_fsync(fsync)).unwrap();
    let rec = record();
    let keys: Vec<String> = (0..100).map(|_| store.create(&rec).unwrap()).collect();
    let raw_dir = tempfile::tempdir().unwrap();
    let raw: Vec<_> = (0..100)
        .map(|i| raw_dir.path().join(format!("raw{i}")))
        .collect();
    for p in &raw {
        raw_write(raw_dir.path(), p, &rec.data, false);
    }

    let t = Instant::now();
    for i in 0..n {
        raw_write(raw_dir.path(), &raw[i % 100], &rec.data, fsync);
    }
    let raw_w = per_op(t, n);
    let t = Instant::now();
    for i in 0..n {
        store.save(&keys[i % 100], &rec).unwrap();
    }
    let save = per_op(t, n);
    let reads = n * 10;
    let t = Instant::now();
    for i in 0..reads {
        std::hint::black_box(fs::read(&raw[i % 100]).unwrap());
    }
    let raw_r = per_op(t, reads);
    let t = Instant::now();
    for i in 0..reads {
        std::hint::black_box(store.load(&keys[i % 100]).unwrap());
    }
    let load = per_op(t, reads);
    println!(
        "fsync {fsync:5}: save {save:8.1} µs vs raw temp+rename {raw_w:8.1} µs (x{:.2}); \
         load {load:6.1} µs vs raw read {raw_r:6.1} µs (x{:.2})",
        save / raw_w,
        load / raw_r
    );
}

fn directory(sharded: bool, sessions: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::with_config(
        dir.path(),
        FileConfig::default()
            .with_fsync(false)
            .with_sharded(sharded),
    )
    .unwrap();
    let rec = record();
    let t = Instant::now();
    let keys: Vec<String> = (0..sessions).map(|_| store.create(&rec).unwrap()).collect();
    let create = per_op(t, sessions);
    let sample = 5000.min(sessions);
    let step = sessions / sample;
    let t = Instant::now();
    for i in 0..sample {
        assert!(store.load(&keys[i * step]).unwrap().is_some());
    }
    let load = per_op(t, sample);
    let t = Instant::now();
    for i in 0..sample {
        store.save(&keys[i * step], &rec).unwrap();
    }
    let save = per_op(t, sample);
    let t = Instant::now();
    for i in 0..sample {
        assert!(
            store
                .load(&session_core::key::generate())
                .unwrap()
                .is_none()
        );
        std::hint::black_box(i);
    }
    let miss = per_op(t, sample);
    let t = Instant::now();
    assert_eq!(store.clear_expired().unwrap(), 0);
    let scan = t.elapsed();
    println!(
        "{sessions} sessions, {:7}: create {create:6.1} µs, load {load:6.1} µs, load miss {miss:5.1} µs, \
         save {save:6.1} µs, clear_expired scan {scan:.2?}",
        if sharded { "sharded" } else { "flat" }
    );
}

fn main() {
    let sessions: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |s| s.parse().expect("SESSIONS is a number"));
    ratios(false, 5000);
    ratios(true, 300);
    if sessions == 0 {
        return;
    }
    for small in [1000, sessions] {
        directory(false, small);
        directory(true, small);
    }
}
