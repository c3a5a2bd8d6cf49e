//! What the registry holds: persons, family bindings, mutual-aid filings,
//! the audit log, and the binding limits.

use std::fmt;

use serde::Serialize;

use medcode::Claims;
use medcode::InsuredId;
use medcode::MaskedName;
use medcode::Region;
use medcode::Relation;
use medcode::Scheme;
use medcode::Status;
use medcode::error::{Error, Result};
use medcode::time::UnixTime;

use crate::registry::{IdHash, IdNumber};

/// Default: at most this many members bound to one owner (the Beijing
/// insurance bureau's figure; another guide says 5).
pub const DEFAULT_MAX_MEMBERS_PER_OWNER: u32 = 6;
/// Default: a member is actively bound by at most this many owners.
pub const DEFAULT_MAX_OWNERS_PER_MEMBER: u32 = 2;
/// Longest full name accepted, in characters.
pub const MAX_FULL_NAME_CHARS: usize = 64;

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

/// A record that ties a member to an owner from one moment until it is
/// ended: a family [`Binding`] or a [`MutualAidFiling`], the two made, read
/// and ended the same way (`K` says which).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(bound = "")]
pub struct Tie<K> {
    /// The account owner: who shows the member's code (a binding), or whose
    /// personal account pays for the member (a filing, employee scheme only).
    pub owner: InsuredId,
    /// The member: whose code and insurance it is, or whom the filing pays for.
    pub member: InsuredId,
    /// The member's relation to the owner when the tie was made.
    pub relation: Relation,
    /// When it was made.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: UnixTime,
    /// When it was ended (unbound, revoked); `None` while in force.
    #[serde(serialize_with = "rfc3339_opt")]
    pub ended_at: Option<UnixTime>,
    #[serde(skip)]
    kind: std::marker::PhantomData<K>,
}

impl<K> Tie<K> {
    /// A tie in force from `created_at`.
    pub(crate) fn new(
        owner: InsuredId,
        member: InsuredId,
        relation: Relation,
        created_at: UnixTime,
    ) -> Self {
        Tie {
            owner,
            member,
            relation,
            created_at,
            ended_at: None,
            kind: std::marker::PhantomData,
        }
    }
}

/// The kind of a [`Binding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingKind {}

/// The kind of a [`MutualAidFiling`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AidFilingKind {}

/// A family binding: `member` is bound to `owner`'s family account.
/// `relation` is who the member is to the owner: `Parent` when the owner
/// binds their mother.
pub type Binding = Tie<BindingKind>;

impl Tie<BindingKind> {
    /// The relation a delegate code carries: the presenter's relation to the
    /// insured person, the inverse of [`Binding::relation`] (an owner
    /// showing their mother's code presents as her `Child`).
    pub fn presenter_relation(&self) -> Relation {
        self.relation.inverse()
    }
}

/// A personal-account mutual-aid filing: `owner`'s personal account may pay
/// for `member`'s medical costs.
pub type MutualAidFiling = Tie<AidFilingKind>;

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

pub(crate) fn rfc3339<S: serde::Serializer>(
    t: &UnixTime,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

pub(crate) fn rfc3339_opt<S: serde::Serializer>(
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
        let b = Binding::new(
            InsuredId::new("1").unwrap(),
            InsuredId::new("2").unwrap(),
            Relation::Parent,
            UnixTime::from_secs(0),
        );
        assert_eq!(b.presenter_relation(), Relation::Child);
    }
}
