//! Publishing the next signed list: how its sequence number and times are
//! chosen from the list published before it, so that every verifier
//! installs it and none is asked to roll back.
//!
//! The rules, in the order they are checked:
//!
//! 1. The next-update time ([`Validity`]) is after the signing time.
//! 2. The previous list, if there is one, is a signed envelope (a file that
//!    is not one is refused rather than replaced: it may be a list someone
//!    still needs).
//! 3. The previous list is of this kind and verifies under this root; one
//!    that does not (another root, damaged, the other kind) is replaced
//!    only when a sequence number is given explicitly.
//! 4. The sequence number is the one given, which must be above the
//!    previous list's (verifiers refuse a sequence that does not go up), or
//!    one more than the previous list's, or 1 for the first list.
//!
//! ```
//! use medcode::lists::{ListPublisher, Validity};
//! use medcode::Error;
//! use medcode::error::ListProblem;
//! use medcode::{Algorithm, ListKind, RevocationList, RootKey, SigningKey, UnixTime};
//!
//! let root = SigningKey::generate(Algorithm::Ed25519)?;
//! let list = RevocationList::new().to_json().into_bytes();
//! let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;
//! let week = Validity::For(7 * 24 * 3600);
//!
//! let publisher = ListPublisher::new(ListKind::Revocation);
//! let first = publisher.publish(&root, None, list.clone(), now, week).unwrap();
//! let previous = first.to_json();
//! let second = publisher
//!     .publish(&root, Some(previous.as_bytes()), list.clone(), now, week)
//!     .unwrap();
//! let pinned = RootKey::of(&root)?;
//! assert_eq!(second.verify(&pinned, ListKind::Revocation)?.info().sequence, 2);
//!
//! // Going back to sequence 1 would be refused by every verifier holding 2.
//! let held = second.to_json();
//! let rollback = publisher
//!     .with_sequence(1)
//!     .publish(&root, Some(held.as_bytes()), list, now, week)
//!     .unwrap_err();
//! assert!(matches!(
//!     rollback,
//!     Error::InvalidList { problem: ListProblem::SequenceNotAbove { previous: 2, requested: 1 }, .. }
//! ));
//! # Ok::<(), medcode::Error>(())
//! ```

use crate::ListKind;
use crate::RootKey;
use crate::SignedList;
use crate::error::{Error, ListLayer, ListProblem};
use crate::keys::SigningKey;
use crate::lists::signed::ListInfo;
use crate::time::UnixTime;

/// How long a new list is good for: when a newer one is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// Due at this time.
    Until(UnixTime),
    /// Due this many seconds after signing.
    For(u64),
}

/// Publishes the next signed list of one kind after the previous one,
/// with the sequence and time rules of the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListPublisher {
    kind: ListKind,
    sequence: Option<u64>,
}

impl ListPublisher {
    /// A publisher of lists of `kind`, choosing each sequence number from
    /// the previous list.
    pub fn new(kind: ListKind) -> Self {
        ListPublisher {
            kind,
            sequence: None,
        }
    }

    /// Publishes with this sequence number instead: it must be above the
    /// previous list's, and it replaces a previous list this root cannot
    /// vouch for.
    #[must_use]
    pub fn with_sequence(self, sequence: u64) -> Self {
        ListPublisher {
            sequence: Some(sequence),
            ..self
        }
    }

    /// The next-update time of a list signed at `issued_at`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] with [`ListProblem::NextUpdateNotAfterIssued`]
    /// when it is not after `issued_at`.
    pub fn next_update(issued_at: UnixTime, validity: Validity) -> Result<UnixTime, Error> {
        let next_update = match validity {
            Validity::Until(t) => t,
            Validity::For(secs) => issued_at.plus(secs),
        };
        if next_update <= issued_at {
            return Err(Error::invalid_list(
                None,
                ListLayer::Envelope,
                ListProblem::NextUpdateNotAfterIssued {
                    issued_at,
                    next_update,
                },
            ));
        }
        Ok(next_update)
    }

