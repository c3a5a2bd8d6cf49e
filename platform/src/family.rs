//! The family relation, one for the registry and the wallet: family mutual
//! aid (家庭共济) between close relatives.
//!
//! The close relatives of the official rules are spouse, parents,
//! children, siblings, grandparents and grandchildren (both sides): the
//! relations of [`Relation::is_close_relative`], checked here once
//! ([`close_relative`]). The refusals of the relation are one set
//! (`not_close_relative`, `not_employee_scheme`), whichever rules
//! (a filing in the registry, a transfer in the wallet) refuse. What the
//! wallet's rules need of the relations is one read trait,
//! [`MutualAidRelations`], which the registry's store (its filings in
//! force) and the wallet's own store (the relations filed with `wallet
//! relate`) both answer.

use serde::Serialize;

use medcode::InsuredId;
use medcode::Relation;
use medcode::error::{Error, RegistryRefusal, Result};
use medcode::time::UnixTime;

/// A filed mutual-aid relation: `to` is `from`'s `relation`. It holds both
/// ways (if B is A's parent, A is B's child).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MutualAid {
    /// The person who filed it.
    pub from: InsuredId,
    /// Their relative.
    pub to: InsuredId,
    /// Who `to` is to `from` (`parent`: `to` is `from`'s mother or father).
    pub relation: Relation,
    /// When it was filed.
    pub filed_at: UnixTime,
}

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

/// Checks that a mutual-aid relation may be filed between `from` and `to`.
///
/// # Errors
///
/// `not_close_relative` for oneself or a relation outside the close
/// relatives (`other_family`).
pub fn check_close_relative(from: &InsuredId, to: &InsuredId, relation: Relation) -> Result<()> {
    close_relative(from, to, relation).map_err(|why| match why {
        NotClose::Oneself => not_close_relative(format!(
            "{from} cannot file a mutual-aid relation with themselves"
        )),
        NotClose::Relation(relation) => not_close_relative(format!(
            "{relation} is not a close relative for mutual aid (spouse, parent, child, sibling, grandparent, grandchild)"
        )),
    })
}

/// The mutual-aid relations in force, as the wallet's rules read them.
pub trait MutualAidRelations {
    /// Who `b` is to `a` by a mutual-aid relation in force, if any (either
    /// of them may have filed it).
    ///
    /// # Errors
    ///
    /// `storage` when the store fails.
    fn mutual_aid(&mut self, a: &InsuredId, b: &InsuredId) -> Result<Option<Relation>>;
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
            check_close_relative(&a, &b, Relation::OtherFamily)
                .unwrap_err()
                .reason(),
            Reason::NotCloseRelative
        );
    }
}
