//! `Session` behaviour: Django's `SessionTestsMixin`, line by line.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use session_core::{
    Error, MemoryStore, Record, Result, Session, SessionManager, SessionStore, reserved,
};

/// A store that counts calls and can be told to fail loads.
#[derive(Default)]
struct Spy {
    inner: MemoryStore,
    calls: AtomicUsize,
    fail_loads: AtomicUsize,
}

impl SessionStore for Spy {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail_loads.load(Ordering::SeqCst) > 0 {
            self.fail_loads.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::backend(
                "spy",
                std::io::Error::other("connection reset"),
            ));
        }
        self.inner.load_record(key)
    }
    fn create(&self, record: &Record) -> Result<String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.create(record)
    }
    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.save(key, record)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.exists(key)
    }
}

fn fresh() -> Session {
    SessionManager::new(MemoryStore::new()).session(None)
}

fn flags(s: &Session) -> (bool, bool) {
    (s.is_accessed(), s.is_modified())
}

#[test]
fn new_session_is_neither_accessed_nor_modified() {
    assert_eq!(flags(&fresh()), (false, false));
}

#[test]
fn get_of_a_missing_key_is_none_and_only_accessed() {
    let mut s = fresh();
    assert_eq!(s.get::<String>("cat").unwrap(), None);
    assert_eq!(flags(&s), (true, false));
}

#[test]
fn insert_marks_modified() {
    let mut s = fresh();
    s.insert("cat", "dog").unwrap();
    assert_eq!(flags(&s), (true, true));
    assert_eq!(s.get::<String>("cat").unwrap().as_deref(), Some("dog"));
}

#[test]
fn remove_returns_the_value_and_marks_accessed_and_modified() {
    let mut s = fresh();
    s.insert("some key", "exists").unwrap();
    let mut s2 = reload(&mut s);
    assert_eq!(s2.remove("some key").unwrap(), Some(json!("exists")));
    assert_eq!(flags(&s2), (true, true));
    assert_eq!(s2.get_value("some key").unwrap(), None);
}

#[test]
fn remove_of_a_missing_key_with_a_default_is_not_a_change() {
    let mut s = fresh();
    assert_eq!(
        s.pop_or("some key", json!("does not exist")).unwrap(),
        json!("does not exist")
    );
    assert_eq!(flags(&s), (true, false));
    // Without a default Python raises KeyError; Rust says None.
    assert_eq!(s.remove("some key").unwrap(), None);
    assert_eq!(flags(&s), (true, false));
}

#[test]
fn set_default_first_value_wins_and_modifies_only_when_inserting() {
    let mut s = fresh();
    assert_eq!(s.set_default("foo", "bar").unwrap(), json!("bar"));
    assert_eq!(flags(&s), (true, true));
    let mut s2 = reload(&mut s);
    assert_eq!(s2.set_default("foo", "baz").unwrap(), json!("bar"));
    assert_eq!(flags(&s2), (true, false));
}

#[test]
fn update_marks_accessed_and_modified() {
    let mut s = fresh();
    s.update([("update key", 1)]).unwrap();
    assert_eq!(flags(&s), (true, true));
    assert_eq!(s.get::<i32>("update key").unwrap(), Some(1));
}

#[test]
fn reads_mark_accessed_only() {
    let mut s = fresh();
    s.insert("x", 1).unwrap();
    let mut s = reload(&mut s);
    type Read = fn(&mut Session) -> Result<()>;
    let reads: [Read; 6] = [
        |s| s.contains_key("x").map(drop),
        |s| s.keys().map(drop),
        |s| s.values().map(drop),
        |s| s.as_map().map(drop),
        |s| s.len().map(drop),
        |s| s.is_empty().map(drop),
    ];
    for read in reads {
        let mut s = s.manager().session(s.key());
        read(&mut s).unwrap();
        assert_eq!(flags(&s), (true, false));
    }
    assert_eq!(s.keys().unwrap(), ["x"]);
    assert_eq!(s.values().unwrap(), [json!(1)]);
}

#[test]
fn clear_empties_and_marks_both() {
    let mut s = fresh();
    s.insert("x", 1).unwrap();
    let mut s = reload(&mut s);
    s.clear();
    assert!(s.is_empty().unwrap());
    assert_eq!(flags(&s), (true, true));
}

#[test]
fn save_keeps_the_data_readable() {
    let mut s = fresh();
    s.insert("a", "b").unwrap();
    s.save().unwrap();
    assert_eq!(s.get::<String>("a").unwrap().as_deref(), Some("b"));
}

#[test]
fn an_eight_char_key_is_a_valid_key() {
    let manager = SessionManager::new(MemoryStore::new());
    assert_eq!(manager.session(Some("12345678")).key(), Some("12345678"));
    assert_eq!(manager.session(Some("1234567")).key(), None);
    assert_eq!(manager.session(Some("")).key(), None);
}

