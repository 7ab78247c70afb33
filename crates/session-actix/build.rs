//! Switches on the tests that need a server: each `cfg` below is set when its variable is
//! set (and not empty) at build time. Without it those tests carry `#[ignore]`, so
//! `cargo test` reports them as ignored instead of passing them unrun.

const SERVER_TESTS: &[(&str, &str)] = &[
    ("SESSION_TEST_POSTGRES_URL", "session_test_postgres"),
    ("SESSION_TEST_REDIS_URL", "session_test_redis"),
];

fn main() {
    for (var, cfg) in SERVER_TESTS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        if std::env::var_os(var).is_some_and(|value| !value.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
