//! `session-demo`: serve the demo site, or sweep expired sessions.

fn main() -> std::process::ExitCode {
    session_demo::run(std::env::args_os().skip(1))
}
