//! Runnable examples for session-engines; the book (`docs/`) includes their code.
//!
//! The programs are in `examples/`: `cargo run -p session-examples --example login`.
//! Each file marks the parts the book shows with `// ANCHOR: name` / `// ANCHOR_END: name`,
//! so everything the book shows is compiled (and, through `tests/it`, run).
