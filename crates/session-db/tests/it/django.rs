//! Interop with a real Django, switched on by `SESSION_TEST_DJANGO_PYTHON` (a python that
//! can `import django`): Django writes sessions that `SqliteStore` loads in Django mode, and
//! sessions we write load in Django — with `_session_expiry` as an int and as an ISO
//! string, compressed data, and an expired row that neither side loads.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use session_core::{ClearExpired, Expiry, SessionManager};
use session_db::{DjangoCodec, SqliteStore};

const SECRET: &str = "django-insecure-interop-test-secret";

/// Runs `mode` of the script below against the database `spec`; prints JSON.
const SCRIPT: &str = r#"
import json, sys, datetime
import django
from django.conf import settings
mode, spec, secret = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
if spec["engine"] == "sqlite":
    db = {"ENGINE": "django.db.backends.sqlite3", "NAME": spec["name"]}
else:
    db = {"ENGINE": "django.db.backends.postgresql", "NAME": spec["name"],
          "HOST": spec["host"], "PORT": spec["port"], "USER": spec["user"],
          "PASSWORD": spec["password"],
          "OPTIONS": {"options": "-c search_path=" + spec["schema"]}}
settings.configure(
    SECRET_KEY=secret, USE_TZ=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={"default": db},
    SESSION_ENGINE="django.contrib.sessions.backends.db",
)
django.setup()
from django.core.management import call_command
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

if mode == "write":
    call_command("migrate", verbosity=0)
    out = {}
    s = SessionStore(); s["hello"] = "world"; s["unicode"] = "Zo\u00eb \u2603"; s.save()
    out["plain"] = s.session_key
    s = SessionStore(); s["n"] = 1; s.set_expiry(300); s.save()
    out["idle"] = s.session_key
    at = timezone.now() + datetime.timedelta(days=3)
    s = SessionStore(); s["n"] = 2; s.set_expiry(at); s.save()
    out["at"] = s.session_key; out["at_iso"] = at.isoformat()
    s = SessionStore(); s["big"] = "abc" * 1000; s.save()
    out["compressed"] = s.session_key
    out["compressed_data"] = SessionStore().model.objects.get(session_key=s.session_key).session_data
    s = SessionStore(); s["n"] = 3; s.set_expiry(timezone.now() - datetime.timedelta(seconds=5)); s.save()
    out["expired"] = s.session_key
    print(json.dumps(out))
elif mode == "read":
    keys = json.loads(sys.stdin.read())
    out = {}
    for name, key in keys.items():
        s = SessionStore(session_key=key)
        data = dict(s.items())
        out[name] = {"data": data, "key": s.session_key,
                     "age": s.get_expiry_age() if data else None,
                     "date": s.get_expiry_date().isoformat() if data else None}
    print(json.dumps(out))
elif mode == "clear":
    call_command("clearsessions")
    print(json.dumps({"rows": SessionStore.get_model_class().objects.count()}))
"#;

fn django(python: &str, mode: &str, db: &Value, stdin: Option<&Value>) -> Value {
    use std::io::Write;
    let mut child = Command::new(python)
        .args(["-c", SCRIPT, mode, &db.to_string(), SECRET])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    let input = stdin.map(Value::to_string).unwrap_or_default();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "django {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("django printed JSON")
}

fn python() -> Option<String> {
    let python = std::env::var("SESSION_TEST_DJANGO_PYTHON").ok();
    if python.is_none() {
        println!("skipped: set SESSION_TEST_DJANGO_PYTHON to run");
    }
    python
}

