//! The family relation, one for the registry and the wallet: family mutual
//! aid (家庭共济) between close relatives.
//!
//! The close relatives of the official rules are spouse, parents,
//! children, siblings, grandparents and grandchildren (both sides): the
//! relations of [`Relation::is_close_relative`], checked here once
//! ([`close_relative`]). The refusals of the relation are one set
//! (`not_close_relative`, `not_employee_scheme`), whichever rules
//! (a filing in the registry, a transfer in the wallet) refuse. The
//! relations are stored once, as the family registry's mutual-aid
//! filings; the wallet reads them through one trait,
//! [`MutualAidRelations`], which the registry answers
//! (`Registry`, or `SqliteRegistry::open_read_only` for a reader that
//! changes nothing).

use medcode::InsuredId;
use medcode::Relation;
use medcode::error::{Error, RegistryRefusal, Result};

/// Why two people cannot share money by mutual aid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotClose {
    /// One person, twice.
    Oneself,
    /// A relation outside the close relatives (`other_family`).
    Relation(Relation),
}

/// The one close-relative check: `to`, being `from`'s `relation`, may share
/// money with `from` by mutual aid.
///
/// # Errors
///
/// What makes them not close relatives.
pub fn close_relative(
    from: &InsuredId,
    to: &InsuredId,
    relation: Relation,
) -> std::result::Result<(), NotClose> {
    if from == to {
        return Err(NotClose::Oneself);
    }
    if !relation.is_close_relative() {
        return Err(NotClose::Relation(relation));
    }
    Ok(())
}

/// The refusal `not_close_relative`, with what broke the rule.
pub(crate) fn not_close_relative(detail: impl Into<String>) -> Error {
    Error::Refused {
        refusal: RegistryRefusal::NotCloseRelative,
        detail: detail.into(),
    }
}

/// The refusal `not_employee_scheme`: only the employee scheme has a
/// personal account to share.
pub(crate) fn not_employee_scheme(detail: impl Into<String>) -> Error {
    Error::Refused {
        refusal: RegistryRefusal::NotEmployeeScheme,
        detail: detail.into(),
    }
}

/// The mutual-aid relations in force, as the wallet's rules read them.
pub trait MutualAidRelations: Send + Sync {
    /// Who `b` is to `a` by a mutual-aid relation in force, if any (either
    /// of them may have filed it).
    ///
    /// # Errors
    ///
    /// `storage` when the store fails.
    fn mutual_aid(&self, a: &InsuredId, b: &InsuredId) -> Result<Option<Relation>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use medcode::Reason;

    #[test]
    fn close_relatives_are_the_official_list_and_never_oneself() {
        let (a, b) = (InsuredId::new("1").unwrap(), InsuredId::new("2").unwrap());
        for r in Relation::ALL {
            let expected = if r == Relation::OtherFamily {
                Err(NotClose::Relation(r))
            } else {
                Ok(())
            };
            assert_eq!(close_relative(&a, &b, r), expected, "{r}");
        }
        assert_eq!(
            close_relative(&a, &a, Relation::Spouse),
            Err(NotClose::Oneself)
        );
        assert_eq!(
            not_close_relative("other_family").reason(),
            Reason::NotCloseRelative
        );
    }
}