    /// The sequence number of the list after `previous` (the bytes of the
    /// previous signed list, if there is one), for lists signed by `root`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] with [`ListProblem::PreviousNotSigned`],
    /// [`ListProblem::PreviousForeign`], [`ListProblem::SequenceNotAbove`] or
    /// [`ListProblem::SequenceExhausted`], as the module docs' rules 2 to 4
    /// say.
    pub fn next_sequence(&self, root: &RootKey, previous: Option<&[u8]>) -> Result<u64, Error> {
        let refused = |problem| Error::invalid_list(Some(self.kind), ListLayer::Envelope, problem);
        let held = match previous {
            None => None,
            Some(bytes) if !SignedList::is_envelope(bytes) => {
                return Err(refused(ListProblem::PreviousNotSigned));
            }
            Some(bytes) => match SignedList::from_json(bytes)
                .and_then(|s| s.verify(root, self.kind).map(|v| v.info().sequence))
            {
                Ok(sequence) => Some(sequence),
                Err(_) if self.sequence.is_some() => None,
                Err(e) => {
                    return Err(refused(ListProblem::PreviousForeign { why: e.to_string() }));
                }
            },
        };
        match (self.sequence, held) {
            (Some(requested), Some(previous)) if requested <= previous => {
                Err(refused(ListProblem::SequenceNotAbove {
                    previous,
                    requested,
                }))
            }
            (Some(requested), _) => Ok(requested),
            (None, Some(previous)) => previous
                .checked_add(1)
                .ok_or_else(|| refused(ListProblem::SequenceExhausted)),
            (None, None) => Ok(1),
        }
    }

