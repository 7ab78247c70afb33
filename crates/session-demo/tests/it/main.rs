//! HTTP tests of the demo site: its routes' flows on every backend, the command line
//! and `clear-expired`.

mod cli;
mod client;
mod django;
mod flows;
mod socket;
