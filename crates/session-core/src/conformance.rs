//! The store-conformance suite: every duty of the [`SessionStore`] contract as a plain
//! `check_*` function, and [`conformance_tests!`](crate::conformance_tests) to stamp out one
//! named `#[test]` per check.
//!
//! Every backend crate runs it with one macro call per configuration; a third-party store
//! runs it the same way:
//!
//! ```
//! session_core::conformance_tests!(memory, session_core::MemoryStore::new(), clear_expired);
//! ```
//!
//! The checks panic (they are test bodies) with a message naming the broken duty.
//!
//! Groups, chosen by the macro's last argument:
//! - *(none)*: server-side stores — every store and session check;
//! - `clear_expired`: the same plus the [`ClearExpired`] checks;
//! - `text_only` / `clear_expired, text_only`: for stores that can only keep UTF-8 payloads
//!   (Django's `django_session` table); skips the binary-payload check;
//! - `client_side`: stores that keep the data in the key itself (signed cookies): no
//!   `exists`, no revocation, no uniqueness of equal payloads, no store-side expiry.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::{ClearExpired, Error, Expiry, Record, SessionManager, SessionStore, key, reserved};

fn live(data: &[u8]) -> Record {
    Record::new(data.to_vec(), SystemTime::now() + Duration::from_secs(3600))
}

fn past(data: &[u8]) -> Record {
    Record::new(data.to_vec(), SystemTime::now() - Duration::from_secs(3600))
}

/// Keys an attacker might send. Stores must treat each as unknown and never act on it.
pub const HOSTILE_KEYS: &[&str] = &[
    "",
    "1",
    "abcdefg",
    "../x",
    "../../../../../../etc/passwd",
    "a/b/cdefghijkl",
    "a\\b\\cdefghijkl",
    "abcdefgh\0ijklmnop",
    "sessionid'; DROP TABLE django_session; --",
    "ÅÄÖåäöabcdefgh",
    "ABCDEFGHIJKLMNOP",
    "*",
    "abcdefgh*",
    "%2e%2e%2fabcdefgh",
];

fn long_key() -> String {
    "a".repeat(10 * 1024)
}

// ----------------------------------------------------------------------------------------
// Store duties

/// `load` of a never-issued key is `None`, and `exists` is false.
pub fn check_load_unknown_is_none<S: SessionStore>(store: S) {
    let key = key::generate();
    assert_eq!(
        store.load(&key).expect("load"),
        None,
        "unknown key must load None"
    );
    assert!(
        !store.exists(&key).expect("exists"),
        "unknown key must not exist"
    );
}

/// `load` never creates anything: afterwards the key still does not exist and a `save`
/// under it is refused.
pub fn check_load_creates_nothing<S: SessionStore>(store: S) {
    let key = key::generate();
    let _ = store.load(&key).expect("load");
    assert!(
        !store.exists(&key).expect("exists"),
        "load created a record"
    );
    assert!(
        matches!(store.save(&key, &live(b"{}")), Err(Error::Interrupted)),
        "save under a key that was only loaded must be Interrupted"
    );
    assert_eq!(store.load(&key).expect("load"), None);
}

/// `create` stores the bytes under a fresh well-formed key that then loads and exists.
pub fn check_create_then_load<S: SessionStore>(store: S) {
    let key = store.create(&live(b"{\"a\":1}")).expect("create");
    assert!(
        key::is_well_formed(&key),
        "generated key {key:?} is not well formed"
    );
    assert_eq!(
        store.load(&key).expect("load").as_deref(),
        Some(&b"{\"a\":1}"[..])
    );
    assert!(store.exists(&key).expect("exists"));
}

/// `load_record` gives the bytes and the expiry `create` stored (to the second), and
/// `None` for what `load` does not know.
pub fn check_load_record_has_expiry<S: SessionStore>(store: S) {
    let expires_at = SystemTime::now() + Duration::from_secs(7200);
    let key = store
        .create(&Record::new(b"{\"a\":1}".to_vec(), expires_at))
        .expect("create");
    let record = store
        .load_record(&key)
        .expect("load_record")
        .expect("a live session has a record");
    assert_eq!(record.data, b"{\"a\":1}");
    assert_close(record.expires_at, expires_at, "load_record's expiry");
    assert_eq!(store.load_record(&key::generate()).expect("unknown"), None);
    let expired = store.create(&past(b"{}")).expect("create expired");
    assert_eq!(store.load_record(&expired).expect("expired"), None);
}

/// `touch` moves only the expiry of a live session, and is `Interrupted` for a session
/// that is gone (never resurrecting it). A store may answer `Unsupported` instead.
pub fn check_touch<S: SessionStore>(store: S) {
    let key = store.create(&live(b"{\"a\":1}")).expect("create");
    let later = SystemTime::now() + Duration::from_secs(3 * 3600);
    match store.touch(&key, later) {
        Err(Error::Unsupported { .. }) => return,
        other => other.expect("touch of a live session"),
    }
    let record = store.load_record(&key).expect("load").expect("still live");
    assert_eq!(record.data, b"{\"a\":1}", "touch changed the data");
    assert_close(record.expires_at, later, "the touched expiry");

    let expired = store.create(&past(b"{}")).expect("create expired");
    for (gone, what) in [(key::generate(), "created"), (expired, "resurrected")] {
        assert!(matches!(store.touch(&gone, later), Err(Error::Interrupted)));
        assert_eq!(
            store.load(&gone).expect("load"),
            None,
            "touch {what} a session"
        );
    }

    store
        .touch(&key, SystemTime::now() - Duration::from_secs(1))
        .expect("touch into the past");
    assert_eq!(
        store.load(&key).expect("load"),
        None,
        "a past expiry must not load"
    );
}

fn assert_close(got: SystemTime, want: SystemTime, what: &str) {
    let gap = got
        .duration_since(want)
        .or_else(|e| Ok::<_, ()>(e.duration()))
        .unwrap_or_default();
    assert!(
        gap <= Duration::from_secs(1),
        "{what}: {got:?} is not {want:?}"
    );
}