    /// Signs `payload` (the exact bytes of the list) with `root` as the
    /// list after `previous` (the bytes of the previous signed list, if
    /// there is one), issued at `now` and due as `validity` says.
    ///
    /// # Errors
    ///
    /// The errors of [`ListPublisher::next_update`] and
    /// [`ListPublisher::next_sequence`], and those of [`SignedList::sign`]
    /// when it refuses the root key or the payload.
    pub fn publish(
        &self,
        root: &SigningKey,
        previous: Option<&[u8]>,
        payload: Vec<u8>,
        now: UnixTime,
        validity: Validity,
    ) -> Result<SignedList, Error> {
        let next_update = Self::next_update(now, validity)?;
        let root_pub = RootKey::of(root)?;
        let sequence = self.next_sequence(&root_pub, previous)?;
        let info = ListInfo {
            kind: self.kind,
            sequence,
            issued_at: now,
            next_update,
        };
        SignedList::sign(root, info, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Algorithm;

    const TRUST: &str = r#"{"keys":[{"kid":"32eac5b0","label":"demo-issuer","alg":"ed25519","authority":"x","public_key":"maCE2O8xW9Ndj5lyP/xsykGmM3E2ubDC17cUfoYWYKU=","not_before":"2026-01-01T00:00:00Z","not_after":"2035-12-30T00:00:00Z"}]}"#;
    const NOW: UnixTime = UnixTime::from_secs(1_000_000);
    const DAY: Validity = Validity::For(86_400);

    fn root() -> SigningKey {
        SigningKey::generate(Algorithm::Ed25519).unwrap()
    }

    /// The sequence of `signed`, checked under `root`.
    fn sequence(root: &SigningKey, signed: &SignedList) -> u64 {
        signed
            .verify(&RootKey::of(root).unwrap(), ListKind::Trust)
            .unwrap()
            .info()
            .sequence
    }

    fn trust() -> ListPublisher {
        ListPublisher::new(ListKind::Trust)
    }

    /// The envelope bytes of a trust list of `sequence` signed by `root`.
    fn held(root: &SigningKey, sequence: u64) -> String {
        trust()
            .with_sequence(sequence)
            .publish(root, None, TRUST.into(), NOW, DAY)
            .unwrap()
            .to_json()
    }

    /// Publishes the trust payload after `previous`, with `sequence` if
    /// given.
    fn after(
        root: &SigningKey,
        sequence: Option<u64>,
        previous: &str,
    ) -> Result<SignedList, Error> {
        let publisher = match sequence {
            Some(n) => trust().with_sequence(n),
            None => trust(),
        };
        publisher.publish(root, Some(previous.as_bytes()), TRUST.into(), NOW, DAY)
    }

    /// The list problem of a publishing refusal.
    fn problem(e: &Error) -> &ListProblem {
        match e {
            Error::InvalidList { problem, .. } => problem,
            other => panic!("not a list refusal: {other}"),
        }
    }

    #[test]
    fn the_first_list_is_sequence_one_issued_now() {
        let root = root();
        let signed = trust()
            .publish(&root, None, TRUST.into(), NOW, DAY)
            .unwrap();
        let verified = signed
            .verify(&RootKey::of(&root).unwrap(), ListKind::Trust)
            .unwrap();
        assert_eq!(
            *verified.info(),
            ListInfo {
                kind: ListKind::Trust,
                sequence: 1,
                issued_at: NOW,
                next_update: UnixTime::from_secs(1_086_400),
            }
        );
        assert_eq!(verified.payload(), TRUST.as_bytes());
    }

    #[test]
    fn the_next_list_is_one_more_than_the_previous() {
        let root = root();
        let previous = held(&root, 4);
        let signed = after(&root, None, &previous).unwrap();
        assert_eq!(sequence(&root, &signed), 5);
    }

    #[test]
    fn a_given_sequence_above_the_previous_is_taken() {
        let root = root();
        let previous = held(&root, 4);
        let signed = after(&root, Some(9), &previous).unwrap();
        assert_eq!(sequence(&root, &signed), 9);
    }

    #[test]
    fn a_sequence_that_does_not_go_up_is_a_rollback() {
        let root = root();
        let previous = held(&root, 4);
        for requested in [1, 3, 4] {
            let e = after(&root, Some(requested), &previous).unwrap_err();
            assert!(
                matches!(problem(&e), ListProblem::SequenceNotAbove { previous: 4, requested: r } if *r == requested),
                "{e}"
            );
        }
    }

    #[test]
    fn a_list_of_another_root_is_replaced_only_with_a_given_sequence() {
        let (root, other) = (root(), root());
        let previous = held(&other, 7);
        let e = after(&root, None, &previous).unwrap_err();
        assert!(
            matches!(problem(&e), ListProblem::PreviousForeign { why } if why.contains("root")),
            "{e}"
        );
        let signed = after(&root, Some(2), &previous).unwrap();
        assert_eq!(sequence(&root, &signed), 2);
    }

    #[test]
    fn a_list_of_the_other_kind_or_damaged_is_foreign() {
        let root = root();
        let revocations = ListPublisher::new(ListKind::Revocation)
            .publish(&root, None, br#"{"revoked":[]}"#.to_vec(), NOW, DAY)
            .map(|s| s.to_json());
        // An empty revocation list may be spelled differently: build one
        // from the library when this spelling is refused.
        let revocations = revocations.unwrap_or_else(|_| {
            ListPublisher::new(ListKind::Revocation)
                .publish(
                    &root,
                    None,
                    crate::RevocationList::new().to_json().into_bytes(),
                    NOW,
                    DAY,
                )
                .unwrap()
                .to_json()
        });
        let damaged = r#"{"format":"medcode-list/1","kind":"trust"}"#;
        for previous in [revocations.as_str(), damaged] {
            let e = after(&root, None, previous).unwrap_err();
            assert!(
                matches!(problem(&e), ListProblem::PreviousForeign { .. }),
                "{e}"
            );
        }
    }

    #[test]
    fn a_previous_file_that_is_not_a_signed_list_is_refused() {
        let root = root();
        for previous in [TRUST, "not json", ""] {
            let e = after(&root, Some(3), previous).unwrap_err();
            assert!(matches!(problem(&e), ListProblem::PreviousNotSigned), "{e}");
        }
    }

    #[test]
    fn the_largest_sequence_has_no_successor() {
        let root = root();
        let previous = held(&root, u64::MAX);
        let e = after(&root, None, &previous).unwrap_err();
        assert!(matches!(problem(&e), ListProblem::SequenceExhausted), "{e}");
    }

    #[test]
    fn the_next_update_must_be_after_the_signing_time() {
        assert_eq!(
            ListPublisher::next_update(NOW, Validity::Until(UnixTime::from_secs(1_000_001))).ok(),
            Some(UnixTime::from_secs(1_000_001))
        );
        assert_eq!(
            ListPublisher::next_update(NOW, Validity::For(60)).ok(),
            Some(UnixTime::from_secs(1_000_060))
        );
        for validity in [Validity::Until(NOW), Validity::For(0)] {
            let e = trust()
                .publish(&root(), None, TRUST.into(), NOW, validity)
                .unwrap_err();
            assert!(
                matches!(problem(&e), ListProblem::NextUpdateNotAfterIssued { issued_at, next_update } if *issued_at == NOW && *next_update == NOW),
                "{e}"
            );
        }
    }

    #[test]
    fn signing_refusals_pass_through() {
        let p256 = SigningKey::generate(Algorithm::P256).unwrap();
        let e = trust()
            .publish(&p256, None, TRUST.into(), NOW, DAY)
            .unwrap_err();
        assert!(e.reason().as_str() == "invalid_key", "{e}");
        let e = trust()
            .publish(&root(), None, b"[]".to_vec(), NOW, DAY)
            .unwrap_err();
        assert_eq!(e.reason().as_str(), "invalid_trust_list", "{e}");
        assert!(
            matches!(
                e,
                Error::InvalidList {
                    layer: ListLayer::Payload,
                    ..
                } | Error::InvalidList {
                    layer: ListLayer::Bare,
                    ..
                }
            ),
            "{e:?}"
        );
    }
}
