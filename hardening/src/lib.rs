#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod client;
pub mod private_pg;

/// The value of the environment variable `var` when it is set and not empty; otherwise
/// prints `skipped: set VAR to run` and returns `None`. The tests that call it are also
/// marked ignored when `var` was unset at build time (see `build.rs`), so this only
/// happens when they are run with `--ignored` without their server.
///
/// ```
/// assert_eq!(session_hardening::server_url("SESSION_HARDENING_SURELY_UNSET"), None);
/// ```
pub fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            println!("skipped: set {var} to run");
            None
        }
    }
}

/// The resident set size of process `pid` in KiB (`VmRSS` in `/proc/<pid>/status`), or
/// `None` where `/proc` is not available.
///
/// ```
/// if cfg!(target_os = "linux") {
///     assert!(session_hardening::rss_kib(std::process::id()).unwrap() > 0);
/// }
/// ```
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A small deterministic pseudo-random generator (xorshift64*) for test schedules: kill
/// points, which session a thread touches. Not for secrets.
///
/// ```
/// let mut a = session_hardening::Rng::new(7);
/// let mut b = session_hardening::Rng::new(7);
/// assert_eq!(a.below(1000), b.below(1000));
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value, zero included).
    ///
    /// ```
    /// let _ = session_hardening::Rng::new(0).next_u64();
    /// ```
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// A generator seeded from the clock and the process id, for schedules that should
    /// differ between runs (the seed is returned so a failure can print it).
    ///
    /// ```
    /// let (_rng, seed) = session_hardening::Rng::from_clock();
    /// # let _ = seed;
    /// ```
    pub fn from_clock() -> (Self, u64) {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let seed = nanos ^ u64::from(std::process::id()).rotate_left(32);
        (Rng::new(seed), seed)
    }

    /// The next 64 random bits.
    ///
    /// ```
    /// let mut rng = session_hardening::Rng::new(1);
    /// assert_ne!(rng.next_u64(), rng.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    ///
    /// ```
    /// let mut rng = session_hardening::Rng::new(3);
    /// assert!((0..100).all(|_| rng.below(5) < 5));
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