/// Two creates give two keys, each with its own data.
pub fn check_create_never_overwrites<S: SessionStore>(store: S) {
    let a = store.create(&live(b"\"a\"")).expect("create a");
    let b = store.create(&live(b"\"b\"")).expect("create b");
    assert_ne!(a, b);
    assert_eq!(
        store.load(&a).expect("load").as_deref(),
        Some(&b"\"a\""[..])
    );
    assert_eq!(
        store.load(&b).expect("load").as_deref(),
        Some(&b"\"b\""[..])
    );
}

/// 2 threads × 10,000 creates give 20,000 distinct keys, all loadable.
pub fn check_concurrent_creates_are_distinct<S: SessionStore + 'static>(store: S) {
    const PER_THREAD: usize = 10_000;
    let store = Arc::new(store);
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|i| {
                        store
                            .create(&live(format!("[{t},{i}]").as_bytes()))
                            .expect("create")
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = HashSet::new();
    for t in threads {
        for key in t.join().expect("create thread panicked") {
            assert!(all.insert(key), "two creates returned the same key");
        }
    }
    assert_eq!(all.len(), 2 * PER_THREAD);
    let sample = all.iter().next().expect("keys");
    assert!(store.load(sample).expect("load").is_some());
}

/// `save` replaces the data of a live session and returns the same key.
pub fn check_save_updates<S: SessionStore>(store: S) {
    let key = store.create(&live(b"1")).expect("create");
    let sent = store.save(&key, &live(b"2")).expect("save");
    assert_eq!(sent, key, "a server-side store keeps the key on save");
    assert_eq!(store.load(&key).expect("load").as_deref(), Some(&b"2"[..]));
}

/// `save` of a deleted session is `Interrupted` and writes nothing (no resurrection).
pub fn check_save_of_deleted_is_interrupted<S: SessionStore>(store: S) {
    let key = store.create(&live(b"1")).expect("create");
    store.delete(&key).expect("delete");
    assert!(matches!(
        store.save(&key, &live(b"2")),
        Err(Error::Interrupted)
    ));
    assert_eq!(
        store.load(&key).expect("load"),
        None,
        "save resurrected a deleted session"
    );
    assert!(!store.exists(&key).expect("exists"));
}

/// `save` under a key that was never issued is `Interrupted` and creates nothing.
pub fn check_save_of_unknown_is_interrupted<S: SessionStore>(store: S) {
    let key = key::generate();
    assert!(matches!(
        store.save(&key, &live(b"2")),
        Err(Error::Interrupted)
    ));
    assert_eq!(store.load(&key).expect("load"), None);
}

/// `save` of an expired session is `Interrupted`: an expired session is gone.
pub fn check_save_of_expired_is_interrupted<S: SessionStore>(store: S) {
    let key = store.create(&past(b"1")).expect("create expired");
    assert!(matches!(
        store.save(&key, &live(b"2")),
        Err(Error::Interrupted)
    ));
    assert_eq!(store.load(&key).expect("load"), None);
}

/// `delete` removes the session; deleting an unknown key is fine.
pub fn check_delete<S: SessionStore>(store: S) {
    let key = store.create(&live(b"1")).expect("create");
    let other = store.create(&live(b"2")).expect("create");
    store.delete(&key).expect("delete");
    assert_eq!(store.load(&key).expect("load"), None);
    assert!(!store.exists(&key).expect("exists"));
    store.delete(&key).expect("deleting twice is fine");
    store
        .delete(&key::generate())
        .expect("deleting an unknown key is fine");
    assert_eq!(
        store.load(&other).expect("load").as_deref(),
        Some(&b"2"[..]),
        "delete hit another session"
    );
}

/// A record whose expiry has passed never loads and does not exist.
pub fn check_expired_never_loads<S: SessionStore>(store: S) {
    let key = store.create(&past(b"1")).expect("create");
    assert_eq!(store.load(&key).expect("load"), None);
    assert!(!store.exists(&key).expect("exists"));
    let live_key = store.create(&live(b"1")).expect("create");
    store
        .save(&live_key, &past(b"2"))
        .expect("save with a past expiry");
    assert_eq!(
        store.load(&live_key).expect("load"),
        None,
        "a record saved already expired loaded"
    );
}

/// A 1 MB session round-trips byte for byte.
pub fn check_large_session_round_trip<S: SessionStore>(store: S) {
    let big: Vec<u8> = format!("{{\"blob\":\"{}\"}}", "x".repeat(1 << 20)).into_bytes();
    let key = store.create(&live(&big)).expect("create 1 MB");
    assert_eq!(store.load(&key).expect("load").as_deref(), Some(&big[..]));
    let mut bigger = big.clone();
    bigger.extend_from_slice(b"   ");
    store.save(&key, &live(&bigger)).expect("save 1 MB");
    assert_eq!(
        store.load(&key).expect("load").as_deref(),
        Some(&bigger[..])
    );
}

/// Arbitrary bytes (NUL, invalid UTF-8, every byte value) round-trip: MessagePack payloads
/// are binary.
pub fn check_binary_payload<S: SessionStore>(store: S) {
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 0xff, 0xfe]).collect();
    let key = store.create(&live(&bytes)).expect("create binary");
    assert_eq!(store.load(&key).expect("load").as_deref(), Some(&bytes[..]));
    let empty = store.create(&live(b"")).expect("create empty payload");
    assert_eq!(store.load(&empty).expect("load").as_deref(), Some(&b""[..]));
}

/// Hostile keys (traversal, separators, NUL, SQL, non-ASCII, 10 KB) are unknown: every
/// operation on them returns `None`/`false`/an error, never touches another session, and
/// creates nothing.
pub fn check_hostile_keys<S: SessionStore>(store: S) {
    let victim = store.create(&live(b"victim")).expect("create");
    let long = long_key();
    for key in HOSTILE_KEYS.iter().copied().chain([long.as_str()]) {
        assert_eq!(
            store
                .load(key)
                .expect("load of a hostile key must not fail"),
            None,
            "{key:?}"
        );
        assert!(!store.exists(key).unwrap_or(false), "{key:?} exists");
        let _ = store.delete(key);
        assert!(
            store.save(key, &live(b"evil")).is_err(),
            "save under {key:?} succeeded"
        );
        assert_eq!(store.load(key).expect("load"), None, "{key:?} was created");
    }
    assert_eq!(
        store.load(&victim).expect("load").as_deref(),
        Some(&b"victim"[..])
    );
}

