//! Runs the book's examples: each `examples/*.rs` is compiled in here as a module and its
//! checks (or its app, driven in-process) run as tests; and builds the book's projects
//! from `cargo new`, as a reader does (`book_projects`).

mod actix;
mod apps;
#[cfg(unix)]
mod book_projects;
mod custom_store;
mod django;
mod programs;
