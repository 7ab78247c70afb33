//! Store behaviour, incl. the file lines of Django's test list.

use std::fs;
use std::time::{Duration, SystemTime};

use session_core::{ClearExpired, Error, Record, SessionStore};
use session_file::{FileConfig, FileStore, format};

use crate::{fast_store, live, names};

#[test]
fn missing_dir_is_an_error_at_construction() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = FileStore::new(&missing).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Backend {
                backend: "file",
                ..
            }
        ),
        "{err:?}"
    );
    let io = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert!(!missing.exists());

    // a file is not a directory either
    let file = dir.path().join("f");
    fs::write(&file, b"x").unwrap();
    assert!(FileStore::new(&file).is_err());
}

#[cfg(unix)]
#[test]
fn create_dir_makes_it_0700() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b");
    let store = FileStore::create_dir(&path).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let key = store.create(&live(b"x")).unwrap();
    assert_eq!(store.load(&key).unwrap().unwrap(), b"x");
}

#[cfg(unix)]
#[test]
fn session_files_are_0600_and_named_by_hash() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path()).unwrap();
    let key = store.create(&live(b"x")).unwrap();
    store.save(&key, &live(b"y")).unwrap();
    let listing = names(dir.path());
    assert_eq!(listing, [format::file_name(&key)]);
    assert!(!listing[0].contains(&key));
    let mode = fs::metadata(dir.path().join(&listing[0]))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn keys_with_separators_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = fast_store(dir.path());
    for bad in [
        "abc\\defghij",
        "abc/defghij",
        "../../../../etc/passwd",
        "..\\..\\windows",
        "abcdefgh\0ijk",
        "abcdéfghij",
        "ABCDEFGHIJ",
        "",
        "1",
        "abcdefg",
        &"a".repeat(65),
    ] {
        assert_eq!(store.load(bad).unwrap(), None, "{bad:?}");
        assert!(!store.exists(bad).unwrap(), "{bad:?}");
        assert!(
            matches!(store.save(bad, &live(b"x")), Err(Error::Interrupted)),
            "{bad:?}"
        );
        store.delete(bad).unwrap();
    }
    assert!(names(dir.path()).is_empty());
}

#[test]
fn traversal_attempts_create_no_file_outside_the_dir() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("sessions");
    fs::create_dir(&dir).unwrap();
    fs::write(parent.path().join("victim"), b"keep").unwrap();
    let before = names(parent.path());
    let store = fast_store(&dir);
    for bad in [
        "../victim",
        "../evil",
        "..%2fevil",
        "/tmp/evil",
        "..\\evil",
        "sessions/../../evil",
        "\0evil",
    ] {
        let _ = store.save(bad, &live(b"pwned"));
        let _ = store.load(bad);
        let _ = store.exists(bad);
        store.delete(bad).unwrap();
    }
    assert_eq!(names(parent.path()), before);
    assert_eq!(fs::read(parent.path().join("victim")).unwrap(), b"keep");
    assert!(names(&dir).is_empty());
}

#[test]
fn clear_expired_with_cookie_age_0_leaves_only_the_unexpired_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = fast_store(dir.path());
    let now = SystemTime::now();
    // cookie_age 0: saved "now" with age 0 is already expired.
    let a = store.create(&Record::new(b"a".to_vec(), now)).unwrap();
    let b = store
        .create(&Record::new(b"b".to_vec(), now - Duration::from_secs(1)))
        .unwrap();
    let c = store.create(&live(b"c")).unwrap();
    fs::write(dir.path().join("README.txt"), b"not a session").unwrap();
    assert_eq!(store.clear_expired().unwrap(), 2);
    assert!(!store.exists(&a).unwrap() && !store.exists(&b).unwrap());
    assert_eq!(store.load(&c).unwrap().unwrap(), b"c");
    let mut expect = vec![format::file_name(&c), "README.txt".to_owned()];
    expect.sort();
    assert_eq!(names(dir.path()), expect);
}

#[test]
fn expired_sessions_never_load_and_cannot_be_saved() {
    let dir = tempfile::tempdir().unwrap();
    let store = fast_store(dir.path());
    let key = store
        .create(&Record::new(
            b"old".to_vec(),
            SystemTime::now() - Duration::from_secs(1),
        ))
        .unwrap();
    assert_eq!(store.load(&key).unwrap(), None);
    assert!(!store.exists(&key).unwrap());
    assert!(matches!(
        store.save(&key, &live(b"new")),
        Err(Error::Interrupted)
    ));
    assert_eq!(store.load(&key).unwrap(), None);
}

#[test]
fn save_of_deleted_session_is_interrupted_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = fast_store(dir.path());
    let key = store.create(&live(b"x")).unwrap();
    store.delete(&key).unwrap();
    store.delete(&key).unwrap();
    assert!(matches!(
        store.save(&key, &live(b"y")),
        Err(Error::Interrupted)
    ));
    assert!(names(dir.path()).is_empty());
}

