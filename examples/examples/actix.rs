//! The seed's views (comment, login, logout) on actix-web, over the same stores as the
//! axum demo: the book's "actix-web" chapter.
//!
//! It opens its store with the demo's flags, so that both serve one store and a session
//! made by one is read by the other:
//!
//! ```text
//! cargo run -p session-demo -- --db sessions.sqlite3                      # axum, :8000
//! cargo run -p session-examples --example actix -- --db sessions.sqlite3 --addr 127.0.0.1:8001
//! cargo run -p session-examples --example actix -- --backend postgres --db-url "host=..."
//! cargo run -p session-examples --example actix -- --backend redis --redis-url redis://127.0.0.1/
//! ```

// ANCHOR: imports
use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Deserialize;
use session_actix::{Session, SessionError, SessionMiddleware};
use session_core::SessionManager;
// ANCHOR_END: imports

/// The members of the demo: `(id, username, password)`.
const MEMBERS: [(u64, &str, &str); 2] = [(1, "alice", "wonderland"), (2, "bob", "builder")];

// ANCHOR: views
#[derive(Deserialize)]
struct CommentForm {
    #[serde(default)]
    comment: String,
}

/// `POST /comment`: Django's `post_comment` view.
async fn comment(
    session: Session,
    form: web::Form<CommentForm>,
) -> Result<&'static str, SessionError> {
    if session.get::<bool>("has_commented").await?.unwrap_or(false) {
        return Ok("You've already commented.");
    }
    let _ = &form.comment; // a real site stores the comment
    session.insert("has_commented", true).await?;
    Ok("Thanks for your comment!")
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: Django's `login` view, plus a new session key against fixation.
async fn login(session: Session, form: web::Form<LoginForm>) -> Result<&'static str, SessionError> {
    let member = MEMBERS
        .iter()
        .find(|(_, name, password)| *name == form.username && *password == form.password);
    let Some((id, ..)) = member else {
        return Ok("Your username and password didn't match.");
    };
    session.cycle_key().await?;
    session.insert("member_id", id).await?;
    Ok("You're logged in.")
}

/// `POST /logout`: Django's `logout` view (removes `member_id`).
async fn logout(session: Session) -> Result<&'static str, SessionError> {
    session.remove("member_id").await?;
    Ok("You're logged out.")
}

/// `GET /session`: the session's data as JSON (reserved keys included).
async fn session_json(session: Session) -> Result<HttpResponse, SessionError> {
    Ok(HttpResponse::Ok().json(session.to_map().await?))
}
// ANCHOR_END: views

// ANCHOR: app
/// The routes; `App::new().wrap(SessionMiddleware::new(manager)).configure(routes)`.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/comment", web::post().to(comment))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/session", web::get().to(session_json));
}

/// Serves the views on `listener` until the process is stopped. The manager (its store
/// and pool) is built once and shared by every worker.
pub async fn serve(
    manager: SessionManager,
    listener: std::net::TcpListener,
) -> std::io::Result<()> {
    HttpServer::new(move || {
        App::new()
            .wrap(SessionMiddleware::new(manager.clone()))
            .configure(routes)
    })
    .listen(listener)?
    .run()
    .await
}
// ANCHOR_END: app

// ANCHOR: main
#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The demo's flags and store: `--backend db|postgres|redis|...`, `--db`, `--db-url`, ...
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = session_demo::Options::parse(args)?;
    let backend = session_demo::Backend::open(&options)?;
    println!(
        "actix-web on http://{} ({})",
        options.addr,
        backend.describe()
    );
    let listener = std::net::TcpListener::bind(options.addr)?;
    serve(backend.manager, listener).await?;
    Ok(())
}
// ANCHOR_END: main
