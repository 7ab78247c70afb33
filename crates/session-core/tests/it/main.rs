//! session-core's integration tests: one binary, one module per concern.

mod conformance;
mod expiry;
mod keys;
mod response;
mod rolling;
mod serializers;
mod session;
mod steps;
mod telemetry;