// ----------------------------------------------------------------------------------------
// ClearExpired duties

/// `clear_expired` removes exactly the expired sessions and counts them.
pub fn check_clear_expired<S: ClearExpired>(store: S) {
    let old1 = store.create(&past(b"1")).expect("create");
    let old2 = store.create(&past(b"2")).expect("create");
    let fresh = store.create(&live(b"3")).expect("create");
    assert_eq!(store.clear_expired().expect("clear_expired"), 2);
    assert_eq!(
        store.load(&fresh).expect("load").as_deref(),
        Some(&b"3"[..])
    );
    assert_eq!(store.load(&old1).expect("load"), None);
    assert_eq!(store.load(&old2).expect("load"), None);
    assert_eq!(store.clear_expired().expect("clear_expired again"), 0);
}

// ----------------------------------------------------------------------------------------
// Session behaviour over the store (Django's SessionTestsMixin)

fn manager<S: SessionStore + 'static>(store: S) -> (SessionManager, Arc<S>) {
    let store = Arc::new(store);
    (SessionManager::new_sync(Arc::clone(&store)), store)
}

fn saved_key(session: &crate::Session) -> String {
    session.key().expect("a saved session has a key").to_owned()
}

/// A new session is neither modified nor accessed, and is empty.
pub fn check_session_new_is_clean<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    let mut session = manager.session(None);
    assert!(!session.is_modified() && !session.is_accessed());
    assert!(session.is_empty().expect("is_empty"));
}

/// Saved data loads back through a new session for the same cookie.
pub fn check_session_save_and_reload<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    let mut session = manager.session(None);
    session.insert("member_id", 7).expect("insert");
    session
        .insert("cart", json!([1, 2, {"sku": "Zoë ☃"}]))
        .expect("insert");
    session.save().expect("save");
    let mut again = manager.session(Some(&saved_key(&session)));
    assert_eq!(again.get::<i64>("member_id").expect("get"), Some(7));
    assert_eq!(
        again.get_value("cart").expect("get").cloned(),
        Some(json!([1, 2, {"sku": "Zoë ☃"}]))
    );
    assert!(!again.is_modified());
}

/// A key the store does not know is never adopted: the session starts empty and a save
/// creates a fresh key (no session fixation), and nothing is stored under the client's key.
pub fn check_session_unknown_key_not_adopted<S: SessionStore + 'static>(store: S) {
    let (manager, store) = manager(store);
    for client_key in [key::generate(), "12345678".to_owned(), "x".repeat(40)] {
        let mut session = manager.session(Some(&client_key));
        assert!(session.is_empty().expect("is_empty"));
        session.insert("a", 1).expect("insert");
        session.save().expect("save");
        let new_key = saved_key(&session);
        assert_ne!(new_key, client_key, "the client's key was adopted");
        assert_eq!(store.load(&client_key).expect("load"), None);
    }
}

/// Invalid keys ("", "1", 7 chars) are dropped at once; saving makes a new key.
pub fn check_session_invalid_key_not_adopted<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    for bad in ["", "1", "1234567"] {
        let mut session = manager.session(Some(bad));
        assert_eq!(session.key(), None, "{bad:?} kept");
        session.insert("a", 1).expect("insert");
        session.save().expect("save");
        assert_ne!(session.key(), Some(bad));
    }
}

/// Saves a session, flushes it from a fresh request and checks the session's side of
/// `flush`; returns the key it had.
fn flush_saved_session(manager: &SessionManager) -> String {
    let mut session = manager.session(None);
    session.insert("member_id", 1).expect("insert");
    session.save().expect("save");
    let key = saved_key(&session);
    let mut session = manager.session(Some(&key));
    session.flush().expect("flush");
    assert_eq!(session.key(), None);
    assert!(session.is_accessed() && session.is_modified());
    assert!(session.is_empty().expect("is_empty"));
    key
}

/// `flush` deletes the record, forgets the key and marks the session accessed+modified.
pub fn check_session_flush<S: SessionStore + 'static>(store: S) {
    let (manager, store) = manager(store);
    let key = flush_saved_session(&manager);
    assert_eq!(
        store.load(&key).expect("load"),
        None,
        "flush left the record"
    );
}

/// Client-side variant of [`check_session_flush`]: the key is forgotten and the data gone.
pub fn check_session_flush_client_side<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    flush_saved_session(&manager);
}

/// Saves a session, cycles its key from a fresh, never-loaded request, and checks that the
/// data moved with it; returns the old and the new key.
fn cycle_saved_session(manager: &SessionManager) -> (String, String) {
    let mut session = manager.session(None);
    session.insert("cart", json!([1, 2])).expect("insert");
    session.save().expect("save");
    let old = saved_key(&session);

    let mut fresh = manager.session(Some(&old)); // never loaded
    fresh.cycle_key().expect("cycle_key");
    assert!(fresh.is_modified());
    assert_eq!(
        fresh.get_value("cart").expect("get").cloned(),
        Some(json!([1, 2]))
    );
    fresh.save().expect("save");
    // The key after the save: a client-side store re-signs on every save.
    let new = saved_key(&fresh);
    let mut reloaded = manager.session(Some(&new));
    assert_eq!(
        reloaded.get_value("cart").expect("get").cloned(),
        Some(json!([1, 2]))
    );
    (old, new)
}

/// `cycle_key` moves the data to a new key and deletes the old record — also when the
/// session was not loaded before cycling.
pub fn check_session_cycle_key<S: SessionStore + 'static>(store: S) {
    let (manager, store) = manager(store);
    let (old, new) = cycle_saved_session(&manager);
    assert_ne!(new, old);
    assert_eq!(
        store.load(&old).expect("load"),
        None,
        "old record survived cycle_key"
    );
}

/// Client-side variant of [`check_session_cycle_key`]: a new key with the same data.
pub fn check_session_cycle_key_client_side<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    cycle_saved_session(&manager);
}

