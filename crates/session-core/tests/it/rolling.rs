//! Rolling expiry (`SessionConfig::refresh_after`): the plan touches a session that was
//! only read once its last renewal is older than the interval, and the touch moves the
//! expiry without rewriting the data. The decision is pure: these tests drive it against
//! stores whose records carry a chosen expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use session_core::{
    CookieAction, Error, Expiry, MemoryStore, Record, ResponsePlan, Result, SessionConfig,
    SessionManager, SessionStore, StoreOp,
};

const AGE: Duration = Duration::from_secs(1_209_600);
const HOUR: Duration = Duration::from_secs(3600);

/// A memory store that counts the writes and can refuse `touch` as a store that cannot
/// move an expiry alone does.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    saves: AtomicUsize,
    touches: AtomicUsize,
    no_touch: bool,
}

impl SessionStore for Counting {
    fn load_record(&self, key: &str) -> Result<Option<Record>> {
        self.inner.load_record(key)
    }
    fn create(&self, record: &Record) -> Result<String> {
        self.inner.create(record)
    }
    fn save(&self, key: &str, record: &Record) -> Result<String> {
        self.saves.fetch_add(1, Ordering::Relaxed);
        self.inner.save(key, record)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool> {
        self.inner.exists(key)
    }
    fn touch(&self, key: &str, expires_at: SystemTime) -> Result<()> {
        if self.no_touch {
            return Err(Error::Unsupported {
                backend: "counting",
                operation: "touch",
            });
        }
        self.touches.fetch_add(1, Ordering::Relaxed);
        self.inner.touch(key, expires_at)
    }
}

fn setup(refresh_after: Option<Duration>, no_touch: bool) -> (SessionManager, Arc<Counting>) {
    let store = Arc::new(Counting {
        no_touch,
        ..Counting::default()
    });
    let config = SessionConfig::default().with_refresh_after(refresh_after);
    let manager = SessionManager::new_sync(Arc::clone(&store)).with_config(config);
    (manager, store)
}

/// A stored session last renewed `ago` ago (default expiry: its record expires `AGE`
/// after that).
fn stored(store: &Counting, data: &[u8], ago: Duration) -> String {
    let expires_at = SystemTime::now() + AGE - ago;
    store
        .create(&Record::new(data.to_vec(), expires_at))
        .unwrap()
}

#[test]
fn without_refresh_after_a_read_changes_nothing() {
    let (manager, store) = setup(None, false);
    let key = stored(&store, br#"{"a":1}"#, 10 * HOUR);
    let mut session = manager.session(Some(&key));
    assert_eq!(session.get::<i32>("a").unwrap(), Some(1));
    assert_eq!(
        manager.plan(&session, 200, true),
        ResponsePlan::Nothing { vary_cookie: true }
    );
}

#[test]
fn a_read_after_refresh_after_touches_without_rewriting() {
    let (manager, store) = setup(Some(HOUR), false);
    let key = stored(&store, br#"{"a":1}"#, 2 * HOUR);
    let before = store.load_record(&key).unwrap().unwrap().expires_at;
    let mut session = manager.session(Some(&key));
    assert_eq!(session.get::<i32>("a").unwrap(), Some(1));
    assert_eq!(manager.plan(&session, 200, true), ResponsePlan::Touch);

    let action = manager.finish(&mut session, 200, true).unwrap();
    let CookieAction::Set { value, max_age, .. } = action else {
        panic!("a touched session re-sends its cookie: {action:?}");
    };
    assert_eq!(value, key);
    assert_eq!(max_age, Some(AGE));
    let after = store.load_record(&key).unwrap().unwrap();
    assert!(after.expires_at > before + HOUR, "the expiry moved");
    assert_eq!(after.data, br#"{"a":1}"#);
    assert_eq!(store.touches.load(Ordering::Relaxed), 1);
    assert_eq!(
        store.saves.load(Ordering::Relaxed),
        0,
        "the data was not rewritten"
    );
}

#[test]
fn a_recent_renewal_is_not_renewed_again() {
    let (manager, store) = setup(Some(HOUR), false);
    let key = stored(&store, br#"{"a":1}"#, Duration::from_secs(60));
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    assert_eq!(
        manager.plan(&session, 200, true),
        ResponsePlan::Nothing { vary_cookie: true }
    );
    // and a session just touched is not due either
    let key = stored(&store, br#"{"a":1}"#, 2 * HOUR);
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    manager.finish(&mut session, 200, true).unwrap();
    let mut again = manager.session(Some(&key));
    again.get::<i32>("a").unwrap();
    assert_eq!(
        manager.plan(&again, 200, true),
        ResponsePlan::Nothing { vary_cookie: true }
    );
}

#[test]
fn the_load_asks_for_the_record_only_when_refresh_after_is_set() {
    let (manager, _) = setup(Some(HOUR), false);
    let mut session = manager.session(Some("clientkey123"));
    session.begin_load();
    assert_eq!(
        session.next_op().unwrap(),
        Some(StoreOp::LoadRecord {
            key: "clientkey123".into()
        })
    );
    let (manager, _) = setup(None, false);
    let mut session = manager.session(Some("clientkey123"));
    session.begin_load();
    assert_eq!(
        session.next_op().unwrap(),
        Some(StoreOp::Load {
            key: "clientkey123".into()
        })
    );
}

#[test]
fn an_unread_session_is_not_renewed() {
    // Knowing the last renewal would take a load: a request that never reads its session
    // costs no I/O.
    let (manager, store) = setup(Some(HOUR), false);
    let key = stored(&store, b"{}", 2 * HOUR);
    let session = manager.session(Some(&key));
    assert_eq!(
        manager.plan(&session, 200, true),
        ResponsePlan::Nothing { vary_cookie: false }
    );
}

#[test]
fn a_change_saves_and_an_error_status_renews_nothing() {
    let (manager, store) = setup(Some(HOUR), false);
    let key = stored(&store, br#"{"a":1}"#, 2 * HOUR);
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    assert_eq!(
        manager.plan(&session, 500, true),
        ResponsePlan::Nothing { vary_cookie: true }
    );
    session.insert("b", 2).unwrap();
    assert_eq!(manager.plan(&session, 200, true), ResponsePlan::Save);
}

#[test]
fn a_store_that_cannot_touch_is_saved_instead() {
    let (manager, store) = setup(Some(HOUR), true);
    let key = stored(&store, br#"{"a":1}"#, 2 * HOUR);
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    let action = manager.finish(&mut session, 200, true).unwrap();
    assert!(matches!(
        action,
        CookieAction::Set {
            max_age: Some(AGE),
            ..
        }
    ));
    assert_eq!(store.saves.load(Ordering::Relaxed), 1);
    let after = store.load_record(&key).unwrap().unwrap();
    assert!(after.expires_at > SystemTime::now() + AGE - HOUR);
}

#[test]
fn a_touch_of_a_session_deleted_meanwhile_is_interrupted() {
    let (manager, store) = setup(Some(HOUR), false);
    let key = stored(&store, br#"{"a":1}"#, 2 * HOUR);
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    store.delete(&key).unwrap(); // a concurrent logout
    assert!(matches!(
        manager.finish(&mut session, 200, true),
        Err(Error::Interrupted)
    ));
    assert!(!store.exists(&key).unwrap(), "never resurrected");
}

#[test]
fn a_fixed_expiry_never_rolls_and_an_idle_one_does() {
    let (manager, store) = setup(Some(Duration::from_secs(60)), false);
    let at = SystemTime::now() + Duration::from_secs(600);
    let mut fixed = manager.session(None);
    fixed.set_expiry(Expiry::At(at)).unwrap();
    fixed.save().unwrap();
    let key = fixed.key().unwrap().to_owned();
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    assert_eq!(
        manager.plan(&session, 200, true),
        ResponsePlan::Nothing { vary_cookie: true }
    );

    // idle for 300 s, last renewed 200 s ago: due under a 60 s interval
    let expires_at = SystemTime::now() + Duration::from_secs(100);
    let key = store
        .create(&Record::new(
            br#"{"_session_expiry":300}"#.to_vec(),
            expires_at,
        ))
        .unwrap();
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    assert_eq!(manager.plan(&session, 200, true), ResponsePlan::Touch);
    let action = manager.finish(&mut session, 200, true).unwrap();
    assert!(matches!(
        action,
        CookieAction::Set { max_age: Some(age), .. } if age == Duration::from_secs(300)
    ));
}

#[test]
fn a_browser_close_session_rolls_on_the_server_and_keeps_its_browser_cookie() {
    let config = SessionConfig::default()
        .with_refresh_after(Some(HOUR))
        .with_expire_at_browser_close(true);
    let store = Arc::new(Counting::default());
    let manager = SessionManager::new_sync(Arc::clone(&store)).with_config(config);
    let key = stored(&store, br#"{"a":1}"#, 2 * HOUR);
    let mut session = manager.session(Some(&key));
    session.get::<i32>("a").unwrap();
    let action = manager.finish(&mut session, 200, true).unwrap();
    assert!(matches!(
        action,
        CookieAction::Set {
            max_age: None,
            expires: None,
            ..
        }
    ));
    assert_eq!(store.touches.load(Ordering::Relaxed), 1);
}
