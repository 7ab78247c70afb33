//! [`PgStore`]: sessions in PostgreSQL (feature `postgres`).
