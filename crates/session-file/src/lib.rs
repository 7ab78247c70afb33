#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
pub mod format;
mod fsio;
mod runtime;
mod store;

pub use config::{FileConfig, Format};
pub use store::FileStore;
