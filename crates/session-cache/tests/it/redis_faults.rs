//! `RedisStore` when Redis misbehaves: each test starts its own `redis-server` (or three,
//! for a cluster) on free loopback ports and kills it by its process id when done. They run
//! with the Redis tests (`SESSION_TEST_REDIS_URL` set) and say "skipped" without
//! `redis-server` on `PATH`.
//!
//! Time bounds here are correctness bounds (an operation gives up instead of hanging),
//! asserted loosely; speed is measured by the benches.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use session_cache::{RedisConfig, RedisStore};
use session_core::{Error, SessionStore, key};

use crate::doubles::live;
use crate::redis_server::{RedisCluster, RedisServer, TestCa, redis_server_binary, supports_tls};

fn is_redis_backend(e: &Error) -> bool {
    matches!(
        e,
        Error::Backend {
            backend: "redis",
            ..
        }
    )
}

/// The whole chain of an error's sources, as text.
fn chain(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(" <- ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn store(url: &str, io_timeout: Duration) -> RedisStore {
    RedisStore::with_config(
        RedisConfig::new(url)
            .with_key_prefix(format!("faults:{}:", key::generate()))
            .with_connect_timeout(Duration::from_secs(1))
            .with_io_timeout(io_timeout),
    )
    .unwrap()
}

/// `CLIENT KILL` of the store's connection while 16 tasks load, create, save and delete:
/// operations recover, every acknowledged create and save is there afterwards, and no
/// acknowledged delete is undone.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn client_kill_under_load() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = runtime.block_on(async { store(&server.url(), Duration::from_secs(2)) });
    let written = Arc::new(Mutex::new(Vec::<(String, Vec<u8>)>::new()));
    let deleted = Arc::new(Mutex::new(HashSet::<String>::new()));
    let failures = Arc::new(Mutex::new(Vec::<Error>::new()));
    let stop = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = (0..16)
        .map(|w| {
            let (store, written, deleted, failures, stop) = (
                store.clone(),
                written.clone(),
                deleted.clone(),
                failures.clone(),
                stop.clone(),
            );
            runtime.spawn(async move {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let data = format!("{w}:{i}").into_bytes();
                    let key =
                        match session_core::AsyncSessionStore::create(&store, &live(&data)).await {
                            Ok(key) => key,
                            Err(e) => {
                                failures.lock().unwrap().push(e);
                                continue;
                            }
                        };
                    match session_core::AsyncSessionStore::load(&store, &key).await {
                        Ok(loaded) => assert_eq!(loaded, Some(data.clone()), "a write was lost"),
                        Err(e) => failures.lock().unwrap().push(e),
                    }
                    let saved = format!("{w}:{i}:saved").into_bytes();
                    match session_core::AsyncSessionStore::save(&store, &key, &live(&saved)).await {
                        Ok(_) => written.lock().unwrap().push((key.clone(), saved)),
                        Err(e) => {
                            failures.lock().unwrap().push(e);
                            continue;
                        }
                    }
                    if i.is_multiple_of(3) {
                        match session_core::AsyncSessionStore::delete(&store, &key).await {
                            Ok(()) => {
                                deleted.lock().unwrap().insert(key);
                            }
                            Err(e) => failures.lock().unwrap().push(e),
                        }
                    }
                }
            })
        })
        .collect();

    let mut admin = server.admin();
    let mut kills = 0;
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(150));
        let killed: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes")
            .query(&mut admin)
            .unwrap();
        kills += killed;
    }
    std::thread::sleep(Duration::from_millis(150));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        runtime.block_on(worker).unwrap();
    }
    assert!(kills >= 3, "the store's connection was not there to kill");

    for e in failures.lock().unwrap().iter() {
        assert!(is_redis_backend(e), "{e:?}");
    }
    let written = written.lock().unwrap();
    let deleted = deleted.lock().unwrap();
    assert!(written.len() > 50, "too little work: {}", written.len());
    for (key, data) in written.iter() {
        let now = store.load(key).unwrap();
        if deleted.contains(key) {
            assert_eq!(now, None, "a deleted session came back");
        } else {
            assert_eq!(
                now.as_deref(),
                Some(&data[..]),
                "an acknowledged save was lost"
            );
        }
    }
    println!(
        "{kills} connections killed, {} sessions written, {} failed operations",
        written.len(),
        failures.lock().unwrap().len()
    );
}

