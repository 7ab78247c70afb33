//! A complete login with sessions in SQLite: the book's "A login, step by step" chapter.
//!
//! `cargo run -p session-examples --example login`, then open <http://127.0.0.1:3000> and
//! log in as `alice` / `wonderland` or `bob` / `builder`.

// ANCHOR: imports
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use session_core::{SessionConfig, SessionManager};
use session_db::SqliteStore;
use session_tower::{Session, SessionError, SessionLayer, spawn_clear_expired};
// ANCHOR_END: imports

// ANCHOR: users
/// The users of this example. A real application looks them up in its database and
/// checks a password hash (argon2, bcrypt, scrypt), never a clear-text password.
struct User {
    id: u64,
    name: &'static str,
    password: &'static str,
}

const USERS: &[User] = &[
    User {
        id: 1,
        name: "alice",
        password: "wonderland",
    },
    User {
        id: 2,
        name: "bob",
        password: "builder",
    },
];

fn authenticate(name: &str, password: &str) -> Option<&'static User> {
    USERS
        .iter()
        .find(|u| u.name == name && u.password == password)
}

/// The session key under which the logged-in user's id lives.
const MEMBER_ID: &str = "member_id";
// ANCHOR_END: users

// ANCHOR: current_user
/// The logged-in user, if any.
async fn current_user(session: &Session) -> Result<Option<&'static User>, SessionError> {
    let id = session.get::<u64>(MEMBER_ID).await?;
    Ok(id.and_then(|id| USERS.iter().find(|u| u.id == id)))
}
// ANCHOR_END: current_user

// ANCHOR: home
const LOGIN_FORM: &str = r#"<form method="post" action="/login">
  <input name="username" placeholder="username">
  <input name="password" type="password" placeholder="password">
  <button>Log in</button>
</form>"#;

const LOGOUT_FORM: &str = r#"<form method="post" action="/logout"><button>Log out</button></form>"#;

async fn home(session: Session) -> Result<Html<String>, SessionError> {
    Ok(Html(match current_user(&session).await? {
        Some(user) => format!(
            "<p>Hello, {}! <a href=\"/account\">Your account</a></p>{LOGOUT_FORM}",
            user.name
        ),
        None => format!("<p>You are not logged in.</p>{LOGIN_FORM}"),
    }))
}
// ANCHOR_END: home

// ANCHOR: login
#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(session: Session, Form(form): Form<LoginForm>) -> Result<Response, SessionError> {
    let Some(user) = authenticate(&form.username, &form.password) else {
        let page = format!("<p>Your username and password didn't match.</p>{LOGIN_FORM}");
        return Ok((StatusCode::UNAUTHORIZED, Html(page)).into_response());
    };
    // A new key for the logged-in session, so that a key planted in the browser before
    // the login (session fixation) is worth nothing. The data moves to the new key.
    session.cycle_key().await?;
    session.insert(MEMBER_ID, user.id).await?;
    Ok(Redirect::to("/").into_response())
}
// ANCHOR_END: login

// ANCHOR: logout
async fn logout(session: Session) -> Result<Redirect, SessionError> {
    // Deletes the session from the database; the response deletes the cookie.
    session.flush().await?;
    Ok(Redirect::to("/"))
}
// ANCHOR_END: logout

// ANCHOR: account
/// A page only logged-in users may see.
async fn account(session: Session) -> Result<Response, SessionError> {
    match current_user(&session).await? {
        Some(user) => {
            Ok(Html(format!("<p>{}'s account (id {}).</p>", user.name, user.id)).into_response())
        }
        None => Ok(Redirect::to("/").into_response()),
    }
}
// ANCHOR_END: account

// ANCHOR: app
pub fn app(manager: SessionManager) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/account", get(account))
        .layer(SessionLayer::new(manager))
}
// ANCHOR_END: app

// ANCHOR: main
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Sessions live in a SQLite file, created on first run.
    let store = SqliteStore::open("login.sqlite3")?;
    // Django's defaults (two weeks, HttpOnly, SameSite=Lax). Behind HTTPS, also
    // `.with_cookie_secure(true)`.
    let config = SessionConfig::default();
    let manager = SessionManager::new(store.clone()).with_config(config);
    // Django's `clearsessions`, every hour, in the background.
    let sweeper = spawn_clear_expired(Arc::new(store), Duration::from_secs(3600));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000 (log in as alice / wonderland)");
    axum::serve(listener, app(manager)).await?;
    sweeper.abort();
    Ok(())
}
// ANCHOR_END: main

// ANCHOR: tests_mod
#[cfg(test)]
mod tests;
// ANCHOR_END: tests_mod
