//! Batch verification for back ends that re-check many codes at once (a
//! settlement audit, a chain's central store): [`Verifier::verify_batch`].
//!
//! Every text gets exactly the verdict [`Verifier::verify`] would give it at
//! the same `now`, in input order, replay guard included. The batch only
//! changes how the Ed25519 signatures are checked (in the default build): the
//! signatures under one key are checked together, up to
//! [`BATCH_MAX`] per batch equation, which costs a fraction of separate
//! checks. A batch that fails is split in halves to find the bad
//! signatures; what no passed batch covers is checked one by one, as
//! `verify` does. With the `ring-ed25519-verify` feature (ring has no batch
//! API), and for P-256, every signature is checked one by one.

use crate::TrustList;
use crate::VerifiedToken;
use crate::Verifier;
use crate::error::{Error, Result};
use crate::keys::PublicKey;
use crate::time::UnixTime;
use crate::token::{TokenId, UntrustedToken};
use crate::verify::context::TillContext;
use crate::verify::verdict::{Checked, Refusal, Verdict};
use crate::verify::verifier::{Parsed, parse_code};

/// Most signatures in one batch equation. Past a few dozen the time per
/// signature hardly falls, and a failed batch costs more to bisect.
pub const BATCH_MAX: usize = 64;

/// A code that passed every check but the replay guard, and until when its
/// id is to be recorded.
type Unmarked = (VerifiedToken, UnixTime);

impl Verifier {
    /// Verifies many token texts at one time `now`: one result per text, in
    /// order, each exactly what [`Verifier::verify`] returns for it (a
    /// duplicate is `replayed` when a replay guard is set, as it would be
    /// when verified one after the other).
    ///
    /// In the default build (not `ring-ed25519-verify`), a passed batch
    /// equation stands for the single checks of its signatures. The one
    /// input on which the two can differ
    /// is a signature whose `R` carries a small-order component: a single
    /// check refuses it, a batch may pass it. Making one takes a trusted
    /// issuer's private key (ring's signer never does), so it lets no one
    /// forge a code; docs/PERFORMANCE.md has the details.
    ///
    /// ```
    /// # use medcode::{Algorithm, Claims, InsuredId, Issuer, Reason, Region, SigningKey,
    /// #               TrustList, TrustedKey, UnixTime, Verifier};
    /// # let key = SigningKey::generate(Algorithm::Ed25519)?;
    /// # let trusted = TrustedKey {
    /// #     key: key.public_key().clone(),
    /// #     label: "issuer".into(),
    /// #     authority: "Example".into(),
    /// #     not_before: UnixTime::from_secs(0),
    /// #     not_after: UnixTime::from_secs(u64::from(u32::MAX)),
    /// # };
    /// # let issuer = Issuer::new(key);
    /// # let verifier = Verifier::new(TrustList::new(vec![trusted])?);
    /// let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;
    /// let claims = Claims::new(InsuredId::new("12345678901234567890")?, Region::new("110000")?);
    /// let a = issuer.issue(&claims, now)?;
    /// let b = issuer.issue(&claims, now)?;
    /// let results = verifier.verify_batch(&[a.text(), "MC1123", b.text()], now.plus(5));
    /// assert!(results[0].is_ok() && results[2].is_ok());
    /// assert_eq!(results[1].as_ref().unwrap_err().reason(), Reason::Malformed);
    /// # Ok::<(), medcode::Error>(())
    /// ```
    pub fn verify_batch<S: AsRef<str>>(
        &self,
        texts: &[S],
        now: UnixTime,
    ) -> Vec<Result<VerifiedToken>> {
        let context = TillContext::new();
        let scans: Vec<(&str, &TillContext)> =
            texts.iter().map(|t| (t.as_ref(), &context)).collect();
        self.check_batch(&scans, now)
            .into_iter()
            .map(Verdict::into_result)
            .collect()
    }

