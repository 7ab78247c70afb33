#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod schema;
mod store;

pub use config::{DbConfig, Mode, Synchronous};
pub use error::{InvalidTableName, OpenError, SchemaError};
pub use schema::SCHEMA_VERSION;
pub use store::DbStore;

/// Django's `session_data` codec, re-exported for Django mode (see [`DbStore::django_manager`]).
pub use session_signing::DjangoCodec;
