//! `PostgresStore` against private servers (see `private_pg`): TLS chosen by the URL and
//! certificates checked, and the faults production meets — terminated backends, a frozen
//! server, a restart, a reply lost after the server acted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use session_core::{Error, SessionStore};
use session_db::{PostgresConfig, PostgresStore};

use session_hardening::private_pg::{Certs, LostReplyProxy, PrivatePg, bin_dir};

fn live(data: &[u8]) -> session_core::Record {
    session_core::Record::new(
        data.to_vec(),
        std::time::SystemTime::now() + Duration::from_secs(3600),
    )
}

/// An error and its sources, joined.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// create → load → save → load → delete on `store` (its sync face).
fn round_trip(store: &PostgresStore) {
    let key = store.create(&live(b"one")).unwrap();
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"one"[..]));
    store.save(&key, &live(b"two")).unwrap();
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"two"[..]));
    store.delete(&key).unwrap();
    assert!(!store.exists(&key).unwrap());
}

/// Whether every connection of application `app` to `pg` is encrypted (and there is one).
fn encrypted(pg: &PrivatePg, app: &str) -> bool {
    pg.admin()
        .query_one(
            "SELECT count(*) > 0 AND bool_and(s.ssl) FROM pg_stat_ssl s \
             JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
            &[&app],
        )
        .unwrap()
        .get::<_, Option<bool>>(0)
        .unwrap_or(false)
}

fn refused(result: session_core::Result<PostgresStore>) -> String {
    let err = result.expect_err("the connection should have been refused");
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
    chain(&err)
}

#[cfg_attr(
    not(session_test_postgres_bin),
    ignore = "needs SESSION_TEST_POSTGRES_BIN"
)]
#[test]
fn tls_is_chosen_by_the_url_and_certificates_are_checked() {
    let Some(bin) = bin_dir() else { return };
    let certs = Certs::new();
    let pg = PrivatePg::start(&bin, Some(&certs));
    let files = tempfile::tempdir().unwrap();
    let ca = files.path().join("ca.pem");
    std::fs::write(&ca, &certs.ca_pem).unwrap();
    let other_ca = files.path().join("other-ca.pem");
    std::fs::write(&other_ca, Certs::new().ca_pem).unwrap();
    let config = PostgresConfig::native().with_connect_timeout(Duration::from_secs(3));

    // verify-full with the right root: connected, encrypted.
    let url = pg.url(&format!(
        "sslmode=verify-full sslrootcert={} application_name=full",
        ca.display()
    ));
    let store = config.connect(&url).expect("verify-full with the right CA");
    round_trip(&store);
    assert!(encrypted(&pg, "full"), "{}", pg.log());

    // The URL form, with the root's path percent-encoded.
    let uri = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}&application_name=uri",
        pg.port,
        ca.display().to_string().replace('/', "%2F")
    );
    round_trip(&config.connect(&uri).expect("verify-full in URL form"));

    // A CA file in the config turns `require` into verify-ca.
    let store = config
        .clone()
        .with_ca_file(&ca)
        .connect(&pg.url("sslmode=require application_name=ca_file"))
        .expect("require with a CA file");
    round_trip(&store);
    assert!(encrypted(&pg, "ca_file"));

    // The wrong root: refused, saying why.
    let text = refused(config.connect(&pg.url(&format!(
        "sslmode=verify-ca sslrootcert={}",
        other_ca.display()
    ))));
    assert!(text.contains("certificate"), "{text}");
    let text = refused(
        config
            .clone()
            .with_ca_file(&other_ca)
            .connect(&pg.url("sslmode=require")),
    );
    assert!(text.contains("certificate"), "{text}");

    // A name the certificate does not hold: verify-full refuses, verify-ca does not look.
    let elsewhere = |mode: &str| {
        format!(
            "hostaddr=127.0.0.1 host=db.invalid port={} user=postgres dbname=postgres \
             sslmode={mode} sslrootcert={}",
            pg.port,
            ca.display()
        )
    };
    let text = refused(config.connect(&elsewhere("verify-full")));
    assert!(text.contains("not valid for name"), "{text}");
    round_trip(
        &config
            .connect(&elsewhere("verify-ca"))
            .expect("verify-ca ignores the name"),
    );

    // `require` without a root encrypts without checking, as libpq does.
    let store = config
        .connect(&pg.url("sslmode=require application_name=require"))
        .expect("require");
    round_trip(&store);
    assert!(encrypted(&pg, "require"));

    // `disable` does not encrypt.
    let store = config
        .connect(&pg.url("sslmode=disable application_name=plain"))
        .unwrap();
    round_trip(&store);
    assert!(!encrypted(&pg, "plain"));
}

