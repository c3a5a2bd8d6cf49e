//! # medcode: dynamic medical-insurance codes
//!
//! An issuer signs short-lived tokens naming an insured person; the token
//! text goes into a QR code; a verifier at a pharmacy or hospital till checks
//! a scanned code offline: format, key, signature, expiry.
//!
//! ```
//! use medcode::{Algorithm, Claims, InsuredId, Issuer, MaskedName, Reason, Region,
//!               SigningKey, TrustList, TrustedKey, UnixTime, Verifier};
//!
//! // The issuer side: a key and the claims of one insured person.
//! let key = SigningKey::generate(Algorithm::Ed25519)?;
//! let trusted = TrustedKey {
//!     key: key.public_key().clone(),
//!     label: "issuer-2026".into(),
//!     authority: "Example Healthcare Security Administration".into(),
//!     not_before: UnixTime::parse_rfc3339("2026-01-01T00:00:00Z")?,
//!     not_after: UnixTime::parse_rfc3339("2027-01-01T00:00:00Z")?,
//! };
//! let issuer = Issuer::new(key);
//! let mut claims = Claims::new(InsuredId::new("12345678901234567890")?, Region::new("110000")?);
//! claims.name = Some(MaskedName::new("张*")?);
//!
//! // The library never reads the clock: the caller passes the time.
//! let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;
//! let token = issuer.issue(&claims, now)?;
//! assert!(token.text().starts_with("MC1"));
//!
//! // The till side: a verifier built once from the trust list.
//! let verifier = Verifier::new(TrustList::new(vec![trusted])?);
//! let verified = verifier.verify(token.text(), now.plus(5))?;
//! assert_eq!(verified.insured().as_str(), "12345678901234567890");
//!
//! // A screenshot shown after 60 s of validity and 15 s of leeway is stale.
//! let err = verifier.verify(token.text(), now.plus(76)).unwrap_err();
//! assert_eq!(err.reason(), Reason::Expired);
//! # Ok::<(), medcode::Error>(())
//! ```
#![forbid(unsafe_code)]

mod batch;
mod claims;
mod error;
#[cfg(feature = "fast-ed25519")]
mod fast_ed25519;
mod files;
mod holder;
mod id_hash;
mod issuer;
mod keyfile;
mod keys;
mod qr;
mod registry;
mod registry_sqlite;
mod replay;
mod replay_file;
#[cfg(feature = "redis")]
mod replay_redis;
mod revocation;
mod scan;
mod signed_list;
mod text;
mod throughput;
mod time;
mod token;
mod trust;
mod verifier;

pub mod verdict;

#[cfg(feature = "cli")]
pub mod cli;

pub use batch::BATCH_MAX;
pub use claims::{
    Claims, DEFAULT_VALIDITY_SECS, InsuredId, MAX_ID_CHARS, MAX_NAME_BYTES, MAX_NAME_CHARS,
    MaskedName, Presenter, Region, Relation, Scheme, Status,
};
pub use error::{Error, Reason, Result};
pub use files::read_list_file;
pub use holder::Holder;
pub use id_hash::{
    ID_HASH_LEN, IdHash, IdHasher, IdNumber, REGISTRY_SECRET_LEN, registry_secret_path,
};
pub use issuer::{IssuedToken, Issuer};
pub use keyfile::{
    LoadedKey, MAX_KEY_FILE_LEN, PermissionPolicy, read_private_key, write_private_key,
};
pub use keys::{
    Algorithm, ED25519_BACKEND, KEY_ID_LEN, KeyId, PublicKey, SIGNATURE_LEN, SigningKey,
};
pub use qr::{DEFAULT_MODULE_PX, Ecc, MAX_MODULE_PX, QUIET_ZONE_MODULES, Qr, png_width};
pub use registry::{
    AuditAction, AuditEntry, BindRequest, Binding, DEFAULT_MAX_MEMBERS_PER_OWNER,
    DEFAULT_MAX_OWNERS_PER_MEMBER, FamilyMember, FamilyPolicy, FullName, MAX_FULL_NAME_CHARS,
    MutualAidFiling, NewPerson, Person, Registry, RegistryStore, RegistryTx,
};
pub use registry_sqlite::{REGISTRY_SCHEMA_VERSION, SqliteStore};
pub use replay::{DEFAULT_REPLAY_CAPACITY, MemoryReplayGuard, ReplayGuard};
pub use replay_file::{DEFAULT_BUSY_TIMEOUT, FileReplayGuard};
#[cfg(feature = "redis")]
pub use replay_redis::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_IO_TIMEOUT, DEFAULT_KEY_PREFIX, DEFAULT_MAX_IDLE,
    MAX_KEY_PREFIX_LEN, RedisEvent, RedisReplayGuard, UnavailablePolicy,
};
pub use revocation::{
    Change, MAX_REVOCATION_LIST_LEN, MAX_REVOKED_INSURED, MAX_REVOKED_KEYS, RevocationList,
    RevocationReason,
};
pub use scan::{
    MAX_IMAGE_FILE_LEN, MAX_IMAGE_SIDE, decode_image, decode_image_file, read_image_file,
};
pub use signed_list::{
    DEFAULT_DUE_SOON_SECS, DEFAULT_STALE_GRACE_SECS, LIST_FORMAT, ListInfo, ListKind,
    MAX_ROOT_KEY_FILE_LEN, MAX_SIGNED_LIST_LEN, ROOT_KEY_FORMAT, RootKey, SignedList,
    StalenessPolicy, VerifiedList,
};
pub use text::{MAX_TEXT_LEN, PREFIX};
pub use throughput::{Bench, Clock, Reference, ThroughputRun};
pub use time::UnixTime;
pub use token::{FORMAT_VERSION, MAX_ID_AND_NAME_BYTES, TOKEN_ID_LEN, TokenId, UntrustedToken};
pub use trust::{MAX_TRUST_LIST_LEN, MAX_TRUSTED_KEYS, TrustList, TrustedKey};
pub use verifier::{
    DEFAULT_LEEWAY_SECS, DEFAULT_MAX_VALIDITY_SECS, ListStatus, ListUpdate, Notice, Policy,
    VerifiedToken, Verifier,
};