/// Django writes (after its own `migrate`), we read, write back, and Django reads.
fn django_to_rust<S: ClearExpired + Clone + 'static>(
    python: &str,
    db: &Value,
    open: impl FnOnce() -> S,
) {
    let keys = django(python, "write", db, None);
    let store = open();
    let manager =
        SessionManager::new_sync(store.clone()).with_serializer(DjangoCodec::new(SECRET).unwrap());
    let key = |name: &str| keys[name].as_str().unwrap().to_owned();

    let mut s = manager.session(Some(&key("plain")));
    assert_eq!(s.get::<String>("hello").unwrap().as_deref(), Some("world"));
    assert_eq!(
        s.get::<String>("unicode").unwrap().as_deref(),
        Some("Zoë ☃")
    );
    assert_eq!(s.expiry().unwrap(), Expiry::Default);

    let mut s = manager.session(Some(&key("idle")));
    assert_eq!(s.get::<i32>("n").unwrap(), Some(1));
    assert_eq!(s.expiry().unwrap(), Expiry::Idle(Duration::from_secs(300)));

    let mut s = manager.session(Some(&key("at")));
    assert_eq!(s.get::<i32>("n").unwrap(), Some(2));
    let at = session_core::expiry::parse_iso(keys["at_iso"].as_str().unwrap()).unwrap();
    assert_eq!(s.expiry().unwrap(), Expiry::At(at));

    assert!(keys["compressed_data"].as_str().unwrap().starts_with('.'));
    let mut s = manager.session(Some(&key("compressed")));
    assert_eq!(s.get::<String>("big").unwrap(), Some("abc".repeat(1000)));

    // expired in Django's table: not loaded, and swept by clear_expired
    assert_eq!(store.load(&key("expired")).unwrap(), None);
    let mut s = manager.session(Some(&key("expired")));
    assert!(s.is_empty().unwrap());
    assert_eq!(store.clear_expired().unwrap(), 1);

    // a Rust save of a Django session keeps it readable by Django
    let mut s = manager.session(Some(&key("plain")));
    s.insert("from_rust", true).unwrap();
    s.save().unwrap();
    let read = django(python, "read", db, Some(&json!({ "plain": key("plain") })));
    assert_eq!(read["plain"]["data"]["from_rust"], json!(true));
    assert_eq!(read["plain"]["data"]["unicode"], json!("Zoë ☃"));
}

/// We write into a table our store created with Django's DDL; Django reads.
fn rust_to_django<S: ClearExpired + Clone + 'static>(python: &str, db: &Value, store: S) {
    let manager =
        SessionManager::new_sync(store.clone()).with_serializer(DjangoCodec::new(SECRET).unwrap());
    let mut keys = serde_json::Map::new();
    let mut save = |name: &str, f: &dyn Fn(&mut session_core::Session)| {
        let mut s = manager.session(None);
        f(&mut s);
        s.save().unwrap();
        keys.insert(name.into(), json!(s.key().unwrap()));
    };
    save("plain", &|s| {
        s.insert("hello", "world").unwrap();
        s.insert("unicode", "Zoë ☃ 😀").unwrap();
    });
    save("idle", &|s| {
        s.insert("n", 1).unwrap();
        s.set_expiry(Expiry::Idle(Duration::from_secs(300)))
            .unwrap();
    });
    let at = SystemTime::UNIX_EPOCH + Duration::from_micros(4_102_444_800_123_456);
    save("at", &|s| {
        s.insert("n", 2).unwrap();
        s.set_expiry(Expiry::At(at)).unwrap();
    });
    save("compressed", &|s| {
        s.insert("big", "abc".repeat(1000)).unwrap();
    });
    save("expired", &|s| {
        s.insert("n", 3).unwrap();
        s.set_expiry(Expiry::At(SystemTime::now() - Duration::from_secs(5)))
            .unwrap();
    });
    let compressed = store
        .load(keys["compressed"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert!(compressed.starts_with(b"."));

    let read = django(python, "read", db, Some(&Value::Object(keys.clone())));
    assert_eq!(
        read["plain"]["data"],
        json!({"hello": "world", "unicode": "Zoë ☃ 😀"})
    );
    assert_eq!(read["plain"]["age"], json!(1_209_600));
    assert_eq!(
        read["idle"]["data"],
        json!({"n": 1, "_session_expiry": 300})
    );
    assert_eq!(read["idle"]["age"], json!(300));
    assert_eq!(
        read["at"]["date"],
        json!("2100-01-01T00:00:00.123456+00:00")
    );
    assert_eq!(read["compressed"]["data"]["big"], json!("abc".repeat(1000)));
    // expired: Django neither loads it nor adopts the key
    assert_eq!(read["expired"]["data"], json!({}));
    assert_eq!(read["expired"]["key"], Value::Null);
    assert!(!store.exists(keys["expired"].as_str().unwrap()).unwrap());

    // Django's clearsessions and ours agree on what is expired
    let cleared = django(python, "clear", db, None);
    assert_eq!(cleared["rows"], json!(4));
}

fn sqlite_spec(path: &Path) -> Value {
    json!({ "engine": "sqlite", "name": path })
}

#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[test]
fn django_sessions_load_in_rust_sqlite() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite3");
    django_to_rust(&python, &sqlite_spec(&db), || {
        SqliteStore::open_django(&db).unwrap()
    });
}