/// Calling `save()` in a view to get a key (a Django idiom) marks the session modified, as
/// Django's `create()` does: the response saves again and sends the new key, with
/// `Vary: Cookie`, even for a session with no data.
pub fn check_session_explicit_save_sends_cookie<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    let mut session = manager.session(None);
    session.save().expect("save");
    assert!(
        session.is_modified(),
        "a save that creates marks the session modified"
    );
    match manager.finish(&mut session, 200, false).expect("finish") {
        crate::CookieAction::Set {
            value, vary_cookie, ..
        } => {
            assert_eq!(Some(value.as_str()), session.key());
            assert!(vary_cookie);
        }
        other => panic!("a session saved in the view must set its cookie, got {other:?}"),
    }
    let mut again = manager.session(session.key());
    again.load().expect("load");
    assert!(
        again.key().is_some(),
        "the cookie sent names a live session"
    );
}

/// Rolling expiry: with [`SessionConfig::refresh_after`](crate::SessionConfig) of zero, a
/// response whose session was only read renews it — a `touch`, or a save for stores that
/// answer `Unsupported` — sends the cookie again, and the session still loads with its
/// data, through the cookie sent.
pub fn check_session_rolling_expiry<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    let manager = manager
        .with_config(crate::SessionConfig::default().with_refresh_after(Some(Duration::ZERO)));
    let mut session = manager.session(None);
    session.insert("member_id", 7).expect("insert");
    session.save().expect("save");
    let mut read = manager.session(Some(&saved_key(&session)));
    assert_eq!(read.get::<i64>("member_id").expect("get"), Some(7));
    assert_eq!(manager.plan(&read, 200, true), crate::ResponsePlan::Touch);
    let value = match manager.finish(&mut read, 200, true).expect("finish") {
        crate::CookieAction::Set { value, max_age, .. } => {
            assert_eq!(max_age, Some(manager.config().cookie_age));
            value
        }
        other => panic!("a renewed session must set its cookie, got {other:?}"),
    };
    let mut again = manager.session(Some(&value));
    assert_eq!(again.get::<i64>("member_id").expect("get"), Some(7));
}

/// A session saved in the view and deleted before the response (a concurrent logout) makes
/// the response's save `Interrupted` (HTTP 400), never a new record.
pub fn check_session_explicit_save_then_logout_is_interrupted<S: SessionStore + 'static>(store: S) {
    let (manager, store) = manager(store);
    let mut session = manager.session(None);
    session.insert("a", 1).expect("insert");
    session.save().expect("save");
    let key = saved_key(&session);
    store.delete(&key).expect("delete");
    assert!(matches!(
        manager.finish(&mut session, 200, false),
        Err(Error::Interrupted)
    ));
    assert_eq!(store.load(&key).expect("load"), None, "resurrected");
}

/// A save after a concurrent logout is `Interrupted`, and the session stays gone.
pub fn check_session_concurrent_logout_not_resurrected<S: SessionStore + 'static>(store: S) {
    let (manager, store) = manager(store);
    let mut login = manager.session(None);
    login.insert("member_id", 1).expect("insert");
    login.save().expect("save");
    let key = saved_key(&login);

    let mut request_a = manager.session(Some(&key));
    let mut request_b = manager.session(Some(&key));
    request_a.load().expect("load");
    request_b.load().expect("load");
    request_a.flush().expect("logout");
    request_b.insert("has_commented", true).expect("insert");
    assert!(matches!(request_b.save(), Err(Error::Interrupted)));
    assert_eq!(
        store.load(&key).expect("load"),
        None,
        "the logged-out session came back"
    );
    let mut later = manager.session(Some(&key));
    assert!(later.is_empty().expect("is_empty"));
}

/// A session saved with an expiry in the past does not load.
pub fn check_session_past_expiry_does_not_load<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    let mut session = manager.session(None);
    session.insert("a", 1).expect("insert");
    session
        .set_expiry(Expiry::At(SystemTime::now() - Duration::from_secs(10)))
        .expect("set_expiry");
    session.save().expect("save");
    let mut again = manager.session(Some(&saved_key(&session)));
    assert!(
        again.is_empty().expect("is_empty"),
        "an expired session loaded"
    );
}

/// A custom idle expiry survives the round trip (as Django stores it).
pub fn check_session_custom_expiry_round_trip<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    let mut session = manager.session(None);
    session
        .set_expiry(Expiry::Idle(Duration::from_secs(300)))
        .expect("set_expiry");
    session.save().expect("save");
    let mut again = manager.session(Some(&saved_key(&session)));
    assert_eq!(
        again.expiry().expect("expiry"),
        Expiry::Idle(Duration::from_secs(300))
    );
    assert_eq!(
        again
            .get_value(reserved::SESSION_EXPIRY)
            .expect("get")
            .cloned(),
        Some(json!(300))
    );
}

/// What a store must do with a session of some `_session_expiry`.
#[derive(Debug, Clone, Copy)]
enum Lives {
    /// Loads back: the expiry is far ahead (saturated at the ceiling or near it).
    Yes,
    /// Does not load: the expiry has passed.
    No,
    /// Loads back unless this much has passed since the save (a short idle expiry).
    For(Duration),
}

/// `_session_expiry` values far outside any sane range, written straight into the session
/// (Django stores whatever a view puts there): ints at the ends of `i64`, floats up to
/// ±1e300, and dates in years 1, 2555 and 9999. Every computation saturates at the expiry
/// ceiling ([`max_expiry`](crate::expiry::max_expiry)), so `finish` saves each without a
/// panic or an error, its `Set-Cookie` header can be written, and the session loads back
/// exactly when its expiry is still ahead.
pub fn check_session_extreme_expiry<S: SessionStore + 'static>(store: S) {
    let (manager, _) = manager(store);
    let cases = [
        (json!(i64::MAX), Lives::Yes),
        (json!(9.2e18), Lives::Yes),
        (json!(-9.2e18), Lives::No),
        (json!(1e300), Lives::Yes),
        (json!(-1e300), Lives::No),
        (json!(1.5), Lives::For(Duration::from_secs(1))),
        (json!("0001-01-01T00:00:00+00:00"), Lives::No),
        (json!("2555-01-01T00:00:00+00:00"), Lives::Yes),
        (json!("9999-12-31T23:59:59.999999+00:00"), Lives::Yes),
    ];
    for (value, lives) in cases {
        let (loaded, saved_at) = expiry_round_trip(&manager, &value);
        match lives {
            Lives::Yes => assert!(
                loaded,
                "_session_expiry = {value}: the session did not load"
            ),
            Lives::No => assert!(
                !loaded,
                "_session_expiry = {value}: an expired session loaded"
            ),
            Lives::For(d) => assert!(
                loaded || saved_at.elapsed().unwrap_or_default() >= d,
                "_session_expiry = {value}: the session did not load"
            ),
        }
    }
}