#[cfg_attr(
    not(session_test_postgres_bin),
    ignore = "needs SESSION_TEST_POSTGRES_BIN"
)]
#[test]
fn terminated_backends_mid_load_are_retried_without_errors_or_lost_writes() {
    let Some(bin) = bin_dir() else { return };
    let pg = PrivatePg::start(&bin, None);
    let store = PostgresConfig::native()
        .with_pool_size(4)
        .connect(&pg.url("application_name=victim"))
        .unwrap();
    let keys: Vec<String> = (0..8).map(|_| store.create(&live(b"0")).unwrap()).collect();
    let acknowledged = Arc::new(Mutex::new(HashMap::new()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stop_at = Instant::now() + Duration::from_millis(2500);
    let killer = std::thread::spawn({
        let mut admin = pg.admin();
        move || {
            let mut killed = 0;
            while Instant::now() < stop_at {
                std::thread::sleep(Duration::from_millis(150));
                killed += admin
                    .query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = 'victim'",
                        &[],
                    )
                    .unwrap()
                    .len();
            }
            killed
        }
    });
    runtime.block_on(async {
        let tasks: Vec<_> = keys
            .iter()
            .cloned()
            .map(|key| {
                let (store, acknowledged, errors) =
                    (store.clone(), acknowledged.clone(), errors.clone());
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while Instant::now() < stop_at {
                        n += 1;
                        let value = n.to_string().into_bytes();
                        match session_core::AsyncSessionStore::save(&store, &key, &live(&value))
                            .await
                        {
                            Ok(_) => {
                                acknowledged.lock().unwrap().insert(key.clone(), value);
                            }
                            Err(e) => errors.lock().unwrap().push(chain(&e)),
                        }
                        if let Err(e) = session_core::AsyncSessionStore::load(&store, &key).await {
                            errors.lock().unwrap().push(chain(&e));
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let killed = killer.join().unwrap();
    assert!(killed > 0, "no backend was terminated");
    let errors = errors.lock().unwrap();
    assert!(
        errors.is_empty(),
        "{} errors, e.g. {:?}",
        errors.len(),
        errors.first()
    );
    for (key, value) in acknowledged.lock().unwrap().iter() {
        assert_eq!(store.load(key).unwrap().as_deref(), Some(&value[..]));
    }
}

#[cfg_attr(
    not(session_test_postgres_bin),
    ignore = "needs SESSION_TEST_POSTGRES_BIN"
)]
#[test]
fn a_frozen_server_fails_requests_within_the_timeout_then_recovers() {
    let Some(bin) = bin_dir() else { return };
    let pg = PrivatePg::start(&bin, None);
    let store = PostgresConfig::native()
        .with_pool_size(2)
        .with_connect_timeout(Duration::from_secs(1))
        .with_statement_timeout(Duration::from_millis(500))
        .connect(&pg.url(""))
        .unwrap();
    let kept = store.create(&live(b"before")).unwrap();
    let logged_out = store.create(&live(b"gone")).unwrap();
    store.delete(&logged_out).unwrap();

    pg.freeze();
    type Attempt<'a> = (&'a str, Box<dyn Fn() -> session_core::Result<()> + 'a>);
    let attempts: [Attempt; 4] = [
        ("load", Box::new(|| store.load(&kept).map(drop))),
        (
            "save",
            Box::new(|| store.save(&kept, &live(b"during")).map(drop)),
        ),
        ("exists", Box::new(|| store.exists(&kept).map(drop))),
        ("create", Box::new(|| store.create(&live(b"new")).map(drop))),
    ];
    for (name, op) in &attempts {
        let started = Instant::now();
        let result = op();
        let took = started.elapsed();
        assert!(
            matches!(
                result,
                Err(Error::Backend {
                    backend: "postgres",
                    ..
                })
            ),
            "{name} on a frozen server: {result:?}"
        );
        // A correctness bound (no hang), far above the configured timeouts.
        assert!(took < Duration::from_secs(4), "{name} waited {took:?}");
    }
    pg.thaw();

    // Back: every operation answers again; what was acknowledged is there, the save that
    // timed out may or may not have landed, the logged-out session stays gone.
    let loaded = store.load(&kept).expect("load once the server is back");
    assert!(
        matches!(loaded.as_deref(), Some(b"before") | Some(b"during")),
        "{loaded:?}"
    );
    assert_eq!(store.load(&logged_out).unwrap(), None);
    assert!(matches!(
        store.save(&logged_out, &live(b"again")),
        Err(Error::Interrupted)
    ));
    round_trip(&store);
}

#[cfg_attr(
    not(session_test_postgres_bin),
    ignore = "needs SESSION_TEST_POSTGRES_BIN"
)]
#[test]
fn a_restarted_server_is_reconnected_without_rebuilding_the_store() {
    let Some(bin) = bin_dir() else { return };
    let mut pg = PrivatePg::start(&bin, None);
    let store = PostgresConfig::native()
        .with_pool_size(3)
        .with_connect_timeout(Duration::from_secs(1))
        .connect(&pg.url(""))
        .unwrap();
    let key = store.create(&live(b"kept")).unwrap();
    pg.stop();
    let started = Instant::now();
    let down = store.load(&key);
    assert!(
        matches!(
            down,
            Err(Error::Backend {
                backend: "postgres",
                ..
            })
        ),
        "{down:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    pg.restart();
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"kept"[..]));
    round_trip(&store);
}

#[cfg_attr(
    not(session_test_postgres_bin),
    ignore = "needs SESSION_TEST_POSTGRES_BIN"
)]
#[test]
fn a_create_whose_reply_was_lost_is_neither_a_collision_nor_an_orphan() {
    let Some(bin) = bin_dir() else { return };
    let pg = PrivatePg::start(&bin, None);
    let proxy = LostReplyProxy::new(pg.port, b"INSERT INTO");
    let store = PostgresConfig::native()
        .with_pool_size(1)
        .connect(&format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            proxy.port
        ))
        .unwrap();
    proxy.arm();
    let key = store
        .create(&live(b"mine"))
        .expect("create after a lost reply");
    assert!(!proxy.armed(), "the reply was never cut");
    assert_eq!(store.load(&key).unwrap().as_deref(), Some(&b"mine"[..]));
    let rows: i64 = pg
        .admin()
        .query_one("SELECT count(*) FROM sessions", &[])
        .unwrap()
        .get(0);
    // A false collision would have moved on to another key, leaving the first row behind.
    assert_eq!(rows, 1, "an orphan row was left");
}

