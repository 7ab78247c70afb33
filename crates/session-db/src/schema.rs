//! Table layouts, the SQL run against them, and the value encodings they use
//! (hashed keys, expiry instants).

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, ToSql};
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::{Mode, SchemaError};

/// The version of the native layout this crate writes and reads. It is recorded per table
/// in `session_db_schema`; a store refuses a table recorded with a newer version.
///
/// ```
/// assert_eq!(session_db::SCHEMA_VERSION, 1);
/// ```
pub const SCHEMA_VERSION: i64 = 1;

/// Names the native tables' versions are recorded under.
const META_TABLE: &str = "session_db_schema";

/// Column names of one layout: (key, data, expiry).
pub(crate) fn columns(mode: Mode) -> [&'static str; 3] {
    match mode {
        Mode::Native => ["key_hash", "data", "expires_at"],
        Mode::Django => ["session_key", "session_data", "expire_date"],
    }
}

/// The SHA-256 of a session key: what the native layout stores instead of the key.
pub(crate) fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// `t` within what every layout stores: from the Unix epoch (anything earlier has expired
/// just as well) up to the expiry ceiling, [`max_expiry`](session_core::expiry::max_expiry).
pub(crate) fn bounded(t: SystemTime) -> SystemTime {
    session_core::expiry::clamp(t).max(UNIX_EPOCH)
}

/// Unix milliseconds, saturating (the native SQLite expiry).
pub(crate) fn unix_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// The instant a stored expiry names: native integer milliseconds, or Django's datetime
/// text. Anything else reads as the epoch (expired), never a panic.
pub(crate) fn stored_instant(value: rusqlite::types::ValueRef<'_>) -> SystemTime {
    use rusqlite::types::ValueRef;
    let parsed = match value {
        ValueRef::Integer(ms) => {
            let magnitude = std::time::Duration::from_millis(ms.unsigned_abs());
            if ms >= 0 {
                UNIX_EPOCH.checked_add(magnitude)
            } else {
                UNIX_EPOCH.checked_sub(magnitude)
            }
        }
        ValueRef::Text(text) => std::str::from_utf8(text)
            .ok()
            .and_then(session_core::expiry::parse_iso),
        _ => None,
    };
    parsed.map_or(UNIX_EPOCH, session_core::expiry::clamp)
}

/// Django's SQLite text for a datetime: naive UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`, the
/// fraction omitted when it is zero. Instants outside years 1..=9999 saturate.
pub(crate) fn django_datetime(t: SystemTime) -> String {
    let nanos = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    };
    let dt = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or_else(|_| {
        let edge = if nanos > 0 {
            PrimitiveDateTime::MAX
        } else {
            PrimitiveDateTime::MIN
        };
        edge.assume_utc()
    });
    let dt = if dt.year() < 1 {
        time::macros::datetime!(0001-01-01 00:00 UTC)
    } else if dt.year() > 9999 {
        time::macros::datetime!(9999-12-31 23:59:59.999_999 UTC)
    } else {
        dt
    };
    let base = dt
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    match dt.microsecond() {
        0 => base,
        us => format!("{base}.{us:06}"),
    }
}

/// A key as bound into SQL: its hash (native) or the key itself (Django).
pub(crate) enum KeyParam<'a> {
    Hash([u8; 32]),
    Clear(&'a str),
}

impl<'a> KeyParam<'a> {
    /// The parameter for `key`, or `None` when the key is not one this layout can hold:
    /// such a key is never looked up.
    pub(crate) fn new(mode: Mode, key: &'a str) -> Option<Self> {
        if !session_core::key::is_well_formed(key) {
            return None;
        }
        Some(match mode {
            Mode::Native => KeyParam::Hash(hash_key(key)),
            // varchar(40) in Django's DDL
            Mode::Django if key.len() <= 40 => KeyParam::Clear(key),
            Mode::Django => return None,
        })
    }
}

impl ToSql for KeyParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            KeyParam::Hash(h) => ValueRef::Blob(h),
            KeyParam::Clear(k) => ValueRef::Text(k.as_bytes()),
        }))
    }
}

/// An expiry instant as stored: unix millis (native) or Django's text.
pub(crate) enum InstantParam {
    Millis(i64),
    Text(String),
}

impl InstantParam {
    /// The parameter for `t`, [`bounded`] first.
    pub(crate) fn new(mode: Mode, t: SystemTime) -> Self {
        let t = bounded(t);
        match mode {
            Mode::Native => InstantParam::Millis(unix_millis(t)),
            Mode::Django => InstantParam::Text(django_datetime(t)),
        }
    }
}

