#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod checkpoint;
mod config;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod runtime;
mod schema;
mod store;

#[cfg(feature = "postgres")]
pub use config::PostgresConfig;
pub use config::{DEFAULT_MMAP_SIZE, Mode, SqliteConfig, Synchronous};
/// The pool crate [`PostgresStore::new`] takes, re-exported so your pool is the same type.
#[cfg(feature = "postgres")]
pub use deadpool_postgres;
pub use error::{InvalidTableName, LockTimeout, OpenError, SchemaError};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresStore, Timeout as PostgresTimeout, TlsSetupError};
pub use schema::SCHEMA_VERSION;
pub use store::SqliteStore;
/// The driver, re-exported for [`PostgresConfig::connect_with`] and your own pools.
#[cfg(feature = "postgres")]
pub use tokio_postgres;

/// Django's `session_data` codec, re-exported for Django mode (see [`SqliteStore::django_manager`]).
pub use session_signing::DjangoCodec;

/// The SQLite store's name before the engines were named.
#[deprecated(note = "renamed to `SqliteStore`")]
pub type DbStore = SqliteStore;
/// The SQLite configuration's name before the engines were named.
#[deprecated(note = "renamed to `SqliteConfig`")]
pub type DbConfig = SqliteConfig;
/// The PostgreSQL store's name before the engines were named.
#[cfg(feature = "postgres")]
#[deprecated(note = "renamed to `PostgresStore`")]
pub type PgStore = PostgresStore;
/// The PostgreSQL configuration's name before the engines were named.
#[cfg(feature = "postgres")]
#[deprecated(note = "renamed to `PostgresConfig`")]
pub type PgConfig = PostgresConfig;
