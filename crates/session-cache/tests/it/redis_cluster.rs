//! `RedisStore` on a Redis Cluster, switched on by `SESSION_TEST_REDIS_CLUSTER_URLS`
//! (comma-separated seed URLs; `.ci/run` starts a private three-node cluster and sets it).
//! Each test works under its own random key prefix and deletes its keys when done.

use session_cache::{RedisConfig, RedisStore};
use session_core::{SessionStore, key};

use crate::doubles::live;

const VAR: &str = "SESSION_TEST_REDIS_CLUSTER_URLS";

pub fn seeds() -> Option<Vec<String>> {
    let seeds: Vec<String> = std::env::var(VAR)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if seeds.is_empty() {
        println!("skipped: set {VAR} to run");
        return None;
    }
    Some(seeds)
}

/// A `RedisStore` on the cluster under a fresh random prefix that deletes its keys (on
/// every primary) when dropped.
pub struct TestCluster {
    pub store: RedisStore,
    seeds: Vec<String>,
    pub prefix: String,
}

impl TestCluster {
    pub fn new(seeds: &[String]) -> Self {
        let prefix = format!("session-engines-test:{}:", key::generate());
        let store = RedisStore::with_config(RedisConfig::cluster(seeds).with_key_prefix(&prefix))
            .expect("cluster store");
        TestCluster {
            store,
            seeds: seeds.to_vec(),
            prefix,
        }
    }

    /// The URLs of the primaries, from `CLUSTER NODES` of the first seed that answers.
    pub fn primaries(&self) -> Vec<String> {
        for seed in &self.seeds {
            let Ok(mut conn) = redis::Client::open(seed.as_str()).and_then(|c| c.get_connection())
            else {
                continue;
            };
            let Ok(nodes) = redis::cmd("CLUSTER")
                .arg("NODES")
                .query::<String>(&mut conn)
            else {
                continue;
            };
            return nodes
                .lines()
                .filter(|line| line.contains("master") && !line.contains("fail"))
                .filter_map(|line| line.split_whitespace().nth(1))
                .filter_map(|addr| addr.split('@').next())
                .map(|addr| format!("redis://{addr}/"))
                .collect();
        }
        panic!("no seed of {VAR} answers");
    }

    /// This test's keys, per primary.
    pub fn keys_per_node(&self) -> Vec<(String, Vec<String>)> {
        self.primaries()
            .into_iter()
            .map(|node| {
                let mut conn = redis::Client::open(node.as_str())
                    .and_then(|c| c.get_connection())
                    .expect("connect to a primary");
                let keys = scan(&mut conn, &self.prefix);
                (node, keys)
            })
            .collect()
    }
}

fn scan(conn: &mut redis::Connection, prefix: &str) -> Vec<String> {
    let (mut cursor, mut keys) = (0u64, Vec::new());
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query(conn)
            .expect("SCAN");
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for (node, keys) in self.keys_per_node() {
            if keys.is_empty() {
                continue;
            }
            let mut conn = redis::Client::open(node.as_str())
                .and_then(|c| c.get_connection())
                .expect("connect to a primary");
            // One key per DEL: the keys of one node may still lie in different slots.
            for key in keys {
                let _: i64 = redis::cmd("DEL").arg(key).query(&mut conn).expect("DEL");
            }
        }
    }
}

session_core::forward_store!(TestCluster => store, async);

session_core::conformance_tests!(
    #[cfg_attr(not(session_test_redis_cluster), ignore = "needs SESSION_TEST_REDIS_CLUSTER_URLS")]
    cluster_conformance,
    optional seeds().map(|seeds| TestCluster::new(&seeds))
);
session_core::async_conformance_tests!(
    #[cfg_attr(not(session_test_redis_cluster), ignore = "needs SESSION_TEST_REDIS_CLUSTER_URLS")]
    cluster_async_conformance,
    optional seeds().map(|seeds| TestCluster::new(&seeds))
);

/// Sessions hash to slots all over the cluster: their keys land on more than one node,
/// and every one of them loads through the one store.
#[cfg_attr(
    not(session_test_redis_cluster),
    ignore = "needs SESSION_TEST_REDIS_CLUSTER_URLS"
)]
#[test]
fn sessions_spread_over_the_nodes() {
    let Some(seeds) = seeds() else { return };
    let t = TestCluster::new(&seeds);
    let keys: Vec<String> = (0..60)
        .map(|i| t.store.create(&live(format!("{i}").as_bytes())).unwrap())
        .collect();
    let per_node = t.keys_per_node();
    let used = per_node.iter().filter(|(_, keys)| !keys.is_empty()).count();
    let total: usize = per_node.iter().map(|(_, keys)| keys.len()).sum();
    assert_eq!(total, keys.len(), "{per_node:?}");
    assert!(used > 1, "every session landed on one node: {per_node:?}");
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            t.store.load(key).unwrap(),
            Some(format!("{i}").into_bytes())
        );
    }
}

/// The async face on a multi-thread runtime, many sessions at once over every node.
#[cfg_attr(
    not(session_test_redis_cluster),
    ignore = "needs SESSION_TEST_REDIS_CLUSTER_URLS"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_async_face_concurrent_sessions() {
    let Some(seeds) = seeds() else { return };
    let t = std::sync::Arc::new(TestCluster::new(&seeds));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = t.store.clone();
            tokio::spawn(async move {
                let data = format!("[{i}]").into_bytes();
                let key = session_core::AsyncSessionStore::create(&store, &live(&data))
                    .await
                    .unwrap();
                let loaded = session_core::AsyncSessionStore::load_record(&store, &key)
                    .await
                    .unwrap();
                assert_eq!(loaded.map(|r| r.data), Some(data));
                session_core::AsyncSessionStore::touch(&store, &key, live(b"").expires_at)
                    .await
                    .unwrap();
                key
            })
        })
        .collect();
    let mut keys = Vec::new();
    for task in tasks {
        keys.push(task.await.unwrap());
    }
    let t2 = t.clone();
    let per_node = tokio::task::spawn_blocking(move || t2.keys_per_node())
        .await
        .unwrap();
    assert!(per_node.iter().filter(|(_, k)| !k.is_empty()).count() > 1);
    let t = std::sync::Arc::into_inner(t).unwrap();
    tokio::task::spawn_blocking(move || drop(t)).await.unwrap();
}
