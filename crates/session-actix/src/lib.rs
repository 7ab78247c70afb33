#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod extract;
mod middleware;

pub use extract::{Session, SessionError, SessionRejection};
pub use middleware::{SessionMiddleware, SessionService};
pub use session_tower::{INTERRUPTED_MESSAGE, SessionKeyPrefix, spawn_clear_expired};
