//! Test doubles: a cache that always fails, a store that counts its calls, and a log
//! capture.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
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
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        self.inner.load(key)
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

/// Captures what `tracing` logs on this thread while `f` runs.
pub fn capture_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, text)
}
