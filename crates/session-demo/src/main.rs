//! `session-demo`: serve the demo site, or sweep expired sessions.

use std::process::ExitCode;
use std::time::Duration;

use session_demo::{Backend, Command, DemoError, Options, USAGE};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let options = match args {
        Ok(args) => Options::parse(args),
        Err(_) => Err(DemoError::Usage("arguments must be UTF-8".to_owned())),
    };
    let result = options.and_then(|options| match options.command {
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Command::ClearExpired => session_demo::clear_expired(&options).map(|deleted| {
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
        let sweeper = backend
            .sweeper()
            .map(|store| session_tower::spawn_clear_expired(store, Duration::from_secs(3600)));
        tracing::info!(
            "serving http://{} with sessions in {} (Ctrl-C stops)",
            options.addr,
            backend.describe()
        );
        let served = axum::serve(listener, session_demo::app(&backend))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(DemoError::Serve);
        if let Some(sweeper) = sweeper {
            sweeper.abort();
        }
        served
    })
}
