//! The one PostgreSQL client of the platform's stores (the wallet's and
//! the usage records'), through the synchronous `postgres` client (feature
//! `postgres`, no TLS).
//!
//! The URL may hold a password: it is kept wiped on drop, never put in an
//! error, and shown only redacted ([`crate::store_url::redacted`]). A
//! connection the server closed (a restart, an administrator) is opened
//! again at the next use.

use postgres::{Client, IsolationLevel, NoTls, Transaction};

use crate::store::migrate::{Dialect, Schema, SchemaTx, bring_up_to_date};
use crate::store_url::redacted;
use medcode::error::{Error, Result};

/// A connection to a PostgreSQL server that knows how to connect again.
pub(crate) struct PgClient {
    client: Client,
    /// May hold a password: never printed, wiped on drop.
    url: zeroize::Zeroizing<String>,
    /// Put before every storage error's text (`usage records: `), or empty.
    label: &'static str,
}

impl std::fmt::Debug for PgClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgClient({})", redacted(&self.url))
    }
}

impl PgClient {
    /// Connects to `url` (`postgres://USER@HOST:PORT/DB`).
    ///
    /// # Errors
    ///
    /// `storage` when the server cannot be reached; the message names
    /// neither the URL nor its password.
    pub(crate) fn connect(url: &str, label: &'static str) -> Result<PgClient> {
        Ok(PgClient {
            client: open(url, label)?,
            url: zeroize::Zeroizing::new(url.to_owned()),
            label,
        })
    }

    /// The client, connected again first if the server closed the
    /// connection.
    ///
    /// # Errors
    ///
    /// `storage` when the server cannot be reached.
    pub(crate) fn client(&mut self) -> Result<&mut Client> {
        if self.client.is_closed() {
            self.reconnect()?;
        }
        Ok(&mut self.client)
    }

    /// Drops the connection and opens a new one.
    ///
    /// # Errors
    ///
    /// `storage` when the server cannot be reached.
    pub(crate) fn reconnect(&mut self) -> Result<()> {
        self.client = open(&self.url, self.label)?;
        Ok(())
    }

    /// Brings `schema` up to date (see [`migrate`]).
    ///
    /// # Errors
    ///
    /// As [`migrate`].
    pub(crate) fn migrate(&mut self, schema: &Schema) -> Result<i64> {
        let label = self.label;
        migrate(self.client()?, schema, label)
    }
}

fn open(url: &str, label: &str) -> Result<Client> {
    Client::connect(url, NoTls).map_err(|e| Error::Storage {
        // The error text names neither the URL nor its password.
        why: format!("{label}cannot connect to the PostgreSQL server: {e}"),
    })
}

struct PgSchemaTx<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    label: &'static str,
}

/// A storage error: `cannot {action}: {e}` after `label`.
pub(crate) fn storage(label: &str, action: &str, e: &postgres::Error) -> Error {
    Error::Storage {
        why: format!("{label}cannot {action}: {e}"),
    }
}

impl SchemaTx for PgSchemaTx<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.tx
            .batch_execute(sql)
            .map_err(|e| storage(self.label, "migrate the schema", &e))
    }

    fn first_int(&mut self, sql: &str) -> Result<Option<i64>> {
        let rows = self
            .tx
            .query(sql, &[])
            .map_err(|e| storage(self.label, "read the schema version", &e))?;
        rows.first()
            .map(|row| row.try_get::<_, i64>(0))
            .transpose()
            .map_err(|e| storage(self.label, "read the schema version", &e))
    }
}

/// Brings `schema` up to date in one read-committed transaction that first
/// takes the schema's transaction-scoped advisory lock, so concurrent first
/// openers migrate once (read committed: each statement after the lock
/// sees what an opener before us migrated). Returns the version found.
///
/// # Errors
///
/// `storage` as [`bring_up_to_date`], or when the transaction fails.
pub(crate) fn migrate(client: &mut Client, schema: &Schema, label: &'static str) -> Result<i64> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .map_err(|e| storage(label, "begin a transaction", &e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema.lock])
        .map_err(|e| storage(label, "lock the schema", &e))?;
    let found = bring_up_to_date(
        &mut PgSchemaTx { tx: &mut tx, label },
        schema,
        "the PostgreSQL database",
        0,
    )?;
    tx.commit()
        .map_err(|e| storage(label, "commit the migration", &e))?;
    Ok(found)
}
