//! The family-account registry (亲情账户) on the issuer side: insured
//! persons, family bindings, personal-account mutual-aid filings
//! (个人账户家庭共济), and the delegate codes an owner shows on a bound
//! member's behalf.
//!
//! The rules live here; storage is behind [`RegistryStore`], whose one
//! method runs a piece of work in a single write (or read) transaction, so
//! every rule is checked against the same state it then changes. The
//! embedded implementation is [`SqliteStore`]; a server
//! database can implement the same trait.
//!
//! Two things are kept apart on purpose. A family **binding** lets an owner
//! show the member's code (registration, buying medicine, settlement with
//! the member's own insurance). A mutual-aid **filing** is the separate
//! registration that lets an employee-scheme owner's personal account pay
//! for a close relative; a binding alone never grants it, and a delegate
//! code says which of the two it carries.

mod id_hash;
mod sqlite;

pub use id_hash::{
    ID_HASH_LEN, IdHash, IdHasher, IdNumber, REGISTRY_SECRET_LEN, registry_secret_path,
};
pub use sqlite::{REGISTRY_SCHEMA_VERSION, SqliteStore};

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use medcode::Claims;
use medcode::InsuredId;
use medcode::IssuedToken;
use medcode::Issuer;
use medcode::MaskedName;
use medcode::Presenter;
use medcode::Region;
use medcode::Relation;
use medcode::Scheme;
use medcode::Status;
use medcode::error::{Error, RegistryRefusal, Result};
use medcode::limits::MAX_ID_AND_NAME_BYTES;
use medcode::time::UnixTime;
use medcode::token::id_and_name_len;

/// Default: at most this many members bound to one owner (the Beijing
/// insurance bureau's figure; another guide says 5).
pub const DEFAULT_MAX_MEMBERS_PER_OWNER: u32 = 6;
/// Default: a member is actively bound by at most this many owners.
pub const DEFAULT_MAX_OWNERS_PER_MEMBER: u32 = 2;
/// Longest full name accepted, in characters.
pub const MAX_FULL_NAME_CHARS: usize = 64;

/// The registry's meta key holding the secret's fingerprint.
const SECRET_FINGERPRINT_KEY: &str = "id_hash_secret_fingerprint";

/// The binding limits, which sources disagree on. Bindings never depend on
/// region: an owner enrolled in Beijing may bind a parent enrolled in
/// Shenzhen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FamilyPolicy {
    max_members_per_owner: u32,
    max_owners_per_member: u32,
}

impl FamilyPolicy {
    /// Limits of at least 1 each.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when either limit is 0.
    pub fn new(max_members_per_owner: u32, max_owners_per_member: u32) -> Result<Self> {
        for (what, value) in [
            ("members per owner", max_members_per_owner),
            ("owners per member", max_owners_per_member),
        ] {
            if value == 0 {
                return Err(Error::InvalidArgument {
                    what: "family policy",
                    why: format!("{what} must be at least 1"),
                });
            }
        }
        Ok(FamilyPolicy {
            max_members_per_owner,
            max_owners_per_member,
        })
    }

    /// Most members one owner may bind.
    pub fn max_members_per_owner(&self) -> u32 {
        self.max_members_per_owner
    }

    /// Most owners that may actively bind one member.
    pub fn max_owners_per_member(&self) -> u32 {
        self.max_owners_per_member
    }
}

impl Default for FamilyPolicy {
    /// 6 members per owner, 2 owners per member.
    fn default() -> Self {
        FamilyPolicy {
            max_members_per_owner: DEFAULT_MAX_MEMBERS_PER_OWNER,
            max_owners_per_member: DEFAULT_MAX_OWNERS_PER_MEMBER,
        }
    }
}

/// A person's full name as on the insurance record, e.g. `张三`. Stored for
/// the exact identity check at binding; never put in a code (codes carry
/// [`FullName::masked`]). `Debug` shows only the masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct FullName {
    full: String,
    masked: MaskedName,
}

impl FullName {
    /// 1 to 64 characters, no control characters, no `*`, no spaces at
    /// either end.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `text` is empty, longer
    /// than [`MAX_FULL_NAME_CHARS`] characters, starts or ends with a space, holds a
    /// control character or `*`, or cannot be masked for a code.
    pub fn new(text: &str) -> Result<Self> {
        let invalid = |why: String| Error::InvalidArgument {
            what: "full name",
            why,
        };
        let chars = text.chars().count();
        if chars == 0 {
            return Err(invalid("must not be empty".into()));
        }
        if chars > MAX_FULL_NAME_CHARS {
            return Err(invalid(format!(
                "{chars} characters, at most {MAX_FULL_NAME_CHARS} allowed"
            )));
        }
        if text.trim() != text {
            return Err(invalid("must not start or end with a space".into()));
        }
        if text.chars().any(|c| c.is_control() || c == '*') {
            return Err(invalid("control characters and '*' are not allowed".into()));
        }
        let first = text.chars().next().unwrap_or('*');
        let masked = MaskedName::new(&format!("{first}*"))
            .map_err(|e| invalid(format!("cannot be masked for a code: {e}")))?;
        Ok(FullName {
            full: text.to_owned(),
            masked,
        })
    }

