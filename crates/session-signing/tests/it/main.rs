//! Integration tests of session-signing: Django's vectors, hostile input, the codec.

mod codec;
mod hostile;
mod props;
mod vectors;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

/// `testdata/django_vectors.json`, made by real Django 6.1.3 with the time pinned.
#[derive(Debug, Deserialize)]
pub struct Vectors {
    pub secret_key: String,
    pub secret_key_fallbacks: Vec<String>,
    pub time: u64,
    pub session_cookie_age: u64,
    pub cookie_salt: String,
    pub db_salt: String,
    pub vectors: Vec<Vector>,
    pub negative: Vec<Negative>,
}

/// One session Django encoded three ways.
#[derive(Debug, Deserialize)]
pub struct Vector {
    pub data: serde_json::Map<String, serde_json::Value>,
    pub json: String,
    pub cookie: String,
    pub db_session_data: String,
    pub cookie_signed_with_fallback: String,
    pub compressed: bool,
}

/// A cookie Django refuses.
#[derive(Debug, Deserialize)]
pub struct Negative {
    pub label: String,
    pub cookie: String,
}

pub fn vectors() -> Vectors {
    let text = include_str!("../../testdata/django_vectors.json");
    serde_json::from_str(text).expect("testdata/django_vectors.json parses")
}

impl Vectors {
    pub fn time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.time)
    }
    pub fn age(&self) -> Duration {
        Duration::from_secs(self.session_cookie_age)
    }
}
