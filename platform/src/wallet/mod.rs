//! The medical-insurance wallet (医保钱包): mutual-aid transfers between
//! close relatives, across provinces too, and paying with the code.
//!
//! An employee-scheme holder moves personal-account money to close
//! relatives' wallets; they pay medical costs from it at designated
//! institutions. The rules ([`WalletPolicy`], official defaults): both
//! sides have a wallet, their regions have the service open, a
//! close-relative relation filed as mutual aid in the family registry (read
//! through [`crate::family::MutualAidRelations`], never stored here),
//! personal-account money only from the employee scheme, at most 3
//! transfers per sending wallet per Beijing day and
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
//! use std::sync::Arc;
//! use medcode::{InsuredId, Region, Relation, Scheme, UnixTime};
//! use medcode_platform::registry::{BindRequest, FullName, IdNumber, NewPerson, Registry};
//! use medcode_platform::wallet::{Fen, OpenWallet, Source, TransferRequest, Wallet};
//!
//! let dir = tempfile::tempdir().unwrap();
//! // 10:00 Beijing time on 2 December 2026.
//! let now = UnixTime::parse_rfc3339("2026-12-02T02:00:00Z")?;
//! let son = InsuredId::new("44030500000000000001")?;
//! let mother = InsuredId::new("43010200000000000002")?;
//! // The family registry holds the relation: the son binds his mother and
//! // files mutual aid for her.
//! let family = Arc::new(Registry::open(&dir.path().join("family.db"))?);
//! for (who, name, id_number, region) in [
//!     (&son, "李明", "440305198503121231", "440305"),
//!     (&mother, "王秀英", "430102195807202465", "430102"),
//! ] {
//!     let mut person = NewPerson::new(who.clone(), FullName::new(name)?,
//!         IdNumber::new(id_number)?, Region::new(region)?);
//!     person.activated = true;
//!     family.add_person(&person, now)?;
//! }
//! family.bind(&BindRequest { owner: son.clone(), member: mother.clone(),
//!     relation: Relation::Parent, member_name: "王秀英".into(),
//!     member_id_number: IdNumber::new("430102195807202465")? }, now)?;
//! family.file_aid(&son, &mother, now)?;
//! // The wallet reads it from there.
//! let wallet = Wallet::open(dir.path().join("wallet.db").to_str().unwrap())?
//!     .with_relations(family);
//! wallet.open_region(Region::new("440000")?, now)?;
//! wallet.open_region(Region::new("430000")?, now)?;
//! wallet.open_wallet(&OpenWallet { insured: son.clone(), by: None,
//!     region: Region::new("440300")?, scheme: Scheme::Employee }, now)?;
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
