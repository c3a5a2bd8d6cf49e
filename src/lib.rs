//! # medcode: dynamic medical-insurance codes
//!
//! The till core of medcode. An issuer signs short-lived codes naming an
//! insured person (or a family member showing it for them, or a phone that
//! makes them offline with a certified device key); the code text goes into
//! a QR code; a verifier at a pharmacy or hospital till checks a scanned
//! code offline: format, key, signature, validity, revocation and one use.
//! The library never reads the clock: every call takes the time.
//!
//! A till starts from the issuer's trust list, a file it is handed (here
//! the demo list of `keys/`), and checks each code as it is scanned; a
//! refusal carries a stable reason for the cashier's screen:
//!
//! ```
//! use medcode::{Reason, TillConfig, UnixTime};
//!
//! let now = UnixTime::parse_rfc3339("2026-11-22T08:00:05Z")?;
//! let verifier = TillConfig::trust_file("keys/trust.json").build(now)?;
//! let refused = verifier.verify("MC1 not a code", now).unwrap_err();
//! assert_eq!(refused.reason(), Reason::Malformed);
//! assert_eq!(refused.reason().as_str(), "malformed");
//! # Ok::<(), medcode::Error>(())
//! ```
//!
//! Both sides in one process:
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
//! // One code, one use: shown again at once, it is refused (the verifier
//! // has an in-memory replay guard unless `without_replay_guard()` is called).
//! let again = verifier.verify(token.text(), now.plus(6)).unwrap_err();
//! assert_eq!(again.reason(), Reason::Replayed);
//!
//! // A screenshot shown after 60 s of validity and 15 s of leeway is stale.
//! let err = verifier.verify(token.text(), now.plus(76)).unwrap_err();
//! assert_eq!(err.reason(), Reason::Expired);
//! # Ok::<(), medcode::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The layers, bottom up: a module uses only modules of the layers below
// its own (tests/layout.rs checks it against this list).
// layers: time | error | notice files | keys | token | device | lists replay issue qr | verify | bench limits
#[macro_use]
pub mod error;
pub mod time;

pub mod files;
mod notice;

pub mod keys;
pub mod token;

pub mod device;

pub mod issue;
pub mod lists;
#[cfg(any(feature = "render", feature = "scan"))]
pub mod qr;
pub mod replay;

pub mod verify;

pub mod bench;
pub mod limits;

pub use device::code::UntrustedDeviceCode;
pub use device::credential::{CredentialId, DeviceCredential};
pub use error::list::ListKind;
pub use error::reason::Reason;
pub use error::{Error, Result};
pub use issue::device_holder::DeviceHolder;
pub use issue::enrol::DeviceEnrolment;
pub use issue::holder::Holder;
pub use issue::issuer::{IssuedToken, Issuer};
pub use keys::{Algorithm, KeyId, PublicKey, SigningKey};
pub use lists::revocation::RevocationList;
pub use lists::root_key::RootKey;
pub use lists::signed::SignedList;
pub use lists::staleness::StalenessPolicy;
pub use lists::trust::{TrustList, TrustedKey};
pub use notice::Notice;
pub use time::UnixTime;
pub use token::claims::{
    Claims, InsuredId, MaskedName, Presenter, Region, Relation, Scheme, Status,
};
pub use token::{TokenId, UntrustedToken};
pub use verify::policy::Policy;
pub use verify::till::TillConfig;
pub use verify::verified::VerifiedToken;
pub use verify::verifier::Verifier;
