//! The sessions every bench stores, and how big a run is.

use std::ops::Range;
use std::time::{Duration, SystemTime};

use serde_json::json;
use session_core::SessionData;

/// The two session shapes measured: a typical one and a large one.
///
/// ```
/// use session_benches::Size;
/// assert!(Size::Typical.data().len() == 5);
/// assert!(serde_json::to_vec(&Size::Large.data()).unwrap().len() > 4000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 5 keys, about 100 bytes of JSON: `member_id`, `has_commented`, a 5-int `cart`,
    /// `username`, `_session_expiry`.
    Typical,
    /// The typical session plus a `recently_viewed` list: about 4 KB of JSON.
    Large,
}

impl Size {
    /// Both sizes, typical first.
    ///
    /// ```
    /// assert_eq!(session_benches::Size::ALL.len(), 2);
    /// ```
    pub const ALL: [Size; 2] = [Size::Typical, Size::Large];

    /// The name used in bench ids.
    ///
    /// ```
    /// assert_eq!(session_benches::Size::Large.name(), "large");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Size::Typical => "typical",
            Size::Large => "large",
        }
    }

    /// The session of this size.
    ///
    /// ```
    /// let data = session_benches::Size::Typical.data();
    /// assert_eq!(data["username"], "visitor-00000000");
    /// ```
    pub fn data(self) -> SessionData {
        let mut data = typical();
        if self == Size::Large {
            let viewed: Vec<_> = (0..40)
                .map(|i| {
                    json!({
                        "product_id": 100_000 + i * 37,
                        "title": format!("Hand-made ceramic mug, glazed, model {i:03}"),
                        "seen": "2026-11-25T17:00:00",
                    })
                })
                .collect();
            data.insert("recently_viewed".into(), viewed.into());
        }
        data
    }
}

