#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod runtime;
mod schema;
mod store;

#[cfg(feature = "postgres")]
pub use config::PgConfig;
pub use config::{DEFAULT_MMAP_SIZE, DbConfig, Mode, Synchronous};
pub use error::{InvalidTableName, LockTimeout, OpenError, SchemaError};
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
pub use schema::SCHEMA_VERSION;
pub use store::DbStore;

/// Django's `session_data` codec, re-exported for Django mode (see [`DbStore::django_manager`]).
pub use session_signing::DjangoCodec;