    /// [`Verifier::verify_batch`] of codes each shown in its till context,
    /// as [`Verdict`]s: the decisions [`Verifier::check`] would give one by
    /// one, in input order; the observer, if any, hears each.
    pub fn check_batch(&self, scans: &[(&str, &TillContext)], now: UnixTime) -> Vec<Verdict> {
        let parsed: Vec<Result<Parsed>> = scans.iter().map(|(text, _)| parse_code(text)).collect();
        // One snapshot of the trust list for the whole batch: the keys a
        // batch proves are borrowed from it (a list installed meanwhile is
        // still honoured by each token's own checks, which compare keys by
        // value).
        let trust = self.trust_list();
        let tokens: Vec<std::result::Result<&UntrustedToken, ()>> = parsed
            .iter()
            .map(|p| match p {
                Ok(Parsed::Token(t)) => Ok(t),
                // Device codes and errors take no part in the batch equations.
                Ok(Parsed::Device(_)) | Err(_) => Err(()),
            })
            .collect();
        let proven = self.prove_signatures(&trust, &tokens, now);
        let checked: Vec<Result<(Parsed, Checked<Unmarked>)>> = parsed
            .into_iter()
            .zip(proven)
            .zip(scans)
            .map(|((code, key), (_, context))| {
                let region = self.region_for(context);
                code.map(|c| {
                    let checked = match &c {
                        Parsed::Token(t) => self.check_token(t, now, key, region),
                        // A device code's signatures are each under another
                        // key (the device's): checked one by one, the
                        // credential's from the cache for a phone seen before.
                        Parsed::Device(d) => self.check_device_code(d, now, region),
                    };
                    (c, checked)
                })
            })
            .collect();
        // The codes that passed every other check, recorded in input order
        // (a duplicate is `replayed`, as in sequence), in one call: one
        // round trip for a shared guard.
        if let Some(observer) = &self.observer {
            let consumed = checked
                .iter()
                .filter(|r| matches!(r, Ok((_, Ok(_)))))
                .count();
            if consumed > 0 {
                observer.admit(consumed);
            }
        }
        let mut marks = match self.replay_guard() {
            Some(guard) => {
                let items: Vec<(TokenId, UnixTime)> = checked
                    .iter()
                    .filter_map(|r| match r {
                        Ok((_, Ok((v, until)))) => Some((v.token_id(), *until)),
                        _ => None,
                    })
                    .collect();
                Some(guard.mark_seen_many(&items, now).into_iter())
            }
            None => None,
        };
        checked
            .into_iter()
            .zip(scans)
            .map(|(r, (_, context))| {
                let (code, checked) = match r {
                    Ok(pair) => pair,
                    Err(e) => return self.observed(Verdict::unread(e), context, now),
                };
                let checked = checked.and_then(|(mut verified, _)| {
                    if let Some(marks) = &mut marks {
                        let mark = marks.next().unwrap_or_else(|| {
                            Err(Error::ReplayGuardUnavailable {
                                why: "the replay guard gave fewer answers than codes".into(),
                            })
                        });
                        if let Some(notice) = mark.map_err(Refusal::signed)? {
                            verified.notices.push(notice);
                        }
                    }
                    Ok(verified)
                });
                let verdict = match &code {
                    Parsed::Token(t) => self.token_verdict(t, checked),
                    Parsed::Device(d) => self.device_verdict(d, checked),
                };
                self.observed(verdict, context, now)
            })
            .collect()
    }

    #[cfg(feature = "ring-ed25519-verify")]
    fn prove_signatures<'t>(
        &self,
        _trust: &'t TrustList,
        parsed: &[std::result::Result<&UntrustedToken, ()>],
        _now: UnixTime,
    ) -> Vec<Option<&'t PublicKey>> {
        vec![None; parsed.len()]
    }

    /// For each parsed token, the key a passed batch showed to verify its
    /// signature, if any.
    #[cfg(not(feature = "ring-ed25519-verify"))]
    fn prove_signatures<'t>(
        &self,
        trust: &'t TrustList,
        parsed: &[std::result::Result<&UntrustedToken, ()>],
        now: UnixTime,
    ) -> Vec<Option<&'t PublicKey>> {
        let mut proven = vec![None; parsed.len()];
        // Group by key the tokens with exactly one trusted key in its
        // window: the Ed25519 keys the single check would try alone.
        let mut groups: Vec<(&'t PublicKey, Vec<usize>)> = Vec::new();
        let mut messages: Vec<Vec<u8>> = vec![Vec::new(); parsed.len()];
        for (i, token) in parsed.iter().enumerate() {
            let Ok(token) = token else { continue };
            let Some(key) = sole_ed25519_key(trust, token, now) else {
                continue;
            };
            messages[i] = crate::token::signed_message(token.signed_bytes());
            match groups.iter_mut().find(|(k, _)| std::ptr::eq(*k, key)) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        for (key, members) in groups {
            let Some(prepared) = key.prepared_ed25519() else {
                continue;
            };
            let check = |indices: &[usize]| {
                let items: Vec<(&[u8], &[u8])> = indices
                    .iter()
                    .filter_map(|&i| {
                        let token = parsed[i].as_ref().ok()?;
                        Some((messages[i].as_slice(), token.signature()))
                    })
                    .collect();
                prepared.verify_batch(&items)
            };
            for chunk in members.chunks(BATCH_MAX) {
                for i in settle(chunk, &check) {
                    proven[i] = Some(key);
                }
            }
        }
        proven
    }
}

/// The one trusted key in its window for this token, when it is an Ed25519
/// key; `None` when there are none or several.
#[cfg(not(feature = "ring-ed25519-verify"))]
fn sole_ed25519_key<'t>(
    trust: &'t TrustList,
    token: &UntrustedToken,
    now: UnixTime,
) -> Option<&'t PublicKey> {
    let issued_at = UnixTime::from_secs(u64::from(token.body().issued_at));
    let kid = token.key_id();
    let mut in_window = trust
        .candidates(&kid)
        .filter(|k| k.valid_at(now) && k.valid_at(issued_at));
    let only = in_window.next()?;
    if in_window.next().is_some() || only.key.algorithm() != crate::keys::Algorithm::Ed25519 {
        return None;
    }
    Some(&only.key)
}

