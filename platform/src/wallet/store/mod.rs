//! Where the wallet keeps its books: the storage the rules need, as one
//! domain trait ([`WalletTx`]: a balance, a movement, the day's transfers,
//! ...), run one unit of work at a time by a [`WalletStore`] as one
//! database transaction, serialised against every other writer (threads or
//! processes) and rolled back whole when the work fails or the process
//! dies.
//!
//! The SQL lives in the backends only: [`SqliteWallet`] and
//! `PostgresWallet` (feature `postgres`) share the statements of `sql`
//! (written with `?` placeholders in the dialect both speak: `BIGINT`,
//! `TEXT`, `ON CONFLICT`).

#[cfg(feature = "postgres")]
mod postgres;
mod sql;
mod sqlite;

#[cfg(feature = "postgres")]
pub use self::postgres::PostgresWallet;
pub use sqlite::SqliteWallet;

use crate::store::migrate::Schema;
use crate::store_url::StoreUrl;
use crate::wallet::model::{
    Account, HistoryEntry, StoredRequest, Totals, Transfer, TransferState, WalletInfo,
};
use crate::wallet::{Fen, Payment};
use medcode::InsuredId;
use medcode::Region;
use medcode::error::Result;
use medcode::time::UnixTime;

/// One transaction's view of the wallet's books: what the rules read and
/// write. Nothing is visible to others before the work returns `Ok`, and
/// nothing is kept when it returns `Err`. Every method fails with
/// `storage` when the database does.
#[allow(clippy::missing_errors_doc)]
pub trait WalletTx {
    /// Lists a region as open; `false` when it was listed already.
    fn open_region(&mut self, region: Region) -> Result<bool>;
    /// Unlists a region; `false` when it was not listed.
    fn close_region(&mut self, region: Region) -> Result<bool>;
    /// True when the region, its prefecture (`440300` for `440305`) or its
    /// province (`440000`) is listed.
    fn region_open(&mut self, region: Region) -> Result<bool>;

    /// The holder's wallet, if opened.
    fn wallet(&mut self, insured: &InsuredId) -> Result<Option<WalletInfo>>;
    /// Stores a newly opened wallet.
    fn insert_wallet(&mut self, wallet: &WalletInfo) -> Result<()>;
    /// Changes a wallet's usage location.
    fn set_location(&mut self, insured: &InsuredId, region: Region) -> Result<()>;

    /// The balance of an account (zero when it never moved); `storage` for
    /// an account below zero other than the fund.
    fn balance(&mut self, account: &Account) -> Result<Fen>;
    /// Appends an audit row; returns its sequence number.
    fn audit(&mut self, at: UnixTime, action: &str, who: &str, detail: &str) -> Result<i64>;
    /// Writes the entries of movement `seq` and adds them to the balances,
    /// with checked arithmetic: `invalid_amount` (nothing written) when a
    /// balance would pass `i64::MAX` fen either way.
    fn post(&mut self, seq: i64, entries: &[(Account, i64)]) -> Result<()>;

    /// The stored first result of request `id`.
    fn request(&mut self, id: &str) -> Result<Option<StoredRequest>>;
    /// Stores the first result (or the pending claim) of request `id`.
    fn remember(&mut self, id: &str, request: &StoredRequest) -> Result<()>;
    /// Replaces what is stored of request `id` (a claim taken over, a
    /// pending payment done or refused).
    fn update_request(&mut self, id: &str, request: &StoredRequest) -> Result<()>;
    /// Removes request `id` (a claim released: nothing was done).
    fn forget_request(&mut self, id: &str) -> Result<()>;

    /// A transfer by id.
    fn transfer(&mut self, id: &str) -> Result<Option<Transfer>>;
    /// How many transfers `sender` made on local day `day`.
    fn transfers_sent_on(&mut self, sender: &InsuredId, day: u64) -> Result<u64>;
    /// The id of a pending transfer from `sender` to `receiver` not yet due
    /// back at `now`.
    fn pending_transfer(
        &mut self,
        sender: &InsuredId,
        receiver: &InsuredId,
        now: UnixTime,
    ) -> Result<Option<String>>;
    /// Stores a new transfer made on local day `day`.
    fn insert_transfer(&mut self, transfer: &Transfer, day: u64) -> Result<()>;
    /// Closes a pending transfer as accepted or returned.
    fn close_transfer(&mut self, id: &str, state: TransferState, at: UnixTime) -> Result<()>;
    /// The pending transfers due back at `now`, by id.
    fn due_transfers(&mut self, now: UnixTime) -> Result<Vec<Transfer>>;
    /// What `insured` has pending: (sent, received).
    fn pending_sums(&mut self, insured: &InsuredId) -> Result<(Fen, Fen)>;

    /// The payment of a token id.
    fn payment(&mut self, token_id: &str) -> Result<Option<Payment>>;
    /// Stores a payment, under audit row `seq`.
    fn insert_payment(&mut self, payment: &Payment, seq: i64) -> Result<()>;

    /// A person's history, oldest first.
    fn history(&mut self, insured: &InsuredId) -> Result<Vec<HistoryEntry>>;
    /// The books added up.
    fn totals(&mut self) -> Result<Totals>;
    /// Every row of every table as text lines, in a fixed order.
    fn dump(&mut self) -> Result<Vec<String>>;
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
    migrations: &[
        &[
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
        ],
        &[
            // A payment claims its request id before the code is used:
            // `pending` (with the claim's number and time) until it is `done`
            // or `refused` (the reason code in `result`, its detail in `detail`).
            "ALTER TABLE wallet_requests ADD COLUMN state TEXT NOT NULL DEFAULT 'done'",
            "ALTER TABLE wallet_requests ADD COLUMN detail TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE wallet_requests ADD COLUMN claim BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE wallet_requests ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0",
        ],
        &[
            // Mutual-aid relations are the family registry's filings, read
            // through `MutualAidRelations`; the wallet's own relations table
            // of earlier builds is kept, renamed, and read by nothing.
            "ALTER TABLE wallet_relations RENAME TO wallet_relations_retired",
        ],
    ],
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
        StoreUrl::Sqlite(path) => Ok(Box::new(SqliteWallet::open(&path)?)),
        #[cfg(feature = "postgres")]
        StoreUrl::Postgres(url) => Ok(Box::new(PostgresWallet::connect(&url)?)),
        #[cfg(not(feature = "postgres"))]
        StoreUrl::Postgres(_) => Err(medcode::error::Error::argument(
            "--db",
            "this build has no PostgreSQL support (cargo feature postgres)",
        )),
    }
}
