//! A minimal blocking HTTP/1.1 client for loopback tests: keep-alive, `Content-Length`
//! bodies only (what the demo server sends), one cookie jar slot for `sessionid`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One answer: status, `Set-Cookie` header values, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Every `Set-Cookie` value, in order.
    pub set_cookies: Vec<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// A keep-alive connection with a session cookie, reconnecting when the server closes.
///
/// ```no_run
/// let mut client = session_hardening::client::Client::new("127.0.0.1:8000".parse()?);
/// let reply = client.post_form("/login", "username=alice&password=wonderland")?;
/// assert_eq!(reply.status, 200);
/// assert!(client.session_cookie().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    cookie: Option<String>,
}

impl Client {
    /// A client for the server at `addr` (connects lazily).
    ///
    /// ```
    /// let client = session_hardening::client::Client::new("127.0.0.1:9".parse().unwrap());
    /// assert_eq!(client.session_cookie(), None);
    /// ```
    pub fn new(addr: SocketAddr) -> Self {
        Client {
            addr,
            conn: None,
            cookie: None,
        }
    }

    /// The `sessionid` value the server last set (`None` before, or after a deletion).
    ///
    /// ```
    /// let client = session_hardening::client::Client::new("127.0.0.1:9".parse().unwrap());
    /// assert!(client.session_cookie().is_none());
    /// ```
    pub fn session_cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    /// `GET path` with the session cookie.
    ///
    /// ```no_run
    /// let mut client = session_hardening::client::Client::new("127.0.0.1:8000".parse()?);
    /// assert_eq!(client.get("/session")?.status, 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&mut self, path: &str) -> io::Result<Reply> {
        self.request("GET", path, None)
    }

    /// `POST path` with a form body and the session cookie.
    ///
    /// ```no_run
    /// let mut client = session_hardening::client::Client::new("127.0.0.1:8000".parse()?);
    /// assert_eq!(client.post_form("/comment", "comment=hi")?.status, 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn post_form(&mut self, path: &str, form: &str) -> io::Result<Reply> {
        self.request("POST", path, Some(form))
    }

    fn request(&mut self, method: &str, path: &str, form: Option<&str>) -> io::Result<Reply> {
        // One retry on a fresh connection: the server may close an idle keep-alive one.
        match self.try_request(method, path, form) {
            Ok(reply) => Ok(reply),
            Err(_) => {
                self.conn = None;
                self.try_request(method, path, form)
            }
        }
    }

    fn try_request(&mut self, method: &str, path: &str, form: Option<&str>) -> io::Result<Reply> {
        if self.conn.is_none() {
            let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.conn = Some(BufReader::new(stream));
        }
        let conn = self.conn.as_mut().expect("connected above");
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if let Some(cookie) = &self.cookie {
            head.push_str(&format!("Cookie: sessionid={cookie}\r\n"));
        }
        let body = form.unwrap_or("");
        if form.is_some() {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        conn.get_mut().write_all(head.as_bytes())?;

        let mut line = String::new();
        conn.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
        let mut length = 0usize;
        let mut set_cookies = Vec::new();
        let mut close = false;
        loop {
            line.clear();
            if conn.read_line(&mut line)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "set-cookie" => set_cookies.push(value.to_owned()),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body)?;
        if close {
            self.conn = None;
        }
        for header in &set_cookies {
            if let Some(rest) = header.strip_prefix("sessionid=") {
                let value = rest.split(';').next().unwrap_or("").trim_matches('"');
                self.cookie = (!value.is_empty()).then(|| value.to_owned());
            }
        }
        Ok(Reply {
            status,
            set_cookies,
            body,
        })
    }
}
