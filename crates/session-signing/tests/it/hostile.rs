//! Hostile and broken tokens: always an error, never a panic.