fn typical() -> SessionData {
    let value = json!({
        "member_id": 4217,
        "has_commented": true,
        "cart": [1201, 1733, 2054, 977, 3310],
        "username": USERNAME,
        "_session_expiry": 1_209_600,
    });
    match value {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// The username of every bench session; its eight zeros are the slot a [`Payload`]
/// overwrites so that every timed save writes a real change.
pub const USERNAME: &str = "visitor-00000000";

/// Encoded session bytes with a counter slot: [`Payload::bump`] changes the bytes in
/// place, so every save writes different data (SQLite turns a byte-identical overwrite
/// into a no-op commit, which would flatter every save).
///
/// ```
/// use session_benches::{Payload, Size};
/// let bytes = serde_json::to_vec(&Size::Typical.data()).unwrap();
/// let mut p = Payload::new(bytes);
/// let before = p.bytes().to_vec();
/// p.bump();
/// assert_ne!(before, p.bytes());
/// assert!(String::from_utf8_lossy(p.bytes()).contains("visitor-00000001"));
/// ```
#[derive(Debug, Clone)]
pub struct Payload {
    bytes: Vec<u8>,
    slot: Range<usize>,
    counter: u32,
}

impl Payload {
    /// Wraps encoded session bytes that contain [`USERNAME`] (JSON, MessagePack and
    /// Django's JSON all keep the string as is).
    ///
    /// # Panics
    /// When the bytes do not contain [`USERNAME`]: a bug in the bench, not input.
    ///
    /// ```
    /// let p = session_benches::Payload::new(b"visitor-00000000".to_vec());
    /// assert_eq!(p.bytes().len(), 16);
    /// ```
    pub fn new(bytes: Vec<u8>) -> Self {
        let at = bytes
            .windows(USERNAME.len())
            .position(|w| w == USERNAME.as_bytes())
            .expect("bench payloads contain the username slot");
        let start = at + USERNAME.len() - 8;
        Payload {
            bytes,
            slot: start..start + 8,
            counter: 0,
        }
    }

    /// The current bytes.
    ///
    /// ```
    /// let p = session_benches::Payload::new(b"visitor-00000000".to_vec());
    /// assert_eq!(p.bytes(), b"visitor-00000000");
    /// ```
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Writes the next counter value into the slot (same length, new bytes).
    ///
    /// ```
    /// let mut p = session_benches::Payload::new(b"visitor-00000000".to_vec());
    /// p.bump();
    /// p.bump();
    /// assert_eq!(p.bytes(), b"visitor-00000002");
    /// ```
    pub fn bump(&mut self) {
        self.counter = (self.counter + 1) % 100_000_000;
        let mut n = self.counter;
        for b in self.bytes[self.slot.clone()].iter_mut().rev() {
            *b = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
}

/// When bench sessions expire: an hour from now (long enough for any run; a Redis or
/// PostgreSQL leftover goes away by itself).
///
/// ```
/// assert!(session_benches::live_until() > std::time::SystemTime::now());
/// ```
pub fn live_until() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

/// How much a run measures; read once from the environment and the command line.
///
/// - `Smoke`: `cargo bench -p session-benches -- --quick` (or `--test`, or
///   `SESSION_BENCH_SMOKE=1`): every group, briefly, over 1,000 live sessions, with
///   small sweeps; under two minutes, for CI.
/// - `Standard`: `cargo bench -p session-benches`: 10,000 live sessions, sweeps of
///   100,000.
/// - `Full`: `SESSION_BENCH_FULL=1 cargo bench -p session-benches`: also 1,000,000 live
///   sessions for the engines whose cost could grow with the store.
///
/// ```
/// let mode = session_benches::RunMode::from_env();
/// assert!(mode.store_sizes().contains(&10_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// The CI smoke run.
    Smoke,
    /// The default run.
    Standard,
    /// The default run plus stores of a million sessions.
    Full,
}

impl RunMode {
    /// The mode of this process: `SESSION_BENCH_FULL=1` wins, then `SESSION_BENCH_SMOKE=1`
    /// or a `--quick`/`--test` argument.
    ///
    /// ```
    /// # let _ = session_benches::RunMode::from_env();
    /// ```
    pub fn from_env() -> Self {
        let on = |var| std::env::var(var).is_ok_and(|v| v == "1");
        if on("SESSION_BENCH_FULL") {
            RunMode::Full
        } else if on("SESSION_BENCH_SMOKE")
            || std::env::args().any(|a| a == "--quick" || a == "--test")
        {
            RunMode::Smoke
        } else {
            RunMode::Standard
        }
    }

    /// Live-session counts to build stores with.
    ///
    /// ```
    /// assert_eq!(session_benches::RunMode::Full.store_sizes(), [10_000, 1_000_000]);
    /// ```
    pub fn store_sizes(self) -> &'static [usize] {
        match self {
            RunMode::Smoke => &[1_000],
            RunMode::Standard => &[10_000],
            RunMode::Full => &[10_000, 1_000_000],
        }
    }

    /// Criterion's settings for this mode: short in the smoke run (each bench stops
    /// after 200 ms under `--quick`), 30 samples over 1.5 s otherwise (slow operations
    /// such as fsynced file writes still finish in seconds).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let (warm_up, measure, samples) = session_benches::RunMode::Smoke.timing();
    /// assert!(warm_up + measure < Duration::from_secs(1) && samples >= 10);
    /// ```
    pub fn timing(self) -> (Duration, Duration, usize) {
        match self {
            RunMode::Smoke => (Duration::from_millis(50), Duration::from_millis(200), 10),
            _ => (Duration::from_millis(500), Duration::from_millis(1500), 30),
        }
    }

    /// A `Criterion` set to [`timing`](Self::timing): every bench target's config.
    ///
    /// ```
    /// let _c = session_benches::RunMode::Smoke.criterion();
    /// ```
    pub fn criterion(self) -> criterion::Criterion {
        let (warm_up, measure, samples) = self.timing();
        criterion::Criterion::default()
            .warm_up_time(warm_up)
            .measurement_time(measure)
            .sample_size(samples)
    }

    /// Session sizes to bench at the smaller store size (the smoke run: typical only).
    ///
    /// ```
    /// use session_benches::{RunMode, Size};
    /// assert_eq!(RunMode::Smoke.sizes(), [Size::Typical]);
    /// ```
    pub fn sizes(self) -> &'static [Size] {
        match self {
            RunMode::Smoke => &[Size::Typical],
            _ => &Size::ALL,
        }
    }

    /// How many expired sessions a `clear_expired` bench sweeps.
    ///
    /// ```
    /// assert_eq!(session_benches::RunMode::Standard.expired_count(), 100_000);
    /// ```
    pub fn expired_count(self) -> usize {
        match self {
            RunMode::Smoke => 1_000,
            _ => 100_000,
        }
    }
}

/// Whether a bench group named `name` can match the filter given to the bench binary
/// (`cargo bench -- <filter>`), so fixtures no filter asks for are never built: filling a
/// million sessions into every backend to run one of them took minutes.
///
/// Conservative: with no filter, or a filter that names no backend of `all`, everything
/// is wanted; otherwise the backends whose name the filter contains.
///
/// ```
/// use session_benches::wanted;
/// let all = ["db-file", "cache", "cached-db"];
/// assert!(wanted("cache", None, &all));
/// assert!(wanted("cache", Some("^cache/load"), &all));
/// assert!(!wanted("db-file", Some("^cache/load"), &all));
/// assert!(wanted("db-file", Some("load_hit"), &all)); // names no backend: all of them
/// ```
pub fn wanted(name: &str, filter: Option<&str>, all: &[&str]) -> bool {
    match filter {
        Some(filter) if all.iter().any(|b| filter.contains(b)) => filter.contains(name),
        _ => true,
    }
}

/// The filter criterion was given on the command line: the first argument that is neither
/// an option nor an option's value.
///
/// ```
/// let args = ["--bench", "--output-format", "bencher", "^db-file/"].map(String::from);
/// assert_eq!(session_benches::filter_in(args).as_deref(), Some("^db-file/"));
/// ```
pub fn filter_in(args: impl IntoIterator<Item = String>) -> Option<String> {
    // criterion's options that take a value
    const WITH_VALUE: &[&str] = &[
        "--output-format",
        "--profile-time",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--measurement-time",
        "--warm-up-time",
        "--sample-size",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--color",
        "--plotting-backend",
        "--format",
        "--logfile",
        "-c",
        "-b",
        "-s",
    ];
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}
