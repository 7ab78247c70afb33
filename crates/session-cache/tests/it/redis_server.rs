//! Private `redis-server` processes for the fault tests: each on free loopback ports, in a
//! temporary directory, killed (by its own process id) when dropped. Never the shared
//! server of `SESSION_TEST_REDIS_URL`, never the cluster of `.ci/run`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `redis-server` on `PATH`, or `None` after printing why the test is skipped.
pub fn redis_server_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("redis-server"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        println!("skipped: no redis-server on PATH");
    }
    found
}

/// A loopback port that is free now, and (for cluster nodes) whose cluster bus port,
/// port + 10000, is free too.
fn free_port(with_bus: bool) -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local addr").port();
        if !with_bus {
            return port;
        }
        if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// One private `redis-server`.
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    args: Vec<String>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// A plain server with the `DEBUG` command on, or `None` (skipped) without `redis-server`.
    pub fn start() -> Option<Self> {
        Self::start_with(false, &[])
    }

    /// A server with `extra` arguments; `cluster` gives it cluster mode (and a bus port).
    /// `{dir}` in an argument is replaced by the server's directory; with `tls`, `{port}`
    /// is the TLS port and the plain port is off.
    pub fn start_with(cluster: bool, extra: &[&str]) -> Option<Self> {
        let binary = redis_server_binary()?;
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port(cluster);
        let tls = extra.contains(&"--tls-port");
        let mut args: Vec<String> = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            String::new(),
            "--appendonly".into(),
            "no".into(),
            "--enable-debug-command".into(),
            "yes".into(),
            "--dir".into(),
            dir.path().display().to_string(),
            "--logfile".into(),
            dir.path().join("redis.log").display().to_string(),
        ];
        if tls {
            args.extend(["--port".into(), "0".into()]);
        } else {
            args.extend(["--port".into(), port.to_string()]);
        }
        if cluster {
            args.extend([
                "--cluster-enabled".into(),
                "yes".into(),
                "--cluster-config-file".into(),
                dir.path().join("nodes.conf").display().to_string(),
            ]);
        }
        let dir_text = dir.path().display().to_string();
        args.extend(extra.iter().map(|a| {
            a.replace("{dir}", &dir_text)
                .replace("{port}", &port.to_string())
        }));
        let mut server = RedisServer {
            binary,
            port,
            args,
            dir,
            child: None,
        };
        server.spawn();
        Some(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A sync connection for setting up and inspecting (not through the store).
    pub fn admin(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
            .expect("admin connection to the private server")
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.binary)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {addr}; log: {}",
                std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server at once (SIGKILL, its own pid only): no shutdown, no goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, with the same arguments.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A private three-node Redis Cluster (no replicas), its slots split evenly.
pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Three cluster-mode servers joined into one cluster, or `None` (skipped).
    pub fn start() -> Option<Self> {
        let nodes = (0..3)
            .map(|_| RedisServer::start_with(true, &[]))
            .collect::<Option<Vec<_>>>()?;
        let per_node = 16_384 / nodes.len();
        for (i, node) in nodes.iter().enumerate() {
            let first = i * per_node;
            let last = if i + 1 == nodes.len() {
                16_383
            } else {
                first + per_node - 1
            };
            let mut cmd = redis::cmd("CLUSTER");
            cmd.arg("ADDSLOTS");
            for slot in first..=last {
                cmd.arg(slot);
            }
            let () = cmd.query(&mut node.admin()).expect("CLUSTER ADDSLOTS");
        }
        for node in &nodes[1..] {
            let () = redis::cmd("CLUSTER")
                .arg("MEET")
                .arg("127.0.0.1")
                .arg(node.port())
                .query(&mut nodes[0].admin())
                .expect("CLUSTER MEET");
        }
        let cluster = RedisCluster { nodes };
        cluster.wait_ok();
        Some(cluster)
    }

    pub fn seeds(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// Waits until every node says `cluster_state:ok`.
    pub fn wait_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for node in &self.nodes {
            loop {
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(&mut node.admin())
                    .expect("CLUSTER INFO");
                if info.contains("cluster_state:ok") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the private cluster never got ok: {info}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// A certificate authority of the test's own.
pub struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

impl TestCa {
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params
            .distinguished_name
            .push(DnType::CommonName, "session-engines test CA");
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        TestCa {
            issuer: rcgen::Issuer::new(params, key),
            pem,
        }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Writes `ca.crt`, and `server.crt` + `server.key` for `127.0.0.1` and `localhost`,
    /// into `dir`.
    pub fn write_server_files(&self, dir: &Path) {
        let key = rcgen::KeyPair::generate().expect("server key");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server params");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("server certificate");
        std::fs::write(dir.join("ca.crt"), &self.pem).expect("write ca.crt");
        std::fs::write(dir.join("server.crt"), cert.pem()).expect("write server.crt");
        std::fs::write(dir.join("server.key"), key.serialize_pem()).expect("write server.key");
    }

    /// A client certificate: (chain PEM, key PEM).
    pub fn client_certificate(&self) -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().expect("client key");
        let mut params =
            rcgen::CertificateParams::new(vec!["session-engines-test-client".to_owned()])
                .expect("client params");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("client certificate");
        (cert.pem().into_bytes(), key.serialize_pem().into_bytes())
    }
}

/// Whether this `redis-server` was built with TLS (`--tls-port` is a known option).
pub fn supports_tls(binary: &Path) -> bool {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(_) => return false,
    };
    // With TLS compiled in, the server exits for want of a certificate; without it, on an
    // unknown option.
    let output = Command::new(binary)
        .args(["--port", "0", "--tls-port"])
        .arg(free_port(false).to_string())
        .arg("--dir")
        .arg(dir.path())
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            !text.contains("Bad directive") && !text.contains("wrong number of arguments")
        }
        Err(_) => false,
    }
}
