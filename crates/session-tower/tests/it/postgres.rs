//! PostgreSQL under the layer (needs `SESSION_TEST_POSTGRES_URL`). The store blocks: its
//! async side runs it on the blocking pool, where it works; forced inline it must fail with
//! an error (a 500 from the layer), never the sync driver's panic.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use session_core::SessionManager;
use session_db::{PostgresConfig, PostgresStore};
use session_tower::{Session, SessionLayer};

use crate::support::{cookie_value, send};

/// A store in a schema of its own, dropped with it.
struct TempPg {
    store: PostgresStore,
    url: String,
    schema: String,
}

impl TempPg {
    fn new() -> Option<Self> {
        let url = std::env::var("SESSION_TEST_POSTGRES_URL").ok()?;
        let schema = format!("session_tower_{}", &session_core::key::generate()[..16]);
        let store = PostgresConfig::native()
            .with_schema(&schema)
            .unwrap()
            .connect(&url)
            .expect("connect");
        Some(TempPg { store, url, schema })
    }
}

impl Drop for TempPg {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        // the sync client must not run on the test's executor thread either
        let _ = std::thread::spawn(move || {
            let mut client = url.parse::<postgres::Config>()?.connect(postgres::NoTls)?;
            client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        })
        .join();
    }
}

fn app(store: PostgresStore, inline: bool) -> Router {
    let layer = SessionLayer::new(SessionManager::new(store)).inline(inline);
    Router::new()
        .route(
            "/read",
            get(|s: Session| async move { format!("{:?}", s.get::<u32>("visits").await) }),
        )
        .route(
            "/write",
            get(|s: Session| async move { format!("{:?}", s.insert("visits", 1).await) }),
        )
        .layer(layer)
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[tokio::test]
async fn inline_postgres_is_a_500_not_a_panic() {
    let Some(db) = TempPg::new() else { return };
    // by default: the blocking pool, which works
    let app_default = app(db.store.clone(), false);
    let response = send(&app_default, "GET", "/write", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let key = cookie_value(&response);
    let response = send(&app_default, "GET", "/read", Some(&key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    // inline: every store call is refused
    let app_inline = app(db.store.clone(), true);
    let response = send(&app_inline, "GET", "/read", Some(&key)).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let response = send(&app_inline, "GET", "/write", None).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("set-cookie").is_none());
}

#[cfg_attr(not(session_test_postgres), ignore = "needs SESSION_TEST_POSTGRES_URL")]
#[tokio::test]
async fn from_core_over_postgres_goes_through_the_async_side() {
    let Some(db) = TempPg::new() else { return };
    let manager = SessionManager::new(db.store.clone());
    // An unknown key: the lazy load reaches the store (on its blocking pool, not inline).
    let session = Session::from_core(manager.session(Some(&session_core::key::generate())));
    assert_eq!(session.get::<u32>("visits").await.unwrap(), None);
    session.insert("visits", 1).await.unwrap();
    session.save().await.unwrap();
    let key = session.key().await.unwrap();
    let again = Session::from_core(manager.session(Some(&key)));
    assert_eq!(again.get::<u32>("visits").await.unwrap(), Some(1));
}
