//! The Django chapter against a real Django, switched on by `SESSION_TEST_DJANGO_PYTHON`
//! (a python that can `import django`): what the book's functions write, Django reads, and
//! the login Django writes, the book's `django_user_id` reads.

use std::path::Path;
use std::process::Command;

#[allow(dead_code)]
#[path = "../../examples/django.rs"]
mod example;

const SECRET: &str = "django-insecure-book-example-secret";

const SCRIPT: &str = r#"
import json, sys
import django
from django.conf import settings
mode, name, secret = sys.argv[1], sys.argv[2], sys.argv[3]
settings.configure(
    SECRET_KEY=secret, USE_TZ=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": name}},
)
django.setup()
from django.contrib.sessions.backends.db import SessionStore
if mode == "read":
    print(json.dumps(dict(SessionStore(session_key=sys.argv[4]).items())))
else:
    s = SessionStore()
    s["_auth_user_id"] = "42"
    s["greeting"] = "Grüß Gott"
    s.save()
    print(json.dumps(s.session_key))
"#;

fn django(python: &str, args: &[&str], db: &Path) -> serde_json::Value {
    let out = Command::new(python)
        .args(["-c", SCRIPT, args[0], db.to_str().unwrap(), SECRET])
        .args(&args[1..])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json from the script")
}

#[test]
fn the_example_runs() {
    example::main().unwrap();
}

#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[test]
fn the_book_shares_sessions_with_real_django() {
    let Ok(python) = std::env::var("SESSION_TEST_DJANGO_PYTHON") else {
        println!("skipped: set SESSION_TEST_DJANGO_PYTHON to run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite3");
    let manager = example::open_site_db(&db, SECRET).unwrap();

    // We write, Django reads.
    let mut session = manager.session(None);
    session.insert("cart", [1, 2]).unwrap();
    session.insert("name", "Zoë").unwrap();
    session.save().unwrap();
    let key = session.key().unwrap().to_owned();
    let seen = django(&python, &["read", &key], &db);
    assert_eq!(seen, serde_json::json!({"cart": [1, 2], "name": "Zoë"}));

    // Django writes a login, we read it.
    let key = django(&python, &["write"], &db);
    let key = key.as_str().unwrap();
    assert_eq!(example::django_user_id(&manager, key).unwrap(), Some(42));
    let mut session = manager.session(Some(key));
    assert_eq!(
        session.get::<String>("greeting").unwrap().as_deref(),
        Some("Grüß Gott")
    );
}