/// One session with `_session_expiry = value` through `manager` (for property tests over
/// any value): `finish` saves it without a panic or an error, its `Set-Cookie` header can
/// be written, and it loads back when its expiry ([`Expiry::from_value`], saturated at
/// the ceiling) is more than a minute ahead, and not once it has passed.
///
/// ```
/// use session_core::{MemoryStore, SessionManager};
/// let manager = SessionManager::new(MemoryStore::new());
/// session_core::conformance::check_session_expiry_value(&manager, &serde_json::json!(-1e300));
/// ```
pub fn check_session_expiry_value(manager: &SessionManager, value: &serde_json::Value) {
    let expires =
        Expiry::from_value(Some(value)).date(SystemTime::now(), manager.config().cookie_age);
    let (loaded, _) = expiry_round_trip(manager, value);
    let now = SystemTime::now();
    if expires > now + Duration::from_secs(60) {
        assert!(
            loaded,
            "_session_expiry = {value}: the session did not load"
        );
    } else if expires <= now {
        assert!(
            !loaded,
            "_session_expiry = {value}: an expired session loaded"
        );
    }
}

/// A record expiring at `expires_at` (any instant the platform holds, far past or far
/// future) stored straight through the store: `create` and `save` take it without a
/// panic or an error, and it loads when `expires_at` is more than a minute ahead, and not
/// once it has passed (an instant past the ceiling counts as the ceiling).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let far = UNIX_EPOCH + Duration::from_secs(i64::MAX as u64);
/// session_core::conformance::check_record_expiry(&session_core::MemoryStore::new(), far);
/// ```
pub fn check_record_expiry<S: SessionStore>(store: &S, expires_at: SystemTime) {
    let record = Record::new(b"{}".to_vec(), expires_at);
    let key = store
        .create(&record)
        .unwrap_or_else(|e| panic!("create expiring at {expires_at:?}: {e}"));
    let now = SystemTime::now();
    let check = |what: &str, key: &str| {
        let loaded = store
            .load(key)
            .unwrap_or_else(|e| panic!("load expiring at {expires_at:?}: {e}"));
        if expires_at > now + Duration::from_secs(60) {
            assert!(
                loaded.is_some(),
                "{what} expiring at {expires_at:?} did not load"
            );
        } else if expires_at <= now {
            assert!(loaded.is_none(), "{what} expiring at {expires_at:?} loaded");
        }
    };
    check("a record created", &key);
    if expires_at > now + Duration::from_secs(60) {
        let key = store
            .save(&key, &record)
            .unwrap_or_else(|e| panic!("save expiring at {expires_at:?}: {e}"));
        check("a record saved", &key);
    }
}

/// Property checks of expiries anywhere in the platform's range, for one store: `cases`
/// `_session_expiry` values through a manager over it (any `i64`, any finite `f64`, ISO
/// dates in years 1–9999; [`check_session_expiry_value`]) and `cases` record instants
/// straight into it (any instant a `SystemTime` holds; [`check_record_expiry`]).
///
/// ```
/// session_core::conformance::check_expiry_round_trips(session_core::MemoryStore::new(), 8);
/// ```
pub fn check_expiry_round_trips(store: impl SessionStore + 'static, cases: u32) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use serde_json::Value;

    // Seconds from the epoch: anything an `i64` holds, or near today.
    let seconds = || prop_oneof![any::<i64>(), -4_000_000_000i64..8_000_000_000];
    let date = (
        1i32..=9999,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        0u32..1_000_000,
    )
        .prop_map(|(y, mo, d, h, mi, s, us)| {
            json!(format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}+00:00"
            ))
        });
    let expiry_value = prop_oneof![
        seconds().prop_map(|s| json!(s)),
        any::<f64>().prop_filter_map("not a JSON number", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        date,
    ];
    let instant = seconds().prop_map(crate::expiry::from_unix_seconds);

    let store = Arc::new(store);
    let manager = SessionManager::new_sync(Arc::clone(&store));
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config.clone())
        .run(&expiry_value, |value| {
            check_session_expiry_value(&manager, &value);
            Ok(())
        })
        .unwrap();
    TestRunner::new(config)
        .run(&instant, |t| {
            check_record_expiry(&*store, t);
            Ok(())
        })
        .unwrap();
}

/// Saves a session with `_session_expiry = value` through `manager` and reloads it by
/// the cookie sent: whether it loaded, and when it was saved.
fn expiry_round_trip(manager: &SessionManager, value: &serde_json::Value) -> (bool, SystemTime) {
    let mut session = manager.session(None);
    session.insert("member_id", 7).expect("insert");
    session
        .reserved()
        .insert(reserved::SESSION_EXPIRY, value.clone())
        .expect("insert _session_expiry");
    let saved_at = SystemTime::now();
    let action = manager
        .finish(&mut session, 200, false)
        .unwrap_or_else(|e| panic!("finish with _session_expiry = {value}: {e}"));
    let _ = manager.set_cookie_header(&action);
    let key = match action {
        crate::CookieAction::Set { value, .. } => value,
        other => panic!("_session_expiry = {value}: the session must be saved, got {other:?}"),
    };
    let mut again = manager.session(Some(&key));
    let loaded = !again
        .is_empty()
        .unwrap_or_else(|e| panic!("load with _session_expiry = {value}: {e}"));
    (loaded, saved_at)
}

/// Undecodable stored data loads as an empty session, without an error to the caller.
pub fn check_session_corrupt_data_loads_empty<S: SessionStore + 'static>(store: S) {
    let (manager, store) = manager(store);
    let key = store.create(&live(b"this is not json {")).expect("create");
    let mut session = manager.session(Some(&key));
    assert!(
        session
            .is_empty()
            .expect("corrupt data must not be an error")
    );
}

