//! Runs the book's examples: each `examples/*.rs` is compiled in here as a module and its
//! checks (or its app, driven in-process) run as tests.

mod apps;
mod custom_store;
mod django;
mod programs;
