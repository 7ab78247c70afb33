//! Cross-backend hardening tests. See the package README.

mod concurrency;
mod crash;
mod hostile;
mod hostile_actix;
mod pg_faults;
mod props;
mod socket;
