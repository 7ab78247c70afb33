//! SQLite crash safety: a child saving sessions to a `SqliteStore` file is SIGKILLed at random
//! points, 200 times. After every kill each session holds its last acknowledged value (or
//! the one the child was writing when it died), and `PRAGMA integrity_check` is ok.
//!
//! (The file store's SIGKILL loop lives in session-file's own tests.)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use session_core::{Json, Record, Serializer, SessionData, SessionStore};
use session_db::SqliteStore;
use session_hardening::Rng;

const CHILD: &str = env!("CARGO_BIN_EXE_sqlite-crash-child");
const KILLS: usize = 200;
const SLOTS: usize = 8;

fn integrity_ok(db: &std::path::Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(verdict, "ok");
}

fn load_v(store: &SqliteStore, key: &str) -> u64 {
    let bytes = store
        .load(key)
        .unwrap()
        .expect("a saved session never disappears");
    let data: SessionData = Json.from_bytes(&bytes).unwrap();
    data["v"].as_u64().unwrap()
}

#[test]
fn sqlite_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.sqlite3");
    let keys: Vec<String> = {
        let store = SqliteStore::open(&db).unwrap();
        let far = SystemTime::now() + Duration::from_secs(3600);
        (0..SLOTS)
            .map(|slot| {
                let mut data = SessionData::new();
                data.insert("slot".into(), slot.into());
                data.insert("v".into(), 0.into());
                store
                    .create(&Record::new(Json.to_bytes(&data).unwrap(), far))
                    .unwrap()
            })
            .collect()
    };
    let (mut rng, seed) = Rng::from_clock();
    println!("seed {seed}");
    // The last acknowledged value per slot.
    let mut acked = [0u64; SLOTS];
    let mut next = SLOTS as u64; // the first value to write: slot = v % SLOTS
    let mut total_acks = 0usize;
    let mut killed_before_any_ack = 0usize;
    for round in 0..KILLS {
        let mut child = Command::new(CHILD)
            .arg(&db)
            .arg(next.to_string())
            .args(&keys)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        if rng.below(4) == 0 {
            // Kill anywhere from "still opening the database" on.
            std::thread::sleep(Duration::from_micros(rng.below(25_000)));
        } else {
            // Kill mid-loop: after the first acknowledgement, within a few saves.
            if let Ok(first) = rx.recv() {
                lines.push(first);
            }
            std::thread::sleep(Duration::from_micros(rng.below(8_000)));
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        if status.success() || status.code().is_some() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("round {round}: the child exited by itself ({status}): {err}");
        }
        let mut last = None;
        for line in &lines {
            let mut parts = line.split_whitespace().skip(1);
            let slot: usize = parts.next().unwrap().parse().unwrap();
            let v: u64 = parts.next().unwrap().parse().unwrap();
            assert_eq!(slot, (v % SLOTS as u64) as usize);
            acked[slot] = v;
            last = Some(v);
        }
        total_acks += lines.len();
        if last.is_none() {
            killed_before_any_ack += 1;
        }
        // The value the child may have been writing when it died.
        let in_flight = last.map_or(next, |v| v + 1);

        let store = SqliteStore::open(&db).unwrap();
        for (slot, key) in keys.iter().enumerate() {
            let v = load_v(&store, key);
            let allowed = if (in_flight % SLOTS as u64) as usize == slot {
                v == acked[slot] || v == in_flight
            } else {
                v == acked[slot]
            };
            assert!(
                allowed,
                "round {round} (seed {seed}): slot {slot} holds {v}, last acknowledged {}, in flight {in_flight}",
                acked[slot]
            );
            acked[slot] = v;
        }
        drop(store);
        if round % 20 == 0 {
            integrity_ok(&db);
        }
        next = in_flight + 1;
        // Keep the slot schedule aligned: the next child starts at slot 0.
        next += SLOTS as u64 - next % SLOTS as u64;
    }
    integrity_ok(&db);
    println!(
        "{KILLS} kills, {total_acks} acknowledged saves, {killed_before_any_ack} kills before the first ack"
    );
    assert!(
        total_acks > 0,
        "the child never got to save: the test proved nothing"
    );
}