#[test]
fn corrupt_files_load_as_absent_and_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let store = fast_store(dir.path());
    let mut keys = Vec::new();
    let garbage: [&[u8]; 5] = [
        b"",
        b"SESF",
        b"garbage garbage garbage",
        b"SESF\x01\0\0\0\0\0\0\0\x7f\xff\xff\xff\xff\xff\xff\xff\xffxx",
        &[0xff; 100],
    ];
    for bytes in garbage {
        let key = store.create(&live(b"fine")).unwrap();
        fs::write(dir.path().join(format::file_name(&key)), bytes).unwrap();
        assert_eq!(store.load(&key).unwrap(), None);
        assert!(!store.exists(&key).unwrap());
        assert!(matches!(
            store.save(&key, &live(b"y")),
            Err(Error::Interrupted)
        ));
        keys.push(key);
    }
    // truncated valid file
    let key = store.create(&live(&[7; 1000])).unwrap();
    let path = dir.path().join(format::file_name(&key));
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..500]).unwrap();
    assert_eq!(store.load(&key).unwrap(), None);
    // a newer format version is left alone
    let newer = store.create(&live(b"v2")).unwrap();
    let newer_path = dir.path().join(format::file_name(&newer));
    let mut bytes = fs::read(&newer_path).unwrap();
    bytes[4] = 2;
    fs::write(&newer_path, &bytes).unwrap();
    assert_eq!(store.load(&newer).unwrap(), None);
    assert_eq!(store.clear_expired().unwrap(), 6);
    assert_eq!(names(dir.path()), [format::file_name(&newer)]);
}

#[test]
fn clear_expired_removes_stale_temp_files_and_skips_foreign_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::with_config(
        dir.path(),
        FileConfig::default()
            .with_fsync(false)
            .with_stale_temp_age(Duration::ZERO),
    )
    .unwrap();
    let key = store.create(&live(b"x")).unwrap();
    fs::write(dir.path().join(".sess-tmp-abc123"), b"half a write").unwrap();
    for foreign in ["sess-short", "sessionidabcdefgh", "notes", ".hidden"] {
        fs::write(dir.path().join(foreign), b"mine").unwrap();
    }
    fs::create_dir(dir.path().join("ab")).unwrap();
    fs::write(dir.path().join("ab/.sess-tmp-x"), b"").unwrap();
    fs::write(dir.path().join("ab/other"), b"").unwrap();
    assert_eq!(store.clear_expired().unwrap(), 0);
    let mut expect = vec![
        ".hidden".to_owned(),
        "ab".into(),
        "notes".into(),
        format::file_name(&key),
        "sess-short".into(),
        "sessionidabcdefgh".into(),
    ];
    expect.sort();
    assert_eq!(names(dir.path()), expect);
    assert_eq!(names(&dir.path().join("ab")), ["other"]);

    // with the default age a fresh temp file survives
    let store = fast_store(dir.path());
    fs::write(dir.path().join(".sess-tmp-fresh"), b"").unwrap();
    store.clear_expired().unwrap();
    assert!(dir.path().join(".sess-tmp-fresh").exists());
}

#[test]
fn sharded_layout_round_trips_and_sweeps() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::with_config(
        dir.path(),
        FileConfig::default().with_fsync(false).with_sharded(true),
    )
    .unwrap();
    let keys: Vec<String> = (0..50)
        .map(|i| store.create(&live(&[i])).unwrap())
        .collect();
    for (i, key) in keys.iter().enumerate() {
        let name = format::file_name(key);
        assert!(dir.path().join(&name[5..7]).join(&name).is_file());
        assert_eq!(store.load(key).unwrap().unwrap(), [i as u8]);
        store
            .save(key, &Record::new(vec![1], SystemTime::now()))
            .unwrap();
    }
    assert_eq!(store.clear_expired().unwrap(), 50);
    // never-created shard dir: save is Interrupted and creates no directory
    let listing = names(dir.path());
    let free = (0..)
        .map(|_| session_core::key::generate())
        .find(|k| !listing.contains(&format::file_name(k)[5..7].to_owned()))
        .unwrap();
    assert!(matches!(
        store.save(&free, &live(b"x")),
        Err(Error::Interrupted)
    ));
    assert_eq!(names(dir.path()), listing);
}

#[test]
fn fsync_on_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path()).unwrap();
    assert!(store.config().fsync);
    let key = store.create(&live(b"one")).unwrap();
    assert_eq!(store.save(&key, &live(b"two")).unwrap(), key);
    assert_eq!(store.load(&key).unwrap().unwrap(), b"two");
    store.delete(&key).unwrap();
    assert_eq!(store.load(&key).unwrap(), None);
    assert!(!store.runs_inline());
}

#[test]
fn large_session_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path()).unwrap();
    let data: Vec<u8> = (0..1_000_000u32).map(|i| i as u8).collect();
    let key = store.create(&live(&data)).unwrap();
    assert_eq!(store.load(&key).unwrap().unwrap(), data);
}
