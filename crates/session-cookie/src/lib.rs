#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod seal;
mod store;

pub use config::{
    CookieFormat, DEFAULT_COOKIE_NAME, DEFAULT_MAX_AGE, DEFAULT_SALT, DEFAULT_SIZE_LIMIT,
};
pub use store::CookieStore;