/// Loading an unknown key creates no record (no record-creation DoS); the key is not reused.
pub fn check_session_load_unknown_creates_nothing<S: SessionStore + 'static>(store: S) {
    let (manager, store) = manager(store);
    let client_key = key::generate();
    let mut session = manager.session(Some(&client_key));
    assert_eq!(session.get::<i32>("a").expect("get"), None);
    assert_eq!(session.key(), None);
    assert!(!store.exists(&client_key).expect("exists"));
}

/// Client-side variant of [`check_create_then_load`]: the key is the data, so it need not
/// be a generated key and `exists` is not asked.
pub fn check_create_then_load_client_side<S: SessionStore>(store: S) {
    let key = store.create(&live(b"{\"a\":1}")).expect("create");
    assert_eq!(
        store.load(&key).expect("load").as_deref(),
        Some(&b"{\"a\":1}"[..])
    );
    let sent = store.save(&key, &live(b"{\"a\":2}")).expect("save");
    assert_eq!(
        store.load(&sent).expect("load").as_deref(),
        Some(&b"{\"a\":2}"[..])
    );
}

/// Client-side variant of [`check_hostile_keys`]: every hostile value loads `None`.
pub fn check_hostile_keys_client_side<S: SessionStore>(store: S) {
    let long = long_key();
    for key in HOSTILE_KEYS.iter().copied().chain([long.as_str()]) {
        assert_eq!(
            store
                .load(key)
                .expect("load of a hostile key must not fail"),
            None,
            "{key:?}"
        );
        let _ = store.delete(key);
    }
}

/// A store for a conformance configuration that needs a server: `Some(make(url))` when the
/// environment variable `var` is set, else `None` after printing
/// `skipped: set VAR to run` (use it with the macro's `optional` form).
///
/// ```
/// let store = session_core::conformance::store_from_env("NO_SUCH_SESSION_TEST_VAR", |_url| {
///     session_core::MemoryStore::new()
/// });
/// assert!(store.is_none());
/// ```
pub fn store_from_env<S>(var: &str, make: impl FnOnce(String) -> S) -> Option<S> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(make(url)),
        _ => {
            eprintln!("skipped: set {var} to run");
            None
        }
    }
}

