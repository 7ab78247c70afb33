//! Ad-hoc measurement on PostgreSQL: `PostgresStore::load`/`save` relative to the raw prepared
//! `SELECT`/`UPDATE` on one connection, in the same run, in a throwaway schema.
//!
//! `SESSION_TEST_POSTGRES_URL="host=127.0.0.1 user=postgres dbname=test" \
//!   cargo run --release -p session-db --features postgres --example overhead_pg`

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use session_core::{Record, SessionStore};
use session_db::PostgresConfig;
use sha2::{Digest, Sha256};

const N: u32 = 10_000;

fn per_op(start: Instant, n: u32) -> f64 {
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SESSION_TEST_POSTGRES_URL").map_err(
        |_| "set SESSION_TEST_POSTGRES_URL (e.g. host=127.0.0.1 user=postgres dbname=test)",
    )?;
    let schema = format!("session_bench_{}", &session_core::key::generate()[..12]);
    let store = PostgresConfig::native()
        .with_schema(&schema)?
        .connect(&url)?;
    let mut raw = url.parse::<postgres::Config>()?.connect(postgres::NoTls)?;
    let result = run(&store, &mut raw, &schema);
    raw.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))?;
    result
}

fn run(
    store: &session_db::PostgresStore,
    raw: &mut postgres::Client,
    schema: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let data = vec![b'x'; 200];
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let keys: Vec<String> = (0..1000)
        .map(|_| store.create(&Record::new(data.clone(), expires)))
        .collect::<Result<_, _>>()?;
    let hashes: Vec<Vec<u8>> = keys.iter().map(|k| Sha256::digest(k).to_vec()).collect();
    let select = raw.prepare(&format!(
        "SELECT data FROM \"{schema}\".sessions WHERE key_hash = $1 AND expires_at > $2"
    ))?;
    let update = raw.prepare(&format!(
        "UPDATE \"{schema}\".sessions SET data = $2, expires_at = $3 \
         WHERE key_hash = $1 AND expires_at > $4"
    ))?;
    for round in 0..2 {
        let t = Instant::now();
        for i in 0..N {
            let h = &hashes[i as usize % hashes.len()];
            let row = raw.query_one(&select, &[h, &SystemTime::now()])?;
            black_box(row.get::<_, Vec<u8>>(0));
        }
        let raw_load = per_op(t, N);
        let t = Instant::now();
        for i in 0..N {
            black_box(store.load(&keys[i as usize % keys.len()])?);
        }
        let store_load = per_op(t, N);
        let t = Instant::now();
        for i in 0..N {
            let h = &hashes[i as usize % hashes.len()];
            let n = raw.execute(&update, &[h, &data, &expires, &SystemTime::now()])?;
            assert_eq!(n, 1);
        }
        let raw_save = per_op(t, N);
        let t = Instant::now();
        for i in 0..N {
            store.save(
                &keys[i as usize % keys.len()],
                &Record::new(data.clone(), expires),
            )?;
        }
        let store_save = per_op(t, N);
        println!(
            "round {round}: load raw {raw_load:.0} ns, PostgresStore {store_load:.0} ns (x{:.2}); \
             save raw {raw_save:.0} ns, PostgresStore {store_save:.0} ns (x{:.2})",
            store_load / raw_load,
            store_save / raw_save
        );
    }
    Ok(())
}
