//! Metrics: every store operation a driver performs is counted per backend and outcome,
//! and timed, once a recorder is installed (here a Prometheus recorder local to the test's
//! thread, where the sync driver runs).

use std::time::{Duration, SystemTime};

use metrics_exporter_prometheus::PrometheusBuilder;
use session_core::{
    ClearExpired, Error, MemoryStore, Record, SessionConfig, SessionManager, SessionStore,
    telemetry,
};

#[test]
fn store_operations_are_counted_per_backend_and_outcome() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let store = std::sync::Arc::new(MemoryStore::new());
    let config = SessionConfig::default().with_refresh_after(Some(Duration::ZERO));
    let manager = SessionManager::new(std::sync::Arc::clone(&store)).with_config(config);
    metrics::with_local_recorder(&recorder, || {
        assert!(telemetry::recording());
        let mut session = manager.session(None);
        session.insert("a", 1).unwrap();
        manager.finish(&mut session, 200, false).unwrap(); // create
        let key = session.key().unwrap().to_owned();

        let mut session = manager.session(Some(&key));
        session.get::<i32>("a").unwrap(); // load: hit
        manager.finish(&mut session, 200, true).unwrap(); // touch (refresh due)

        let mut session = manager.session(Some("unknownkey123"));
        session.get::<i32>("a").unwrap(); // load: miss

        let mut session = manager.session(Some(&key));
        session.insert("b", 2).unwrap(); // load: hit
        store.delete(&key).unwrap(); // a concurrent logout, behind the driver's back
        assert!(matches!(
            manager.finish(&mut session, 200, true),
            Err(Error::Interrupted)
        ));
        let mut session = manager.session(Some(&key));
        session.flush().unwrap(); // delete

        let expired = Record::new(b"{}".to_vec(), SystemTime::now() - Duration::from_secs(1));
        store.create(&expired).unwrap();
        telemetry::record_sweep(store.backend_name(), &store.clear_expired());
        telemetry::describe();
    });
    let text = handle.render();
    for sample in [
        r#"session_creates_total{backend="MemoryStore",outcome="ok"} 1"#,
        r#"session_loads_total{backend="MemoryStore",outcome="hit"} 2"#,
        r#"session_loads_total{backend="MemoryStore",outcome="miss"} 1"#,
        r#"session_touches_total{backend="MemoryStore",outcome="ok"} 1"#,
        r#"session_saves_total{backend="MemoryStore",outcome="interrupted"} 1"#,
        r#"session_deletes_total{backend="MemoryStore",outcome="ok"} 1"#,
        r#"session_sweeps_total{backend="MemoryStore",outcome="ok"} 1"#,
        r#"session_swept_total{backend="MemoryStore"} 1"#,
        r#"session_store_op_seconds_count{backend="MemoryStore",op="load"} 3"#,
        "# HELP session_saves_total",
    ] {
        assert!(text.contains(sample), "{sample} missing from:\n{text}");
    }
}

#[test]
fn without_a_recorder_nothing_is_recorded() {
    assert!(!telemetry::recording());
    let manager = SessionManager::new(MemoryStore::new());
    let mut session = manager.session(None);
    session.insert("a", 1).unwrap();
    session.save().unwrap();
}
