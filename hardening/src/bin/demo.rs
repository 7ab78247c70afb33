//! The demo site as this package's own binary, so that its tests can start it as a process
//! (`CARGO_BIN_EXE_demo`): the very `session_demo::run` that `session-demo`'s `main` calls.

fn main() -> std::process::ExitCode {
    session_demo::run(std::env::args_os().skip(1))
}
