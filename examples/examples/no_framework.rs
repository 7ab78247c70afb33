//! Sessions without tower: the request cycle `session-tower` runs, written out with
//! `session-core` alone. For another framework (actix-web, rocket, a hand-made server),
//! put these calls into its middleware.
//!
//! `cargo run -p session-examples --example no_framework`

// ANCHOR: cycle
use session_core::{Error, MemoryStore, Session, SessionManager};

/// What a framework middleware hands back to the server.
struct Response {
    status: u16,
    body: String,
    set_cookie: Option<String>,
    vary_cookie: bool,
}

/// One request: `cookie` is the value of the `sessionid` cookie, if the browser sent one.
fn handle(
    manager: &SessionManager,
    cookie: Option<&str>,
    handler: impl FnOnce(&mut Session) -> Result<(u16, String), Error>,
) -> Response {
    // 1. Before the handler: a lazy session (nothing is loaded until it is used).
    let mut session = manager.session(cookie);
    // 2. The handler reads and writes the session.
    let (status, body) = match handler(&mut session) {
        Ok(answer) => answer,
        Err(_) => (500, "Internal Server Error".to_owned()),
    };
    // 3. After the handler: Django's response logic saves the session if needed and says
    //    which cookie to send.
    match manager.finish(&mut session, status, cookie.is_some()) {
        Ok(action) => Response {
            status,
            body,
            set_cookie: manager.set_cookie_header(&action),
            vary_cookie: action.vary_cookie(),
        },
        // The session was deleted by a concurrent request (a logout): saving would
        // resurrect it. Django answers 400.
        Err(Error::Interrupted) => Response {
            status: 400,
            body: "The request's session was deleted before the request completed.".to_owned(),
            set_cookie: None,
            vary_cookie: false,
        },
        Err(_) => Response {
            status: 500,
            body: "Internal Server Error".to_owned(),
            set_cookie: None,
            vary_cookie: false,
        },
    }
}
// ANCHOR_END: cycle

// ANCHOR: use
pub fn main() {
    let manager = SessionManager::new(MemoryStore::new());
    let count = |session: &mut Session| {
        let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
        session.insert("visits", visits)?;
        Ok((200, format!("visit {visits}")))
    };

    let first = handle(&manager, None, count);
    assert_eq!(first.body, "visit 1");
    let header = first.set_cookie.expect("a new session sets its cookie");
    // "sessionid=<key>; expires=...; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"
    let key = header["sessionid=".len()..].split(';').next().unwrap();

    let second = handle(&manager, Some(key), count);
    assert_eq!((second.status, second.body.as_str()), (200, "visit 2"));
    assert!(second.vary_cookie);
    println!("ok");
}
// ANCHOR_END: use
