//! Ad-hoc measurement: the cost of `SqliteStore::load`/`save` relative to the raw prepared
//! rusqlite statement on the same file, in the same run; and load throughput while a
//! writer saves, with and without reader connections.
//!
//! `cargo run --release -p session-db --example overhead [-- --sweep]`

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use session_core::{Record, SessionStore};
use session_db::SqliteConfig;
use sha2::{Digest, Sha256};

const N: u32 = 50_000;

fn per_op(start: Instant, n: u32) -> f64 {
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.sqlite3");
    let store = SqliteConfig::native().open(&path)?;
    let data = vec![b'x'; 200];
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let keys: Vec<String> = (0..1000)
        .map(|_| store.create(&Record::new(data.clone(), expires)))
        .collect::<Result<_, _>>()?;

    let raw = rusqlite::Connection::open(&path)?;
    raw.pragma_update(None, "synchronous", "NORMAL")?;
    let hashes: Vec<[u8; 32]> = keys.iter().map(|k| Sha256::digest(k).into()).collect();
    let now_ms = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let exp_ms = expires.duration_since(UNIX_EPOCH)?.as_millis() as i64;

    for round in 0..2 {
        let t = Instant::now();
        for i in 0..N {
            let h = &hashes[i as usize % hashes.len()];
            let mut stmt = raw.prepare_cached(
                "SELECT data FROM sessions WHERE key_hash = ?1 AND expires_at > ?2",
            )?;
            let v: Vec<u8> = stmt.query_row((h, now_ms()), |r| r.get(0))?;
            black_box(v);
        }
        let raw_load = per_op(t, N);
        let t = Instant::now();
        for i in 0..N {
            black_box(store.load(&keys[i as usize % keys.len()])?);
        }
        let store_load = per_op(t, N);

        let t = Instant::now();
        for i in 0..N {
            let h = &hashes[i as usize % hashes.len()];
            let mut stmt = raw.prepare_cached(
                "UPDATE sessions SET data = ?2, expires_at = ?3 WHERE key_hash = ?1 AND expires_at > ?4",
            )?;
            assert_eq!(stmt.execute((h, &data, exp_ms, now_ms()))?, 1);
        }
        let raw_save = per_op(t, N);
        let t = Instant::now();
        for i in 0..N {
            store.save(
                &keys[i as usize % keys.len()],
                &Record::new(data.clone(), expires),
            )?;
        }
        let store_save = per_op(t, N);
        println!(
            "round {round}: load raw {raw_load:.0} ns, SqliteStore {store_load:.0} ns (x{:.2}); \
             save raw {raw_save:.0} ns, SqliteStore {store_save:.0} ns (x{:.2})",
            store_load / raw_load,
            store_save / raw_save
        );
    }

    // with `--sweep`: a sweep of 1M expired rows, how long each 1,000-row batch holds the
    // write lock (about 2 minutes)
    if std::env::args().any(|a| a == "--sweep") {
        let sweep = dir.path().join("sweep.sqlite3");
        let store = SqliteConfig::native().open(&sweep)?;
        let raw = rusqlite::Connection::open(&sweep)?;
        raw.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
             INSERT INTO sessions (key_hash, data, expires_at)
             SELECT randomblob(32), randomblob(200), 0 FROM n",
        )?;
        let t = Instant::now();
        let mut last = Instant::now();
        let mut worst = Duration::ZERO;
        let total = store.clear_expired_with(|_| {
            worst = worst.max(last.elapsed());
            last = Instant::now();
        })?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "sweep: {total} rows in {secs:.2} s, {:.2} ms per 1,000-row batch on average, worst {:.2} ms",
            secs * 1000.0 / (total as f64 / 1000.0),
            worst.as_secs_f64() * 1000.0
        );
    }

    // loads from 2 threads while a third saves continuously
    for readers in [0, 4] {
        let store = SqliteConfig::native().with_readers(readers).open(&path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (store, stop, key, data) =
                (store.clone(), stop.clone(), keys[0].clone(), data.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    store
                        .save(&key, &Record::new(data.clone(), expires))
                        .unwrap();
                    n += 1;
                }
                n
            })
        };
        let t = Instant::now();
        let loaders: Vec<_> = (0..2)
            .map(|_| {
                let (store, keys) = (store.clone(), keys.clone());
                std::thread::spawn(move || {
                    for i in 0..N {
                        black_box(store.load(&keys[i as usize % keys.len()]).unwrap());
                    }
                })
            })
            .collect();
        for l in loaders {
            l.join().unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let saves = writer.join().unwrap();
        println!(
            "readers={readers}: {:.0} loads/s from 2 threads while {:.0} saves/s",
            f64::from(2 * N) / secs,
            saves as f64 / secs
        );
    }
    Ok(())
}