impl ToSql for InstantParam {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            InstantParam::Millis(ms) => ValueRef::Integer(*ms),
            InstantParam::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// Session data as bound into SQL: a BLOB (native) or TEXT (Django).
pub(crate) enum DataParam<'a> {
    Blob(&'a [u8]),
    Text(&'a str),
}

impl ToSql for DataParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            DataParam::Blob(b) => ValueRef::Blob(b),
            DataParam::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// Every statement a SQLite store runs, built once with the (validated) table name.
#[derive(Debug)]
pub(crate) struct Sql {
    pub load: String,
    pub load_record: String,
    pub touch: String,
    pub exists: String,
    pub insert: String,
    pub update: String,
    pub delete: String,
    pub clear_batch: String,
    pub clear_range: String,
    pub count_expired: String,
}

impl Sql {
    /// `?1` key, `?2` data, `?3` expiry, `?4` now, `?5` batch size.
    pub(crate) fn new(mode: Mode, table: &str) -> Self {
        let [k, d, e] = columns(mode);
        let t = format!("\"{table}\"");
        Sql {
            load: format!("SELECT {d} FROM {t} WHERE {k} = ?1 AND {e} > ?2"),
            load_record: format!("SELECT {d}, {e} FROM {t} WHERE {k} = ?1 AND {e} > ?2"),
            touch: format!("UPDATE {t} SET {e} = ?2 WHERE {k} = ?1 AND {e} > ?3"),
            exists: format!("SELECT 1 FROM {t} WHERE {k} = ?1 AND {e} > ?2"),
            insert: format!("INSERT INTO {t} ({k}, {d}, {e}) VALUES (?1, ?2, ?3)"),
            update: format!("UPDATE {t} SET {d} = ?2, {e} = ?3 WHERE {k} = ?1 AND {e} > ?4"),
            delete: format!("DELETE FROM {t} WHERE {k} = ?1"),
            clear_batch: format!(
                "DELETE FROM {t} WHERE rowid IN \
                 (SELECT rowid FROM {t} WHERE {e} <= ?1 ORDER BY {e} LIMIT ?2)"
            ),
            // The oldest expired rows, walked along the expiry index: everything below the
            // expiry of the (?2 + 1)-th one (at most ?2 rows), or all of them when no more
            // than ?2 are left. Rows sharing that expiry wait for the next batch.
            clear_range: format!(
                "DELETE FROM {t} WHERE {e} <= ?1 AND {e} < coalesce(\
                 (SELECT {e} FROM {t} WHERE {e} <= ?1 ORDER BY {e} LIMIT 1 OFFSET ?2), {top})",
                top = match mode {
                    Mode::Native => "9223372036854775807",
                    // above every digit, so above every datetime Django writes
                    Mode::Django => "'~'",
                }
            ),
            count_expired: format!("SELECT count(*) FROM {t} WHERE {e} <= ?1"),
        }
    }
}

/// How a sweep sizes its batches: by the time one takes, not by a row count, so that each
/// transaction holds the writer for about [`SWEEP_SLICE`] however costly a row is on this
/// machine and store, and a large sweep needs few commits (each rewrites the index pages it
/// touched, so many small ones cost far more than the rows).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SweepBatches {
    rows: usize,
    cap: usize,
}

/// The writer time one sweep batch aims at: requests wait at most about this long for it.
pub(crate) const SWEEP_SLICE: std::time::Duration = std::time::Duration::from_millis(25);
/// The first batch of a sweep, before one has been timed.
const FIRST_SWEEP_BATCH: usize = 256;

impl SweepBatches {
    /// Batches of at most `cap` rows.
    pub(crate) fn new(cap: usize) -> Self {
        SweepBatches {
            rows: FIRST_SWEEP_BATCH.min(cap).max(1),
            cap: cap.max(1),
        }
    }

