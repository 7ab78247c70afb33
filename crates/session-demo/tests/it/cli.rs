//! The command line: errors are one line, `clear-expired` sweeps.

use std::time::{Duration, SystemTime};

use session_core::{Record, SessionStore};
use session_demo::{BackendKind, Command, DemoError, Options, SerializerKind, clear_expired};

use crate::flows::setup;

#[test]
fn defaults_serve_sqlite() {
    let options = Options::parse(Vec::<String>::new()).unwrap();
    assert_eq!(options.command, Command::Serve);
    assert_eq!(options.backend, BackendKind::Db);
    assert_eq!(options.db, std::path::Path::new("sessions.sqlite3"));
    assert_eq!(options.serializer, SerializerKind::Json);
    assert_eq!(options.addr.to_string(), "127.0.0.1:8000");
    assert_eq!(Options::parse(["--help"]).unwrap().command, Command::Help);
}

#[test]
fn bad_command_lines_give_one_line_errors() {
    let cases: &[&[&str]] = &[
        &["--frobnicate"],
        &["--addr"],
        &["--addr", "localhost"],
        &["--backend", "mongo"],
        &["--serializer", "pickle"],
        &["--secret", "short"],
        &["--secret", ""],
        &["--django-secret", "   "],
        &["--backend", "cookie", "--db", "x.sqlite3"],
        &["--dir", "sessions"],
        &[
            "--secret",
            "a long enough secret",
            "--secret-file",
            "/dev/null",
        ],
        &["--backend", "redis", "--redis-url", "localhost:6379"],
        &["--backend", "redis-cluster"],
        &[
            "--backend",
            "redis-cluster",
            "--redis-url",
            "redis://a:7000/,localhost:7001",
        ],
        &["--backend", "redis-cluster", "--redis-url", " , "],
        &[
            "--backend",
            "redis-cluster",
            "--redis-url",
            "redis://a:7000/",
            "--inline",
        ],
        &[
            "clear-expired",
            "--backend",
            "redis-cluster",
            "--redis-url",
            "redis://a:7000/",
        ],
        &["--backend", "db", "--backend", "db"],
        &[
            "--django-secret",
            "long enough secret",
            "--serializer",
            "msgpack",
        ],
        &["serve", "clear-expired"],
        &["destroy"],
        &["clear-expired", "--backend", "cookie"],
        &["clear-expired", "--backend", "cache"],
    ];
    for args in cases {
        let err = Options::parse(args.iter().copied()).unwrap_err();
        let line = err.report();
        assert!(matches!(err, DemoError::Usage(_)), "{args:?}");
        assert!(!line.contains('\n') && !line.is_empty(), "{args:?}: {line}");
    }
}

#[test]
fn bad_paths_give_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/s.sqlite3");
    let not_a_db = dir.path().join("junk.sqlite3");
    std::fs::write(&not_a_db, vec![0xAB; 4096]).unwrap();
    for path in [missing, not_a_db, dir.path().to_owned()] {
        let options = Options::parse(["--db", path.to_str().unwrap()]).unwrap();
        let err = session_demo::Backend::open(&options).unwrap_err();
        assert!(matches!(err, DemoError::Open { .. }), "{path:?}: {err:?}");
        let line = err.report();
        assert!(line.starts_with("cannot open database"), "{line}");
        assert!(!line.contains('\n'));
    }
}

#[test]
fn clear_expired_sweeps_the_db() {
    let setup = setup(&["clear-expired"]);
    assert_eq!(clear_expired(&setup.options).unwrap(), 0);
    let store = session_db::SqliteStore::open(&setup.options.db).unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    let future = SystemTime::now() + Duration::from_secs(60);
    for _ in 0..5 {
        store.create(&Record::new(b"{}".to_vec(), past)).unwrap();
    }
    let live = store.create(&Record::new(b"{}".to_vec(), future)).unwrap();
    assert_eq!(clear_expired(&setup.options).unwrap(), 5);
    assert!(store.exists(&live).unwrap());
    assert_eq!(clear_expired(&setup.options).unwrap(), 0);
}

#[test]
fn clear_expired_in_django_mode() {
    let setup = setup(&[
        "clear-expired",
        "--django-secret",
        crate::flows::DJANGO_SECRET,
    ]);
    let store = session_db::SqliteStore::open_django(&setup.options.db).unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    store.create(&Record::new(b"x".to_vec(), past)).unwrap();
    assert_eq!(clear_expired(&setup.options).unwrap(), 1);
}

