//! PostgreSQL (feature `postgres`), switched on by `SESSION_TEST_POSTGRES_URL` (e.g.
//! `host=127.0.0.1 user=postgres dbname=test`). Every store lives in its own schema,
//! dropped afterwards, so runs never collide.

use std::time::Duration;

use session_core::{Error, SessionManager, SessionStore, key};
use session_db::{PostgresConfig, PostgresStore, tokio_postgres};

use crate::common::{chain, live, past};

fn url() -> Option<String> {
    let url = std::env::var("SESSION_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        println!("skipped: set SESSION_TEST_POSTGRES_URL to run");
    }
    url
}

/// The test server's config, tagged with `app` so a test can terminate only its own
/// connections, and without fsync per commit (fast bulk creates).
fn pg_config(url: &str, app: &str) -> tokio_postgres::Config {
    let mut config: tokio_postgres::Config = url.parse().expect("SESSION_TEST_POSTGRES_URL");
    config
        .application_name(app)
        .options("-c synchronous_commit=off");
    config
}

/// Drops a test schema (and everything in it) when it goes out of scope.
pub struct DropSchema {
    schema: String,
    url: String,
}

impl DropSchema {
    pub fn new(schema: &str, url: &str) -> Self {
        DropSchema {
            schema: schema.to_owned(),
            url: url.to_owned(),
        }
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = self
            .url
            .parse::<postgres::Config>()
            .unwrap()
            .connect(postgres::NoTls)
        {
            let _ = c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.schema
            ));
        }
    }
}

/// A store in a fresh schema that is dropped with it.
pub struct TempPg {
    pub store: PostgresStore,
    pub schema: String,
    url: String,
    _drop: DropSchema,
}

impl TempPg {
    pub fn new(config: PostgresConfig) -> Self {
        let url = url().expect("SESSION_TEST_POSTGRES_URL");
        let schema = format!("session_test_{}", &key::generate()[..16]);
        let store = config
            .with_schema(&schema)
            .unwrap()
            .connect_with(pg_config(&url, &schema))
            .expect("connect");
        let _drop = DropSchema {
            schema: schema.clone(),
            url: url.clone(),
        };
        TempPg {
            store,
            schema,
            url,
            _drop,
        }
    }

    /// Another store (own pool: another web node) on the same schema.
    pub fn node(&self, config: PostgresConfig) -> PostgresStore {
        config
            .with_schema(&self.schema)
            .unwrap()
            .connect_with(pg_config(&self.url, &self.schema))
            .expect("connect")
    }

    pub fn client(&self) -> postgres::Client {
        self.url
            .parse::<postgres::Config>()
            .unwrap()
            .connect(postgres::NoTls)
            .unwrap()
    }
}

session_core::forward_store!(TempPg => store, clear_expired, async);

/// A fresh schema on the test server, or `None` (and a "skipped" line) without one.
pub fn temp_pg(config: PostgresConfig) -> Option<TempPg> {
    url().map(|_| TempPg::new(config))
}

session_core::conformance_tests!(
    #[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
    conformance_native,
    optional temp_pg(PostgresConfig::native()),
    clear_expired
);
session_core::async_conformance_tests!(
    #[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
    async_conformance_native,
    optional temp_pg(PostgresConfig::native()),
    clear_expired
);
session_core::conformance_tests!(
    #[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
    conformance_django,
    optional temp_pg(PostgresConfig::django()),
    clear_expired,
    text_only
);