/// A server that stops answering (`DEBUG SLEEP 3`): each operation fails after the
/// response timeout (500 ms here) instead of waiting with it, and works again once the
/// server is back.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn stalled_server_times_out_then_recovers() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server.url(), Duration::from_millis(500));
    let key = store.create(&live(b"before")).unwrap();
    let sleeper = {
        let mut admin = server.admin();
        std::thread::spawn(move || {
            let () = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg(3)
                .query(&mut admin)
                .unwrap();
        })
    };
    std::thread::sleep(Duration::from_millis(200));

    let started = Instant::now();
    let e = store.load(&key).unwrap_err();
    let sync_wait = started.elapsed();
    assert!(is_redis_backend(&e), "{e:?}");
    assert!(chain(&e).contains("did not answer within"), "{}", chain(&e));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let e = runtime
        .block_on(session_core::AsyncSessionStore::save(
            &store,
            &key,
            &live(b"during"),
        ))
        .unwrap_err();
    let async_wait = started.elapsed();
    assert!(is_redis_backend(&e), "{e:?}");
    for wait in [sync_wait, async_wait] {
        assert!(wait < Duration::from_millis(2_500), "waited {wait:?}");
    }

    sleeper.join().unwrap();
    // The timed-out save was sent: it may have run once the server woke up.
    let now = store.load(&key).unwrap();
    assert!(
        matches!(now.as_deref(), Some(b"before" | b"during")),
        "{now:?}"
    );
    store.save(&key, &live(b"after")).unwrap();
    assert_eq!(
        runtime
            .block_on(session_core::AsyncSessionStore::load(&store, &key))
            .unwrap()
            .as_deref(),
        Some(&b"after"[..])
    );
}

/// The server killed, then started again on the same port (empty: it keeps nothing on
/// disk): operations fail with `Error::Backend` while it is down, and the same store works
/// again once it is back.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn server_restart_recovers_without_a_new_store() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = store(&server.url(), Duration::from_secs(1));
    let key = store.create(&live(b"before")).unwrap();

    server.kill();
    for _ in 0..2 {
        let started = Instant::now();
        let e = store.load(&key).unwrap_err();
        assert!(is_redis_backend(&e), "{e:?}");
        // connect + response timeout, twice (the retry after the dropped connection)
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
    }

    server.restart();
    let recovered = (0..20).find_map(|_| match store.create(&live(b"after")) {
        Ok(key) => Some(key),
        Err(e) => {
            assert!(is_redis_backend(&e), "{e:?}");
            std::thread::sleep(Duration::from_millis(100));
            None
        }
    });
    let new_key = recovered.expect("the store never recovered");
    assert_eq!(
        store.load(&new_key).unwrap().as_deref(),
        Some(&b"after"[..])
    );
    assert_eq!(store.load(&key).unwrap(), None, "the server kept nothing");
}

/// A node of a private three-node cluster killed and started again: operations on its
/// slots fail within the timeout (none hangs), the other nodes keep serving, and once the
/// node is back every slot works through the same store.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn cluster_node_restart_recovers() {
    let Some(mut cluster) = RedisCluster::start() else {
        return;
    };
    let store = RedisStore::with_config(
        RedisConfig::cluster(cluster.seeds())
            .with_connect_timeout(Duration::from_millis(500))
            .with_io_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    let keys: Vec<String> = (0..30)
        .map(|i| store.create(&live(format!("{i}").as_bytes())).unwrap())
        .collect();

    cluster.nodes[1].kill();
    let (mut ok, mut failed) = (0, 0);
    for (i, key) in keys.iter().enumerate() {
        let started = Instant::now();
        match store.load(key) {
            Ok(data) => {
                assert_eq!(data, Some(format!("{i}").into_bytes()));
                ok += 1;
            }
            Err(e) => {
                assert!(is_redis_backend(&e), "{e:?}");
                failed += 1;
            }
        }
        assert!(
            started.elapsed() < Duration::from_millis(2_500),
            "{:?}",
            started.elapsed()
        );
    }
    assert!(ok > 0 && failed > 0, "{ok} loaded, {failed} failed");

    cluster.nodes[1].restart();
    cluster.wait_ok();
    let recovered = (0..50).all(|_| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match store.create(&live(b"after")) {
                Ok(key) => {
                    return store.load(&key).unwrap().as_deref() == Some(&b"after"[..]);
                }
                Err(e) if Instant::now() < deadline => {
                    assert!(is_redis_backend(&e), "{e:?}");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("no recovery: {}", chain(&e)),
            }
        }
    });
    assert!(recovered);
    for key in &keys {
        store.load(key).unwrap(); // every slot answers again (the restarted node's are empty)
    }
}