#[test]
fn clear_expired_sweeps_files() {
    let setup = setup(&["clear-expired", "--backend", "file"]);
    let store = session_file::FileStore::new(&setup.options.dir).unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    let future = SystemTime::now() + Duration::from_secs(60);
    for _ in 0..3 {
        store.create(&Record::new(b"{}".to_vec(), past)).unwrap();
    }
    let live = store.create(&Record::new(b"{}".to_vec(), future)).unwrap();
    assert_eq!(clear_expired(&setup.options).unwrap(), 3);
    assert!(store.exists(&live).unwrap());
}

#[cfg_attr(
    not(session_test_postgres_tls),
    ignore = "needs SESSION_TEST_POSTGRES_TLS_URL"
)]
#[test]
fn clear_expired_sweeps_postgres_over_tls() {
    let Some(url) = std::env::var("SESSION_TEST_POSTGRES_TLS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!("skipped: set SESSION_TEST_POSTGRES_TLS_URL to run");
        return;
    };
    let setup = setup(&["clear-expired", "--backend", "postgres", "--db-url", &url]);
    let store = session_db::PostgresStore::connect(&url).unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    let future = SystemTime::now() + Duration::from_secs(60);
    for _ in 0..3 {
        store.create(&Record::new(b"{}".to_vec(), past)).unwrap();
    }
    let live = store.create(&Record::new(b"{}".to_vec(), future)).unwrap();
    // (other tests share the server: at least ours are swept, then none is left)
    assert!(clear_expired(&setup.options).unwrap() >= 3);
    assert!(store.exists(&live).unwrap());
    assert_eq!(store.count_expired().unwrap(), 0);
}

#[test]
fn a_missing_dir_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("new/sessions");
    let options =
        Options::parse(["--backend", "file", "--dir", missing.to_str().unwrap()]).unwrap();
    session_demo::Backend::open(&options).unwrap();
    assert!(missing.is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&missing).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }
    assert_eq!(
        std::fs::read_dir(&missing).unwrap().count(),
        0,
        "the write check leaves nothing behind"
    );
}

#[test]
fn an_unwritable_dir_fails_at_startup() {
    let mut dirs = Vec::new();
    // Nobody may create files in /proc, root included.
    if cfg!(target_os = "linux") {
        dirs.push(std::path::PathBuf::from("/proc"));
    }
    let tmp = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        // Read-only for its owner: unwritable unless the tests run as root.
        use std::os::unix::fs::PermissionsExt;
        let readonly = tmp.path().join("readonly");
        std::fs::create_dir(&readonly).unwrap();
        std::fs::set_permissions(&readonly, std::fs::Permissions::from_mode(0o500)).unwrap();
        if std::fs::File::create(readonly.join("probe")).is_err() {
            dirs.push(readonly);
        }
    }
    for dir in dirs {
        let options =
            Options::parse(["--backend", "file", "--dir", dir.to_str().unwrap()]).unwrap();
        let err = session_demo::Backend::open(&options).unwrap_err();
        let line = err.report();
        assert!(
            line.starts_with(&format!(
                "cannot open session directory `{}` for writing: ",
                dir.display()
            )),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}

/// Runs the demo binary with `args` and `env` (and no secret or log filter from the
/// caller's environment); returns its exit code, stdout and stderr.
fn demo(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_session-demo"));
    command
        .args(args)
        .env_remove("SESSION_SECRET")
        .env_remove("DJANGO_SECRET_KEY")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The demo fails with exactly one line on stderr, which it returns (without its prefix).
fn one_line_error(args: &[&str], env: &[(&str, &str)]) -> String {
    let (code, _, stderr) = demo(args, env);
    assert_eq!(code, Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    stderr
        .trim_end()
        .strip_prefix("session-demo: error: ")
        .unwrap_or_else(|| panic!("{stderr}"))
        .to_owned()
}

#[test]
fn help_lists_the_commands_and_where_secrets_come_from() {
    let (code, stdout, _) = demo(&["--help"], &[]);
    assert_eq!(code, Some(0));
    for needle in [
        "COMMANDS:",
        "    serve ",
        "    clear-expired ",
        "--secret-file PATH",
        "--django-secret-file PATH",
        "SESSION_SECRET",
        "DJANGO_SECRET_KEY",
    ] {
        assert!(stdout.contains(needle), "{needle} missing:\n{stdout}");
    }
}

#[test]
fn an_empty_secret_is_refused_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let empty = empty.to_str().unwrap();
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            &["--backend", "cookie", "--secret", ""],
            &[],
            "`--secret` is empty",
        ),
        (
            &["--backend", "cookie"],
            &[("SESSION_SECRET", "")],
            "SESSION_SECRET is empty",
        ),
        (
            &["--backend", "cookie", "--secret-file", empty],
            &[],
            "(--secret-file) is empty",
        ),
        (
            &["--backend", "cache", "--django-secret", " "],
            &[],
            "`--django-secret` is empty",
        ),
        (
            &["--backend", "cache"],
            &[("DJANGO_SECRET_KEY", "")],
            "DJANGO_SECRET_KEY is empty",
        ),
        (
            &["--backend", "cache", "--django-secret-file", empty],
            &[],
            "(--django-secret-file) is empty",
        ),
    ];
    for (args, env, expected) in cases {
        let line = one_line_error(args, env);
        assert!(line.contains(expected), "{args:?} {env:?}: {line}");
        assert!(
            line.contains("long random secret"),
            "says what to do: {line}"
        );
    }
}

