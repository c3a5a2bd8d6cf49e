//! Usage records in one SQLite file (bundled SQLite): WAL journal with
//! `synchronous = FULL`, a busy timeout, and every batch one `BEGIN
//! IMMEDIATE` transaction, so concurrent writers (threads or processes)
//! wait for each other and lose nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::query::UsageQuery;
use super::record::{COLUMNS, UsageRecord, from_row, to_row};
use super::schema::SCHEMA;
use super::{UsageStore, to_i64, to_u64};
use crate::store::sqlite::{self as file, Journal, SqliteOptions};
use medcode::error::{Error, Result};
use medcode::time::UnixTime;

/// How the usage file is opened: WAL, a writer waits up to a minute.
const OPTIONS: SqliteOptions = SqliteOptions {
    create: "create usage database",
    label: "usage records: ",
    busy_timeout: Duration::from_secs(60),
    journal: Journal::Wal,
    foreign_keys: false,
};

/// Usage records in an SQLite file.
#[derive(Debug)]
pub struct SqliteUsageStore {
    path: PathBuf,
    conn: Connection,
}

fn storage(action: &str, e: &rusqlite::Error) -> Error {
    OPTIONS.storage(action, e)
}

impl SqliteUsageStore {
    /// Opens (creating with mode 0600 if needed) the file and brings the
    /// schema up to date.
    ///
    /// # Errors
    ///
    /// `io` when the file cannot be created, `storage` when SQLite cannot
    /// open or migrate it (a file that is not SQLite, a newer schema).
    pub fn open(path: &Path) -> Result<SqliteUsageStore> {
        let mut conn = file::open(path, &OPTIONS)?;
        file::migrate(&mut conn, &SCHEMA, &OPTIONS, &path.display().to_string())?;
        Ok(SqliteUsageStore {
            path: path.to_owned(),
            conn,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl UsageStore for SqliteUsageStore {
    fn insert(&mut self, records: &[UsageRecord]) -> Result<()> {
        for r in records {
            r.check()?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage("begin a transaction", &e))?;
        {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "INSERT INTO usage_records ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (id) DO NOTHING"
                ))
                .map_err(|e| storage("prepare the insert", &e))?;
            for r in records {
                let (at, t, count) = to_row(r)?;
                let [a, b, c, d, e, f, g, h, i, j, k, l] = t;
                stmt.execute(rusqlite::params![
                    at, a, b, c, d, e, f, g, h, i, j, k, l, count
                ])
                .map_err(|e| storage("insert a record", &e))?;
            }
        }
        tx.commit().map_err(|e| storage("commit the records", &e))
    }

    fn query(&mut self, query: &UsageQuery) -> Result<Vec<UsageRecord>> {
        if query.selects_nothing() {
            return Ok(Vec::new());
        }
        let (clause, texts) = query.sql(|n| format!("?{n}"));
        let sql = format!("SELECT {COLUMNS} FROM usage_records {clause}");
        let mut params: Vec<rusqlite::types::Value> = texts
            .into_iter()
            .map(rusqlite::types::Value::Text)
            .collect();
        let since = query.since.map_or(0, UnixTime::as_secs);
        params.push(rusqlite::types::Value::Integer(to_i64(since, "time")?));
        params.push(rusqlite::types::Value::Integer(i64::from(query.limit)));
        let err = |e: rusqlite::Error| storage("read the records", &e);
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |row| {
                let at: i64 = row.get(0)?;
                let mut t: [Option<String>; 12] = Default::default();
                for (i, slot) in t.iter_mut().enumerate() {
                    *slot = row.get(i + 1)?;
                }
                let count: i64 = row.get(13)?;
                Ok((at, t, count))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let (at, t, count) = row.map_err(err)?;
            out.push(from_row(at, t, count)?);
        }
        Ok(out)
    }

    fn prune(&mut self, before: UnixTime) -> Result<u64> {
        let n = self
            .conn
            .execute(
                "DELETE FROM usage_records WHERE at < ?1",
                [to_i64(before.as_secs(), "time")?],
            )
            .map_err(|e| storage("delete old records", &e))?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn count(&mut self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM usage_records", [], |r| r.get(0))
            .map_err(|e| storage("count the records", &e))?;
        to_u64(n, "count")
    }

    fn kind(&self) -> &'static str {
        "sqlite"
    }
}