/// Stamps out one `#[test]` per conformance check, in a module named `$module`.
///
/// `$store` is evaluated once per test (inside the module, which has `use super::*;`).
/// See the [`conformance`](crate::conformance) module for the groups. The `optional` form
/// takes an expression of type `Option<S>`; `None` makes each test say it is skipped (for
/// configurations that need a server, see [`store_from_env`]).
///
/// Attributes written before `$module` are put on every generated test. A configuration
/// that needs a server can so be reported as *ignored* rather than passed when the server
/// is absent, e.g. `#[cfg_attr(not(my_server_tests), ignore = "set MY_SERVER_URL to run")]`
/// with a build script that sets `cfg(my_server_tests)` when `MY_SERVER_URL` is set (this
/// workspace's backend crates do so for `SESSION_TEST_POSTGRES_URL` and
/// `SESSION_TEST_REDIS_URL`).
///
/// ```
/// session_core::conformance_tests!(memory_store, session_core::MemoryStore::new(), clear_expired);
/// session_core::conformance_tests!(
///     needs_a_server,
///     optional session_core::conformance::store_from_env("NO_SUCH_VAR", |_| session_core::MemoryStore::new())
/// );
/// session_core::conformance_tests!(
///     #[ignore = "needs a server: run with --ignored"]
///     reported_as_ignored,
///     optional session_core::conformance::store_from_env("NO_SUCH_VAR", |_| session_core::MemoryStore::new())
/// );
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (@flags $kind:ident $attrs:tt $module:ident, $store:expr;) => {
        $crate::conformance_tests!(@server $kind $attrs $module, $store; [check_binary_payload] []);
    };
    (@flags $kind:ident $attrs:tt $module:ident, $store:expr; clear_expired) => {
        $crate::conformance_tests!(@server $kind $attrs $module, $store; [check_binary_payload] [check_clear_expired]);
    };
    (@flags $kind:ident $attrs:tt $module:ident, $store:expr; text_only) => {
        $crate::conformance_tests!(@server $kind $attrs $module, $store; [] []);
    };
    (@flags $kind:ident $attrs:tt $module:ident, $store:expr; clear_expired, text_only) => {
        $crate::conformance_tests!(@server $kind $attrs $module, $store; [] [check_clear_expired]);
    };
    (@flags $kind:ident $attrs:tt $module:ident, $store:expr; client_side) => {
        $crate::conformance_tests!(@emit $kind $attrs $module, $store; [] [] (
            check_load_unknown_is_none,
            check_create_then_load_client_side,
            check_binary_payload,
            check_hostile_keys_client_side,
            check_session_new_is_clean,
            check_session_save_and_reload,
            check_session_unknown_key_not_adopted,
            check_session_invalid_key_not_adopted,
            check_session_past_expiry_does_not_load,
            check_session_custom_expiry_round_trip,
            check_session_extreme_expiry,
            check_session_corrupt_data_loads_empty,
            check_session_cycle_key_client_side,
            check_session_flush_client_side,
            check_session_explicit_save_sends_cookie,
            check_session_rolling_expiry
        ));
    };
    (@server $kind:ident $attrs:tt $module:ident, $store:expr; [$($extra:ident),*] [$($clear:ident),*]) => {
        $crate::conformance_tests!(@emit $kind $attrs $module, $store; [$($extra),*] [$($clear),*] (
            check_load_unknown_is_none,
            check_load_creates_nothing,
            check_create_then_load,
            check_load_record_has_expiry,
            check_touch,
            check_create_never_overwrites,
            check_concurrent_creates_are_distinct,
            check_save_updates,
            check_save_of_deleted_is_interrupted,
            check_save_of_unknown_is_interrupted,
            check_save_of_expired_is_interrupted,
            check_delete,
            check_expired_never_loads,
            check_large_session_round_trip,
            check_hostile_keys,
            check_session_new_is_clean,
            check_session_save_and_reload,
            check_session_unknown_key_not_adopted,
            check_session_invalid_key_not_adopted,
            check_session_flush,
            check_session_cycle_key,
            check_session_concurrent_logout_not_resurrected,
            check_session_past_expiry_does_not_load,
            check_session_custom_expiry_round_trip,
            check_session_extreme_expiry,
            check_session_corrupt_data_loads_empty,
            check_session_load_unknown_creates_nothing,
            check_session_explicit_save_sends_cookie,
            check_session_explicit_save_then_logout_is_interrupted,
            check_session_rolling_expiry
        ));
    };
    (@emit $kind:ident $attrs:tt $module:ident, $store:expr; [$($extra:ident),*] [$($clear:ident),*] ($($check:ident),*)) => {
        #[allow(unused_imports)]
        mod $module {
            use super::*;
            $($crate::conformance_tests!(@test $kind $attrs $check, $store);)*
            $($crate::conformance_tests!(@test $kind $attrs $extra, $store);)*
            $($crate::conformance_tests!(@test $kind $attrs $clear, $store);)*
        }
    };
    (@test $kind:ident [$(#[$meta:meta])*] $check:ident, $store:expr) => {
        $(#[$meta])*
        #[test]
        fn $check() {
            $crate::__conformance_run!($kind, $store, $check)
        }
    };
    ($(#[$meta:meta])* $module:ident, optional $store:expr $(, $flag:ident)*) => {
        $crate::conformance_tests!(@flags optional [$(#[$meta])*] $module, $store; $($flag),*);
    };
    ($(#[$meta:meta])* $module:ident, $store:expr $(, $flag:ident)*) => {
        $crate::conformance_tests!(@flags plain [$(#[$meta])*] $module, $store; $($flag),*);
    };
}

/// Runs one check on a store, or skips it for an absent optional store. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_run {
    (plain, $store:expr, $check:ident) => {
        $crate::conformance::$check($store)
    };
    (optional, $store:expr, $check:ident) => {
        match $store {
            ::std::option::Option::Some(store) => $crate::conformance::$check(store),
            ::std::option::Option::None => {
                ::std::eprintln!("skipped: {}", ::std::stringify!($check))
            }
        }
    };
}

/// Implements [`SessionStore`](crate::SessionStore) for a wrapper type by forwarding every
/// method, `runs_inline` included, to one of its fields; with `, clear_expired` also
/// [`ClearExpired`](crate::ClearExpired); with `, async` (last) also the async twins
/// ([`AsyncSessionStore`](crate::AsyncSessionStore), and
/// [`AsyncClearExpired`](crate::AsyncClearExpired) with `clear_expired`). For test fixtures that own a store together with
/// what must outlive it or be cleaned up after it (a temporary directory, a scratch table,
/// a Redis key space).
///
/// ```
/// use session_core::{ClearExpired, MemoryStore, SessionStore};
///
/// /// A store with a scratch directory that lives exactly as long as it.
/// struct Scratch {
///     store: MemoryStore,
///     _dir: std::path::PathBuf,
/// }
/// session_core::forward_store!(Scratch => store, clear_expired);
///
/// let scratch = Scratch { store: MemoryStore::new(), _dir: std::env::temp_dir() };
/// assert!(scratch.runs_inline());
/// assert_eq!(scratch.clear_expired()?, 0);
/// session_core::conformance::check_create_then_load(scratch);
/// # Ok::<(), session_core::Error>(())
/// ```
#[macro_export]
macro_rules! forward_store {
    ($ty:ty => $field:ident) => {
        impl $crate::SessionStore for $ty {
            fn load_record(&self, key: &str) -> $crate::Result<::std::option::Option<$crate::Record>> {
                $crate::SessionStore::load_record(&self.$field, key)
            }
            fn load(&self, key: &str) -> $crate::Result<::std::option::Option<::std::vec::Vec<u8>>> {
                $crate::SessionStore::load(&self.$field, key)
            }
            fn create(&self, record: &$crate::Record) -> $crate::Result<::std::string::String> {
                $crate::SessionStore::create(&self.$field, record)
            }
            fn save(&self, key: &str, record: &$crate::Record) -> $crate::Result<::std::string::String> {
                $crate::SessionStore::save(&self.$field, key, record)
            }
            fn delete(&self, key: &str) -> $crate::Result<()> {
                $crate::SessionStore::delete(&self.$field, key)
            }
            fn exists(&self, key: &str) -> $crate::Result<bool> {
                $crate::SessionStore::exists(&self.$field, key)
            }
            fn touch(&self, key: &str, expires_at: ::std::time::SystemTime) -> $crate::Result<()> {
                $crate::SessionStore::touch(&self.$field, key, expires_at)
            }
            fn runs_inline(&self) -> bool {
                $crate::SessionStore::runs_inline(&self.$field)
            }
            fn backend_name(&self) -> &'static str {
                $crate::SessionStore::backend_name(&self.$field)
            }
        }
    };
    ($ty:ty => $field:ident, clear_expired) => {
        $crate::forward_store!($ty => $field);
        impl $crate::ClearExpired for $ty {
            fn clear_expired(&self) -> $crate::Result<u64> {
                $crate::ClearExpired::clear_expired(&self.$field)
            }
        }
    };
    ($ty:ty => $field:ident, async) => {
        $crate::forward_store!($ty => $field);
        impl $crate::AsyncSessionStore for $ty {
            fn load_record(&self, key: &str) -> impl ::std::future::Future<Output = $crate::Result<::std::option::Option<$crate::Record>>> + Send {
                $crate::AsyncSessionStore::load_record(&self.$field, key)
            }
            fn load(&self, key: &str) -> impl ::std::future::Future<Output = $crate::Result<::std::option::Option<::std::vec::Vec<u8>>>> + Send {
                $crate::AsyncSessionStore::load(&self.$field, key)
            }
            fn create(&self, record: &$crate::Record) -> impl ::std::future::Future<Output = $crate::Result<::std::string::String>> + Send {
                $crate::AsyncSessionStore::create(&self.$field, record)
            }
            fn save(&self, key: &str, record: &$crate::Record) -> impl ::std::future::Future<Output = $crate::Result<::std::string::String>> + Send {
                $crate::AsyncSessionStore::save(&self.$field, key, record)
            }
            fn delete(&self, key: &str) -> impl ::std::future::Future<Output = $crate::Result<()>> + Send {
                $crate::AsyncSessionStore::delete(&self.$field, key)
            }
            fn exists(&self, key: &str) -> impl ::std::future::Future<Output = $crate::Result<bool>> + Send {
                $crate::AsyncSessionStore::exists(&self.$field, key)
            }
            fn touch(&self, key: &str, expires_at: ::std::time::SystemTime) -> impl ::std::future::Future<Output = $crate::Result<()>> + Send {
                $crate::AsyncSessionStore::touch(&self.$field, key, expires_at)
            }
            fn backend_name(&self) -> &'static str {
                $crate::AsyncSessionStore::backend_name(&self.$field)
            }
        }
    };
    ($ty:ty => $field:ident, clear_expired, async) => {
        $crate::forward_store!($ty => $field, async);
        impl $crate::ClearExpired for $ty {
            fn clear_expired(&self) -> $crate::Result<u64> {
                $crate::ClearExpired::clear_expired(&self.$field)
            }
        }
        impl $crate::AsyncClearExpired for $ty {
            fn clear_expired(&self) -> impl ::std::future::Future<Output = $crate::Result<u64>> + Send {
                $crate::AsyncClearExpired::clear_expired(&self.$field)
            }
        }
    };
}

/// Runs `future` to completion on this thread, parking it while the future waits: enough
/// for stores whose futures need no runtime of their own (and for tokio-based ones while
/// a multi-thread runtime's context is entered; see [`BlockOn::with_executor`] otherwise).
///
/// ```
/// assert_eq!(session_core::conformance::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(value) => return value,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Something that runs a future to completion from sync code: a runtime's `block_on`.
///
/// ```
/// use session_core::conformance::Executor;
/// struct Mine;
/// impl Executor for Mine {
///     fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
///         session_core::conformance::block_on(future)
///     }
/// }
/// assert_eq!(Mine.block_on(async { 3 }), 3);
/// ```
pub trait Executor: Send + Sync {
    /// Runs `future` to completion.
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output;
}

/// The [`block_on`] of this module as an [`Executor`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ThisThread;

impl Executor for ThisThread {
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        block_on(future)
    }
}

/// An [`AsyncSessionStore`](crate::AsyncSessionStore) seen through the sync
/// [`SessionStore`] contract, each call run to completion by an [`Executor`]: how the
/// sync conformance suite checks async stores
/// ([`async_conformance_tests!`](crate::async_conformance_tests)).
///
/// ```
/// use session_core::conformance::{BlockOn, check_create_then_load};
/// check_create_then_load(BlockOn::new(session_core::MemoryStore::new()));
/// ```
#[derive(Debug)]
pub struct BlockOn<S, E = ThisThread> {
    store: S,
    executor: E,
}

impl<S> BlockOn<S> {
    /// `store`, driven on the calling thread by [`block_on`].
    ///
    /// ```
    /// let _ = session_core::conformance::BlockOn::new(session_core::MemoryStore::new());
    /// ```
    pub fn new(store: S) -> Self {
        BlockOn {
            store,
            executor: ThisThread,
        }
    }
}

impl<S, E> BlockOn<S, E> {
    /// `store`, driven by `executor` (e.g. a wrapper around a tokio runtime).
    ///
    /// ```
    /// use session_core::conformance::{BlockOn, ThisThread};
    /// let _ = BlockOn::with_executor(session_core::MemoryStore::new(), ThisThread);
    /// ```
    pub fn with_executor(store: S, executor: E) -> Self {
        BlockOn { store, executor }
    }
}

impl<S: crate::AsyncSessionStore, E: Executor> SessionStore for BlockOn<S, E> {
    fn load_record(&self, key: &str) -> crate::Result<Option<Record>> {
        self.executor.block_on(self.store.load_record(key))
    }
    fn load(&self, key: &str) -> crate::Result<Option<Vec<u8>>> {
        self.executor.block_on(self.store.load(key))
    }
    fn create(&self, record: &Record) -> crate::Result<String> {
        self.executor.block_on(self.store.create(record))
    }
    fn save(&self, key: &str, record: &Record) -> crate::Result<String> {
        self.executor.block_on(self.store.save(key, record))
    }
    fn delete(&self, key: &str) -> crate::Result<()> {
        self.executor.block_on(self.store.delete(key))
    }
    fn exists(&self, key: &str) -> crate::Result<bool> {
        self.executor.block_on(self.store.exists(key))
    }
    fn touch(&self, key: &str, expires_at: SystemTime) -> crate::Result<()> {
        self.executor.block_on(self.store.touch(key, expires_at))
    }
}

impl<S: crate::AsyncClearExpired, E: Executor> ClearExpired for BlockOn<S, E> {
    fn clear_expired(&self) -> crate::Result<u64> {
        self.executor.block_on(self.store.clear_expired())
    }
}

/// The conformance suite for an [`AsyncSessionStore`](crate::AsyncSessionStore): the same
/// checks, the same groups and forms as [`conformance_tests!`](crate::conformance_tests),
/// each store call driven through the async methods by [`BlockOn`] (on the test's thread;
/// for a store that needs a runtime, give `conformance_tests!` a
/// [`BlockOn::with_executor`] yourself).
///
/// ```
/// session_core::async_conformance_tests!(memory_async, session_core::MemoryStore::new(), clear_expired);
/// ```
#[macro_export]
macro_rules! async_conformance_tests {
    ($(#[$meta:meta])* $module:ident, optional $store:expr $(, $flag:ident)*) => {
        $crate::conformance_tests!(
            $(#[$meta])* $module,
            optional ($store).map($crate::conformance::BlockOn::new)
            $(, $flag)*
        );
    };
    ($(#[$meta:meta])* $module:ident, $store:expr $(, $flag:ident)*) => {
        $crate::conformance_tests!(
            $(#[$meta])* $module,
            $crate::conformance::BlockOn::new($store)
            $(, $flag)*
        );
    };
}
