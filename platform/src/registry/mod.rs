//! The family-account registry (亲情账户) on the issuer side: insured
//! persons, family bindings, personal-account mutual-aid filings
//! (个人账户家庭共济), and the delegate codes an owner shows on a bound
//! member's behalf.
//!
//! The rules (`rules`) hold no SQL; storage is behind [`RegistryStore`], whose one
//! method runs a piece of work in a single write (or read) transaction, so
//! every rule is checked against the same state it then changes. The
//! embedded implementation is [`SqliteRegistry`]; a server
//! database can implement the same trait.
//!
//! Two things are kept apart on purpose. A family **binding** lets an owner
//! show the member's code (registration, buying medicine, settlement with
//! the member's own insurance). A mutual-aid **filing** is the separate
//! registration that lets an employee-scheme owner's personal account pay
//! for a close relative; a binding alone never grants it, and a delegate
//! code says which of the two it carries.

mod id_hash;
mod model;
mod rules;
mod sqlite;
mod store;

pub use id_hash::{
    ID_HASH_LEN, IdHash, IdHasher, IdNumber, REGISTRY_SECRET_LEN, registry_secret_path,
};
pub use model::{
    AidFilingKind, AuditAction, AuditEntry, BindRequest, Binding, BindingKind,
    DEFAULT_MAX_MEMBERS_PER_OWNER, DEFAULT_MAX_OWNERS_PER_MEMBER, FamilyMember, FamilyPolicy,
    FullName, MAX_FULL_NAME_CHARS, MutualAidFiling, NewPerson, Person, Tie,
};
pub use rules::{Registry, read_person};
pub use sqlite::{REGISTRY_SCHEMA_VERSION, SqliteRegistry};
pub use store::{RegistryStore, RegistryTx};