/// A TLS-only server with a CA of the test's own: the store connects with verification
/// through `with_ca_file`; a store trusting another CA (or the system's roots) is refused
/// with a clear error, as is a client without its certificate where the server asks for one.
#[cfg_attr(not(session_test_redis), ignore = "needs SESSION_TEST_REDIS_URL")]
#[test]
fn tls_with_a_private_ca() {
    let Some(binary) = redis_server_binary() else {
        return;
    };
    if !supports_tls(&binary) {
        println!("skipped: this redis-server was built without TLS");
        return;
    }
    let ca = TestCa::new();
    let certs = tempfile::tempdir().unwrap();
    ca.write_server_files(certs.path());
    let file = |name: &str| certs.path().join(name).display().to_string();
    let tls_args = [
        "--tls-port",
        "{port}",
        "--tls-cert-file",
        &file("server.crt"),
        "--tls-key-file",
        &file("server.key"),
        "--tls-ca-cert-file",
        &file("ca.crt"),
        "--tls-auth-clients",
        "no",
    ];
    let server = RedisServer::start_with(false, &tls_args).unwrap();
    let url = format!("rediss://127.0.0.1:{}/", server.port());

    let trusted = RedisStore::with_config(
        RedisConfig::new(&url)
            .with_key_prefix(format!("tls:{}:", key::generate()))
            .with_ca_file(certs.path().join("ca.crt")),
    )
    .unwrap();
    let key = trusted.create(&live(b"secret")).unwrap();
    assert_eq!(trusted.load(&key).unwrap().as_deref(), Some(&b"secret"[..]));
    trusted.save(&key, &live(b"secret 2")).unwrap();
    assert_eq!(
        trusted.load(&key).unwrap().as_deref(),
        Some(&b"secret 2"[..])
    );
    trusted.delete(&key).unwrap();
    assert!(!trusted.exists(&key).unwrap());

    // `#insecure` skips the checks, as the redis crate documents (tests only).
    RedisStore::open(&format!("{url}#insecure"))
        .unwrap()
        .ping()
        .unwrap();

    let other_ca = TestCa::new();
    let refused = [
        RedisStore::with_config(
            RedisConfig::new(&url).with_root_certificate(other_ca.pem().as_bytes().to_vec()),
        )
        .unwrap(),
        RedisStore::open(&url).unwrap(),
    ];
    for store in refused {
        let e = store.ping().unwrap_err();
        assert!(is_redis_backend(&e), "{e:?}");
        assert!(
            chain(&e).to_lowercase().contains("certificate"),
            "unclear: {}",
            chain(&e)
        );
        println!("refused: {}", chain(&e));
    }

    // A server that checks clients: the client certificate opens it.
    let mut mtls_args = tls_args;
    mtls_args[9] = "yes";
    let mtls = RedisServer::start_with(false, &mtls_args).unwrap();
    let url = format!("rediss://127.0.0.1:{}/", mtls.port());
    let (chain_pem, key_pem) = ca.client_certificate();
    let with_cert = RedisStore::with_config(
        RedisConfig::new(&url)
            .with_ca_file(certs.path().join("ca.crt"))
            .with_client_certificate(chain_pem, key_pem),
    )
    .unwrap();
    with_cert.ping().unwrap();
    let without = RedisStore::with_config(
        RedisConfig::new(&url)
            .with_ca_file(certs.path().join("ca.crt"))
            .with_reconnect_retries(0),
    )
    .unwrap();
    assert!(matches!(without.ping(), Err(ref e) if is_redis_backend(e)));
}