    /// The full name.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The masked display name put in codes: the first character and `*`,
    /// e.g. `张*` for `张三`.
    pub fn masked(&self) -> MaskedName {
        self.masked.clone()
    }
}

impl fmt::Debug for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FullName({})", self.masked())
    }
}

/// An insured person as the registry holds them. The national ID number is
/// only present as its keyed hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The platform's identifier.
    pub insured: InsuredId,
    /// Full name as on the insurance record.
    pub full_name: FullName,
    /// HMAC-SHA-256 of the national ID number under the registry secret.
    pub id_hash: IdHash,
    /// Region of enrolment.
    pub region: Region,
    /// Insurance status.
    pub status: Status,
    /// Insurance scheme.
    pub scheme: Scheme,
    /// Whether the person activated their own code (a one-time step).
    pub activated: bool,
    /// Whether the code may be used at tills outside the home province
    /// (default on).
    pub cross_province: bool,
    /// When the person was added to the registry.
    pub registered_at: UnixTime,
}

impl Person {
    /// The claims of this person's own code: masked name, region, status,
    /// scheme and the cross-province switch.
    pub fn claims(&self) -> Claims {
        let mut claims = Claims::new(self.insured.clone(), self.region);
        claims.name = Some(self.full_name.masked());
        claims.status = self.status;
        claims.scheme = self.scheme;
        claims.cross_province = self.cross_province;
        claims
    }
}

/// What is needed to add a person.
#[derive(Clone, Debug)]
pub struct NewPerson {
    /// The platform's identifier.
    pub insured: InsuredId,
    /// Full name as on the insurance record.
    pub full_name: FullName,
    /// The national ID number; only its keyed hash is stored.
    pub id_number: IdNumber,
    /// Region of enrolment.
    pub region: Region,
    /// Insurance status.
    pub status: Status,
    /// Insurance scheme.
    pub scheme: Scheme,
    /// Whether the person has activated their code.
    pub activated: bool,
    /// Cross-province use (normally on).
    pub cross_province: bool,
}

impl NewPerson {
    /// A normal, employee-scheme person with cross-province use on and the
    /// code not yet activated; adjust fields as needed.
    pub fn new(
        insured: InsuredId,
        full_name: FullName,
        id_number: IdNumber,
        region: Region,
    ) -> Self {
        NewPerson {
            insured,
            full_name,
            id_number,
            region,
            status: Status::Normal,
            scheme: Scheme::Employee,
            activated: false,
            cross_province: true,
        }
    }
}

/// A family binding: `member` is bound to `owner`'s family account.
/// `relation` is who the member is to the owner: `Parent` when the owner
/// binds their mother.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The account owner, who shows the member's code.
    pub owner: InsuredId,
    /// The bound family member, whose code (and insurance) it is.
    pub member: InsuredId,
    /// The member's relation to the owner.
    pub relation: Relation,
    /// When the binding was made.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: UnixTime,
    /// When it was undone; `None` while active.
    #[serde(serialize_with = "rfc3339_opt")]
    pub ended_at: Option<UnixTime>,
}

impl Binding {
    /// The relation a delegate code carries: the presenter's relation to the
    /// insured person, the inverse of [`Binding::relation`] (an owner
    /// showing their mother's code presents as her `Child`).
    pub fn presenter_relation(&self) -> Relation {
        self.relation.inverse()
    }
}

/// A personal-account mutual-aid filing: `owner`'s personal account may pay
/// for `member`'s medical costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MutualAidFiling {
    /// The employee-scheme owner whose personal account pays.
    pub owner: InsuredId,
    /// The close relative it pays for.
    pub member: InsuredId,
    /// The member's relation to the owner when it was filed.
    pub relation: Relation,
    /// When it was filed.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: UnixTime,
    /// When it was revoked; `None` while in force.
    #[serde(serialize_with = "rfc3339_opt")]
    pub ended_at: Option<UnixTime>,
}

/// One member as `family list` shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FamilyMember {
    /// The member's identifier.
    pub member: InsuredId,
    /// The member's masked name.
    pub name: MaskedName,
    /// The member's relation to the owner.
    pub relation: Relation,
    /// Bound since.
    #[serde(serialize_with = "rfc3339")]
    pub since: UnixTime,
    /// Whether a mutual-aid filing is in force for this member.
    pub mutual_aid: bool,
    /// The member's insurance status.
    pub status: Status,
    /// The member's region.
    pub region: Region,
}