#[test]
fn secrets_come_from_flags_files_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, "a secret from a file\r\n").unwrap();
    let file = file.to_str().unwrap();
    let env = |name: &str| match name {
        "SESSION_SECRET" => Some("a secret from the environment".to_owned()),
        "DJANGO_SECRET_KEY" => Some("a Django secret from the environment".to_owned()),
        _ => None,
    };
    let o = Options::parse_with_env(["--backend", "cookie"], env).unwrap();
    assert_eq!(o.secret.as_deref(), Some("a secret from the environment"));
    assert_eq!(
        o.django_secret.as_deref(),
        Some("a Django secret from the environment")
    );
    let o = Options::parse_with_env(["--backend", "cookie", "--secret-file", file], env).unwrap();
    assert_eq!(
        o.secret.as_deref(),
        Some("a secret from a file"),
        "the file beats the environment"
    );
    let o =
        Options::parse_with_env(["--backend", "cookie", "--secret", "a secret flag"], env).unwrap();
    assert_eq!(
        o.secret.as_deref(),
        Some("a secret flag"),
        "the flag beats the environment"
    );
    let o = Options::parse(["--django-secret-file", file]).unwrap();
    assert_eq!(o.django_secret.as_deref(), Some("a secret from a file"));
    assert_eq!(
        Options::parse(Vec::<String>::new()).unwrap().secret,
        None,
        "parse reads no environment"
    );

    let both = Options::parse(["--secret", "a long secret", "--secret-file", file]).unwrap_err();
    assert_eq!(
        both.report(),
        "give `--secret` or `--secret-file`, not both (see --help)"
    );
    let missing = dir.path().join("missing");
    let err = Options::parse(["--secret-file", missing.to_str().unwrap()]).unwrap_err();
    let line = err.report();
    assert!(line.starts_with("cannot open the secret file `"), "{line}");
    assert!(line.contains("No such file"), "{line}");
}

#[test]
fn the_binary_reads_the_secret_from_the_environment_and_warns_when_short() {
    // A Django secret from the environment switches Django mode on: the codec is built
    // from it, and warns that it is short.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite3");
    let db = db.to_str().unwrap();
    let (code, stdout, stderr) = demo(
        &["clear-expired", "--db", db],
        &[("DJANGO_SECRET_KEY", "short but ok")],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "Deleted 0 expired sessions.\n");
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(stderr.contains("secret is 12 bytes long"), "{stderr}");
    let long = "a secret of at least thirty-two bytes, as advised";
    let (code, _, stderr) = demo(
        &["clear-expired", "--db", db],
        &[("DJANGO_SECRET_KEY", long)],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("WARN"), "{stderr}");
}

#[test]
fn sqlite_open_errors_say_why_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/s.sqlite3");
    let line = one_line_error(&["--db", missing.to_str().unwrap()], &[]);
    assert_eq!(
        line,
        format!(
            "cannot open database `{}` (--db): the directory `{}` does not exist: \
             create it or choose another path",
            missing.display(),
            missing.parent().unwrap().display()
        )
    );
    let line = one_line_error(&["--db", dir.path().to_str().unwrap()], &[]);
    assert!(line.contains("it is a directory"), "{line}");
    assert_eq!(
        line.matches(dir.path().to_str().unwrap()).count(),
        1,
        "{line}"
    );
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_postgres_connection_failure_is_one_line_with_its_cause() {
    let url = format!(
        "host=127.0.0.1 port={} user=postgres dbname=test",
        closed_port()
    );
    let line = one_line_error(&["--backend", "postgres", "--db-url", &url], &[]);
    assert!(
        line.starts_with("cannot open the PostgreSQL database of --db-url"),
        "{line}"
    );
    assert!(line.contains("Connection refused"), "{line}");
}