/// A failed batch smaller than this is left to single checks.
#[cfg(not(feature = "ring-ed25519-verify"))]
const BISECT_MIN: usize = 8;

/// The members of `indices` shown valid by passed batches: the whole set
/// when its batch passes; otherwise its halves, recursively, while exactly
/// one half fails (one bad signature is found in a few small batches;
/// when both halves fail there are many, and single checks are cheaper).
#[cfg(not(feature = "ring-ed25519-verify"))]
fn settle(indices: &[usize], check: &impl Fn(&[usize]) -> bool) -> Vec<usize> {
    if indices.len() < 2 {
        return Vec::new(); // a single check costs no more than a batch of one
    }
    if check(indices) {
        return indices.to_vec();
    }
    let mut failed = indices;
    let mut shown = Vec::new();
    while failed.len() >= BISECT_MIN {
        let (left, right) = failed.split_at(failed.len() / 2);
        match (check(left), check(right)) {
            // Only a failure of the random generator gets here: leave the
            // rest to single checks.
            (true, true) => break,
            (true, false) => {
                shown.extend_from_slice(left);
                failed = right;
            }
            (false, true) => {
                shown.extend_from_slice(right);
                failed = left;
            }
            (false, false) => break,
        }
    }
    shown
}

#[cfg(all(test, not(feature = "ring-ed25519-verify")))]
mod tests {
    use super::*;
    use crate::{Algorithm, Claims, InsuredId, Issuer, Region, SigningKey, TrustList, TrustedKey};
    use std::cell::Cell;

    #[test]
    fn passed_batches_prove_the_good_signatures_only() {
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let trusted = TrustedKey {
            key: key.public_key().clone(),
            label: "k".into(),
            authority: "a".into(),
            not_before: UnixTime::from_secs(0),
            not_after: UnixTime::from_secs(4_000_000_000),
        };
        let verifier = Verifier::new(TrustList::new(vec![trusted]).unwrap());
        let issuer = Issuer::new(key);
        // 2026-11-22T08:00:00Z
        let now = UnixTime::from_secs(1_795_334_400);
        let claims = Claims::new(InsuredId::new("7").unwrap(), Region::new("110000").unwrap());
        let mut texts: Vec<String> = (0..21)
            .map(|_| issuer.issue(&claims, now).unwrap().text().to_owned())
            .collect();
        let parse = |texts: &[String]| -> Vec<UntrustedToken> {
            texts
                .iter()
                .map(|t| UntrustedToken::parse(t).unwrap())
                .collect()
        };
        fn refs(tokens: &[UntrustedToken]) -> Vec<std::result::Result<&UntrustedToken, ()>> {
            tokens.iter().map(Ok).collect()
        }
        let trust = verifier.trust_list();
        let all_good = verifier.prove_signatures(&trust, &refs(&parse(&texts)), now);
        assert!(all_good.iter().all(Option::is_some));
        // One bad: 21 fails, 10 + 11 finds the bad half, then 5 + 5 or
        // 5 + 6; the failed 5 or 6 are left to single checks.
        let mut bad = texts[15].clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'9' {
            b'0'
        } else {
            bad[last] + 1
        };
        texts[15] = String::from_utf8(bad).unwrap();
        let proven = verifier.prove_signatures(&trust, &refs(&parse(&texts)), now);
        assert!(proven[15].is_none());
        let count = proven.iter().filter(|p| p.is_some()).count();
        assert!((15..=16).contains(&count), "{count} proven");
    }

    #[test]
    fn one_bad_signature_is_isolated_by_bisection() {
        let indices: Vec<usize> = (0..64).collect();
        let calls = Cell::new(0);
        let check = |set: &[usize]| {
            calls.set(calls.get() + 1);
            !set.contains(&41)
        };
        let shown = settle(&indices, &check);
        // 64 fails; 32+32, 16+16, 8+8, 4+4 narrow it to the 4 holding 41.
        assert_eq!(calls.get(), 9);
        let mut expected: Vec<usize> = (0..64).filter(|i| !(40..44).contains(i)).collect();
        let mut got = shown.clone();
        got.sort_unstable();
        expected.sort_unstable();
        assert_eq!(got, expected);
    }

    #[test]
    fn many_bad_signatures_stop_the_bisection() {
        let indices: Vec<usize> = (0..64).collect();
        let calls = Cell::new(0);
        let check = |set: &[usize]| {
            calls.set(calls.get() + 1);
            !(set.contains(&3) || set.contains(&60))
        };
        assert!(settle(&indices, &check).is_empty());
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn a_passing_set_is_shown_whole_and_a_single_is_left_alone() {
        let indices: Vec<usize> = (0..10).collect();
        assert_eq!(settle(&indices, &|_: &[usize]| true), indices);
        assert!(settle(&[7], &|_: &[usize]| true).is_empty());
    }
}
