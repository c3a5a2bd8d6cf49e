//! What a verifier does once a signed list's next-update time has passed:
//! a notice while the list is due soon or stale, then refusal.

use crate::error::{Error, Result};
use crate::lists::ListInfo;
use crate::notice::Notice;
use crate::time::UnixTime;

/// Default grace after a list's next-update time during which codes are
/// still accepted, with a notice: 72 hours.
pub const DEFAULT_STALE_GRACE_SECS: u64 = 72 * 3600;
/// Default time before a list's next-update time from which accepted codes
/// carry a "due for update" notice: 24 hours.
pub const DEFAULT_DUE_SOON_SECS: u64 = 24 * 3600;

/// What a verifier does once a list's next-update time has passed.
///
/// Codes are accepted with a [`Notice::ListStale`] from `next_update` until
/// `next_update + grace_secs` (exclusive), and refused with
/// `trust_list_stale` from that second on. From `next_update -
/// due_soon_secs` accepted codes carry a [`Notice::ListDueSoon`], so a
/// list that is not renewed is visible for days before any code is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StalenessPolicy {
    /// Seconds before next-update from which accepted codes say the list is
    /// due (0: no early notice).
    pub due_soon_secs: u64,
    /// Seconds after next-update during which codes are still accepted with
    /// a notice (0: refuse at next-update).
    pub grace_secs: u64,
}

impl Default for StalenessPolicy {
    fn default() -> Self {
        StalenessPolicy {
            due_soon_secs: DEFAULT_DUE_SOON_SECS,
            grace_secs: DEFAULT_STALE_GRACE_SECS,
        }
    }
}

impl StalenessPolicy {
    /// Refuses codes as soon as a list's next-update time passes.
    pub const STRICT: StalenessPolicy = StalenessPolicy {
        due_soon_secs: DEFAULT_DUE_SOON_SECS,
        grace_secs: 0,
    };

    /// The first second at which a list with this info is refused.
    pub fn refuses_at(&self, info: &ListInfo) -> UnixTime {
        info.next_update.plus(self.grace_secs)
    }

    /// What this policy says about a list at `now`: `Ok(None)` fresh,
    /// `Ok(Some(notice))` due soon or stale within the grace, or
    /// [`Error::TrustListStale`].
    ///
    /// # Errors
    ///
    /// [`Error::TrustListStale`] (`trust_list_stale`) from
    /// [`StalenessPolicy::refuses_at`] on.
    pub fn check(&self, info: &ListInfo, now: UnixTime) -> Result<Option<Notice>> {
        let refuses_at = self.refuses_at(info);
        if now >= refuses_at {
            return Err(Error::TrustListStale {
                list: info.kind,
                next_update: info.next_update,
                refused_from: refuses_at,
                now,
            });
        }
        let secs_left = refuses_at.as_secs().saturating_sub(now.as_secs());
        if now >= info.next_update {
            return Ok(Some(Notice::ListStale {
                list: info.kind,
                next_update: info.next_update,
                refuses_at,
                secs_left,
            }));
        }
        if now >= info.next_update.minus(self.due_soon_secs) {
            return Ok(Some(Notice::ListDueSoon {
                list: info.kind,
                next_update: info.next_update,
                secs_left: info.next_update.as_secs().saturating_sub(now.as_secs()),
            }));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ListKind;
    use crate::lists::signed::tests::info;

    #[test]
    fn staleness_boundaries() {
        let p = StalenessPolicy::default();
        let i = info(ListKind::Trust, 1);
        let due = i.next_update.minus(DEFAULT_DUE_SOON_SECS);
        assert_eq!(p.check(&i, due.minus(1)).unwrap(), None);
        assert!(matches!(
            p.check(&i, due).unwrap(),
            Some(Notice::ListDueSoon { secs_left, .. }) if secs_left == DEFAULT_DUE_SOON_SECS
        ));
        let end = i.next_update.plus(DEFAULT_STALE_GRACE_SECS);
        assert!(matches!(
            p.check(&i, i.next_update).unwrap(),
            Some(Notice::ListStale { secs_left, .. }) if secs_left == DEFAULT_STALE_GRACE_SECS
        ));
        assert!(matches!(
            p.check(&i, end.minus(1)).unwrap(),
            Some(Notice::ListStale { secs_left: 1, .. })
        ));
        assert_eq!(
            p.check(&i, end).unwrap_err().reason().as_str(),
            "trust_list_stale"
        );
        let strict = StalenessPolicy::STRICT;
        assert!(strict.check(&i, i.next_update.minus(1)).is_ok());
        assert!(strict.check(&i, i.next_update).is_err());
    }
}
