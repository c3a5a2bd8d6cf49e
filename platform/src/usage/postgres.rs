//! Usage records in PostgreSQL, for a platform whose tills and services
//! outgrow one machine: the synchronous `postgres` client (feature
//! `usage-postgres`), each batch one transaction (read committed: records
//! are only added, and the unique `id` keeps a batch written twice stored
//! once). Migrations take a transaction-scoped advisory lock, so
//! concurrent first openers migrate once. A connection the server closed
//! is opened again at the next call.

use postgres::types::ToSql;
use postgres::{Client, NoTls};

use super::query::UsageQuery;
use super::record::{COLUMNS, UsageRecord, from_row, to_row};
use super::schema::{self, Dialect};
use super::{UsageStore, to_i64, to_u64};
use medcode::error::{Error, Result};
use medcode::time::UnixTime;

/// The advisory lock key of the migrations ("MCUS").
const MIGRATION_LOCK: i64 = 0x4D43_5553;

/// Usage records in a PostgreSQL database.
pub struct PostgresUsageStore {
    client: Client,
    /// For reconnecting; may hold a password: never printed, wiped on drop.
    url: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for PostgresUsageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.write_str("PostgresUsageStore")
    }
}

fn storage(action: &str, e: &postgres::Error) -> Error {
    Error::Storage {
        why: format!("usage records: cannot {action}: {e}"),
    }
}

fn open_client(url: &str) -> Result<Client> {
    Client::connect(url, NoTls).map_err(|e| Error::Storage {
        // The error text names neither the URL nor its password.
        why: format!("usage records: cannot connect to the PostgreSQL server: {e}"),
    })
}

impl PostgresUsageStore {
    /// Connects to `url` (`postgres://USER@HOST:PORT/DB`, no TLS) and brings
    /// the schema up to date.
    ///
    /// # Errors
    ///
    /// `storage` when the server cannot be reached or the schema migrated.
    pub fn connect(url: &str) -> Result<PostgresUsageStore> {
        let mut store = PostgresUsageStore {
            client: open_client(url)?,
            url: zeroize::Zeroizing::new(url.to_owned()),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| storage("begin a transaction", &e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(|e| storage("lock the schema", &e))?;
        tx.batch_execute(schema::CREATE_VERSION_TABLE)
            .map_err(|e| storage("create the schema table", &e))?;
        let rows = tx
            .query(schema::READ_VERSION, &[])
            .map_err(|e| storage("read the schema version", &e))?;
        let version: Option<i64> = match rows.first() {
            Some(row) => Some(
                row.try_get(0)
                    .map_err(|e| storage("read the schema version", &e))?,
            ),
            None => None,
        };
        if version.is_none() {
            tx.batch_execute(schema::INSERT_VERSION)
                .map_err(|e| storage("write the schema version", &e))?;
        }
        for stmt in schema::migrations(Dialect::Postgres, version.unwrap_or(0))? {
            tx.batch_execute(&stmt)
                .map_err(|e| storage("migrate the schema", &e))?;
        }
        tx.commit().map_err(|e| storage("commit the migration", &e))
    }

    /// The client, connected again if the server closed the connection.
    fn client(&mut self) -> Result<&mut Client> {
        if self.client.is_closed() {
            self.client = open_client(&self.url)?;
        }
        Ok(&mut self.client)
    }
}

impl UsageStore for PostgresUsageStore {
    fn insert(&mut self, records: &[UsageRecord]) -> Result<()> {
        for r in records {
            r.check()?;
        }
        let rows = records.iter().map(to_row).collect::<Result<Vec<_>>>()?;
        let mut tx = self
            .client()?
            .transaction()
            .map_err(|e| storage("begin a transaction", &e))?;
        let stmt = tx
            .prepare(&format!(
                "INSERT INTO usage_records ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING"
            ))
            .map_err(|e| storage("prepare the insert", &e))?;
        for (at, t) in &rows {
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![at];
            params.extend(t.iter().map(|v| v as &(dyn ToSql + Sync)));
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
        let rows = self
            .client()?
            .query(sql.as_str(), &params)
            .map_err(|e| storage("read the records", &e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let at: i64 = row.try_get(0).map_err(|e| storage("read a record", &e))?;
            let mut t: [Option<String>; 12] = Default::default();
            for (i, slot) in t.iter_mut().enumerate() {
                *slot = row
                    .try_get(i + 1)
                    .map_err(|e| storage("read a record", &e))?;
            }
            out.push(from_row(at, t)?);
        }
        Ok(out)
    }

    fn prune(&mut self, before: UnixTime) -> Result<u64> {
        let before = to_i64(before.as_secs(), "time")?;
        self.client()?
            .execute("DELETE FROM usage_records WHERE at < $1", &[&before])
            .map_err(|e| storage("delete old records", &e))
    }

    fn count(&mut self) -> Result<u64> {
        let row = self
            .client()?
            .query_one("SELECT COUNT(*) FROM usage_records", &[])
            .map_err(|e| storage("count the records", &e))?;
        let n: i64 = row
            .try_get(0)
            .map_err(|e| storage("count the records", &e))?;
        to_u64(n, "count")
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }
}
