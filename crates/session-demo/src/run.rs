//! The program: the command line in, an exit status out.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use crate::{Backend, Command, DemoError, Options, USAGE};

/// Runs `session-demo` with these arguments (those after the program name): serves the
/// site until Ctrl-C or SIGTERM, sweeps, or prints the help. Errors go to stderr as one
/// line, with exit status 1. The binary's `main` is this call; so is any other binary that
/// wants to be the demo (the hardening tests build one).
///
/// ```
/// use std::process::ExitCode;
/// assert_eq!(session_demo::run(["--help"]), ExitCode::SUCCESS);
/// assert_eq!(session_demo::run(["--addr", "localhost"]), ExitCode::FAILURE);
/// ```
pub fn run<I, S>(args: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let args: Result<Vec<String>, _> = args.into_iter().map(|a| a.into().into_string()).collect();
    let options = match args {
        Ok(args) => Options::parse_with_env(args, |name| std::env::var(name).ok()),
        Err(_) => Err(DemoError::Usage("arguments must be UTF-8".to_owned())),
    };
    let result = options.and_then(|options| match options.command {
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Command::ClearExpired => crate::clear_expired(&options).map(|deleted| {
            println!(
                "Deleted {deleted} expired session{}.",
                if deleted == 1 { "" } else { "s" }
            );
        }),
        Command::Serve => serve(&options),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("session-demo: error: {}", error.report());
            ExitCode::FAILURE
        }
    }
}

fn serve(options: &Options) -> Result<(), DemoError> {
    let runtime = tokio::runtime::Runtime::new().map_err(DemoError::Serve)?;
    runtime.block_on(async {
        let backend = Backend::open(options)?;
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .map_err(|source| DemoError::Listen {
                addr: options.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(DemoError::Serve)?;
        let sweeper = backend
            .sweeper()
            .map(|store| session_tower::spawn_clear_expired(store, Duration::from_secs(3600)));
        tracing::info!(
            "serving http://{addr} with sessions in {} (Ctrl-C stops)",
            backend.describe()
        );
        let app = crate::app(&backend);
        let upkeep = crate::metrics::spawn_upkeep();
        crate::serve(listener, app, options.server, crate::serve::stop_signal()).await;
        if let Some(sweeper) = sweeper {
            sweeper.abort();
        }
        if let Some(upkeep) = upkeep {
            upkeep.abort();
        }
        tracing::info!("stopped");
        Ok(())
    })
}
