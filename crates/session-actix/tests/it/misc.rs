//! The extractor and middleware at their edges: no middleware, failing stores, response
//! extensions, and tokio's blocking pool and timers under actix-web's runtime.

use std::sync::Arc;
use std::time::Duration;

use actix_web::test as actix_test;
use actix_web::{App, HttpResponse, web};
use session_actix::{Session, SessionError, SessionKeyPrefix, SessionMiddleware};
use session_core::{Error, MemoryStore, Record, Result, SessionManager, SessionStore};

use crate::support::Server;

/// Drops a PostgreSQL schema when the test ends.
pub struct DropSchema {
    pub url: String,
    pub schema: String,
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = self
            .url
            .parse::<postgres::Config>()
            .and_then(|config| config.connect(postgres::NoTls))
        {
            let _ = client.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.schema
            ));
        }
    }
}

#[actix_web::test]
async fn extractor_without_middleware_is_a_500_and_option_is_none() {
    let app = actix_test::init_service(
        App::new()
            .route("/", web::get().to(|_: Session| async { "unreachable" }))
            .route(
                "/maybe",
                web::get().to(|s: Option<Session>| async move {
                    if s.is_some() { "with" } else { "without" }
                }),
            ),
    )
    .await;
    let response =
        actix_test::call_service(&app, actix_test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(response.status(), 500);
    let body = actix_test::read_body(response).await;
    assert_eq!(&body[..], b"Internal Server Error");
    let response = actix_test::call_service(
        &app,
        actix_test::TestRequest::get().uri("/maybe").to_request(),
    )
    .await;
    assert_eq!(&actix_test::read_body(response).await[..], b"without");
}

#[actix_web::test]
async fn responses_carry_the_key_prefix() {
    let manager = SessionManager::new(MemoryStore::new());
    let app = actix_test::init_service(App::new().wrap(SessionMiddleware::new(manager)).route(
        "/",
        web::post().to(|s: Session| async move {
            s.insert("a", 1).await?;
            Ok::<_, SessionError>(HttpResponse::Ok().finish())
        }),
    ))
    .await;
    let response =
        actix_test::call_service(&app, actix_test::TestRequest::post().uri("/").to_request()).await;
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let key = set_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("sessionid=");
    let prefix = response
        .response()
        .extensions()
        .get::<SessionKeyPrefix>()
        .cloned();
    assert_eq!(
        prefix,
        Some(SessionKeyPrefix(Some(session_core::key_prefix(key))))
    );
}

/// A store whose every operation fails.
struct Broken;

fn on_fire<T>() -> Result<T> {
    Err(Error::backend(
        "broken",
        std::io::Error::other("disk on fire"),
    ))
}

impl SessionStore for Broken {
    fn load_record(&self, _: &str) -> Result<Option<Record>> {
        on_fire()
    }
    fn create(&self, _: &Record) -> Result<String> {
        on_fire()
    }
    fn save(&self, _: &str, _: &Record) -> Result<String> {
        on_fire()
    }
    fn delete(&self, _: &str) -> Result<()> {
        on_fire()
    }
    fn exists(&self, _: &str) -> Result<bool> {
        on_fire()
    }
}

#[test]
fn store_failures_are_500s_that_show_nothing() {
    let server = Server::serve(
        |config| {
            config
                .route(
                    "/read",
                    web::get().to(|s: Session| async move {
                        s.get::<u32>("a").await?;
                        Ok::<_, SessionError>("ok")
                    }),
                )
                .route(
                    "/write",
                    web::post().to(|s: Session| async move {
                        s.insert("a", 1).await?;
                        Ok::<_, SessionError>("ok")
                    }),
                );
        },
        SessionMiddleware::new(SessionManager::new_sync(Broken)),
    );
    // loading fails at extraction
    let response = server.send("GET", "/read", Some("abcdefghijklmnopqrstuvwxyz012345"));
    assert_eq!(response.status, 500);
    assert_eq!(response.body, "Internal Server Error");
    // saving fails in the response phase
    let response = server.send("POST", "/write", None);
    assert_eq!(response.status, 500);
    assert_eq!(response.set_cookie(), None);
    assert!(!response.body.contains("fire"));
}

#[test]
fn tokio_blocking_pool_works_in_actix_workers() {
    let server = Server::serve(
        |config| {
            config.route(
                "/",
                web::get().to(|| async {
                    let pool = tokio::task::spawn_blocking(|| std::thread::current().id())
                        .await
                        .unwrap();
                    // and tokio's timers (the network stores' timeouts)
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let here = std::thread::current().id();
                    if pool == here { "same thread" } else { "pool" }
                }),
            );
        },
        SessionMiddleware::new(SessionManager::new(MemoryStore::new())),
    );
    assert_eq!(server.send("GET", "/", None).body, "pool");
}

#[test]
fn the_sweeper_runs_under_actix() {
    let store = Arc::new(MemoryStore::new());
    let mut session = SessionManager::new(store.clone()).session(None);
    session.insert("a", 1).unwrap();
    session.set_expiry(-1i64).unwrap();
    session.save().unwrap();
    assert_eq!(store.len(), 1);
    actix_web::rt::System::new().block_on(async {
        let sweeper = session_actix::spawn_clear_expired(store.clone(), Duration::from_secs(3600));
        for _ in 0..200 {
            if store.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sweeper.abort();
    });
    assert_eq!(store.len(), 0);
}
