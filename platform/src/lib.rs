//! # medcode-platform: the back office beside the till core
//!
//! The till core (`medcode`) signs and verifies codes. This crate holds what
//! the issuing platform keeps around them, on the core's public API only:
//!
//! - [`family`]: the family relation (mutual aid between close relatives)
//!   that the registry and the wallet share;
//! - [`registry`]: the family-account registry (亲情账户): insured persons,
//!   family bindings, mutual-aid filings, and delegate codes;
//! - [`wallet`]: the medical-insurance wallet (医保钱包): mutual-aid
//!   transfers between close relatives and paying with the code;
//! - [`usage`]: the usage records of every verdict a verifier gives.
//!
//! Each keeps its data in SQLite or, with the feature `postgres` (on by
//! default), in PostgreSQL. Like the core, the platform reads no clock:
//! every operation takes the time.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The layers, bottom up: `store_url` and `store` (what every store shares);
// `registry`; `wallet`; `usage` (reads the registry for an owner's query).
mod store;
mod store_url;
pub use store_url::StoreUrl;

pub mod family;
pub mod registry;
pub mod usage;
pub mod wallet;
