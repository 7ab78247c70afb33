//! The demo in Django mode shares logins with a real Django, both ways. Switched on by
//! `SESSION_TEST_DJANGO_PYTHON` (a python that can `import django`).

use std::process::Command;

use serde_json::{Value, json};

use crate::client::Client;
use crate::flows::{DJANGO_SECRET, setup};

const SCRIPT: &str = r#"
import json, sys
from django.conf import settings
backend, db, action, arg = sys.argv[1:5]
settings.configure(
    SECRET_KEY=sys.argv[5],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}},
    INSTALLED_APPS=["django.contrib.sessions"],
    SESSION_FILE_PATH=db,
    USE_TZ=True,
)
import django
django.setup()
if backend == "db":
    from django.contrib.sessions.backends.db import SessionStore
elif backend == "file":
    from django.contrib.sessions.backends.file import SessionStore
else:
    from django.contrib.sessions.backends.signed_cookies import SessionStore
if action == "read":
    print(json.dumps(dict(SessionStore(session_key=arg).items())))
else:
    s = SessionStore()
    s["member_id"] = int(arg)
    s.save()
    print(s.session_key)
"#;

fn python() -> Option<String> {
    let python = std::env::var("SESSION_TEST_DJANGO_PYTHON").ok();
    if python.is_none() {
        println!("skipped: set SESSION_TEST_DJANGO_PYTHON to run");
    }
    python
}

fn django(python: &str, backend: &str, db: &str, action: &str, arg: &str) -> String {
    let out = Command::new(python)
        .args(["-c", SCRIPT, backend, db, action, arg, DJANGO_SECRET])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn shares_logins(backend: &str) {
    let Some(python) = python() else { return };
    let setup = setup(&["--backend", backend, "--django-secret", DJANGO_SECRET]);
    // Django's database file, or its SESSION_FILE_PATH.
    let db = match backend {
        "file" => setup.options.dir.display().to_string(),
        _ => setup.options.db.display().to_string(),
    };

    // The demo logs alice in; Django reads the session.
    let mut client = Client::new(&setup.options);
    client.post("/comment", "comment=hello").await;
    assert_eq!(
        client
            .post("/login", "username=alice&password=wonderland")
            .await
            .body,
        "You're logged in."
    );
    let cookie = client.cookie.clone().unwrap();
    let seen: Value =
        serde_json::from_str(&django(&python, backend, &db, "read", &cookie)).unwrap();
    assert_eq!(seen, json!({"has_commented": true, "member_id": 1}));

    // Django logs bob in; the demo's page knows him.
    let key = django(&python, backend, &db, "write", "2");
    let mut bob = Client {
        app: client.app.clone(),
        cookie: Some(key),
    };
    assert_eq!(bob.session().await, json!({"member_id": 2}));
    assert!(
        bob.get("/")
            .await
            .body
            .contains("logged in as <strong>bob</strong>")
    );
}

#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[tokio::test]
async fn db_mode_shares_logins_with_django() {
    shares_logins("db").await;
}

#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[tokio::test]
async fn cookie_mode_shares_logins_with_django() {
    shares_logins("cookie").await;
}

#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[tokio::test]
async fn file_mode_shares_logins_with_django() {
    shares_logins("file").await;
}
