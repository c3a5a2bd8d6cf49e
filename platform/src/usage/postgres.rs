//! Usage records in PostgreSQL, for a platform whose tills and services
//! outgrow one machine: the platform's one PostgreSQL client
//! ([`crate::store::postgres`], feature `postgres`), each batch one
//! transaction (read committed: records are only added, and the unique
//! `id` keeps a batch written twice stored once). Migrations run through
//! the store runner under an advisory lock, so concurrent first openers
//! migrate once. A connection the server closed is opened again at the
//! next call.

use postgres::types::ToSql;

use super::query::UsageQuery;
use super::record::{COLUMNS, UsageRecord, from_row, to_row};
use super::schema::SCHEMA;
use super::{UsageStore, to_i64, to_u64};
use crate::store::postgres::PgClient;
use medcode::error::{Error, Result};

/// Put before every storage error's text.
const LABEL: &str = "usage records: ";

fn storage(action: &str, e: &postgres::Error) -> Error {
    crate::store::postgres::storage(LABEL, action, e)
}
use medcode::time::UnixTime;

/// Usage records in a PostgreSQL database.
pub struct PostgresUsageStore {
    pg: PgClient,
}

impl std::fmt::Debug for PostgresUsageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.write_str("PostgresUsageStore")
    }
}

impl PostgresUsageStore {
    /// Connects to `url` (`postgres://USER@HOST:PORT/DB`, no TLS) and brings
    /// the schema up to date.
    ///
    /// # Errors
    ///
    /// `storage` when the server cannot be reached or the schema migrated.
    pub fn connect(url: &str) -> Result<PostgresUsageStore> {
        let mut pg = PgClient::connect(url, LABEL)?;
        pg.migrate(&SCHEMA)?;
        Ok(PostgresUsageStore { pg })
    }
}

impl UsageStore for PostgresUsageStore {
    fn insert(&mut self, records: &[UsageRecord]) -> Result<()> {
        for r in records {
            r.check()?;
        }
        let rows = records.iter().map(to_row).collect::<Result<Vec<_>>>()?;
        let mut tx = self
            .pg
            .client()?
            .transaction()
            .map_err(|e| storage("begin a transaction", &e))?;
        let stmt = tx
            .prepare(&format!(
                "INSERT INTO usage_records ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING"
            ))
            .map_err(|e| storage("prepare the insert", &e))?;
        for (at, t, count) in &rows {
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![at];
            params.extend(t.iter().map(|v| v as &(dyn ToSql + Sync)));
            params.push(count);
            tx.execute(&stmt, &params)
                .map_err(|e| storage("insert a record", &e))?;
        }
        tx.commit().map_err(|e| storage("commit the records", &e))
    }

    fn query(&mut self, query: &UsageQuery) -> Result<Vec<UsageRecord>> {
        if query.selects_nothing() {
            return Ok(Vec::new());
        }
        let (clause, texts) = query.sql(|n| format!("${n}"));
        let sql = format!("SELECT {COLUMNS} FROM usage_records {clause}");
        let since = to_i64(query.since.map_or(0, UnixTime::as_secs), "time")?;
        let limit = i64::from(query.limit);
        let mut params: Vec<&(dyn ToSql + Sync)> =
            texts.iter().map(|t| t as &(dyn ToSql + Sync)).collect();
        params.push(&since);
        params.push(&limit);
        let rows = match self.pg.client()?.query(sql.as_str(), &params) {
            Ok(rows) => rows,
            Err(e) => return Err(storage("read the records", &e)),
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let at: i64 = row.try_get(0).map_err(|e| storage("read a record", &e))?;
            let mut t: [Option<String>; 12] = Default::default();
            for (i, slot) in t.iter_mut().enumerate() {
                *slot = row
                    .try_get(i + 1)
                    .map_err(|e| storage("read a record", &e))?;
            }
            let count: i64 = row.try_get(13).map_err(|e| storage("read a record", &e))?;
            out.push(from_row(at, t, count)?);
        }
        Ok(out)
    }

    fn prune(&mut self, before: UnixTime) -> Result<u64> {
        let before = to_i64(before.as_secs(), "time")?;
        match self
            .pg
            .client()?
            .execute("DELETE FROM usage_records WHERE at < $1", &[&before])
        {
            Ok(n) => Ok(n),
            Err(e) => Err(storage("delete old records", &e)),
        }
    }

    fn count(&mut self) -> Result<u64> {
        let row = match self
            .pg
            .client()?
            .query_one("SELECT COUNT(*) FROM usage_records", &[])
        {
            Ok(row) => row,
            Err(e) => return Err(storage("count the records", &e)),
        };
        let n: i64 = row
            .try_get(0)
            .map_err(|e| storage("count the records", &e))?;
        to_u64(n, "count")
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }
}