    /// The rows of the next batch.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Sizes the next batch from this one: `deleted` rows in `took`. It grows at most
    /// twofold a step (a cold cache makes the first batches slow), shrinks at once.
    pub(crate) fn took(&mut self, deleted: usize, took: std::time::Duration) {
        if deleted == 0 {
            return;
        }
        let per_row = took.as_secs_f64() / deleted as f64;
        let fits = (SWEEP_SLICE.as_secs_f64() / per_row.max(1e-9)) as usize;
        self.rows = fits.clamp(1, self.rows.saturating_mul(2)).min(self.cap);
    }
}

/// Checks the layout version recorded for `table`: newer than this build reads is an error;
/// `true` when none is recorded yet, so the caller records [`SCHEMA_VERSION`].
pub(crate) fn must_record_version(table: &str, found: Option<i64>) -> Result<bool, SchemaError> {
    match found {
        Some(v) if v > SCHEMA_VERSION => Err(SchemaError::TooNew {
            table: table.to_owned(),
            found: v,
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Ok(false),
        None => Ok(true),
    }
}

/// Creates the table and its expiry index if absent, records/checks the native schema
/// version, and checks the columns. Runs in one `BEGIN IMMEDIATE` transaction so two
/// processes opening a fresh file at once do not race.
pub(crate) fn ensure_sqlite(
    conn: &mut Connection,
    mode: Mode,
    table: &str,
) -> Result<(), session_core::BoxError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    match mode {
        Mode::Native => {
            tx.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {META_TABLE} (\
                   table_name TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL);\
                 CREATE TABLE IF NOT EXISTS \"{table}\" (\
                   key_hash BLOB NOT NULL PRIMARY KEY, data BLOB NOT NULL, \
                   expires_at INTEGER NOT NULL);"
            ))?;
            check_sqlite_columns(&tx, mode, table)?;
            tx.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS \"{table}_expires_at\" ON \"{table}\" (expires_at);"
            ))?;
            let found: Option<i64> = tx
                .query_row(
                    &format!("SELECT version FROM {META_TABLE} WHERE table_name = ?1"),
                    [table],
                    |r| r.get(0),
                )
                .optional()?;
            if must_record_version(table, found)? {
                tx.execute(
                    &format!("INSERT INTO {META_TABLE} (table_name, version) VALUES (?1, ?2)"),
                    (table, SCHEMA_VERSION),
                )?;
            }
        }
        Mode::Django => {
            let existed: bool = tx.query_row(
                "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )?;
            if !existed {
                // Django's own DDL (django.contrib.sessions migration 0001 on SQLite). A
                // table Django made already has its index: add nothing to it.
                let index = if table == "django_session" {
                    "django_session_expire_date_a5c62663".to_owned()
                } else {
                    format!("{table}_expire_date")
                };
                tx.execute_batch(&format!(
                    "CREATE TABLE \"{table}\" (\
                       \"session_key\" varchar(40) NOT NULL PRIMARY KEY, \
                       \"session_data\" text NOT NULL, \"expire_date\" datetime NOT NULL);\
                     CREATE INDEX \"{index}\" ON \"{table}\" (\"expire_date\");"
                ))?;
            }
            check_sqlite_columns(&tx, mode, table)?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn check_sqlite_columns(
    conn: &Connection,
    mode: Mode,
    table: &str,
) -> Result<(), session_core::BoxError> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let present = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(check_columns(mode, table, &present)?)
}

/// `Err` when a column of `mode`'s layout is missing from `present`.
pub(crate) fn check_columns(
    mode: Mode,
    table: &str,
    present: &[String],
) -> Result<(), SchemaError> {
    let missing: Vec<&'static str> = columns(mode)
        .into_iter()
        .filter(|c| !present.iter().any(|p| p.eq_ignore_ascii_case(c)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::MissingColumns {
            table: table.to_owned(),
            columns: missing,
            mode: mode.name(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn sweep_batches_grow_by_time_at_most_twofold_and_stay_under_the_cap() {
        let mut batches = SweepBatches::new(10_000);
        assert_eq!(batches.rows(), 256);
        // fast rows: doubles each step, up to the cap
        batches.took(256, Duration::from_micros(256));
        assert_eq!(batches.rows(), 512);
        for _ in 0..10 {
            let rows = batches.rows();
            batches.took(rows, Duration::from_micros(rows as u64));
        }
        assert_eq!(batches.rows(), 10_000);
        // slow rows: shrinks at once to what fits the slice
        let per_row = Duration::from_micros(100);
        batches.took(1_000, per_row * 1_000);
        let fits = (SWEEP_SLICE.as_micros() / per_row.as_micros()) as usize;
        assert_eq!(batches.rows(), fits);
        // nothing deleted: nothing learnt
        batches.took(0, Duration::from_secs(1));
        assert_eq!(batches.rows(), fits);
        assert_eq!(SweepBatches::new(2).rows(), 2);
    }

    #[test]
    fn django_datetime_matches_django_text() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(django_datetime(t), "2023-11-14 22:13:20");
        let t = t + Duration::from_nanos(628_050_999);
        assert_eq!(django_datetime(t), "2023-11-14 22:13:20.628050");
        assert_eq!(
            django_datetime(UNIX_EPOCH + Duration::from_secs(u64::MAX / 4)),
            "9999-12-31 23:59:59.999999"
        );
        assert_eq!(
            django_datetime(UNIX_EPOCH - Duration::from_secs(u64::MAX / 4)),
            "0001-01-01 00:00:00"
        );
    }

    #[test]
    fn millis_saturate() {
        assert_eq!(unix_millis(UNIX_EPOCH + Duration::from_millis(1500)), 1500);
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_millis(1500)), -1500);
    }
}
