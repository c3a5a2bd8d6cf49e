//! Mutual-aid relations (家庭共济): who may send wallet money to whom.
//!
//! The close relatives of the official rules are spouse, parents,
//! children, siblings, grandparents and grandchildren (both sides): the
//! relations of [`Relation::is_close_relative`]. One person may have
//! relations with several. A relation is filed once for a pair and holds
//! both ways (if B is A's parent, A is B's child).

use serde::Serialize;

use medcode::InsuredId;
use medcode::Relation;
use medcode::error::{Error, Result, WalletRefusal};
use medcode::time::UnixTime;

/// A filed mutual-aid relation: `to` is `from`'s `relation`.
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

/// Checks that a relation may be filed between `from` and `to`.
///
/// # Errors
///
/// `not_close_relative` for oneself or a relation outside the close
/// relatives (`other_family`).
pub fn check_close_relative(from: &InsuredId, to: &InsuredId, relation: Relation) -> Result<()> {
    if from == to {
        return Err(Error::wallet(
            WalletRefusal::NotCloseRelative,
            format!("{from} cannot file a mutual-aid relation with themselves"),
        ));
    }
    if !relation.is_close_relative() {
        return Err(Error::wallet(
            WalletRefusal::NotCloseRelative,
            format!(
                "{relation} is not a close relative for mutual aid (spouse, parent, child, sibling, grandparent, grandchild)"
            ),
        ));
    }
    Ok(())
}
