#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod codec;
mod error;
mod sign;
pub mod zlib;

pub use codec::{DJANGO_COOKIE_SALT, DJANGO_SESSION_SALT, DjangoCodec};
pub use error::SignError;
pub use sign::{
    COMPRESS_THRESHOLD, DEFAULT_MAX_PAYLOAD_LEN, DEFAULT_SALT, RECOMMENDED_SECRET_LEN,
    SIGNATURE_LEN, Signer, Verified,
};
