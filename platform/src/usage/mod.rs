//! Usage records (查询亲情账户使用记录): one row per verdict a verifier
//! gives, so that a family-account owner can look up how a relative's code
//! was used, and the platform can answer for an insured person.
//!
//! A [`UsageRecord`] holds the time, the verdict and its reason, the token
//! id, the insured person, the presenter of a delegate code (and their
//! relation), the till's context (`org_id`, `business_type`, operator,
//! office) and the code's kind. A refused code names its insured person
//! only when its signature held (expired, replayed, revoked, ...): the
//! claims of a forged code are never written under anyone's name.
//!
//! Where records live is a [`UsageStore`]: an SQLite file
//! ([`SqliteUsageStore`]) or PostgreSQL (`PostgresUsageStore`, feature
//! `usage-postgres`), each with its schema versioned in code. A
//! [`UsageRecorder`] puts records on a bounded queue that a background
//! thread writes in batches, so that recording never blocks or fails a
//! verdict. The library reads no clock: every record carries the time its
//! caller gives.
//!
//! ```
//! use medcode::UnixTime;
//! use medcode_platform::usage::{UsageContext, UsageQuery, UsageRecord, UsageStore, SqliteUsageStore};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = SqliteUsageStore::open(&dir.path().join("usage.sqlite"))?;
//! // A code that did not parse: counted, but it names nobody.
//! let now = UnixTime::parse_rfc3339("2026-12-03T08:00:00Z")?;
//! let verdict = medcode::verify::Verdict::unread(medcode::Error::Malformed("not a code"));
//! let mut record = UsageRecord::from_verdict(&verdict, &UsageContext::default(), now);
//! record.id = "example-1".into();
//! store.insert(&[record])?;
//! assert_eq!(store.count()?, 1);
//! assert_eq!(store.prune(now.plus(1))?, 1);
//! # Ok::<(), medcode::Error>(())
//! ```

#[cfg(feature = "postgres")]
mod postgres;
mod query;
mod record;
mod recorder;
mod schema;
mod sqlite;

#[cfg(feature = "postgres")]
pub use self::postgres::PostgresUsageStore;
pub use medcode::verify::CodeKind;
pub use query::owner_query;
pub use query::{DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, UsageQuery};
pub use record::{UsageContext, UsageRecord, UsageVerdict};
pub use recorder::{
    DEFAULT_BATCH, DEFAULT_CAPACITY, DEFAULT_LINGER, RecorderOptions, UsageRecorder,
};
pub use schema::USAGE_SCHEMA_VERSION;
pub use sqlite::SqliteUsageStore;

use crate::store_url::StoreUrl;
use medcode::error::{Error, Result};
use medcode::time::UnixTime;

/// How long records are kept by default (`medcode usage prune`).
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// A database of usage records.
pub trait UsageStore: Send {
    /// Writes `records` in one transaction: all of them or none. A record
    /// whose `id` is already stored is skipped, so writing a batch again
    /// after an ambiguous failure stores each record once.
    ///
    /// # Errors
    ///
    /// `storage` when the database refuses or cannot be reached (nothing of
    /// the batch is then written); `invalid_argument` for a record without
    /// an id.
    fn insert(&mut self, records: &[UsageRecord]) -> Result<()>;

    /// The records `query` selects, newest first (ties in time: the later
    /// written first), at most `query.limit`.
    ///
    /// # Errors
    ///
    /// `storage` when the database fails.
    fn query(&mut self, query: &UsageQuery) -> Result<Vec<UsageRecord>>;

    /// Deletes the records older than `before`; returns how many.
    ///
    /// # Errors
    ///
    /// `storage` when the database fails.
    fn prune(&mut self, before: UnixTime) -> Result<u64>;

    /// How many records the store holds.
    ///
    /// # Errors
    ///
    /// `storage` when the database fails.
    fn count(&mut self) -> Result<u64>;

    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
}

/// Opens the store a `--usage-db` names, in the grammar of [`StoreUrl`]:
/// `sqlite:PATH` or a bare path (an SQLite file, created mode 0600), or
/// `postgres://...` / `postgresql://...` (with the feature `postgres`).
///
/// # Errors
///
/// `invalid_argument` for a location [`StoreUrl::parse`] refuses, or a
/// PostgreSQL URL in a build without PostgreSQL; `io` or `storage` when the
/// database cannot be opened or migrated.
pub fn open_usage_store(url: &str) -> Result<Box<dyn UsageStore>> {
    match StoreUrl::parse("--usage-db", url)? {
        StoreUrl::Sqlite(path) => Ok(Box::new(SqliteUsageStore::open(&path)?)),
        #[cfg(feature = "postgres")]
        StoreUrl::Postgres(url) => Ok(Box::new(PostgresUsageStore::connect(&url)?)),
        #[cfg(not(feature = "postgres"))]
        StoreUrl::Postgres(_) => Err(Error::argument(
            "--usage-db",
            "this build has no PostgreSQL support (cargo feature postgres)",
        )),
    }
}

/// `i64` of a stored time or count, for the databases' signed integers.
pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Storage {
        why: format!("{what} {v} is out of range"),
    })
}

/// `u64` of a stored time or count.
pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Storage {
        why: format!("{what} {v} is negative"),
    })
}
