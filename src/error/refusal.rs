//! Why the family registry refused a request: a closed set, so that a
//! refusal can only carry one of the registry's own reasons.

use std::fmt;

use super::Reason;

/// A rule of the family registry that refused a request (see
/// [`Error::Refused`](super::Error::Refused)). Each maps to one
/// [`Reason`] through [`RegistryRefusal::reason`]; the reasons of token
/// verification (`expired`, ...) are not among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistryRefusal {
    /// The owner already has the maximum number of bound family members
    /// (`limit_members`).
    LimitMembers,
    /// The member is already bound by the maximum number of owners
    /// (`limit_owners`).
    LimitOwners,
    /// The member's name or national ID number does not match
    /// (`identity_mismatch`).
    IdentityMismatch,
    /// The person has not activated their own code (`not_activated`).
    NotActivated,
    /// An owner tried to bind themselves (`self_binding`).
    SelfBinding,
    /// The binding (or filing) already exists (`already_bound`).
    AlreadyBound,
    /// No active binding (or filing) exists between owner and member
    /// (`not_bound`).
    NotBound,
    /// Mutual aid is only for close relatives (`not_close_relative`).
    NotCloseRelative,
    /// Mutual aid can only be filed by an owner in the employee scheme
    /// (`not_employee_scheme`).
    NotEmployeeScheme,
    /// The registry holds no person with this identifier (`unknown_person`).
    UnknownPerson,
}

impl RegistryRefusal {
    /// Every refusal, in the order of their reason codes.
    pub const ALL: [RegistryRefusal; 10] = [
        RegistryRefusal::LimitMembers,
        RegistryRefusal::LimitOwners,
        RegistryRefusal::IdentityMismatch,
        RegistryRefusal::NotActivated,
        RegistryRefusal::SelfBinding,
        RegistryRefusal::AlreadyBound,
        RegistryRefusal::NotBound,
        RegistryRefusal::NotCloseRelative,
        RegistryRefusal::NotEmployeeScheme,
        RegistryRefusal::UnknownPerson,
    ];

    /// The stable reason code of this refusal.
    pub const fn reason(self) -> Reason {
        match self {
            RegistryRefusal::LimitMembers => Reason::LimitMembers,
            RegistryRefusal::LimitOwners => Reason::LimitOwners,
            RegistryRefusal::IdentityMismatch => Reason::IdentityMismatch,
            RegistryRefusal::NotActivated => Reason::NotActivated,
            RegistryRefusal::SelfBinding => Reason::SelfBinding,
            RegistryRefusal::AlreadyBound => Reason::AlreadyBound,
            RegistryRefusal::NotBound => Reason::NotBound,
            RegistryRefusal::NotCloseRelative => Reason::NotCloseRelative,
            RegistryRefusal::NotEmployeeScheme => Reason::NotEmployeeScheme,
            RegistryRefusal::UnknownPerson => Reason::UnknownPerson,
        }
    }

    /// The refusal with this reason code, if the reason is a registry one.
    pub fn from_reason(reason: Reason) -> Option<RegistryRefusal> {
        RegistryRefusal::ALL
            .into_iter()
            .find(|r| r.reason() == reason)
    }

    /// The stable string form: that of its [`Reason`] (`limit_members`, ...).
    pub const fn as_str(self) -> &'static str {
        self.reason().as_str()
    }
}

impl fmt::Display for RegistryRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<RegistryRefusal> for Reason {
    fn from(refusal: RegistryRefusal) -> Reason {
        refusal.reason()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_the_registry_reasons_15_to_24() {
        let codes: Vec<u32> = RegistryRefusal::ALL
            .iter()
            .map(|r| r.reason().code())
            .collect();
        assert_eq!(codes, (15..=24).collect::<Vec<_>>());
        for r in RegistryRefusal::ALL {
            assert!(r.reason().is_rejection());
            assert_eq!(r.to_string(), r.reason().as_str());
            assert_eq!(RegistryRefusal::from_reason(r.reason()), Some(r));
        }
        assert_eq!(RegistryRefusal::from_reason(Reason::Expired), None);
    }
}
