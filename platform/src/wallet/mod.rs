//! The medical-insurance wallet (医保钱包): mutual-aid transfers between
//! close relatives, across provinces too, and paying with the code.
//!
//! An employee-scheme holder moves personal-account money to close
//! relatives' wallets; they pay medical costs from it at designated
//! institutions. The rules ([`WalletPolicy`], official defaults): both
//! sides have a wallet, their regions have the service open, a filed
//! close-relative relation, personal-account money only from the employee
//! scheme, at most 3 transfers per sending wallet per Beijing day and
//! 2,000 yuan each, none from 22:00 to 06:00, no second transfer to a
//! receiver who has not accepted the first, and what is not accepted goes
//! back at 06:00 the next day. Mutual aid moves money only: it never
//! changes anyone's insurance status, scheme or benefits.
//!
//! The rules (`rules`, `transfer`, `payment`) hold no SQL: they read and
//! write through the domain trait [`WalletTx`] of a [`WalletStore`]
//! ([`SqliteWallet`], or `PostgresWallet` with the feature `postgres`).
//! The library reads no clock: every operation takes the time.
//!
//! ```
//! use medcode::{InsuredId, Region, Scheme, UnixTime};
//! use medcode::Relation;
//! use medcode_platform::wallet::{Fen, OpenWallet, Source, TransferRequest, Wallet};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let wallet = Wallet::open(dir.path().join("wallet.db").to_str().unwrap())?;
//! // 10:00 Beijing time on 2 December 2026.
//! let now = UnixTime::parse_rfc3339("2026-12-02T02:00:00Z")?;
//! let son = InsuredId::new("44030000000000000001")?;
//! let mother = InsuredId::new("43010000000000000002")?;
//! wallet.open_region(Region::new("440000")?, now)?;
//! wallet.open_region(Region::new("430000")?, now)?;
//! wallet.open_wallet(&OpenWallet { insured: son.clone(), by: None,
//!     region: Region::new("440300")?, scheme: Scheme::Employee }, now)?;
//! wallet.relate(&son, &mother, Relation::Parent, now)?;
//! wallet.open_wallet(&OpenWallet { insured: mother.clone(), by: Some(son.clone()),
//!     region: Region::new("430100")?, scheme: Scheme::Resident }, now)?;
//! wallet.credit(&son, Fen::parse_yuan("3000")?, None, now)?;
//! let t = wallet.transfer(&TransferRequest { from: son.clone(), to: mother.clone(),
//!     amount: Fen::parse_yuan("500")?, source: Source::Personal, request_id: None }, now)?;
//! wallet.accept(&t.id, now.plus(60))?;
//! assert_eq!(wallet.balance(&mother)?.wallet, Fen::yuan(500));
//! assert_eq!(wallet.balance(&son)?.personal, Fen::yuan(2500));
//! # Ok::<(), medcode::Error>(())
//! ```

mod model;
mod money;
mod payment;
mod policy;
mod rules;
mod store;
mod transfer;

pub use crate::family::{MutualAid, check_close_relative};
pub use model::{
    Account, Balance, Credit, HistoryEntry, OpenWallet, RequestState, Source, StoredRequest,
    Totals, Transfer, TransferRequest, TransferState, WalletInfo,
};
pub use money::{Fen, MAX_YUAN_DIGITS};
pub use payment::{PayRequest, Payment};
pub use policy::{
    BEIJING_OFFSET_SECS, DEFAULT_MAX_TRANSFER, DEFAULT_MAX_TRANSFERS_PER_DAY,
    DEFAULT_PENDING_PAYMENT_WAIT, DEFAULT_STALE_PAYMENT_CLAIM_SECS, WalletPolicy,
};
#[cfg(feature = "test-hooks")]
pub use rules::StepHook;
pub use rules::Wallet;
#[cfg(feature = "postgres")]
pub use store::PostgresWallet;
pub use store::{SqliteWallet, WALLET_SCHEMA_VERSION, WalletStore, WalletTx, open_store};
