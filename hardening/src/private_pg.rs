//! A private PostgreSQL server per test (`initdb` in a temp dir, a free loopback port),
//! for what must never be done to a shared one: TLS settings, freezing, terminating and
//! restarting it. Switched on by `SESSION_TEST_POSTGRES_BIN`, the directory holding
//! `initdb` and `postgres` (`pg_config --bindir`), which `.ci/run` sets.
//!
//! ```no_run
//! use session_hardening::private_pg::{PrivatePg, bin_dir};
//! let Some(bin) = bin_dir() else { return };
//! let pg = PrivatePg::start(&bin, None);
//! let url = pg.url("application_name=demo");
//! pg.freeze(); // nothing answers now
//! pg.thaw();
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const VAR: &str = "SESSION_TEST_POSTGRES_BIN";

/// The server binaries' directory, or `None` (and a "skipped" line).
pub fn bin_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(VAR).filter(|v| !v.is_empty());
    if dir.is_none() {
        println!("skipped: set {VAR} to the directory of initdb and postgres to run");
    }
    dir.map(PathBuf::from)
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// PEM files of a throwaway CA and a server certificate it signed (for `127.0.0.1` and
/// `localhost`).
pub struct Certs {
    /// The CA's certificate.
    pub ca_pem: String,
    /// The server's certificate.
    pub cert_pem: String,
    /// The server's private key.
    pub key_pem: String,
}

impl Default for Certs {
    fn default() -> Self {
        Self::new()
    }
}

impl Certs {
    /// A new CA and server certificate.
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        Certs {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A running private server; stopped (immediately) and removed when dropped.
pub struct PrivatePg {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// The loopback port it listens on.
    pub port: u16,
    child: Option<Child>,
}

/// Runs `program` as the `postgres` user when we are root (initdb refuses root).
/// `setpriv` execs it in place, so the child's pid is the server's own.
fn as_owner(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a server command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PrivatePg {
    /// `initdb`, then a server on a free port; with `certs`, `ssl = on` with them.
    pub fn start(bin: &Path, certs: Option<&Certs>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("session-pg-")
            .tempdir()
            .unwrap();
        // The server runs as `postgres` when we are root: it must own its directory.
        let _ = Command::new("chown")
            .args(["postgres:"])
            .arg(dir.path())
            .status();
        let data = dir.path().join("data");
        run(as_owner(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .stdout(Stdio::null()));
        let port = free_port();
        let mut conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nmax_connections = 40\nshared_buffers = 16MB\n",
            dir.path().display()
        );
        if let Some(certs) = certs {
            for (name, pem) in [
                ("server.crt", &certs.cert_pem),
                ("server.key", &certs.key_pem),
            ] {
                let path = data.join(name);
                std::fs::write(&path, pem).unwrap();
                run(Command::new("chmod").arg("600").arg(&path));
                let _ = Command::new("chown").arg("postgres:").arg(&path).status();
            }
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap()
            .write_all(conf.as_bytes())
            .unwrap();
        let mut pg = PrivatePg {
            bin: bin.to_owned(),
            dir,
            port,
            child: None,
        };
        pg.run_server();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run_server(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("server.log")).unwrap();
        let child = as_owner(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.data())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.admin_try().is_err() {
            assert!(
                Instant::now() < deadline,
                "private PostgreSQL did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// `host=127.0.0.1 port=… user=postgres dbname=postgres`, plus `extra`.
    pub fn url(&self, extra: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres connect_timeout=2 {extra}",
            self.port
        )
    }

    fn admin_try(&self) -> Result<postgres::Client, postgres::Error> {
        // Over the Unix socket: no TLS, and it works while loopback TCP is what a test breaks.
        let url = format!(
            "host={} port={} user=postgres dbname=postgres",
            self.dir.path().display(),
            self.port
        );
        postgres::Client::connect(&url, postgres::NoTls)
    }

    /// A superuser client (sync).
    pub fn admin(&self) -> postgres::Client {
        self.admin_try().expect("admin connection")
    }

    /// The postmaster's pid (first line of `postmaster.pid`).
    fn postmaster(&self) -> String {
        let pid = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        pid.lines().next().unwrap().trim().to_owned()
    }

    /// Sends `signal` to the postmaster and every backend it forked.
    fn signal_all(&self, signal: &str) {
        let pid = self.postmaster();
        let _ = Command::new("pkill").args([signal, "-P", &pid]).status();
        run(Command::new("kill").args([signal, &pid]));
    }

    /// Freezes the whole server (SIGSTOP): connections stay open, nothing answers.
    pub fn freeze(&self) {
        self.signal_all("-STOP");
    }

    /// Lets a frozen server run again.
    pub fn thaw(&self) {
        self.signal_all("-CONT");
    }

    /// Stops the server (fast shutdown: clients are told and disconnected).
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.postmaster()])
            .status();
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.run_server();
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.thaw();
            let _ = Command::new("kill")
                .args(["-QUIT", &self.postmaster()])
                .status();
            let _ = child.wait();
        }
    }
}

/// A TCP proxy in front of the server that, once armed, forwards the next message the
/// client sends after one containing `marker` (the statement's `Parse`), lets the server
/// act on it, then cuts both connections before the reply comes back: an operation whose
/// outcome the client cannot know.
pub struct LostReplyProxy {
    /// The port clients connect to.
    pub port: u16,
    armed: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl LostReplyProxy {
    /// A proxy to the server on `server_port`, cutting after `marker` once armed.
    pub fn new(server_port: u16, marker: &'static [u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (armed.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let server = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
                        pipe(client, server, a.clone(), marker);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        LostReplyProxy { port, armed, stop }
    }

    /// Cuts the next statement's reply.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Whether the cut is still to come.
    pub fn armed(&self) -> bool {
        self.armed.load(Ordering::SeqCst)
    }
}

impl Drop for LostReplyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn pipe(client: TcpStream, server: TcpStream, armed: Arc<AtomicBool>, marker: &'static [u8]) {
    let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (mut s_read, mut c_write) = (server, client);
    let cut = Arc::new(AtomicBool::new(false));
    let cut_up = cut.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        let mut seen_marker = false;
        while let Ok(n) = c_read.read(&mut buf) {
            if n == 0 || s_write.write_all(&buf[..n]).is_err() {
                break;
            }
            let chunk = &buf[..n];
            if seen_marker
                && armed.load(Ordering::SeqCst)
                && !chunk.windows(marker.len()).any(|w| w == marker)
            {
                // The statement runs now; its reply must not reach the client.
                armed.store(false, Ordering::SeqCst);
                cut_up.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(300));
                let _ = s_write.shutdown(Shutdown::Both);
                let _ = c_read.shutdown(Shutdown::Both);
                break;
            }
            seen_marker = chunk.windows(marker.len()).any(|w| w == marker);
        }
    });
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = s_read.read(&mut buf) {
            if n == 0 || cut.load(Ordering::SeqCst) || c_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = c_write.shutdown(Shutdown::Both);
    });
}