medcode::text_enum!(
    /// What an audit-log entry records, by the stable name stored in the log.
    #[non_exhaustive]
    AuditAction, "audit action", Error::argument {
        /// `person_add`: a person was added.
        PersonAdd => "person_add",
        /// `person_status`: a person's insurance status changed.
        PersonStatus => "person_status",
        /// `person_activate`: a person activated their own code.
        PersonActivate => "person_activate",
        /// `person_cross_province`: use outside the home province switched on or off.
        PersonCrossProvince => "person_cross_province",
        /// `bind`: a family member was bound.
        Bind => "bind",
        /// `unbind`: a family member was unbound.
        Unbind => "unbind",
        /// `aid_file`: a mutual-aid filing was made.
        AidFile => "aid_file",
        /// `aid_revoke`: a mutual-aid filing was revoked.
        AidRevoke => "aid_revoke",
    }
);

impl AuditAction {
    /// Parses the stored name.
    pub fn from_name(text: &str) -> Option<AuditAction> {
        text.parse().ok()
    }
}

/// An entry of the append-only audit log. Never holds a full name or an ID
/// number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the log, from 1, assigned by the store.
    pub seq: u64,
    /// When it happened.
    #[serde(serialize_with = "rfc3339")]
    pub at: UnixTime,
    /// What happened.
    pub action: AuditAction,
    /// The person acted on; for family actions, the owner.
    pub insured: InsuredId,
    /// For family actions, the member.
    pub member: Option<InsuredId>,
    /// For family actions, the member's relation to the owner.
    pub relation: Option<Relation>,
    /// A short description (new status, region, ...).
    pub detail: String,
}

/// One transaction's view of the stored registry. Every method reads or
/// writes within the transaction [`RegistryStore::write`] or
/// [`RegistryStore::read`] opened; nothing is visible to others before the
/// work returns `Ok`, and nothing is kept when it returns `Err`.
pub trait RegistryTx {
    /// A meta value (such as the secret's fingerprint).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn meta(&mut self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores a new meta value; fails if the key exists.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the key exists or the store cannot
    /// write the value.
    fn insert_meta(&mut self, key: &str, value: &[u8]) -> Result<()>;
    /// The person with this identifier.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn person(&mut self, insured: &InsuredId) -> Result<Option<Person>>;
    /// The identifier of the person with this ID-number hash.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn person_by_id_hash(&mut self, hash: &IdHash) -> Result<Option<InsuredId>>;
    /// Stores a new person; fails if the identifier or hash exists.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the identifier or the ID-number hash
    /// exists or the store cannot write the person.
    fn insert_person(&mut self, person: &Person) -> Result<()>;
    /// Rewrites a person's status, scheme, activation and cross-province
    /// switch (identifier, name, hash and region never change).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when no such person is stored or the store
    /// cannot write the change.
    fn update_person(&mut self, person: &Person) -> Result<()>;
    /// The active binding of `member` to `owner`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn active_binding(&mut self, owner: &InsuredId, member: &InsuredId) -> Result<Option<Binding>>;
    /// The owner's active bindings, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn bindings_of_owner(&mut self, owner: &InsuredId) -> Result<Vec<Binding>>;
    /// The member's active bindings, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn bindings_of_member(&mut self, member: &InsuredId) -> Result<Vec<Binding>>;
    /// Stores a new active binding.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot write the binding.
    fn insert_binding(&mut self, binding: &Binding) -> Result<()>;
    /// Ends the active binding of `member` to `owner`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when there is no active binding of `member`
    /// to `owner` or the store cannot write the change.
    fn end_binding(&mut self, owner: &InsuredId, member: &InsuredId, at: UnixTime) -> Result<()>;
    /// The mutual-aid filing in force for `owner` and `member`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn active_filing(
        &mut self,
        owner: &InsuredId,
        member: &InsuredId,
    ) -> Result<Option<MutualAidFiling>>;
    /// Stores a new filing.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot write the filing.
    fn insert_filing(&mut self, filing: &MutualAidFiling) -> Result<()>;
    /// Ends the filing in force for `owner` and `member`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when no filing is in force for `owner` and
    /// `member` or the store cannot write the change.
    fn end_filing(&mut self, owner: &InsuredId, member: &InsuredId, at: UnixTime) -> Result<()>;
    /// Appends to the audit log (`seq` is assigned by the store and ignored
    /// here).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot write the entry.
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<()>;
    /// The whole audit log, in order.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store cannot read it.
    fn audit_log(&mut self) -> Result<Vec<AuditEntry>>;
}

/// Where the registry lives. Implementations must make [`write`] a
/// serializable transaction even across processes (the binding limits rely
/// on it) and may run `work` again after a transient conflict, which is why
/// it is `FnMut`.
///
/// [`write`]: RegistryStore::write
pub trait RegistryStore: Send + Sync {
    /// Runs `work` in one write transaction: committed if it returns `Ok`,
    /// rolled back entirely if it returns `Err`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the transaction cannot be begun or
    /// committed; any error `work` returns, after rolling back.
    fn write(&self, work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>) -> Result<()>;
    /// Runs `work` in one read-only transaction (a consistent snapshot).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the transaction cannot be begun or
    /// ended; any error `work` returns.
    fn read(&self, work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>) -> Result<()>;
}

