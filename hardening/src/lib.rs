//! Shared helpers for the cross-backend hardening tests.
