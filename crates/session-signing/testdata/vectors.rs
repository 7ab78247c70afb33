//! The Django vectors of `django_vectors.json` (made by real Django 6.1.3, time pinned),
//! typed. Test support shared by the test crates of session-signing and session-cookie,
//! each through `#[path = ".../testdata/vectors.rs"] mod django_vectors;`; each reads only
//! some of the fields.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

/// The whole file.
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
    serde_json::from_str(include_str!("django_vectors.json"))
        .expect("testdata/django_vectors.json parses")
}

impl Vectors {
    pub fn time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.time)
    }
    pub fn age(&self) -> Duration {
        Duration::from_secs(self.session_cookie_age)
    }
}
