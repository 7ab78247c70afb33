//! The session map.

/// The contents of a session: an insertion-ordered map from string keys to JSON values.
///
/// It is [`serde_json::Map`] with the `preserve_order` feature, so keys keep the order in
/// which they were first inserted, as Python dicts do.
///
/// ```
/// use session_core::SessionData;
/// use serde_json::json;
///
/// let mut data = SessionData::new();
/// data.insert("zebra".into(), json!(1));
/// data.insert("apple".into(), json!(2));
/// assert_eq!(data.keys().collect::<Vec<_>>(), ["zebra", "apple"]);
/// ```
pub type SessionData = serde_json::Map<String, serde_json::Value>;
