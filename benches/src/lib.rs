//! Shared workload definitions for the session benches (`cargo bench -p session-benches`).
//!
//! One workload, every backend: [`Backend::all`] lists the store configurations, each
//! bench body in `benches/` is written once and runs over that list, and every backend
//! comes with its raw engine [`Floor`] so results read as ratios measured in the same run.
//!
//! ```
//! use session_benches::{Backend, Size};
//! for backend in Backend::all().iter().filter(|b| b.name() == "db-memory") {
//!     let fixture = backend.build(10, Size::Typical);
//!     let key = &fixture.keys[0];
//!     assert!(fixture.store.load(key).unwrap().is_some());
//!     assert!(fixture.floor.as_ref().unwrap().get(&fixture.floor_keys[0]).is_some());
//! }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backends;
mod floor;
#[macro_use]
mod handler;
mod layer;
mod workload;

pub use backends::{
    Backend, Codec, Fixture, PG_TABLE, POSTGRES_URL_VAR, REDIS_PREFIX, REDIS_URL_VAR, SECRET,
    plaintext,
};
pub use floor::{
    CachedFloor, DjangoSqliteFloor, FileFloor, Floor, MokaFloor, PgAsyncFloor, PgFloor, RedisFloor,
    SignerFloor, SqliteFloor,
};
pub use layer::{Driven, drive, peer_cookies, peer_visit, publish_table, seed_cookies, visit};
pub use workload::{Payload, RunMode, Size, USERNAME, filter_in, live_until, wanted};