fn refused(refusal: RegistryRefusal, detail: impl Into<String>) -> Error {
    Error::Refused {
        refusal,
        detail: detail.into(),
    }
}

fn unknown(insured: &InsuredId, role: &str) -> Error {
    refused(
        RegistryRefusal::UnknownPerson,
        format!("no {role}person {insured} in the registry"),
    )
}

fn require_person(tx: &mut dyn RegistryTx, insured: &InsuredId, role: &str) -> Result<Person> {
    tx.person(insured)?.ok_or_else(|| unknown(insured, role))
}

/// The family-account registry: the rules over a [`RegistryStore`].
pub struct Registry {
    store: Arc<dyn RegistryStore>,
    hasher: IdHasher,
    policy: FamilyPolicy,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Opens (creating if needed) the SQLite registry at `path` with its
    /// secret file beside it (`PATH.secret`, created with mode 0600 for a
    /// new registry).
    ///
    /// # Errors
    ///
    /// Those of [`SqliteStore::open`] and [`Registry::new`], and of
    /// [`IdHasher::load_or_create`] for the secret; once the registry holds hashes,
    /// those of [`IdHasher::load`], a missing secret being [`Error::InvalidKey`] (`invalid_key`).
    pub fn open(path: &Path) -> Result<Registry> {
        let store = Arc::new(SqliteStore::open(path)?);
        Self::with_secret_file(store, &registry_secret_path(path))
    }

    /// Opens an existing SQLite registry; refuses a missing file rather
    /// than creating an empty registry.
    ///
    /// # Errors
    ///
    /// Those of [`SqliteStore::open_existing`] and [`Registry::new`], and of
    /// [`IdHasher::load_or_create`] for the secret; once the registry holds hashes,
    /// those of [`IdHasher::load`], a missing secret being [`Error::InvalidKey`] (`invalid_key`).
    pub fn open_existing(path: &Path) -> Result<Registry> {
        let store = Arc::new(SqliteStore::open_existing(path)?);
        Self::with_secret_file(store, &registry_secret_path(path))
    }