#[test]
fn unreachable_server_is_a_clear_error_with_its_source() {
    // port 1 on loopback: refused at once, no server needed
    let err = PostgresConfig::native()
        .with_connect_timeout(Duration::from_secs(2))
        .connect("host=127.0.0.1 port=1 user=nobody password=hunter2 dbname=none")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Backend {
                backend: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
    let text = chain(&err);
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
    let pg = std::error::Error::source(&err)
        .and_then(|e| e.source())
        .and_then(|e| e.downcast_ref::<postgres::Error>());
    assert!(
        pg.is_some(),
        "the driver's error must be kept as the source: {text}"
    );
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn native_layout_hashes_keys_and_versions_the_table() {
    if url().is_none() {
        return;
    }
    let db = TempPg::new(PostgresConfig::native());
    let key = db.store.create(&live(b"data")).unwrap();
    let mut c = db.client();
    let row = c
        .query_one(
            &format!("SELECT key_hash, data FROM \"{}\".sessions", db.schema),
            &[],
        )
        .unwrap();
    let (hash, data): (Vec<u8>, Vec<u8>) = (row.get(0), row.get(1));
    assert_eq!(hash.len(), 32);
    assert_ne!(hash, key.as_bytes());
    assert_eq!(data, b"data");
    let version: i64 = c
        .query_one(
            &format!("SELECT version FROM \"{}\".session_db_schema", db.schema),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(version, session_db::SCHEMA_VERSION);
    let indexes: Vec<String> = c
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1",
            &[&db.schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        indexes.contains(&"sessions_expires_at".to_owned()),
        "{indexes:?}"
    );
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn django_mode_uses_djangos_ddl() {
    if url().is_none() {
        return;
    }
    let db = TempPg::new(PostgresConfig::django());
    let key = db.store.create(&live(b"text")).unwrap();
    let mut c = db.client();
    let row = c
        .query_one(
            &format!(
                "SELECT session_key, session_data FROM \"{}\".django_session",
                db.schema
            ),
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), key);
    assert_eq!(row.get::<_, String>(1), "text");
    let mut indexes: Vec<String> = c
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1",
            &[&db.schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    indexes.sort();
    assert_eq!(
        indexes,
        [
            "django_session_expire_date_a5c62663",
            "django_session_pkey",
            "django_session_session_key_c0390e0f_like"
        ]
    );
    let ty: String = c
        .query_one(
            "SELECT data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND column_name = 'expire_date'",
            &[&db.schema],
        )
        .unwrap()
        .get(0);
    assert_eq!(ty, "timestamp with time zone");
    assert!(matches!(
        db.store.create(&live(&[0xff])),
        Err(Error::Serialize(_))
    ));
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn nodes_starting_at_once_create_the_schema_once() {
    let Some(url) = url() else { return };
    let schema = format!("session_test_{}", &key::generate()[..16]);
    let guard = DropSchema {
        schema: schema.clone(),
        url: url.clone(),
    };
    let nodes: Vec<_> = (0..4)
        .map(|_| {
            let (url, schema) = (url.clone(), schema.clone());
            std::thread::spawn(move || {
                PostgresConfig::django()
                    .with_schema(&schema)
                    .unwrap()
                    .connect(&url)
            })
        })
        .collect();
    for n in nodes {
        n.join().unwrap().expect("every node starts");
    }
    drop(guard);
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn two_nodes_share_sessions_and_logout_wins() {
    if url().is_none() {
        return;
    }
    let db = TempPg::new(PostgresConfig::native());
    let node_b = db.node(PostgresConfig::native());
    let a = SessionManager::new(db.store.clone());
    let b = SessionManager::new(node_b);

    let mut on_a = a.session(None);
    on_a.insert("user", 7).unwrap();
    on_a.save().unwrap();
    let key = on_a.key().unwrap().to_owned();

    let mut on_b = b.session(Some(&key));
    assert_eq!(on_b.get::<i32>("user").unwrap(), Some(7));
    // logout on A while B's request is in flight
    a.session(Some(&key)).flush().unwrap();
    on_b.insert("cart", 1).unwrap();
    assert!(matches!(on_b.save(), Err(Error::Interrupted)));
    assert!(!db.store.exists(&key).unwrap());
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn reconnects_after_the_server_drops_connections() {
    if url().is_none() {
        return;
    }
    let db = TempPg::new(PostgresConfig::native().with_pool_size(3));
    let key = db.store.create(&live(b"before")).unwrap();
    // fill the pool with several idle connections, then kill them all
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..20 {
                    db.store.load(&key).unwrap();
                }
            });
        }
    });
    let mut admin = db.client();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&db.schema],
        )
        .unwrap()
        .len();
    assert!(killed >= 1);
    // the next operation may fail with a clear error; the one after must succeed
    match db.store.load(&key) {
        Ok(data) => assert_eq!(data.as_deref(), Some(&b"before"[..])),
        Err(e) => assert!(
            matches!(
                e,
                Error::Backend {
                    backend: "postgres",
                    ..
                }
            ),
            "{e:?}"
        ),
    }
    assert_eq!(
        db.store.load(&key).unwrap().as_deref(),
        Some(&b"before"[..])
    );
    db.store.save(&key, &live(b"after")).unwrap();
    assert_eq!(db.store.load(&key).unwrap().as_deref(), Some(&b"after"[..]));
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn clear_expired_batches_with_progress() {
    if url().is_none() {
        return;
    }
    let db = TempPg::new(PostgresConfig::native().with_batch_size(100));
    let mut c = db.client();
    c.batch_execute(&format!(
        "INSERT INTO \"{}\".sessions (key_hash, data, expires_at) \
         SELECT sha256(i::text::bytea), ''::bytea, now() - interval '1 hour' \
         FROM generate_series(1, 250) AS i",
        db.schema
    ))
    .unwrap();
    let keep = db.store.create(&live(b"keep")).unwrap();
    db.store.create(&past(b"gone")).unwrap();
    assert_eq!(db.store.count_expired().unwrap(), 251);
    let mut seen = Vec::new();
    assert_eq!(db.store.clear_expired_with(|n| seen.push(n)).unwrap(), 251);
    assert_eq!(seen, [100, 200, 251]);
    assert!(db.store.exists(&keep).unwrap());
    assert!(format!("{:?}", db.store).contains("PostgresStore"));
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[test]
fn stores_are_built_used_and_dropped_inside_an_async_runtime() {
    // A store made in `#[tokio::main]` (here: a single-threaded runtime) checks the server
    // without waiting on its own thread, and its sync face works from the blocking pool.
    let Some(url) = url() else { return };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = PostgresStore::connect(&url).expect("connect inside a runtime");
        let key = tokio::task::spawn_blocking({
            let store = store.clone();
            move || store.create(&live(b"{}")).unwrap()
        })
        .await
        .unwrap();
        let loaded = tokio::task::spawn_blocking({
            let store = store.clone();
            move || store.load(&key).unwrap()
        })
        .await
        .unwrap();
        assert_eq!(loaded.as_deref(), Some(&b"{}"[..]));
        drop(store); // the last handle, dropped on the runtime's thread
    });
}
