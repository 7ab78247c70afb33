//! The command line: errors are one line, `clear-expired` sweeps.

use std::time::{Duration, SystemTime};

use session_core::{Record, SessionStore};
use session_demo::{BackendKind, Command, DemoError, Options, SerializerKind, clear_expired};

use crate::flows::setup;

#[test]
fn defaults_serve_sqlite() {
    let options = Options::parse(Vec::<String>::new()).unwrap();
    assert_eq!(options.command, Command::Serve);
    assert_eq!(options.backend, BackendKind::Db);
    assert_eq!(options.db, std::path::Path::new("sessions.sqlite3"));
    assert_eq!(options.serializer, SerializerKind::Json);
    assert_eq!(options.addr.to_string(), "127.0.0.1:8000");
    assert_eq!(Options::parse(["--help"]).unwrap().command, Command::Help);
}

#[test]
fn bad_command_lines_give_one_line_errors() {
    let cases: &[&[&str]] = &[
        &["--frobnicate"],
        &["--addr"],
        &["--addr", "localhost"],
        &["--backend", "mongo"],
        &["--serializer", "pickle"],
        &["--secret", "short"],
        &["--secret", ""],
        &["--django-secret", "   "],
        &["--backend", "cookie", "--db", "x.sqlite3"],
        &["--dir", "sessions"],
        &["--backend", "db", "--backend", "db"],
        &[
            "--django-secret",
            "long enough secret",
            "--serializer",
            "msgpack",
        ],
        &["serve", "clear-expired"],
        &["destroy"],
        &["clear-expired", "--backend", "cookie"],
        &["clear-expired", "--backend", "cache"],
    ];
    for args in cases {
        let err = Options::parse(args.iter().copied()).unwrap_err();
        let line = err.report();
        assert!(matches!(err, DemoError::Usage(_)), "{args:?}");
        assert!(!line.contains('\n') && !line.is_empty(), "{args:?}: {line}");
    }
}

#[test]
fn bad_paths_give_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/s.sqlite3");
    let not_a_db = dir.path().join("junk.sqlite3");
    std::fs::write(&not_a_db, vec![0xAB; 4096]).unwrap();
    for path in [missing, not_a_db, dir.path().to_owned()] {
        let options = Options::parse(["--db", path.to_str().unwrap()]).unwrap();
        let err = session_demo::Backend::open(&options).unwrap_err();
        assert!(matches!(err, DemoError::Open { .. }), "{path:?}: {err:?}");
        let line = err.report();
        assert!(line.starts_with("cannot open database"), "{line}");
        assert!(!line.contains('\n'));
    }
}

#[test]
fn clear_expired_sweeps_the_db() {
    let setup = setup(&["clear-expired"]);
    assert_eq!(clear_expired(&setup.options).unwrap(), 0);
    let store = session_db::DbStore::open(&setup.options.db).unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    let future = SystemTime::now() + Duration::from_secs(60);
    for _ in 0..5 {
        store.create(&Record::new(b"{}".to_vec(), past)).unwrap();
    }
    let live = store.create(&Record::new(b"{}".to_vec(), future)).unwrap();
    assert_eq!(clear_expired(&setup.options).unwrap(), 5);
    assert!(store.exists(&live).unwrap());
    assert_eq!(clear_expired(&setup.options).unwrap(), 0);
}

#[test]
fn clear_expired_in_django_mode() {
    let setup = setup(&[
        "clear-expired",
        "--django-secret",
        crate::flows::DJANGO_SECRET,
    ]);
    let store = session_db::DbStore::open_django(&setup.options.db).unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    store.create(&Record::new(b"x".to_vec(), past)).unwrap();
    assert_eq!(clear_expired(&setup.options).unwrap(), 1);
}

#[test]
fn clear_expired_sweeps_files() {
    let setup = setup(&["clear-expired", "--backend", "file"]);
    let store = session_file::FileStore::new(&setup.options.dir).unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    let future = SystemTime::now() + Duration::from_secs(60);
    for _ in 0..3 {
        store.create(&Record::new(b"{}".to_vec(), past)).unwrap();
    }
    let live = store.create(&Record::new(b"{}".to_vec(), future)).unwrap();
    assert_eq!(clear_expired(&setup.options).unwrap(), 3);
    assert!(store.exists(&live).unwrap());
}

#[test]
fn a_missing_dir_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    let options =
        Options::parse(["--backend", "file", "--dir", missing.to_str().unwrap()]).unwrap();
    let err = session_demo::Backend::open(&options).unwrap_err();
    assert!(
        err.report().starts_with("cannot open session directory"),
        "{}",
        err.report()
    );
    assert!(!missing.exists());
}

#[test]
fn server_backends_need_their_url_and_only_theirs() {
    use session_demo::{BackendKind, Options};
    assert!(Options::parse(["--backend", "postgres"]).is_err());
    assert!(Options::parse(["--backend", "redis"]).is_err());
    assert!(
        Options::parse(["--db-url", "host=x"]).is_err(),
        "--db-url without postgres"
    );
    assert!(Options::parse(["--backend", "postgres", "--redis-url", "redis://x/"]).is_err());
    assert!(Options::parse(["--backend", "redis", "--redis-url", ""]).is_err());
    let o = Options::parse([
        "--backend",
        "postgres",
        "--db-url",
        "host=127.0.0.1 password=hunter2",
    ])
    .unwrap();
    assert_eq!(o.backend, BackendKind::Postgres);
    assert!(
        !format!("{o:?}").contains("hunter2"),
        "URLs are redacted in Debug"
    );
    let o = Options::parse([
        "clear-expired",
        "--backend",
        "redis",
        "--redis-url",
        "redis://x/",
    ]);
    assert!(o.is_err(), "redis expires keys by itself");
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let o =
        session_demo::Options::parse(["--backend", "redis", "--redis-url", "redis://127.0.0.1:1/"])
            .unwrap();
    let err = session_demo::Backend::open(&o).unwrap_err();
    assert!(err.to_string().contains("Redis"), "{err}");
}
