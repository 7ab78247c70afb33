//! The sans-I/O steps: what a session asks its store for, in which order, and what it does
//! with the answers. Every driver (the sync `Session` methods, session-tower) performs
//! exactly these.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use session_core::{
    CookieAction, Error, MemoryStore, Outcome, Record, ResponsePlan, SessionManager, SessionStore,
    StoreOp,
};

fn live(data: &[u8]) -> Record {
    Record::new(data.to_vec(), SystemTime::now() + Duration::from_secs(600))
}

/// A manager over a memory store, and the store.
fn setup() -> (SessionManager, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    (SessionManager::new_sync(Arc::clone(&store)), store)
}

/// Drives the pending operations and returns their names, in order.
fn drive(session: &mut session_core::Session, store: &dyn SessionStore) -> Vec<&'static str> {
    let mut names = Vec::new();
    while let Some(op) = session.next_op().unwrap() {
        names.push(op.name());
        session.complete(op.perform(store)).unwrap();
    }
    names
}

#[test]
fn save_of_an_unloaded_session_loads_then_updates() {
    let (manager, store) = setup();
    let key = store.create(&live(br#"{"a":1}"#)).unwrap();
    let mut session = manager.session(Some(&key));
    session.begin_save();
    assert!(session.needs_store());
    assert_eq!(drive(&mut session, &*store), ["load", "save"]);
    assert_eq!(session.key(), Some(key.as_str()));
    assert!(
        !session.is_modified(),
        "an update of a known key is not a create"
    );
}

#[test]
fn save_of_a_new_session_creates_and_marks_modified() {
    let (manager, store) = setup();
    let mut session = manager.session(None);
    session.begin_save();
    assert_eq!(drive(&mut session, &*store), ["create"]);
    assert!(session.is_modified());
    assert!(store.exists(session.key().unwrap()).unwrap());
}

#[test]
fn an_unknown_client_key_is_loaded_then_a_fresh_one_created() {
    let (manager, store) = setup();
    let mut session = manager.session(Some("unknownkey12345"));
    session.begin_save();
    assert_eq!(drive(&mut session, &*store), ["load", "create"]);
    assert_ne!(session.key(), Some("unknownkey12345"));
}

#[test]
fn cycle_key_creates_before_it_deletes() {
    let (manager, store) = setup();
    let old = store.create(&live(br#"{"cart":3}"#)).unwrap();
    let mut session = manager.session(Some(&old));
    session.begin_cycle_key();
    assert!(session.is_accessed());
    assert_eq!(drive(&mut session, &*store), ["load", "create", "delete"]);
    assert!(!store.exists(&old).unwrap());
    assert_eq!(session.get::<i32>("cart").unwrap(), Some(3));
}

#[test]
fn a_failed_create_keeps_the_old_key_and_record() {
    let (manager, store) = setup();
    let old = store.create(&live(b"{}")).unwrap();
    let mut session = manager.session(Some(&old));
    session.begin_cycle_key();
    assert!(matches!(
        session.next_op().unwrap(),
        Some(StoreOp::Load { .. })
    ));
    session
        .complete(Ok(Outcome::Loaded(Some(b"{}".to_vec()))))
        .unwrap();
    assert!(matches!(
        session.next_op().unwrap(),
        Some(StoreOp::Create { .. })
    ));
    let failed = session.complete(Err(Error::KeyExists));
    assert!(matches!(failed, Err(Error::KeyExists)));
    assert_eq!(session.key(), Some(old.as_str()));
    assert_eq!(
        session.next_op().unwrap(),
        None,
        "a failure abandons the operation"
    );
    assert!(store.exists(&old).unwrap());
}

#[test]
fn flush_forgets_at_once_and_deletes_the_old_key() {
    let (manager, store) = setup();
    let key = store.create(&live(b"{}")).unwrap();
    let mut session = manager.session(Some(&key));
    session.begin_flush();
    assert_eq!(session.key(), None);
    assert!(session.is_modified() && session.is_accessed());
    assert_eq!(
        session.next_op().unwrap(),
        Some(StoreOp::Delete { key: key.clone() })
    );
    assert_eq!(drive(&mut session, &*store), ["delete"]);
    assert!(!store.exists(&key).unwrap());

    let mut fresh = manager.session(None);
    fresh.begin_flush();
    assert!(!fresh.needs_store(), "no key: nothing to delete");
}

#[test]
fn an_outcome_that_answers_nothing_is_an_error_not_a_panic() {
    let (manager, _) = setup();
    let mut session = manager.session(None);
    assert!(matches!(
        session.complete(Ok(Outcome::Deleted)),
        Err(Error::Backend { .. })
    ));
    session.begin_save();
    assert!(matches!(
        session.complete(Ok(Outcome::Loaded(None))),
        Err(Error::Backend { .. })
    ));
    assert_eq!(session.next_op().unwrap(), None);
}

#[test]
fn a_new_operation_replaces_an_abandoned_one() {
    let (manager, store) = setup();
    let key = store.create(&live(b"{}")).unwrap();
    let mut session = manager.session(Some(&key));
    session.begin_cycle_key();
    let _ = session.next_op().unwrap(); // a driver that gave up here (a cancelled request)
    session.begin_load();
    assert_eq!(drive(&mut session, &*store), ["load"]);
    assert_eq!(session.key(), Some(key.as_str()), "no cycle happened");
}

#[test]
fn ops_can_be_performed_on_another_thread() {
    let (manager, store) = setup();
    let mut session = manager.session(None);
    session.insert("a", 1).unwrap();
    session.begin_save();
    while let Some(op) = session.next_op().unwrap() {
        let store = Arc::clone(&store);
        let outcome = std::thread::spawn(move || op.perform(&*store))
            .join()
            .unwrap();
        session.complete(outcome).unwrap();
    }
    assert!(store.exists(session.key().unwrap()).unwrap());
}

#[test]
fn debug_output_never_shows_a_whole_key_or_the_data() {
    let key = "abcdefghijklmnopqrstuvwxyz012345".to_owned();
    let op = StoreOp::Save {
        key: key.clone(),
        record: live(b"secret-data"),
    };
    let text = format!(
        "{op:?} {:?}",
        Outcome::Loaded(Some(b"secret-data".to_vec()))
    );
    assert!(!text.contains(&key) && !text.contains("secret"), "{text}");
}

#[test]
fn the_response_plan_is_pure_and_finish_performs_it() {
    let (manager, store) = setup();
    let key = store.create(&live(br#"{"a":1}"#)).unwrap();

    // save_every_request on an untouched session: the plan saves, the save loads first.
    let every = manager
        .clone()
        .with_config(session_core::SessionConfig::default().with_save_every_request(true));
    let mut session = every.session(Some(&key));
    let plan = every.plan(&session, 200, true);
    assert_eq!(plan, ResponsePlan::Save);
    assert!(!session.needs_store(), "planning starts nothing");
    plan.begin(&mut session);
    assert_eq!(drive(&mut session, &*store), ["load", "save"]);
    let CookieAction::Set { value, .. } = plan.cookie(&session).unwrap() else {
        panic!("a save sets the cookie");
    };
    assert_eq!(value, key);

    // A server error never saves; a read session still varies on Cookie.
    let mut read = manager.session(Some(&key));
    read.get::<i32>("a").unwrap();
    read.insert("b", 2).unwrap();
    assert_eq!(
        manager.plan(&read, 503, true),
        ResponsePlan::Nothing { vary_cookie: true }
    );
}

/// Every store operation is a `tracing` span with the backend, the operation, the key's
/// prefix (never the key), how it ended and how long it took.
#[test]
fn every_store_operation_is_a_span() {
    use std::io::Write;
    use std::sync::Mutex;
    use tracing_subscriber::fmt::format::FmtSpan;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("session::store=debug")
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let (manager, store) = setup();
    let key = store.create(&live(b"{}")).unwrap();
    tracing::subscriber::with_default(subscriber, || {
        // Another test's thread may have registered a callsite as uninteresting while this
        // subscriber was being made (a race in tracing's interest cache): ask again.
        tracing::callsite::rebuild_interest_cache();
        let mut session = manager.session(Some(&key));
        session.insert("a", 1).unwrap();
        session.save().unwrap();
    });
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("session.store"), "{logs}");
    assert!(
        logs.contains("backend=\"") || logs.contains("backend="),
        "{logs}"
    );
    assert!(logs.contains("MemoryStore"), "{logs}");
    assert!(
        logs.contains("op=\"load\"") && logs.contains("outcome=\"hit\""),
        "{logs}"
    );
    assert!(
        logs.contains("op=\"save\"") && logs.contains("outcome=\"ok\""),
        "{logs}"
    );
    assert!(logs.contains("micros="), "{logs}");
    assert!(!logs.contains(&key), "a whole key reached the logs: {logs}");
}
