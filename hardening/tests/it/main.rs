//! Cross-backend hardening tests (issue 10). See the package README.

mod concurrency;
mod crash;
mod hostile;
mod props;
mod socket;
