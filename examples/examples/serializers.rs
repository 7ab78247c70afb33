//! The serializers chapter: choosing one, and writing your own.
//!
//! `cargo run -p session-examples --example serializers`

use serde_json::json;
use session_core::{
    DjangoJson, Error, Json, MemoryStore, MessagePack, Result, Serializer, SessionData,
    SessionManager,
};

// ANCHOR: choose
fn choosing() -> Result<()> {
    // JSON is the default; pick another with `with_serializer`.
    let manager = SessionManager::new(MemoryStore::new()).with_serializer(MessagePack);
    let mut session = manager.session(None);
    session.insert("cart", vec![1, 2, 3])?;
    session.save()?;
    Ok(())
}
// ANCHOR_END: choose

// ANCHOR: compare
fn comparing() -> Result<()> {
    let mut data = SessionData::new();
    data.insert("name".into(), json!("Zoë"));
    data.insert("cart".into(), json!([101, 102, 103]));

    // Json: compact UTF-8 JSON, readable in the database.
    assert_eq!(
        Json.to_bytes(&data)?,
        r#"{"name":"Zoë","cart":[101,102,103]}"#.as_bytes()
    );
    // DjangoJson: what Python's json.dumps writes; Django reads it correctly.
    assert_eq!(
        DjangoJson.to_bytes(&data)?,
        br#"{"name":"Zo\u00eb","cart":[101,102,103]}"#
    );
    // MessagePack: binary, smaller.
    assert_eq!(MessagePack.to_bytes(&data)?.len(), 20);
    assert_eq!(Json.to_bytes(&data)?.len(), 36);

    // All three read back exactly what was written.
    for serializer in [&Json as &dyn Serializer, &DjangoJson, &MessagePack] {
        assert_eq!(serializer.from_bytes(&serializer.to_bytes(&data)?)?, data);
    }
    Ok(())
}
// ANCHOR_END: compare

// ANCHOR: custom
/// Writes MessagePack, reads MessagePack *and* JSON: switch a running site from `Json` to
/// `MessagePack` without logging anyone out. Sessions saved before the switch are JSON
/// (an object starts with `{`); MessagePack maps never start with that byte.
struct JsonThenMessagePack;

impl Serializer for JsonThenMessagePack {
    fn to_bytes(&self, data: &SessionData) -> Result<Vec<u8>> {
        MessagePack.to_bytes(data)
    }

    fn from_bytes(&self, bytes: &[u8]) -> Result<SessionData> {
        match bytes.first() {
            Some(b'{') => Json.from_bytes(bytes),
            Some(_) => MessagePack.from_bytes(bytes),
            // Never panic on bad input: a decode error loads as an empty session.
            None => Err(Error::Deserialize("empty session data".into())),
        }
    }
}
// ANCHOR_END: custom

// ANCHOR: custom_use
fn migrating_with_a_custom_serializer() -> Result<()> {
    let store = std::sync::Arc::new(MemoryStore::new());

    // Yesterday: JSON.
    let before = SessionManager::new(store.clone()).with_serializer(Json);
    let mut session = before.session(None);
    session.insert("member_id", 7)?;
    session.save()?;
    let key = session.key().unwrap().to_owned();

    // Today: the same store, the new serializer. Old sessions still load...
    let after = SessionManager::new(store).with_serializer(JsonThenMessagePack);
    let mut session = after.session(Some(&key));
    assert_eq!(session.get::<u32>("member_id")?, Some(7));
    // ...and are written back as MessagePack at their next save.
    session.insert("cart", [1])?;
    session.save()?;
    assert_eq!(after.session(Some(&key)).get::<u32>("member_id")?, Some(7));
    Ok(())
}
// ANCHOR_END: custom_use

pub fn main() -> Result<()> {
    choosing()?;
    comparing()?;
    migrating_with_a_custom_serializer()?;
    println!("ok");
    Ok(())
}
