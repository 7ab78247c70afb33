//! Shared workload definitions for the session benches.
