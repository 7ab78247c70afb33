//! Test doubles: a cache that always fails, a store that counts its calls, and a log
//! capture.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use session_cache::KeyedCache;
use session_core::{Error, MemoryStore, Record, Result, SessionStore};

pub fn live(data: &[u8]) -> Record {
    Record::new(data.to_vec(), SystemTime::now() + Duration::from_secs(3600))
}

/// A cache whose every call fails, like a cache server that is down.
#[derive(Debug, Default)]
pub struct FailingCache {
    pub calls: AtomicUsize,
}

impl FailingCache {
    fn fail<T>(&self) -> Result<T> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(Error::backend(
            "test-cache",
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "cache server down"),
        ))
    }
}

impl KeyedCache for FailingCache {
    fn get(&self, _: &str) -> Result<Option<Record>> {
        self.fail()
    }
    fn put(&self, _: &str, _: &Record) -> Result<()> {
        self.fail()
    }
    fn remove(&self, _: &str) -> Result<()> {
        self.fail()
    }
    fn contains(&self, _: &str) -> Result<bool> {
        self.fail()
    }
}

/// A `MemoryStore` that counts how often it is asked to read.
#[derive(Debug, Default)]
pub struct CountingStore {
    pub inner: MemoryStore,
    pub loads: AtomicUsize,
    pub exists: AtomicUsize,
}

impl CountingStore {
    pub fn reads(&self) -> usize {
        self.loads.load(Ordering::Relaxed) + self.exists.load(Ordering::Relaxed)
    }
}

impl SessionStore for CountingStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        self.inner.load_record(key)
    }
    fn create(&self, record: &Record) -> Result<String> {
        self.inner.create(record)
    }
    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.inner.save(key, record)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool> {
        self.exists.fetch_add(1, Ordering::Relaxed);
        self.inner.exists(key)
    }
}

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// Writes log lines into this thread's capture buffer, if one is open.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(buf) = c.borrow_mut().as_mut() {
                buf.extend_from_slice(b);
            }
        });
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures what `tracing` logs on this thread while `f` runs.
///
/// One global subscriber writing to per-thread buffers: a scoped (`with_default`)
/// subscriber can miss events when tests run in parallel, because tracing caches each
/// call site's interest across threads.
pub fn capture_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadWriter)
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
    CAPTURE.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let out = f();
    let buf = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (out, String::from_utf8_lossy(&buf).into_owned())
}

/// A `MemoryStore` whose next `load`, once armed, stops after reading the store until the
/// test releases it: forces a "read, then something else happens, then fill" interleaving.
pub struct GatedStore {
    pub inner: MemoryStore,
    pub armed: std::sync::atomic::AtomicBool,
    pub reached: std::sync::Barrier,
    pub release: std::sync::Barrier,
}

impl Default for GatedStore {
    fn default() -> Self {
        GatedStore {
            inner: MemoryStore::new(),
            armed: Default::default(),
            reached: std::sync::Barrier::new(2),
            release: std::sync::Barrier::new(2),
        }
    }
}

impl SessionStore for GatedStore {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        let data = self.inner.load_record(key);
        if self.armed.swap(false, Ordering::SeqCst) {
            self.reached.wait();
            self.release.wait();
        }
        data
    }
    fn create(&self, record: &Record) -> Result<String> {
        self.inner.create(record)
    }
    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.inner.save(key, record)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool> {
        self.inner.exists(key)
    }
}
