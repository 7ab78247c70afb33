//! HTTP tests of the demo site: the flows of DESIGN §8 on every backend, the command line
//! and `clear-expired`.

mod cli;
mod client;
mod django;
mod flows;
mod socket;
