//! A child process saving sessions is SIGKILLed at random points, 200 times: every session
//! then holds its last acknowledged value or the one in flight, never a torn file, and no
//! temp file survives `clear_expired`.
//!
//! The child is this test binary itself, re-run with `CHILD_DIR` set so that only
//! [`child_process`] runs and does the saving.

use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use session_core::{ClearExpired, SessionStore};
use session_file::{FileConfig, FileStore, format};

use crate::{live, names};

const CHILD_DIR: &str = "SESSION_FILE_CRASH_CHILD_DIR";
const CHILD_KEYS: &str = "SESSION_FILE_CRASH_CHILD_KEYS";
const CHILD_FSYNC: &str = "SESSION_FILE_CRASH_CHILD_FSYNC";
const ITERATIONS: u64 = 200;
const SESSIONS: usize = 6;

/// Session `i` at version `n`: a header then a body whose size varies with `n` (up to
/// 256 KB, so that kills land inside writes), every byte derived from `(i, n)`.
fn value(i: usize, n: u64) -> Vec<u8> {
    let mut v = format!("{i}:{n}:").into_bytes();
    let len = [16usize, 4096, 262_144][(n % 3) as usize];
    v.resize(v.len() + len, (n as u8) ^ (i as u8).rotate_left(4));
    v
}

fn version(i: usize, data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(&data[..data.len().min(40)]).into_owned();
    let mut parts = text.splitn(3, ':');
    assert_eq!(
        parts.next(),
        Some(i.to_string().as_str()),
        "session {i} holds another's data"
    );
    let n: u64 = parts.next().unwrap().parse().unwrap();
    assert_eq!(data, value(i, n), "session {i} version {n} is torn");
    n
}

/// The child: saves the sessions round-robin forever (bounded), printing each
/// acknowledged save. Does nothing when run as an ordinary test.
#[test]
fn child_process() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let fsync = std::env::var(CHILD_FSYNC).is_ok_and(|v| v == "1");
    let store = FileStore::with_config(&dir, FileConfig::default().with_fsync(fsync)).unwrap();
    let keys: Vec<String> = std::env::var(CHILD_KEYS)
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut versions: Vec<u64> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| version(i, &store.load(k).unwrap().unwrap()))
        .collect();
    println!("CHILD-READY");
    for round in 0..5_000 {
        let i = round % keys.len();
        versions[i] += 1;
        store.save(&keys[i], &live(&value(i, versions[i]))).unwrap();
        println!("CHILD-ACK {i} {}", versions[i]);
    }
}

#[test]
fn sigkill_while_saving_leaves_old_or_new_value() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::with_config(
        dir.path(),
        FileConfig::default()
            .with_fsync(false)
            .with_stale_temp_age(Duration::ZERO),
    )
    .unwrap();
    let keys: Vec<String> = (0..SESSIONS)
        .map(|i| store.create(&live(&value(i, 0))).unwrap())
        .collect();
    let mut acked = [0u64; SESSIONS];
    let exe = std::env::current_exe().unwrap();
    let random = RandomState::new();
    let mut in_flight_seen = 0;

    for iteration in 0..ITERATIONS {
        let mut child = Command::new(&exe)
            .args([
                "crash::child_process",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_KEYS, keys.join(","))
            .env(CHILD_FSYNC, if iteration % 4 == 3 { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // wait until the child is saving, then kill it at a random point
        let mut lines = Vec::new();
        for line in rx.iter() {
            // the harness prints "test crash::child_process ... " before the child's output
            let ready = line.ends_with("CHILD-READY");
            lines.push(line);
            if ready {
                break;
            }
        }
        let delay_us = random.hash_one(iteration) % 10_000;
        std::thread::sleep(Duration::from_micros(delay_us));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        assert!(
            lines.iter().any(|l| l.ends_with("CHILD-READY")),
            "child failed to start: {:?}",
            &lines[..lines.len().min(10)]
        );
        for line in &lines {
            if let Some((_, rest)) = line.split_once("CHILD-ACK ") {
                let (i, n) = rest.split_once(' ').unwrap();
                acked[i.parse::<usize>().unwrap()] = n.parse().unwrap();
            }
        }
        for (i, key) in keys.iter().enumerate() {
            let data = store
                .load(key)
                .unwrap()
                .unwrap_or_else(|| panic!("session {i} unreadable after kill {iteration}"));
            let n = version(i, &data);
            assert!(
                n == acked[i] || n == acked[i] + 1,
                "session {i}: stored version {n}, last acknowledged {}",
                acked[i]
            );
            in_flight_seen += usize::from(n == acked[i] + 1);
            acked[i] = n;
        }
    }
    let temp_files_left = names(dir.path())
        .iter()
        .filter(|n| n.starts_with(format::TEMP_PREFIX))
        .count();
    eprintln!(
        "{ITERATIONS} kills: {} saves acknowledged, {temp_files_left} temp files left by kills, \
         {in_flight_seen} unacknowledged-but-persisted saves",
        acked.iter().sum::<u64>()
    );
    assert_eq!(store.clear_expired().unwrap(), 0);
    let mut expect: Vec<String> = keys.iter().map(|k| format::file_name(k)).collect();
    expect.sort();
    assert_eq!(names(dir.path()), expect);
}