#[test]
fn reserved_keys_are_refused_by_every_public_writer() {
    let mut s = fresh();
    assert!(matches!(s.insert("_x", 1), Err(Error::ReservedKey(k)) if k == "_x"));
    assert!(matches!(s.remove("_x"), Err(Error::ReservedKey(_))));
    assert!(matches!(s.set_default("_x", 1), Err(Error::ReservedKey(_))));
    assert!(matches!(
        s.update([("ok", 1), ("_x", 2)]),
        Err(Error::ReservedKey(_))
    ));
    assert!(!s.contains_key("ok").unwrap(), "update is all or nothing");
    assert!(!s.is_modified());
    s.reserved().insert(reserved::AUTH_USER_ID, "1").unwrap();
    assert_eq!(
        s.get::<String>(reserved::AUTH_USER_ID).unwrap().as_deref(),
        Some("1")
    );
    assert!(s.is_modified());
}

#[test]
fn test_cookie_helpers() {
    let mut s = fresh();
    assert!(!s.test_cookie_worked().unwrap());
    s.set_test_cookie().unwrap();
    assert!(s.test_cookie_worked().unwrap());
    assert_eq!(
        s.get::<String>(session_core::TEST_COOKIE_NAME)
            .unwrap()
            .as_deref(),
        Some("worked")
    );
    s.delete_test_cookie().unwrap();
    assert!(!s.test_cookie_worked().unwrap());
}

#[test]
fn typed_get_of_the_wrong_shape_is_an_error() {
    let mut s = fresh();
    s.insert("n", "not a number").unwrap();
    assert!(matches!(s.get::<u32>("n"), Err(Error::Deserialize(_))));
}

#[test]
fn nothing_touches_the_store_until_the_first_access() {
    let spy = Arc::new(Spy::default());
    let manager = SessionManager::new_sync(spy.clone());
    let key = {
        let mut s = manager.session(None);
        s.insert("a", 1).unwrap();
        s.save().unwrap();
        s.key().unwrap().to_owned()
    };
    let before = spy.calls.load(Ordering::SeqCst);
    let mut s = manager.session(Some(&key));
    assert!(!s.is_loaded());
    assert_eq!(
        spy.calls.load(Ordering::SeqCst),
        before,
        "creating a session loaded it"
    );
    s.get::<i32>("a").unwrap();
    s.get::<i32>("a").unwrap();
    assert_eq!(
        spy.calls.load(Ordering::SeqCst),
        before + 1,
        "exactly one load"
    );
}

#[test]
fn a_store_failure_at_load_is_an_error_not_an_empty_session() {
    let spy = Arc::new(Spy::default());
    let manager = SessionManager::new_sync(spy.clone());
    let mut s = manager.session(None);
    s.insert("member_id", 1).unwrap();
    s.save().unwrap();
    let key = s.key().unwrap().to_owned();

    spy.fail_loads.store(1, Ordering::SeqCst);
    let mut s = manager.session(Some(&key));
    let err = s.get::<i32>("member_id").unwrap_err();
    assert!(matches!(err, Error::Backend { backend: "spy", .. }));
    assert!(std::error::Error::source(&err).is_some());
    // The user is not logged out by a transient failure: the next access retries.
    assert_eq!(s.get::<i32>("member_id").unwrap(), Some(1));
    assert_eq!(s.key(), Some(key.as_str()));
}

#[test]
fn debug_output_never_shows_the_whole_key_or_the_data() {
    let mut s = fresh();
    s.insert("password", "hunter2").unwrap();
    s.save().unwrap();
    let key = s.key().unwrap().to_owned();
    let debug = format!("{s:?}");
    assert!(!debug.contains(&key), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    let record = Record::new(b"hunter2".to_vec(), std::time::SystemTime::now());
    assert!(!format!("{record:?}").contains("hunter2"));
}

#[test]
fn cycle_key_keeps_data_when_the_store_fails_midway() {
    // The new record is created before the old one is deleted: a failure in between
    // leaves the user with a working session, never with none.
    let spy = Arc::new(Spy::default());
    let manager = SessionManager::new_sync(spy.clone());
    let mut s = manager.session(None);
    s.insert("cart", 3).unwrap();
    s.save().unwrap();
    let old = s.key().unwrap().to_owned();
    s.cycle_key().unwrap();
    let new = s.key().unwrap().to_owned();
    assert!(spy.exists(&new).unwrap());
    assert!(!spy.exists(&old).unwrap());
}

/// Saves `s` and opens the same session again, fresh (no flags set).
fn reload(s: &mut Session) -> Session {
    s.save().unwrap();
    s.manager().session(s.key())
}
