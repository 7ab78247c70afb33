//! The reference store passes the whole suite.

use session_core::MemoryStore;

session_core::conformance_tests!(memory, MemoryStore::new(), clear_expired);
session_core::conformance_tests!(memory_client_side_subset, MemoryStore::new(), client_side);
session_core::conformance_tests!(
    memory_text_only,
    MemoryStore::new(),
    clear_expired,
    text_only
);
session_core::conformance_tests!(
    optional_present,
    optional Some(MemoryStore::new()),
    clear_expired
);
session_core::conformance_tests!(
    optional_absent,
    optional session_core::conformance::store_from_env("SESSION_TEST_NO_SUCH_SERVER", |_| {
        MemoryStore::new()
    })
);

// Attributes before the module name go on every generated test: `cfg(any())` removes the
// tests, so this store expression, which names nothing, is never compiled. Without the
// pass-through it would not compile.
session_core::conformance_tests!(
    #[cfg(all())]
    #[cfg(any())]
    attributes_reach_every_test,
    no_such_store(),
    clear_expired
);
session_core::conformance_tests!(
    #[cfg(any())]
    attributes_reach_every_optional_test,
    optional no_such_store(),
    client_side
);

// The async side of the reference store, through its async methods.
session_core::async_conformance_tests!(memory_async, MemoryStore::new(), clear_expired);

/// An async-only store, written only against the public API (no sync side): the async
/// suite checks it, and a manager over it drives it through the steps.
mod async_only {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::SystemTime;

    use session_core::conformance::block_on;
    use session_core::{AsyncSessionStore, Error, Record, Result, SessionManager, key};

    #[derive(Default)]
    pub struct MapStore(Mutex<HashMap<String, Record>>);

    impl MapStore {
        fn live(&self, key: &str) -> Option<Record> {
            let map = self.0.lock().unwrap();
            map.get(key)
                .filter(|r| !r.is_expired_at(SystemTime::now()))
                .cloned()
        }
    }

    impl AsyncSessionStore for MapStore {
        async fn load_record(&self, key: &str) -> Result<Option<Record>> {
            Ok(self.live(key))
        }
        async fn create(&self, record: &Record) -> Result<String> {
            let mut map = self.0.lock().unwrap();
            for _ in 0..session_core::CREATE_ATTEMPTS {
                let key = key::generate();
                if !map.contains_key(&key) {
                    map.insert(key.clone(), record.clone());
                    return Ok(key);
                }
            }
            Err(Error::KeyExists)
        }
        async fn save(&self, key: &str, record: &Record) -> Result<String> {
            if self.live(key).is_none() {
                return Err(Error::Interrupted);
            }
            self.0
                .lock()
                .unwrap()
                .insert(key.to_owned(), record.clone());
            Ok(key.to_owned())
        }
        async fn delete(&self, key: &str) -> Result<()> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
        async fn exists(&self, key: &str) -> Result<bool> {
            Ok(self.live(key).is_some())
        }
        async fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
            let mut map = self.0.lock().unwrap();
            match map.get_mut(key) {
                Some(r) if !r.is_expired_at(SystemTime::now()) => {
                    r.expires_at = expires_at;
                    Ok(())
                }
                _ => Err(Error::Interrupted),
            }
        }
    }

    session_core::async_conformance_tests!(suite, MapStore::default());

    #[test]
    fn an_async_driver_performs_the_steps() {
        let manager = SessionManager::new_async(MapStore::default());
        let store = manager.async_store().expect("an async store");
        let mut session = manager.session(None);
        session.insert("cart", 2).unwrap();
        session.begin_save();
        while let Some(op) = session.next_op().unwrap() {
            let outcome = block_on(op.perform_async(store));
            session.complete(outcome).unwrap();
        }
        let key = session.key().unwrap().to_owned();

        let mut again = manager.session(Some(&key));
        again.begin_load();
        while let Some(op) = again.next_op().unwrap() {
            again.complete(block_on(op.perform_async(store))).unwrap();
        }
        assert_eq!(again.get::<i32>("cart").unwrap(), Some(2));

        // The sync API has no way to this store: a clear error, never a panic.
        let mut sync = manager.session(Some(&key));
        assert!(matches!(sync.load(), Err(Error::Unsupported { .. })));
    }
}
