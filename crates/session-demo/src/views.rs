//! The views of Django's session docs, and the page around them.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use session_tower::{Session, SessionError};

/// The members of the demo: `(id, username, password)`.
pub const MEMBERS: [(u64, &str, &str); 2] = [(1, "alice", "wonderland"), (2, "bob", "builder")];

/// How many comments the page keeps (in the server's memory, newest first).
const KEPT_COMMENTS: usize = 20;
/// Longest comment kept, in characters.
const MAX_COMMENT_CHARS: usize = 500;

#[derive(Clone)]
pub(crate) struct Site {
    pub(crate) backend: Arc<str>,
    /// The cookie backend: the cookie holds the session itself, not a key.
    pub(crate) cookie: bool,
    pub(crate) comments: Arc<Mutex<Vec<(String, String)>>>,
}

impl Site {
    pub(crate) fn new(backend: &crate::Backend) -> Site {
        Site {
            backend: Arc::from(backend.describe()),
            cookie: matches!(backend.store, crate::Store::Cookie(_)),
            comments: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

/// The login form, on the page and again after a wrong password.
const LOGIN_FORM: &str = "<form method=\"post\" action=\"/login\">\n\
     <label>Username <input name=\"username\" autocomplete=\"username\"></label>\n\
     <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\n\
     <button>Log in</button>\n</form>\n\
     <p class=\"hint\">Members: alice / wonderland, bob / builder.</p>\n";

type Page = Result<Response, SessionError>;

#[derive(Deserialize)]
pub(crate) struct CommentForm {
    #[serde(default)]
    comment: String,
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn member_name(id: Option<u64>) -> Option<&'static str> {
    MEMBERS
        .iter()
        .find(|(member, ..)| Some(*member) == id)
        .map(|(_, name, _)| *name)
}

/// `POST /comment`: Django's `post_comment` view.
pub(crate) async fn comment(
    State(site): State<Site>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CommentForm>,
) -> Page {
    if session.get::<bool>("has_commented").await?.unwrap_or(false) {
        return Ok(message(&headers, "You've already commented."));
    }
    let text: String = form
        .comment
        .trim()
        .chars()
        .take(MAX_COMMENT_CHARS)
        .collect();
    if !text.is_empty() {
        let author = member_name(session.get::<u64>("member_id").await.ok().flatten())
            .unwrap_or("anonymous");
        let mut comments = site.comments.lock().unwrap_or_else(PoisonError::into_inner);
        comments.insert(0, (author.to_owned(), text));
        comments.truncate(KEPT_COMMENTS);
    }
    session.insert("has_commented", true).await?;
    Ok(message(&headers, "Thanks for your comment!"))
}

/// `POST /login`: Django's `login` view, plus a new session key against fixation.
pub(crate) async fn login(
    session: Session,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Page {
    let member = MEMBERS
        .iter()
        .find(|(_, name, password)| *name == form.username && *password == form.password);
    let Some((id, ..)) = member else {
        // A browser gets the form again, to retry without going back.
        return Ok(message_then(
            &headers,
            "Your username and password didn't match.",
            LOGIN_FORM,
        ));
    };
    session.cycle_key().await?;
    session.insert("member_id", id).await?;
    Ok(message(&headers, "You're logged in."))
}

/// `POST /logout`: Django's `logout` view (removes `member_id`).
pub(crate) async fn logout(session: Session, headers: HeaderMap) -> Page {
    session.remove("member_id").await?;
    Ok(message(&headers, "You're logged out."))
}

/// `GET /session`: the session's data as JSON, reserved keys included.
pub(crate) async fn session_json(session: Session) -> Result<Json<Value>, SessionError> {
    Ok(Json(Value::Object(session.to_map().await?)))
}

/// The answer of a form view: exactly `text` as `text/plain` (the contract, what curl and
/// tests see); browsers, which ask for HTML, get it on a small page with a way back.
fn message(headers: &HeaderMap, text: &str) -> Response {
    message_then(headers, text, "")
}

/// [`message`], with `more` (HTML) after the message on the browser's page.
fn message_then(headers: &HeaderMap, text: &str, more: &str) -> Response {
    let wants_html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"));
    if !wants_html {
        return (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text.to_owned(),
        )
            .into_response();
    }
    let body = format!(
        "<p class=\"message\">{}</p>\n{more}<p><a href=\"/\">Back to the page</a></p>\n",
        escape(text)
    );
    Html(layout("session-engines demo", &body)).into_response()
}

/// `GET /`: who is logged in, the forms, the session's contents.
pub(crate) async fn index(State(site): State<Site>, session: Session) -> Page {
    let member = member_name(session.get::<u64>("member_id").await.ok().flatten());
    let commented = session.get::<bool>("has_commented").await.ok().flatten() == Some(true);
    let data = Value::Object(session.to_map().await?);
    let key = session.key().await;

    let mut body = String::new();
    body.push_str(&format!(
        "<p class=\"backend\">Sessions live in: {}</p>\n",
        escape(&site.backend)
    ));

    body.push_str("<section>\n<h2>Who you are</h2>\n");
    match member {
        Some(name) => body.push_str(&format!(
            "<p>You are logged in as <strong>{}</strong>.</p>\n\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>\n",
            escape(name)
        )),
        None => {
            body.push_str("<p>You are not logged in.</p>\n");
            body.push_str(LOGIN_FORM);
        }
    }
    body.push_str("</section>\n");

    body.push_str("<section>\n<h2>Comments</h2>\n");
    if commented {
        body.push_str("<p>You've already commented.</p>\n");
    } else {
        body.push_str(
            "<form method=\"post\" action=\"/comment\">\n\
             <label>Your comment <textarea name=\"comment\" rows=\"3\" cols=\"50\"></textarea></label>\n\
             <button>Post</button>\n</form>\n",
        );
    }
    let comments = site
        .comments
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    body.push_str(
        "<p class=\"hint\">Comments live in this server's memory: a restart forgets them. \
         Your session, which remembers that you commented, lives in the store named at the \
         top.</p>\n",
    );
    if !comments.is_empty() {
        body.push_str("<ul class=\"comments\">\n");
        for (author, text) in &comments {
            body.push_str(&format!(
                "<li><strong>{}</strong>: {}</li>\n",
                escape(author),
                escape(text)
            ));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");

    body.push_str("<section>\n<h2>Your session</h2>\n");
    body.push_str(&match key.as_deref() {
        Some(value) if site.cookie => format!(
            "<p>Cookie: <code>{}</code> (the start of it: the cookie holds the whole session, \
             signed; any copy of it works until it expires)</p>\n",
            escape(&session_core::key_prefix(value))
        ),
        Some(key) => format!(
            "<p>Key: <code>{}</code> (the start of it: whoever has the key has the session, \
             so it is kept secret like a password)</p>\n",
            escape(&session_core::key_prefix(key))
        ),
        None => "<p>No session stored yet.</p>\n".to_owned(),
    });
    let pretty = serde_json::to_string_pretty(&data).unwrap_or_default();
    body.push_str(&format!(
        "<pre>{}</pre>\n<p><a href=\"/session\">As JSON</a></p>\n</section>\n",
        escape(&pretty)
    ));
    Ok(Html(layout("session-engines demo", &body)).into_response())
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n\
         body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}\n\
         section {{ border-top: 1px solid #ddd; padding: .5rem 0; }}\n\
         label {{ display: block; margin: .25rem 0; }}\n\
         pre {{ background: #f6f6f6; padding: .5rem; overflow-x: auto; }}\n\
         .backend, .hint {{ color: #666; font-size: .9rem; }}\n\
         .message {{ font-size: 1.25rem; }}\n\
         </style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

/// Escapes text for HTML content and attribute values.
///
/// ```
/// assert_eq!(session_demo::escape(r#"<a href="x">'&'</a>"#),
///            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}
