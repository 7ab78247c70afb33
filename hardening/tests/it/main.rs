//! Cross-backend hardening tests. See the package README.

mod concurrency;
mod crash;
mod hostile;
mod props;
mod socket;
