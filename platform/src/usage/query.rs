//! What a reader asks the store for: the records of some insured persons
//! or shown by one presenter, since a time, newest first; and the family
//! owner's question, checked against the registry's bindings.

use medcode::InsuredId;
use medcode::time::UnixTime;

/// Records returned when the caller names no limit.
pub const DEFAULT_QUERY_LIMIT: u32 = 1000;

/// Most records one query returns.
pub const MAX_QUERY_LIMIT: u32 = 10_000;

/// A selection of records: those of any of `insured` or shown by
/// `presenter`, at or after `since`, newest first, at most `limit`. With
/// neither `insured` nor `presenter` nothing is selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageQuery {
    /// The insured persons whose codes' records are wanted.
    pub insured: Vec<InsuredId>,
    /// Also the records of codes this person showed on someone's behalf.
    pub presenter: Option<InsuredId>,
    /// Only records at or after this time.
    pub since: Option<UnixTime>,
    /// At most this many records (capped at [`MAX_QUERY_LIMIT`]).
    pub limit: u32,
}

impl UsageQuery {
    /// The records of one insured person's codes (self and delegate).
    pub fn insured(insured: InsuredId) -> UsageQuery {
        UsageQuery {
            insured: vec![insured],
            presenter: None,
            since: None,
            limit: DEFAULT_QUERY_LIMIT,
        }
    }

    /// This query from `since` on.
    #[must_use]
    pub fn since(mut self, since: Option<UnixTime>) -> UsageQuery {
        self.since = since;
        self
    }

    /// This query with at most `limit` records (capped at [`MAX_QUERY_LIMIT`]).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> UsageQuery {
        self.limit = limit.min(MAX_QUERY_LIMIT);
        self
    }

    /// Whether the query can select anything.
    pub(crate) fn selects_nothing(&self) -> bool {
        (self.insured.is_empty() && self.presenter.is_none()) || self.limit == 0
    }

    /// The `WHERE` clause and its text parameters (then the time, then the
    /// limit), `ph(n)` writing the `n`th (1-based) placeholder.
    pub(crate) fn sql(&self, ph: impl Fn(usize) -> String) -> (String, Vec<String>) {
        let mut params: Vec<String> = Vec::new();
        let mut who = Vec::new();
        if !self.insured.is_empty() {
            let marks: Vec<String> = self
                .insured
                .iter()
                .map(|i| {
                    params.push(i.as_str().to_owned());
                    ph(params.len())
                })
                .collect();
            who.push(format!("insured IN ({})", marks.join(", ")));
        }
        if let Some(p) = &self.presenter {
            params.push(p.as_str().to_owned());
            who.push(format!("presenter = {}", ph(params.len())));
        }
        let at = ph(params.len() + 1);
        let limit = ph(params.len() + 2);
        (
            format!(
                "WHERE ({}) AND at >= {at} ORDER BY at DESC, seq DESC LIMIT {limit}",
                who.join(" OR ")
            ),
            params,
        )
    }
}

/// The family owner's question (亲情账户使用记录): the records of the codes of
/// `owner`'s bound members (self codes, and codes shown by anyone on their
/// behalf) and of the codes `owner` showed on someone's behalf; with
/// `member`, only that member's, who must be bound to `owner`.
///
/// # Errors
///
/// [`medcode::Error::Refused`] with `not_bound` when `member` is not bound to
/// `owner`, `unknown_person` when the owner is not in the registry;
/// `storage` when the registry fails.
pub fn owner_query(
    registry: &crate::registry::Registry,
    owner: &InsuredId,
    member: Option<&InsuredId>,
) -> medcode::error::Result<UsageQuery> {
    use medcode::error::{Error, RegistryRefusal};
    let members = registry.members(owner)?;
    match member {
        Some(m) => {
            if !members.iter().any(|b| &b.member == m) {
                return Err(Error::Refused {
                    refusal: RegistryRefusal::NotBound,
                    detail: format!("{m} is not bound to {owner}'s family account"),
                });
            }
            Ok(UsageQuery::insured(m.clone()))
        }
        None => Ok(UsageQuery {
            insured: members.into_iter().map(|b| b.member).collect(),
            presenter: Some(owner.clone()),
            since: None,
            limit: DEFAULT_QUERY_LIMIT,
        }),
    }
}