    fn with_secret_file(store: Arc<dyn RegistryStore>, secret: &Path) -> Result<Registry> {
        // A registry that already holds hashes needs its own secret back; only
        // a registry that never had one may create it.
        let mut known = None;
        store.read(&mut |tx| {
            known = tx.meta(SECRET_FINGERPRINT_KEY)?;
            Ok(())
        })?;
        let hasher = if known.is_some() {
            IdHasher::load(secret).map_err(|e| match e {
                Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    Error::key(format!(
                        "the registry secret {} is missing; without it no ID number can be matched (restore it from a backup)",
                        secret.display()
                    ))
                }
                other => other,
            })?
        } else {
            IdHasher::load_or_create(secret)?
        };
        Registry::new(store, hasher)
    }

    /// A registry over any store, hashing ID numbers with `hasher`. The
    /// first use records the secret's fingerprint in the store; later uses
    /// refuse a different secret.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when the store records the fingerprint of
    /// another secret; [`Error::Storage`] (`storage`) when the store fails.
    pub fn new(store: Arc<dyn RegistryStore>, hasher: IdHasher) -> Result<Registry> {
        let fingerprint = *hasher.fingerprint();
        store.write(&mut |tx| match tx.meta(SECRET_FINGERPRINT_KEY)? {
            Some(stored) if stored == fingerprint => Ok(()),
            Some(_) => Err(Error::key(
                "the registry secret does not belong to this registry: its ID-number hashes were made with another secret",
            )),
            None => tx.insert_meta(SECRET_FINGERPRINT_KEY, &fingerprint),
        })?;
        Ok(Registry {
            store,
            hasher,
            policy: FamilyPolicy::default(),
        })
    }

    /// Uses other binding limits than the defaults.
    #[must_use = "with_policy returns the changed registry"]
    pub fn with_policy(mut self, policy: FamilyPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The binding limits in force.
    pub fn policy(&self) -> &FamilyPolicy {
        &self.policy
    }

    fn write<T>(&self, mut work: impl FnMut(&mut dyn RegistryTx) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.store.write(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Storage {
            why: "the store committed without running the work".into(),
        })
    }

    fn read<T>(&self, mut work: impl FnMut(&mut dyn RegistryTx) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.store.read(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Storage {
            why: "the store returned without running the work".into(),
        })
    }

    /// Adds a person. Refuses an identifier or ID number already in the
    /// registry, and a name too long to fit a code next to this identifier.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when the packed identifier and masked
    /// name exceed [`MAX_ID_AND_NAME_BYTES`]; [`Error::InvalidArgument`]
    /// (`invalid_argument`) when the identifier or the ID number is already in the
    /// registry; [`Error::Storage`] (`storage`) when the store fails.
    pub fn add_person(&self, new: &NewPerson, now: UnixTime) -> Result<Person> {
        let masked = new.full_name.masked();
        let used = id_and_name_len(&new.insured, Some(&masked));
        if used > MAX_ID_AND_NAME_BYTES {
            return Err(Error::claims(
                "masked name",
                format!(
                    "identifier {} and masked name {masked} pack into {used} bytes; at most {MAX_ID_AND_NAME_BYTES} fit a code",
                    new.insured
                ),
            ));
        }
        let person = Person {
            insured: new.insured.clone(),
            full_name: new.full_name.clone(),
            id_hash: self.hasher.hash(&new.id_number),
            region: new.region,
            status: new.status,
            scheme: new.scheme,
            activated: new.activated,
            cross_province: new.cross_province,
            registered_at: now,
        };
        self.write(|tx| {
            if tx.person(&person.insured)?.is_some() {
                return Err(Error::InvalidArgument {
                    what: "insured identifier",
                    why: format!("person {} is already in the registry", person.insured),
                });
            }
            if let Some(other) = tx.person_by_id_hash(&person.id_hash)? {
                return Err(Error::InvalidArgument {
                    what: "national ID number",
                    why: format!("the registry already holds this ID number (person {other})"),
                });
            }
            tx.insert_person(&person)?;
            tx.append_audit(&AuditEntry {
                seq: 0,
                at: now,
                action: AuditAction::PersonAdd,
                insured: person.insured.clone(),
                member: None,
                relation: None,
                detail: format!(
                    "region {}, {} scheme, status {}, code {}, cross-province use {}",
                    person.region,
                    person.scheme,
                    person.status,
                    if person.activated {
                        "activated"
                    } else {
                        "not activated"
                    },
                    on_off(person.cross_province)
                ),
            })?;
            Ok(person.clone())
        })
    }

    /// The person with this identifier (`unknown_person` if none).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`) when the registry holds no
    /// such person; [`Error::Storage`] (`storage`) when the store fails.
    pub fn person(&self, insured: &InsuredId) -> Result<Person> {
        self.read(|tx| require_person(tx, insured, ""))
    }

    fn change_person(
        &self,
        insured: &InsuredId,
        now: UnixTime,
        action: AuditAction,
        change: impl Fn(&mut Person) -> String,
    ) -> Result<Person> {
        self.write(|tx| {
            let mut person = require_person(tx, insured, "")?;
            let detail = change(&mut person);
            tx.update_person(&person)?;
            tx.append_audit(&AuditEntry {
                seq: 0,
                at: now,
                action,
                insured: insured.clone(),
                member: None,
                relation: None,
                detail,
            })?;
            Ok(person)
        })
    }

    /// Sets a person's insurance status (a lapsed person keeps a usable
    /// code; verifiers report the status).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`) when the registry holds no
    /// such person; [`Error::Storage`] (`storage`) when the store fails.
    pub fn set_status(&self, insured: &InsuredId, status: Status, now: UnixTime) -> Result<Person> {
        self.change_person(insured, now, AuditAction::PersonStatus, |p| {
            p.status = status;
            format!("status {status}")
        })
    }

    /// Switches use at tills outside the home province on or off.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`) when the registry holds no
    /// such person; [`Error::Storage`] (`storage`) when the store fails.
    pub fn set_cross_province(
        &self,
        insured: &InsuredId,
        on: bool,
        now: UnixTime,
    ) -> Result<Person> {
        self.change_person(insured, now, AuditAction::PersonCrossProvince, |p| {
            p.cross_province = on;
            format!("cross-province use {}", on_off(on))
        })
    }

    /// Records that the person activated their own code.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`) when the registry holds no
    /// such person; [`Error::Storage`] (`storage`) when the store fails.
    pub fn activate(&self, insured: &InsuredId, now: UnixTime) -> Result<Person> {
        self.change_person(insured, now, AuditAction::PersonActivate, |p| {
            p.activated = true;
            "code activated".to_owned()
        })
    }

    /// Binds `member` to `owner`'s family account, after checking in this
    /// order: not oneself (`self_binding`), both known (`unknown_person`),
    /// owner activated (`not_activated`), the member's name and ID number
    /// match the record exactly (`identity_mismatch`), member activated
    /// (`not_activated`), not already bound (`already_bound`), the owner's
    /// limit (`limit_members`) and the member's (`limit_owners`). Regions
    /// play no part.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with the [`RegistryRefusal`] of the first check above that
    /// fails; [`Error::Storage`] (`storage`) when the store fails.
    pub fn bind(&self, request: &BindRequest, now: UnixTime) -> Result<Binding> {
        let BindRequest {
            owner,
            member,
            relation,
            member_name,
            member_id_number,
        } = request;
        if owner == member {
            return Err(refused(
                RegistryRefusal::SelfBinding,
                format!("{owner} cannot bind their own code to their own family account"),
            ));
        }
        let given_hash = self.hasher.hash(member_id_number);
        let policy = self.policy;
        self.write(|tx| {
            let owner_rec = require_person(tx, owner, "owner ")?;
            let member_rec = require_person(tx, member, "member ")?;
            if !owner_rec.activated {
                return Err(refused(
                    RegistryRefusal::NotActivated,
                    format!("owner {owner} has not activated their own code"),
                ));
            }
            if member_rec.full_name.as_str() != member_name.as_str()
                || member_rec.id_hash != given_hash
            {
                return Err(refused(
                    RegistryRefusal::IdentityMismatch,
                    format!(
                        "the name and ID number given for member {member} do not match the insurance record"
                    ),
                ));
            }
            if !member_rec.activated {
                return Err(refused(
                    RegistryRefusal::NotActivated,
                    format!(
                        "member {member} has not activated their own code; family members activate theirs once before binding"
                    ),
                ));
            }
            if let Some(existing) = tx.active_binding(owner, member)? {
                return Err(refused(
                    RegistryRefusal::AlreadyBound,
                    format!(
                        "{member} is already bound to {owner} (since {})",
                        existing.created_at
                    ),
                ));
            }
            let members = count(tx.bindings_of_owner(owner)?.len());
            if members >= policy.max_members_per_owner {
                return Err(refused(
                    RegistryRefusal::LimitMembers,
                    format!(
                        "owner {owner} already has {members} family members bound (limit {})",
                        policy.max_members_per_owner
                    ),
                ));
            }
            let owners = count(tx.bindings_of_member(member)?.len());
            if owners >= policy.max_owners_per_member {
                return Err(refused(
                    RegistryRefusal::LimitOwners,
                    format!(
                        "member {member} is already bound by {owners} owners (limit {})",
                        policy.max_owners_per_member
                    ),
                ));
            }
            let binding = Binding {
                owner: owner.clone(),
                member: member.clone(),
                relation: *relation,
                created_at: now,
                ended_at: None,
            };
            tx.insert_binding(&binding)?;
            tx.append_audit(&family_audit(
                AuditAction::Bind,
                &binding.owner,
                &binding.member,
                *relation,
                now,
                format!(
                    "owner region {}, member region {}",
                    owner_rec.region, member_rec.region
                ),
            ))?;
            Ok(binding)
        })
    }

    /// Ends the active binding (`not_bound` if there is none). From this
    /// moment no delegate code is issued for the pair. A mutual-aid filing,
    /// being a separate registration, is not touched.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::NotBound`] (`not_bound`) when there
    /// is no active binding; [`Error::InvalidArgument`] (`invalid_argument`) when `now`
    /// is before the binding was made; [`Error::Storage`] (`storage`) when the store fails.
    pub fn unbind(&self, owner: &InsuredId, member: &InsuredId, now: UnixTime) -> Result<Binding> {
        self.write(|tx| {
            let Some(mut binding) = tx.active_binding(owner, member)? else {
                return Err(not_bound(owner, member));
            };
            not_before(now, binding.created_at, "the binding was made")?;
            tx.end_binding(owner, member, now)?;
            tx.append_audit(&family_audit(
                AuditAction::Unbind,
                owner,
                member,
                binding.relation,
                now,
                format!("bound since {}", binding.created_at),
            ))?;
            binding.ended_at = Some(now);
            Ok(binding)
        })
    }

    /// The owner's bound members, oldest binding first (`unknown_person` if
    /// the owner is not in the registry).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`) when the owner or a
    /// bound member is not in the registry; [`Error::Storage`] (`storage`) when the store fails.
    pub fn members(&self, owner: &InsuredId) -> Result<Vec<FamilyMember>> {
        self.read(|tx| {
            require_person(tx, owner, "owner ")?;
            let mut out = Vec::new();
            for b in tx.bindings_of_owner(owner)? {
                let person = require_person(tx, &b.member, "member ")?;
                let mutual_aid = tx.active_filing(owner, &b.member)?.is_some();
                out.push(FamilyMember {
                    name: person.full_name.masked(),
                    member: b.member,
                    relation: b.relation,
                    since: b.created_at,
                    mutual_aid,
                    status: person.status,
                    region: person.region,
                });
            }
            Ok(out)
        })
    }

    /// The active binding of `member` to `owner`, if any.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store fails.
    pub fn binding(&self, owner: &InsuredId, member: &InsuredId) -> Result<Option<Binding>> {
        self.read(|tx| tx.active_binding(owner, member))
    }

    /// Files personal-account mutual aid: `owner`'s personal account may pay
    /// for `member`. The relation comes from the active binding
    /// (`not_bound` without one); only close relatives qualify
    /// (`not_close_relative`) and only an employee-scheme owner has a
    /// personal account to share (`not_employee_scheme`); a filing in force
    /// is `already_bound`.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`)
    /// when the owner or the member is not in the registry, otherwise with the refusal
    /// named above; [`Error::Storage`] (`storage`) when the store fails.
    pub fn file_aid(
        &self,
        owner: &InsuredId,
        member: &InsuredId,
        now: UnixTime,
    ) -> Result<MutualAidFiling> {
        self.write(|tx| {
            let owner_rec = require_person(tx, owner, "owner ")?;
            require_person(tx, member, "member ")?;
            let Some(binding) = tx.active_binding(owner, member)? else {
                return Err(refused(
                    RegistryRefusal::NotBound,
                    format!(
                        "{member} is not bound to {owner}; bind the member first so the relation is on record"
                    ),
                ));
            };
            if !binding.relation.is_close_relative() {
                return Err(refused(
                    RegistryRefusal::NotCloseRelative,
                    format!(
                        "mutual aid is only for close relatives (spouse, parents, children, siblings, grandparents, grandchildren); {member} is bound as {}",
                        binding.relation
                    ),
                ));
            }
            if owner_rec.scheme != Scheme::Employee {
                return Err(refused(
                    RegistryRefusal::NotEmployeeScheme,
                    format!(
                        "owner {owner} is in the {} scheme; only employee-scheme insurance has a personal account to share",
                        owner_rec.scheme
                    ),
                ));
            }
            if let Some(existing) = tx.active_filing(owner, member)? {
                return Err(refused(
                    RegistryRefusal::AlreadyBound,
                    format!(
                        "mutual aid from {owner} to {member} is already filed (since {})",
                        existing.created_at
                    ),
                ));
            }
            let filing = MutualAidFiling {
                owner: owner.clone(),
                member: member.clone(),
                relation: binding.relation,
                created_at: now,
                ended_at: None,
            };
            tx.insert_filing(&filing)?;
            tx.append_audit(&family_audit(
                AuditAction::AidFile,
                owner,
                member,
                binding.relation,
                now,
                "personal-account mutual aid filed".to_owned(),
            ))?;
            Ok(filing)
        })
    }

    /// Revokes the filing in force (`not_bound` if there is none).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::NotBound`] (`not_bound`) when no
    /// filing is in force; [`Error::InvalidArgument`] (`invalid_argument`) when `now`
    /// is before the filing was made; [`Error::Storage`] (`storage`) when the store fails.
    pub fn revoke_aid(
        &self,
        owner: &InsuredId,
        member: &InsuredId,
        now: UnixTime,
    ) -> Result<MutualAidFiling> {
        self.write(|tx| {
            let Some(mut filing) = tx.active_filing(owner, member)? else {
                return Err(refused(
                    RegistryRefusal::NotBound,
                    format!("no mutual aid from {owner} to {member} is filed"),
                ));
            };
            not_before(now, filing.created_at, "the filing was made")?;
            tx.end_filing(owner, member, now)?;
            tx.append_audit(&family_audit(
                AuditAction::AidRevoke,
                owner,
                member,
                filing.relation,
                now,
                format!("filed since {}", filing.created_at),
            ))?;
            filing.ended_at = Some(now);
            Ok(filing)
        })
    }

    /// The filing in force for `owner` and `member`, if any.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store fails.
    pub fn aid_filing(
        &self,
        owner: &InsuredId,
        member: &InsuredId,
    ) -> Result<Option<MutualAidFiling>> {
        self.read(|tx| tx.active_filing(owner, member))
    }

    /// The claims of a person's own code, from the registry: refuses an
    /// unknown person (`unknown_person`) or one who has not activated their
    /// code (`not_activated`).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`)
    /// or [`RegistryRefusal::NotActivated`] (`not_activated`);
    /// [`Error::Storage`] (`storage`) when the store fails.
    pub fn self_claims(&self, insured: &InsuredId) -> Result<Claims> {
        self.read(|tx| {
            let person = require_person(tx, insured, "")?;
            require_activated(&person)?;
            Ok(person.claims())
        })
    }

    /// The claims of a delegate code that `owner` shows for `member`: the
    /// member is the insured person; the presenter block names the owner,
    /// the owner's relation to the member, and whether a mutual-aid filing
    /// is in force right now. Refused without an active binding
    /// (`not_bound`).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with [`RegistryRefusal::UnknownPerson`] (`unknown_person`)
    /// for an owner or member not in the registry, [`RegistryRefusal::NotBound`]
    /// (`not_bound`), or [`RegistryRefusal::NotActivated`] (`not_activated`) for a
    /// member who has not activated their code; [`Error::Storage`] (`storage`) when the
    /// store fails.
    pub fn delegate_claims(&self, owner: &InsuredId, member: &InsuredId) -> Result<Claims> {
        self.read(|tx| {
            require_person(tx, owner, "owner ")?;
            let member_rec = require_person(tx, member, "member ")?;
            let Some(binding) = tx.active_binding(owner, member)? else {
                return Err(not_bound(owner, member));
            };
            require_activated(&member_rec)?;
            let mutual_aid = tx.active_filing(owner, member)?.is_some();
            let mut claims = member_rec.claims();
            claims.presenter = Some(Presenter {
                insured: owner.clone(),
                relation: binding.presenter_relation(),
                mutual_aid,
            });
            Ok(claims)
        })
    }

    /// Issues a person's own code from their registry record.
    ///
    /// # Errors
    ///
    /// Those of [`Registry::self_claims`] and [`Issuer::issue`].
    pub fn issue_self(
        &self,
        issuer: &Issuer,
        insured: &InsuredId,
        now: UnixTime,
    ) -> Result<IssuedToken> {
        issuer.issue(&self.self_claims(insured)?, now)
    }

    /// Issues a delegate code: `owner` shows `member`'s code. See
    /// [`Registry::delegate_claims`].
    ///
    /// # Errors
    ///
    /// Those of [`Registry::delegate_claims`] and [`Issuer::issue`].
    pub fn issue_delegate(
        &self,
        issuer: &Issuer,
        owner: &InsuredId,
        member: &InsuredId,
        now: UnixTime,
    ) -> Result<IssuedToken> {
        issuer.issue(&self.delegate_claims(owner, member)?, now)
    }

    /// The whole audit log, in order.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store fails.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        self.read(|tx| tx.audit_log())
    }
}