#[tokio::test]
async fn a_pool_handed_in_is_used_as_is_and_checked_at_the_first_operation() {
    use session_db::{deadpool_postgres, tokio_postgres};
    // Nothing listens on port 1: building the store does no I/O; the first operation
    // reports the pool's failure, within the store's connect timeout.
    let mut pg = tokio_postgres::Config::new();
    pg.host("127.0.0.1").port(1).user("nobody").dbname("none");
    let manager = deadpool_postgres::Manager::new(pg, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(2)
        .build()
        .unwrap();
    let store = PostgresStore::with_config(
        pool,
        &PostgresConfig::native().with_connect_timeout(Duration::from_secs(1)),
    );
    let err = session_core::AsyncSessionStore::load(&store, "abcdefgh12345678")
        .await
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
    // The sync face refuses on this executor thread instead of stalling it.
    let sync = SessionStore::load(&store, "abcdefgh12345678").unwrap_err();
    assert!(chain(&sync).contains("spawn_blocking"), "{}", chain(&sync));
}

/// The member id the demo's `/session` shows for `client`'s session.
fn member(client: &mut session_hardening::client::Client) -> Option<i64> {
    let reply = client.get("/session").expect("an answer");
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let data: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
    data["member_id"].as_i64()
}

#[cfg_attr(
    not(session_test_postgres_bin),
    ignore = "needs SESSION_TEST_POSTGRES_BIN"
)]
#[test]
fn the_demo_rides_out_terminated_backends_a_freeze_and_a_restart() {
    let Some(bin) = bin_dir() else { return };
    let mut pg = PrivatePg::start(&bin, None);
    let demo = crate::socket::Demo::start(&[
        "--backend".into(),
        "postgres".into(),
        "--db-url".into(),
        pg.url(""),
    ]);
    let mut alice = session_hardening::client::Client::new(demo.addr);
    let login = alice
        .post_form("/login", "username=alice&password=wonderland")
        .unwrap();
    assert_eq!(login.status, 200);
    assert_eq!(member(&mut alice), Some(1));

    // Backends terminated between and during requests: no request fails.
    let mut admin = pg.admin();
    for _ in 0..3 {
        admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        for _ in 0..3 {
            assert_eq!(member(&mut alice), Some(1));
            let comment = alice.post_form("/comment", "comment=still+here").unwrap();
            assert_eq!(comment.status, 200);
        }
    }
    drop(admin);

    // Frozen: the request fails within the store's timeouts, not never; then all is back.
    pg.freeze();
    let started = Instant::now();
    let frozen = alice.get("/session").expect("an answer while frozen");
    assert!(frozen.status >= 500, "{}", frozen.status);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    pg.thaw();
    assert_eq!(member(&mut alice), Some(1), "the login survived the freeze");

    // Down, then restarted on the same port: errors while down, the same session after.
    pg.stop();
    assert!(alice.get("/session").expect("an answer while down").status >= 500);
    pg.restart();
    assert_eq!(
        member(&mut alice),
        Some(1),
        "the login survived the restart"
    );

    // A logout holds.
    assert_eq!(alice.post_form("/logout", "").unwrap().status, 200);
    assert_eq!(member(&mut alice), None);
    let log = demo.stderr();
    assert!(!log.contains("panicked"), "{log}");
}
