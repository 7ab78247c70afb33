//! The handler every layer bench serves, as a macro over the session type, so our layer
//! and tower-sessions run the same code. The peers workspace (`benches/peers`) compiles
//! this file too (`#[path]`), so its tower-sessions SQLite stores run it as well.

/// A handler that reads `member_id` and writes it back incremented, for a session type
/// whose `get` and `insert` look alike (ours and tower-sessions').
macro_rules! counter_handler {
    ($(#[$doc:meta])* $name:ident($session:ty)) => {
        $(#[$doc])*
        pub async fn $name(session: $session) -> &'static str {
            let n = session.get::<i64>("member_id").await.ok().flatten().unwrap_or(0);
            match session.insert("member_id", n + 1).await {
                Ok(()) => "ok",
                Err(_) => "error",
            }
        }
    };
}