/// A request to bind `member` to `owner`'s family account, with the
/// member's identity details as the owner typed them.
#[derive(Clone, Debug)]
pub struct BindRequest {
    /// The account owner.
    pub owner: InsuredId,
    /// The member to bind.
    pub member: InsuredId,
    /// The member's relation to the owner.
    pub relation: Relation,
    /// The member's full name; must equal the record exactly.
    pub member_name: String,
    /// The member's national ID number; must equal the record.
    pub member_id_number: IdNumber,
}

fn require_activated(person: &Person) -> Result<()> {
    if person.activated {
        Ok(())
    } else {
        Err(refused(
            RegistryRefusal::NotActivated,
            format!("{} has not activated their code", person.insured),
        ))
    }
}

/// History cannot end before it began (a clock set back, a wrong `--at`).
fn not_before(now: UnixTime, start: UnixTime, what: &str) -> Result<()> {
    if now < start {
        return Err(Error::InvalidArgument {
            what: "time",
            why: format!("{now} is before {start}, when {what}"),
        });
    }
    Ok(())
}

fn not_bound(owner: &InsuredId, member: &InsuredId) -> Error {
    refused(
        RegistryRefusal::NotBound,
        format!("{member} is not bound to {owner}'s family account"),
    )
}

fn family_audit(
    action: AuditAction,
    owner: &InsuredId,
    member: &InsuredId,
    relation: Relation,
    at: UnixTime,
    detail: String,
) -> AuditEntry {
    AuditEntry {
        seq: 0,
        at,
        action,
        insured: owner.clone(),
        member: Some(member.clone()),
        relation: Some(relation),
        detail,
    }
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn rfc3339<S: serde::Serializer>(t: &UnixTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

fn rfc3339_opt<S: serde::Serializer>(
    t: &Option<UnixTime>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medcode::Reason;

    #[test]
    fn policy_defaults_and_bounds() {
        let p = FamilyPolicy::default();
        assert_eq!(p.max_members_per_owner(), 6);
        assert_eq!(p.max_owners_per_member(), 2);
        assert_eq!(FamilyPolicy::new(5, 2).unwrap().max_members_per_owner(), 5);
        assert_eq!(
            FamilyPolicy::new(0, 2).unwrap_err().reason(),
            Reason::InvalidArgument
        );
        assert_eq!(
            FamilyPolicy::new(6, 0).unwrap_err().reason(),
            Reason::InvalidArgument
        );
    }

    #[test]
    fn full_names_mask_to_their_first_character() {
        assert_eq!(FullName::new("张三").unwrap().masked().as_str(), "张*");
        assert_eq!(FullName::new("欧阳娜娜").unwrap().masked().as_str(), "欧*");
        assert_eq!(FullName::new("王").unwrap().masked().as_str(), "王*");
        assert_eq!(FullName::new("Li Lei").unwrap().masked().as_str(), "L*");
        assert_eq!(FullName::new("𠀀一").unwrap().masked().as_str(), "𠀀*");
        assert_eq!(
            format!("{:?}", FullName::new("张三").unwrap()),
            "FullName(张*)"
        );
        let long = "张".repeat(MAX_FULL_NAME_CHARS + 1);
        for bad in ["", " 张三", "张三 ", "张*", "张\n三", long.as_str()] {
            let err = FullName::new(bad).unwrap_err();
            assert_eq!(err.reason(), Reason::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn audit_action_names_round_trip() {
        for a in &AuditAction::ALL {
            assert_eq!(AuditAction::from_name(a.as_str()), Some(*a));
        }
        assert_eq!(AuditAction::from_name("nope"), None);
    }

    #[test]
    fn binding_relation_inverts_for_the_presenter() {
        let b = Binding {
            owner: InsuredId::new("1").unwrap(),
            member: InsuredId::new("2").unwrap(),
            relation: Relation::Parent,
            created_at: UnixTime::from_secs(0),
            ended_at: None,
        };
        assert_eq!(b.presenter_relation(), Relation::Child);
    }
}
