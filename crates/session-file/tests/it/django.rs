//! Django mode: Django's file names, `session_data` contents via `DjangoCodec`, expiry from
//! mtime + cookie age. With `SESSION_TEST_DJANGO_PYTHON` set, real Django reads our files
//! and we read Django's.

use std::fs;
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use session_core::{ClearExpired, Record, SessionManager, SessionStore, key};
use session_file::{FileConfig, FileStore};
use session_signing::DjangoCodec;

use crate::names;

const AGE: Duration = Duration::from_secs(1_209_600);

fn vectors() -> Value {
    serde_json::from_str(include_str!(
        "../../../session-signing/testdata/django_vectors.json"
    ))
    .unwrap()
}

fn django_store(dir: &std::path::Path) -> FileStore {
    FileStore::with_config(
        dir,
        FileConfig::default().with_fsync(false).with_django(AGE),
    )
    .unwrap()
}

#[test]
fn manager_writes_django_named_files_with_session_data_text() {
    let dir = tempfile::tempdir().unwrap();
    let v = vectors();
    let secret = v["secret_key"].as_str().unwrap();
    let manager = SessionManager::new(django_store(dir.path()))
        .with_serializer(DjangoCodec::new(secret).unwrap());
    let mut session = manager.session(None);
    session.insert("name", "Zoë").unwrap();
    session.save().unwrap();
    let key = session.key().unwrap().to_owned();

    assert_eq!(names(dir.path()), [format!("sessionid{key}")]);
    let path = dir.path().join(format!("sessionid{key}"));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.is_ascii());
    assert_eq!(
        DjangoCodec::new(secret).unwrap().decode(&text).unwrap()["name"],
        json!("Zoë")
    );
    // Django computes the expiry as mtime + SESSION_COOKIE_AGE: mtime is the save time.
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let skew = SystemTime::now().duration_since(mtime).unwrap_or_default();
    assert!(skew < Duration::from_secs(300), "mtime {skew:?} ago");

    let mut again = manager.session(Some(&key));
    assert_eq!(again.get::<String>("name").unwrap().as_deref(), Some("Zoë"));
}

#[test]
fn files_written_by_django_load() {
    let dir = tempfile::tempdir().unwrap();
    let v = vectors();
    let secret = v["secret_key"].as_str().unwrap();
    let manager = SessionManager::new(django_store(dir.path()))
        .with_serializer(DjangoCodec::new(secret).unwrap());
    for vector in v["vectors"].as_array().unwrap() {
        let key = key::generate();
        fs::write(
            dir.path().join(format!("sessionid{key}")),
            vector["db_session_data"].as_str().unwrap(),
        )
        .unwrap();
        let mut session = manager.session(Some(&key));
        let expect = vector["data"].as_object().unwrap();
        for (k, value) in expect {
            assert_eq!(session.get_value(k).unwrap().as_ref(), Some(&value), "{k}");
        }
        assert_eq!(session.len().unwrap(), expect.len());
    }
}

#[test]
fn expiry_is_mtime_plus_cookie_age() {
    let dir = tempfile::tempdir().unwrap();
    let store = django_store(dir.path());
    let now = SystemTime::now();
    let live = store
        .create(&Record::new(b"x".to_vec(), now + Duration::from_secs(60)))
        .unwrap();
    let mtime = fs::metadata(dir.path().join(format!("sessionid{live}")))
        .unwrap()
        .modified()
        .unwrap();
    // written back-dated so that mtime + AGE is the record's expiry
    assert!(mtime + AGE <= now + Duration::from_secs(61) && mtime + AGE > now);

    // a file Django wrote long ago is expired
    let old = key::generate();
    let old_path = dir.path().join(format!("sessionid{old}"));
    fs::write(&old_path, b"whatever").unwrap();
    let file = fs::File::options().write(true).open(&old_path).unwrap();
    file.set_modified(now - AGE - Duration::from_secs(1))
        .unwrap();
    drop(file);
    assert_eq!(store.load(&old).unwrap(), None);
    assert!(!store.exists(&old).unwrap());

    // native files and Django's own temp files are not ours in Django mode
    fs::write(dir.path().join(format!("sessionid{old}_out_abc")), b"").unwrap();
    fs::write(dir.path().join("sess-0000"), b"").unwrap();
    assert_eq!(store.clear_expired().unwrap(), 1);
    let mut expect = vec![
        "sess-0000".to_owned(),
        format!("sessionid{live}"),
        format!("sessionid{old}_out_abc"),
    ];
    expect.sort();
    assert_eq!(names(dir.path()), expect);
}

#[test]
fn bad_django_prefix_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for prefix in ["", "../x", "a/b", ".hidden", "sess id"] {
        let config = FileConfig::default().with_django_file_prefix(AGE, prefix);
        assert!(
            FileStore::with_config(dir.path(), config).is_err(),
            "{prefix:?}"
        );
    }
}

/// Real Django 5.2+ reads the session we wrote and writes one we read.
#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[test]
fn real_django_shares_the_directory() {
    let Ok(python) = std::env::var("SESSION_TEST_DJANGO_PYTHON") else {
        eprintln!("skipped: set SESSION_TEST_DJANGO_PYTHON to run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let secret = "shared-secret-for-file-interop";
    let manager = SessionManager::new(django_store(dir.path()))
        .with_serializer(DjangoCodec::new(secret).unwrap());
    let mut session = manager.session(None);
    session.insert("from", "rust").unwrap();
    session.insert("name", "Zoë ☃").unwrap();
    session.save().unwrap();
    let ours = session.key().unwrap().to_owned();

    let script = r#"
import json, sys
from django.conf import settings
settings.configure(SECRET_KEY=sys.argv[2], USE_TZ=True, SESSION_FILE_PATH=sys.argv[1],
                   SESSION_ENGINE="django.contrib.sessions.backends.file",
                   INSTALLED_APPS=["django.contrib.sessions"])
import django
django.setup()
from django.contrib.sessions.backends.file import SessionStore
print(json.dumps(dict(SessionStore(session_key=sys.argv[3]).items())))
s = SessionStore()
s["from"] = "django"
s["n"] = 42
s.save()
print(s.session_key)
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(dir.path())
        .arg(secret)
        .arg(&ours)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let seen: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(seen, json!({"from": "rust", "name": "Zoë ☃"}));
    let theirs = lines.next().unwrap().trim();
    let mut session = manager.session(Some(theirs));
    assert_eq!(
        session.get::<String>("from").unwrap().as_deref(),
        Some("django")
    );
    assert_eq!(session.get::<i64>("n").unwrap(), Some(42));
}