#[cfg_attr(not(session_test_django), ignore = "needs SESSION_TEST_DJANGO_PYTHON")]
#[test]
fn rust_sessions_load_in_django_sqlite() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite3");
    // the table is created by SqliteStore here (Django's DDL), not by Django's migrate
    let store = SqliteStore::open_django(&db).unwrap();
    rust_to_django(&python, &sqlite_spec(&db), store);
}

/// Real Django on PostgreSQL: needs both `SESSION_TEST_DJANGO_PYTHON` (with `psycopg`
/// importable) and `SESSION_TEST_POSTGRES_URL`. Each test uses its own schema.
#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use crate::postgres::DropSchema;
    use session_db::PostgresConfig;

    fn setup() -> Option<(String, String, Value, DropSchema)> {
        let python = python()?;
        let Ok(url) = std::env::var("SESSION_TEST_POSTGRES_URL") else {
            println!("skipped: set SESSION_TEST_POSTGRES_URL to run");
            return None;
        };
        let has_driver = Command::new(&python)
            .args(["-c", "import psycopg"])
            .status()
            .is_ok_and(|s| s.success());
        // Django's PostgreSQL backend needs a driver: a missing one is a broken setup, not
        // a reason to report a test that did nothing as passed.
        assert!(
            has_driver,
            "`pip install psycopg[binary]` for SESSION_TEST_DJANGO_PYTHON to run these tests"
        );
        let config: ::postgres::Config = url.parse().unwrap();
        let host = match config.get_hosts().first() {
            Some(::postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let schema = format!("session_dj_{}", &session_core::key::generate()[..16]);
        let spec = json!({
            "engine": "postgresql",
            "name": config.get_dbname().unwrap_or("postgres"),
            "host": host,
            "port": config.get_ports().first().copied().unwrap_or(5432),
            "user": config.get_user().unwrap_or("postgres"),
            "password": config.get_password().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default(),
            "schema": schema,
        });
        let guard = DropSchema::new(&schema, &url);
        Some((python, url, spec, guard))
    }

    #[cfg_attr(
        not(all(session_test_django, session_test_postgres)),
        ignore = "needs SESSION_TEST_DJANGO_PYTHON (with psycopg) and SESSION_TEST_POSTGRES_URL"
    )]
    #[test]
    fn django_sessions_load_in_rust_postgres() {
        let Some((python, url, spec, guard)) = setup() else {
            return;
        };
        let mut admin = url
            .parse::<::postgres::Config>()
            .unwrap()
            .connect(::postgres::NoTls)
            .unwrap();
        admin
            .batch_execute(&format!("CREATE SCHEMA \"{}\"", guard.schema()))
            .unwrap();
        django_to_rust(&python, &spec, || {
            PostgresConfig::django()
                .with_schema(guard.schema())
                .unwrap()
                .connect(&url)
                .unwrap()
        });
    }

    #[cfg_attr(
        not(all(session_test_django, session_test_postgres)),
        ignore = "needs SESSION_TEST_DJANGO_PYTHON (with psycopg) and SESSION_TEST_POSTGRES_URL"
    )]
    #[test]
    fn rust_sessions_load_in_django_postgres() {
        let Some((python, url, spec, guard)) = setup() else {
            return;
        };
        let store = PostgresConfig::django()
            .with_schema(guard.schema())
            .unwrap()
            .connect(&url)
            .unwrap();
        rust_to_django(&python, &spec, store);
    }
}