#[test]
fn a_postgres_tls_root_that_cannot_be_read_is_named() {
    let url = format!(
        "host=127.0.0.1 port={} user=postgres sslmode=verify-full sslrootcert=/nonexistent/ca.pem",
        closed_port()
    );
    let line = one_line_error(&["--backend", "postgres", "--db-url", &url], &[]);
    assert!(
        line.starts_with("cannot open the PostgreSQL database of --db-url"),
        "{line}"
    );
    assert!(line.contains("/nonexistent/ca.pem"), "{line}");
}

#[test]
fn a_bad_redis_url_is_explained() {
    for backend in ["redis", "redis-cluster"] {
        for url in ["nonsense", "http://127.0.0.1/"] {
            let line = one_line_error(&["--backend", backend, "--redis-url", url], &[]);
            assert!(!line.contains("InvalidClientConfig"), "{url}: {line}");
            assert!(line.contains("not a Redis URL"), "{url}: {line}");
        }
    }
}

#[test]
fn redis_urls_take_tls_and_cluster_seeds() {
    let o = Options::parse([
        "--backend",
        "redis",
        "--redis-url",
        "rediss://127.0.0.1:6380/",
    ])
    .unwrap();
    assert_eq!(o.backend, BackendKind::Redis);
    let o = Options::parse([
        "--backend",
        "redis-cluster",
        "--redis-url",
        "redis://10.0.0.1:7000/,redis://:hunter2@10.0.0.2:7000/",
    ])
    .unwrap();
    assert_eq!(o.backend, BackendKind::RedisCluster);
    assert_eq!(o.backend.name(), "redis-cluster");
    assert_eq!(
        session_demo::redis_seeds(o.redis_url.as_deref().unwrap()).count(),
        2
    );
    assert!(!format!("{o:?}").contains("hunter2"));
    // A TLS port that nobody serves: refused at startup with one clear line.
    let line = one_line_error(
        &["--backend", "redis", "--redis-url", "rediss://127.0.0.1:1/"],
        &[],
    );
    assert!(
        line.starts_with("cannot open the Redis server of --redis-url"),
        "{line}"
    );
}

#[test]
fn server_backends_need_their_url_and_only_theirs() {
    use session_demo::{BackendKind, Options};
    assert!(Options::parse(["--backend", "postgres"]).is_err());
    assert!(Options::parse(["--backend", "redis"]).is_err());
    assert!(
        Options::parse(["--db-url", "host=x"]).is_err(),
        "--db-url without postgres"
    );
    assert!(Options::parse(["--backend", "postgres", "--redis-url", "redis://x/"]).is_err());
    assert!(Options::parse(["--backend", "redis", "--redis-url", ""]).is_err());
    assert!(Options::parse(["--backend", "redis-cluster"]).is_err());
    assert!(
        Options::parse(["--backend", "cache", "--redis-url", "redis://x/"]).is_err(),
        "--redis-url without a redis backend"
    );
    let o = Options::parse([
        "--backend",
        "postgres",
        "--db-url",
        "host=127.0.0.1 password=hunter2",
    ])
    .unwrap();
    assert_eq!(o.backend, BackendKind::Postgres);
    assert!(
        !format!("{o:?}").contains("hunter2"),
        "URLs are redacted in Debug"
    );
    let o = Options::parse([
        "clear-expired",
        "--backend",
        "redis",
        "--redis-url",
        "redis://x/",
    ]);
    assert!(o.is_err(), "redis expires keys by itself");
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let o =
        session_demo::Options::parse(["--backend", "redis", "--redis-url", "redis://127.0.0.1:1/"])
            .unwrap();
    let err = session_demo::Backend::open(&o).unwrap_err();
    assert!(err.to_string().contains("Redis"), "{err}");
    let o = session_demo::Options::parse([
        "--backend",
        "redis-cluster",
        "--redis-url",
        "redis://127.0.0.1:1/,redis://127.0.0.1:2/",
    ])
    .unwrap();
    let err = session_demo::Backend::open(&o).unwrap_err();
    assert!(err.to_string().contains("Redis"), "{err}");
}

#[test]
fn inline_is_refused_for_network_stores() {
    // Refused before any connection: no server needed.
    for args in [
        [
            "--backend",
            "postgres",
            "--db-url",
            "host=127.0.0.1 user=postgres",
            "--inline",
        ],
        [
            "--backend",
            "redis",
            "--redis-url",
            "redis://127.0.0.1:6379/",
            "--inline",
        ],
    ] {
        let line = one_line_error(&args, &[]);
        assert!(line.contains("drop `--inline`"), "{args:?}: {line}");
    }
}
