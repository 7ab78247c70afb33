//! Runnable examples for session-engines; the book includes their code.
