//! Compiles the PostgreSQL conformance tests in only when `SESSION_TEST_POSTGRES_URL` is
//! set (the suite's macro has no runtime skip); every other server test skips at run time.

fn main() {
    println!("cargo::rerun-if-env-changed=SESSION_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(session_test_postgres)");
    if std::env::var_os("SESSION_TEST_POSTGRES_URL").is_some() {
        println!("cargo::rustc-cfg=session_test_postgres");
    }
}
