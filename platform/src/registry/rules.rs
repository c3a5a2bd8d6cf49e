//! The registry's rules over a [`RegistryStore`]: adding persons, binding
//! and unbinding family members, filing and revoking mutual aid, and the
//! claims of a person's own and of a delegate code.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use medcode::Claims;
use medcode::InsuredId;
use medcode::IssuedToken;
use medcode::Issuer;
use medcode::Presenter;
use medcode::Relation;
use medcode::Scheme;
use medcode::Status;
use medcode::error::{Error, RegistryRefusal, Result};
use medcode::limits::MAX_ID_AND_NAME_BYTES;
use medcode::time::UnixTime;
use medcode::token::id_and_name_len;

use crate::family::{MutualAidRelations, close_relative, not_close_relative, not_employee_scheme};
use crate::registry::{
    AuditAction, AuditEntry, BindRequest, Binding, FamilyMember, FamilyPolicy, IdHasher,
    MutualAidFiling, NewPerson, Person, RegistryStore, RegistryTx, SqliteRegistry, Tie,
    registry_secret_path,
};

/// The registry's meta key holding the secret's fingerprint.
const SECRET_FINGERPRINT_KEY: &str = "id_hash_secret_fingerprint";

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
    /// Those of [`SqliteRegistry::open`] and [`Registry::new`], and of
    /// [`IdHasher::load_or_create`] for the secret; once the registry holds hashes,
    /// those of [`IdHasher::load`], a missing secret being [`Error::InvalidKey`] (`invalid_key`).
    pub fn open(path: &Path) -> Result<Registry> {
        let store = Arc::new(SqliteRegistry::open(path)?);
        Self::with_secret_file(store, &registry_secret_path(path))
    }

    /// Opens an existing SQLite registry; refuses a missing file rather
    /// than creating an empty registry.
    ///
    /// # Errors
    ///
    /// Those of [`SqliteRegistry::open_existing`] and [`Registry::new`], and of
    /// [`IdHasher::load_or_create`] for the secret; once the registry holds hashes,
    /// those of [`IdHasher::load`], a missing secret being [`Error::InvalidKey`] (`invalid_key`).
    pub fn open_existing(path: &Path) -> Result<Registry> {
        let store = Arc::new(SqliteRegistry::open_existing(path)?);
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

    fn write<T>(&self, work: impl FnMut(&mut dyn RegistryTx) -> Result<T>) -> Result<T> {
        in_tx(|w| self.store.write(w), work)
    }

    fn read<T>(&self, work: impl FnMut(&mut dyn RegistryTx) -> Result<T>) -> Result<T> {
        in_tx(|w| self.store.read(w), work)
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
            none_in_force(tx.active_binding(owner, member)?, || {
                format!("{member} is already bound to {owner}")
            })?;
            let members = count(tx.bindings_of_owner(owner)?.len());
            let owners = count(tx.bindings_of_member(member)?.len());
            for (n, limit, refusal, what) in [
                (
                    members,
                    policy.max_members_per_owner(),
                    RegistryRefusal::LimitMembers,
                    format!("owner {owner} already has {members} family members bound"),
                ),
                (
                    owners,
                    policy.max_owners_per_member(),
                    RegistryRefusal::LimitOwners,
                    format!("member {member} is already bound by {owners} owners"),
                ),
            ] {
                if n >= limit {
                    return Err(refused(refusal, format!("{what} (limit {limit})")));
                }
            }
            let binding = Binding::new(owner.clone(), member.clone(), *relation, now);
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
            let Some(binding) = tx.active_binding(owner, member)? else {
                return Err(not_bound(owner, member));
            };
            not_before(now, binding.created_at, "the binding was made")?;
            tx.end_binding(owner, member, now)?;
            ended(tx, binding, now, AuditAction::Unbind, "bound")
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
            if close_relative(owner, member, binding.relation).is_err() {
                return Err(not_close_relative(format!(
                    "mutual aid is only for close relatives (spouse, parents, children, siblings, grandparents, grandchildren); {member} is bound as {}",
                    binding.relation
                )));
            }
            if owner_rec.scheme != Scheme::Employee {
                return Err(not_employee_scheme(format!(
                    "owner {owner} is in the {} scheme; only employee-scheme insurance has a personal account to share",
                    owner_rec.scheme
                )));
            }
            none_in_force(tx.active_filing(owner, member)?, || {
                format!("mutual aid from {owner} to {member} is already filed")
            })?;
            let filing = MutualAidFiling::new(owner.clone(), member.clone(), binding.relation, now);
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
            let Some(filing) = tx.active_filing(owner, member)? else {
                return Err(refused(
                    RegistryRefusal::NotBound,
                    format!("no mutual aid from {owner} to {member} is filed"),
                ));
            };
            not_before(now, filing.created_at, "the filing was made")?;
            tx.end_filing(owner, member, now)?;
            ended(tx, filing, now, AuditAction::AidRevoke, "filed")
        })
    }

    /// Who `b` is to `a` by a mutual-aid filing in force, whichever of them
    /// filed it: the relation as the wallet's rules read it
    /// ([`MutualAidRelations`]).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the store fails.
    pub fn mutual_aid(&self, a: &InsuredId, b: &InsuredId) -> Result<Option<Relation>> {
        self.read(|tx| filed_relation(tx, a, b))
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

/// `already_bound` when a tie is in force already (`what` says which).
fn none_in_force<K>(found: Option<Tie<K>>, what: impl FnOnce() -> String) -> Result<()> {
    match found {
        Some(existing) => Err(refused(
            RegistryRefusal::AlreadyBound,
            format!("{} (since {})", what(), existing.created_at),
        )),
        None => Ok(()),
    }
}

/// `tie`, just ended at `now` in the store: its audit row (`action`, "`made`
/// since ..."), and the tie as it now stands.
fn ended<K>(
    tx: &mut dyn RegistryTx,
    mut tie: Tie<K>,
    now: UnixTime,
    action: AuditAction,
    made: &str,
) -> Result<Tie<K>> {
    tx.append_audit(&family_audit(
        action,
        &tie.owner,
        &tie.member,
        tie.relation,
        now,
        format!("{made} since {}", tie.created_at),
    ))?;
    tie.ended_at = Some(now);
    Ok(tie)
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

/// The filing in force from `a` for `b` (its relation), else from `b` for
/// `a` (the inverse relation).
fn filed_relation(
    tx: &mut dyn RegistryTx,
    a: &InsuredId,
    b: &InsuredId,
) -> Result<Option<Relation>> {
    if let Some(filing) = tx.active_filing(a, b)? {
        return Ok(Some(filing.relation));
    }
    Ok(tx
        .active_filing(b, a)?
        .map(|filing| filing.relation.inverse()))
}

/// The registry's filings in force, as the wallet reads them.
impl MutualAidRelations for Registry {
    fn mutual_aid(&self, a: &InsuredId, b: &InsuredId) -> Result<Option<Relation>> {
        Registry::mutual_aid(self, a, b)
    }
}

/// The filings in force of a registry store, read without the registry's
/// secret: what a wallet needs of a registry file it opens read-only
/// ([`SqliteRegistry::open_read_only`]).
impl MutualAidRelations for SqliteRegistry {
    fn mutual_aid(&self, a: &InsuredId, b: &InsuredId) -> Result<Option<Relation>> {
        in_tx(|w| self.read(w), |tx| filed_relation(tx, a, b))
    }
}

/// Runs `work` in the one transaction `run` makes (a store's `write` or
/// `read`) and returns its result.
fn in_tx<T>(
    run: impl FnOnce(&mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>) -> Result<()>,
    mut work: impl FnMut(&mut dyn RegistryTx) -> Result<T>,
) -> Result<T> {
    let mut out = None;
    run(&mut |tx| {
        out = Some(work(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| Error::Storage {
        why: "the store returned without running the work".into(),
    })
}

/// The person with this identifier in the SQLite registry at `path`, read
/// without changing anything: no file, secret, fingerprint or schema is
/// created or migrated (what `wallet open` reads a region and scheme from).
///
/// # Errors
///
/// Those of [`SqliteRegistry::open_read_only`]; [`Error::Refused`] with
/// [`RegistryRefusal::UnknownPerson`] (`unknown_person`) when the registry
/// holds no such person.
pub fn read_person(path: &Path, insured: &InsuredId) -> Result<Person> {
    let store = SqliteRegistry::open_read_only(path)?;
    in_tx(|w| store.read(w), |tx| require_person(tx, insured, ""))
}
