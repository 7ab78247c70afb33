//! Integration tests of session-signing: Django's vectors, hostile input, the codec.

mod codec;
mod hostile;
mod props;
mod secrets;
mod vectors;

#[path = "../../testdata/vectors.rs"]
mod django_vectors;

pub use django_vectors::{Negative, Vector, Vectors, vectors};
