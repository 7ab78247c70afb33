#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod cookies;
mod extract;
mod handle;
mod layer;
mod session;
mod task;

pub use extract::{SessionError, SessionRejection};
pub use layer::{INTERRUPTED_MESSAGE, SessionKeyPrefix, SessionLayer, SessionService};
pub use session::Session;
pub use task::spawn_clear_expired;
