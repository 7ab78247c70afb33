//! Round trip with real Django, switched on by `SESSION_TEST_DJANGO_PYTHON` (a python that can
//! `import django`): our cookies and `session_data` load in Django, Django's load here.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use session_core::{DjangoJson, Expiry, Serializer, SessionData, SessionManager, SessionStore};
use session_signing::DjangoCodec;

use super::*;

const VAR: &str = "SESSION_TEST_DJANGO_PYTHON";

/// Reads a JSON request on stdin, answers with JSON on stdout.
const SCRIPT: &str = r#"
import json, sys
import django
from django.conf import settings
req = json.load(sys.stdin)
settings.configure(SECRET_KEY=req["secret"], SECRET_KEY_FALLBACKS=req["fallbacks"],
                   INSTALLED_APPS=["django.contrib.sessions"], USE_TZ=True)
django.setup()
from django.contrib.sessions.backends.signed_cookies import SessionStore as CookieStore
from django.contrib.sessions.backends.db import SessionStore as SqliteStore
out = {"cookie_loads": [], "db_decodes": [], "django_cookies": [], "django_db": []}
for value in req["our_cookies"]:
    out["cookie_loads"].append(CookieStore(session_key=value).load())
for text in req["our_db"]:
    out["db_decodes"].append(SqliteStore().decode(text))
for item in req["make"]:
    s = CookieStore()
    s.update(item["data"])
    if item.get("expiry") is not None:
        s.set_expiry(item["expiry"])
    s.save()
    out["django_cookies"].append(s.session_key)
    out["django_db"].append(SqliteStore().encode(s._session))
json.dump(out, sys.stdout)
"#;

fn django(python: &str, request: &Value) -> Value {
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("python runs");
    assert!(
        output.status.success(),
        "python failed: {:?}",
        output.status
    );
    serde_json::from_slice(&output.stdout).expect("python answers JSON")
}

fn sessions() -> Vec<SessionData> {
    let values = [
        json!({}),
        json!({"member_id": 7, "name": "Zoë ☃ 😀", "cart": [1, 2, {"sku": "x"}]}),
        json!({"blob": "ab".repeat(1000), "_session_expiry": 300}),
        json!({"escapes": "\"\\/\n\r\t\u{0}\u{7f}", "nested": {"t": true, "n": null, "f": 1.5}}),
    ];
    values
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect()
}

#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[test]
fn round_trip_with_real_django() {
    let Ok(python) = std::env::var(VAR) else {
        println!("skipped: set {VAR} to run");
        return;
    };
    let (secret, old) = ("rust-and-django-share-this-secret", "the-previous-secret");
    let store = CookieStore::new(secret)
        .unwrap()
        .with_fallbacks([old])
        .unwrap();
    let manager = SessionManager::new(store.clone()).with_serializer(DjangoJson);
    let codec = DjangoCodec::new(secret)
        .unwrap()
        .with_fallbacks([old])
        .unwrap();
    let old_store = CookieStore::new(old).unwrap();

    let mut our_cookies = Vec::new();
    let mut our_db = Vec::new();
    for data in sessions() {
        let bytes = DjangoJson.to_bytes(&data).unwrap();
        let record = Record::new(bytes, SystemTime::now() + secs(3600));
        our_cookies.push(store.create(&record).unwrap());
        our_db.push(String::from_utf8(codec.to_bytes(&data).unwrap()).unwrap());
    }
    // Rotation: a cookie signed with the old secret, read by Django with it as a fallback.
    let rotated = json!({"rotated": true}).as_object().unwrap().clone();
    let record = Record::new(
        DjangoJson.to_bytes(&rotated).unwrap(),
        SystemTime::now() + secs(60),
    );
    our_cookies.push(old_store.create(&record).unwrap());
    // And through the manager, with a custom expiry.
    let mut session = manager.session(None);
    session.insert("via", "manager").unwrap();
    session.set_expiry(Expiry::Idle(secs(600))).unwrap();
    session.save().unwrap();
    our_cookies.push(session.key().unwrap().to_owned());
    // A forged one must load empty in Django too.
    our_cookies.push(CookieStore::new("wrong").unwrap().create(&record).unwrap());

    let make: Vec<Value> = sessions()
        .into_iter()
        .map(|d| json!({"data": d}))
        .chain([json!({"data": {"idle": 1}, "expiry": 300})])
        .collect();
    let answer = django(
        &python,
        &json!({"secret": secret, "fallbacks": [old], "our_cookies": our_cookies,
                "our_db": our_db, "make": make}),
    );

    // Ours, read by Django.
    let loads = answer["cookie_loads"].as_array().unwrap();
    let expected: Vec<Value> = sessions()
        .into_iter()
        .map(Value::Object)
        .chain([
            Value::Object(rotated),
            json!({"via": "manager", "_session_expiry": 600}),
            json!({}),
        ])
        .collect();
    assert_eq!(loads, &expected);
    let decodes = answer["db_decodes"].as_array().unwrap();
    let expected: Vec<Value> = sessions().into_iter().map(Value::Object).collect();
    assert_eq!(decodes, &expected);

    // Django's, read by us.
    let theirs = answer["django_cookies"].as_array().unwrap();
    let rows = answer["django_db"].as_array().unwrap();
    for (i, data) in sessions().into_iter().enumerate() {
        let cookie = theirs[i].as_str().unwrap();
        let mut session = manager.session(Some(cookie));
        assert_eq!(session.as_map().unwrap(), &data, "cookie {i}");
        let row = rows[i].as_str().unwrap();
        assert_eq!(codec.from_bytes(row.as_bytes()).unwrap(), data, "row {i}");
    }
    let mut idle = manager.session(theirs[4].as_str());
    assert_eq!(idle.expiry().unwrap(), Expiry::Idle(secs(300)));
    assert_eq!(idle.get::<u32>("idle").unwrap(), Some(1));
}
