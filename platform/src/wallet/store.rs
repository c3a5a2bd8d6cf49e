//! Where the wallet keeps its books: a store runs one unit of work as one
//! database transaction, serialised against every other writer (threads or
//! processes), and rolls it back whole when the work fails or the process
//! dies. The ledger's SQL is written once, with `?` placeholders, in the
//! dialect SQLite and PostgreSQL share (`BIGINT`, `TEXT`, `ON CONFLICT`).

use crate::store::migrate::Schema;
use crate::store_url::StoreUrl;
use medcode::error::{Error, Result};

/// One SQL value: the ledger uses integers and text only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A 64-bit integer (fen, seconds, counts).
    Int(i64),
    /// Text.
    Text(String),
    /// SQL NULL.
    Null,
}

impl Value {
    /// The integer, or a storage error naming `what`.
    ///
    /// # Errors
    ///
    /// `storage` when the value is not an integer.
    pub fn int(&self, what: &str) -> Result<i64> {
        match self {
            Value::Int(v) => Ok(*v),
            other => Err(Error::Storage {
                why: format!("{what}: expected an integer, found {other:?}"),
            }),
        }
    }

    /// The text, or a storage error naming `what`.
    ///
    /// # Errors
    ///
    /// `storage` when the value is not text.
    pub fn text(&self, what: &str) -> Result<String> {
        match self {
            Value::Text(v) => Ok(v.clone()),
            other => Err(Error::Storage {
                why: format!("{what}: expected text, found {other:?}"),
            }),
        }
    }

    /// The text, `None` for NULL.
    ///
    /// # Errors
    ///
    /// `storage` when the value is neither text nor NULL.
    pub fn opt_text(&self, what: &str) -> Result<Option<String>> {
        match self {
            Value::Null => Ok(None),
            other => other.text(what).map(Some),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

/// A transaction in progress.
pub trait WalletTx {
    /// Runs a statement; returns the number of rows changed.
    ///
    /// # Errors
    ///
    /// `storage` when the database refuses it.
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Runs a query; returns its rows.
    ///
    /// # Errors
    ///
    /// `storage` when the database refuses it.
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>>;
}

/// A database for the wallet.
pub trait WalletStore: Send {
    /// Runs `work` inside one transaction that no other writer interleaves
    /// with, and commits it when `work` returns `Ok`; an error rolls back
    /// everything `work` did. A store may run `work` again after a
    /// serialisation failure, so `work` must not keep state between runs.
    ///
    /// # Errors
    ///
    /// `work`'s error, or `storage`.
    fn transact(&mut self, work: &mut dyn FnMut(&mut dyn WalletTx) -> Result<()>) -> Result<()>;

    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
}

/// The schema version this build writes ( = number of migrations).
pub const WALLET_SCHEMA_VERSION: i64 = SCHEMA.latest();

/// The wallet's schema, for the store runner: migration `i` brings it from
/// version `i` to `i + 1`. Every table name starts with `wallet_`, so the
/// wallet can share the family registry's SQLite file.
pub(crate) const SCHEMA: Schema = Schema {
    name: "wallet",
    table: "wallet_schema",
    // "MCWL"
    lock: 0x4D43_574C,
    migrations: &[&[
        // Regions (6-digit codes) where the wallet service is open.
        "CREATE TABLE wallet_regions (region BIGINT PRIMARY KEY)",
        // Opened wallets: the usage location (region) and the holder's scheme.
        "CREATE TABLE wallet_wallets (
        insured   TEXT PRIMARY KEY,
        region    BIGINT NOT NULL,
        scheme    TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        opened_at BIGINT NOT NULL
    )",
        // Filed mutual-aid relations, both directions: `relation` is who `b` is to `a`.
        "CREATE TABLE wallet_relations (
        a        TEXT NOT NULL,
        b        TEXT NOT NULL,
        relation TEXT NOT NULL,
        filed_at BIGINT NOT NULL,
        PRIMARY KEY (a, b)
    )",
        // Account balances in fen: fund, personal/ID, wallet/ID, transfer/ID, org/ORG.
        "CREATE TABLE wallet_balances (account TEXT PRIMARY KEY, fen BIGINT NOT NULL)",
        // The audit log: one row per change; money movements reference it.
        "CREATE TABLE wallet_audit (
        seq     BIGINT PRIMARY KEY,
        at      BIGINT NOT NULL,
        action  TEXT NOT NULL,
        insured TEXT NOT NULL,
        detail  TEXT NOT NULL
    )",
        // Double entry: every movement's entries sum to zero.
        "CREATE TABLE wallet_entries (
        seq     BIGINT NOT NULL,
        account TEXT NOT NULL,
        fen     BIGINT NOT NULL,
        PRIMARY KEY (seq, account)
    )",
        "CREATE TABLE wallet_transfers (
        id          TEXT PRIMARY KEY,
        sender      TEXT NOT NULL,
        receiver    TEXT NOT NULL,
        fen         BIGINT NOT NULL,
        source      TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        day         BIGINT NOT NULL,
        due_at      BIGINT NOT NULL,
        state       TEXT NOT NULL,
        closed_at   BIGINT
    )",
        "CREATE INDEX wallet_transfers_sender_day ON wallet_transfers (sender, day)",
        "CREATE INDEX wallet_transfers_state_due ON wallet_transfers (state, due_at)",
        // Payments with a code: the token id is the key.
        "CREATE TABLE wallet_payments (
        token_id      TEXT PRIMARY KEY,
        insured       TEXT NOT NULL,
        presenter     TEXT,
        org           TEXT NOT NULL,
        fen           BIGINT NOT NULL,
        from_wallet   BIGINT NOT NULL,
        from_personal BIGINT NOT NULL,
        at            BIGINT NOT NULL,
        seq           BIGINT NOT NULL
    )",
        // Idempotent requests: the first result of each request id.
        "CREATE TABLE wallet_requests (
        id        TEXT PRIMARY KEY,
        operation TEXT NOT NULL,
        params    TEXT NOT NULL,
        result    TEXT NOT NULL
    )",
    ]],
};

/// Opens the store a `--db` names, in the grammar of [`StoreUrl`]:
/// `sqlite:PATH` or a bare path (an SQLite file), or `postgres://...`
/// (with the feature `postgres`).
///
/// # Errors
///
/// `invalid_argument` for a location [`StoreUrl::parse`] refuses, or a
/// PostgreSQL URL in a build without PostgreSQL; `storage` or `io` when
/// the database cannot be opened or migrated.
pub fn open_store(location: &str) -> Result<Box<dyn WalletStore>> {
    match StoreUrl::parse("--db", location)? {
        StoreUrl::Sqlite(path) => Ok(Box::new(crate::wallet::sqlite::SqliteStore::open(&path)?)),
        #[cfg(feature = "postgres")]
        StoreUrl::Postgres(url) => Ok(Box::new(crate::wallet::postgres::PostgresStore::connect(
            &url,
        )?)),
        #[cfg(not(feature = "postgres"))]
        StoreUrl::Postgres(_) => Err(Error::argument(
            "--db",
            "this build has no PostgreSQL support (cargo feature postgres)",
        )),
    }
}
