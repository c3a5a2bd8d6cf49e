//! Integration tests of the library: issue, verify, every reason code, the
//! edges of the validity window, key rotation, key windows, kid collisions
//! and damaged tokens. Every test pins time to fixed instants.

mod fixtures;
use fixtures::{t, t0, test_key, trusted, trusted_between};

use medcode::{
    Algorithm, Claims, Error, InsuredId, Issuer, MaskedName, Notice, Presenter, Reason, Region,
    Relation, Scheme, SigningKey, Status, TrustList, UntrustedToken, Verifier,
};

fn beijing() -> Claims {
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    c
}

fn setup(alg: Algorithm) -> (Issuer, Verifier) {
    let key = SigningKey::generate(alg).unwrap();
    let trust = TrustList::new(vec![trusted(&key)]).unwrap();
    (Issuer::new(key), Verifier::new(trust))
}

fn reason(r: Result<medcode::VerifiedToken, Error>) -> Reason {
    r.expect_err("expected a rejection").reason()
}

#[test]
fn round_trip_returns_exactly_the_claims_for_every_algorithm() {
    for alg in Algorithm::ALL {
        let (issuer, verifier) = setup(alg);
        let token = issuer.issue(&beijing(), t0()).unwrap();
        let v = verifier.verify(token.text(), t0().plus(1)).unwrap();
        assert_eq!(v.claims(), &beijing());
        assert_eq!(v.insured().as_str(), "12345678901234567890");
        assert_eq!(v.name().unwrap().as_str(), "张*");
        assert_eq!(v.region().code(), 110_000);
        assert_eq!(v.status(), Status::Normal);
        assert_eq!(v.scheme(), Scheme::Employee);
        assert_eq!(v.issued_at(), t0());
        assert_eq!(v.expires_at(), t0().plus(60));
        assert_eq!(v.token_id(), token.token_id());
        assert_eq!(v.key_id(), issuer.key_id());
        assert_eq!(v.algorithm(), alg);
        assert_eq!(v.authority(), "test authority");
        assert!(v.presenter().is_none());
        assert!(v.notices().is_empty());
    }
}

#[test]
fn a_normal_self_token_has_its_exact_size() {
    let (issuer, _) = setup(Algorithm::Ed25519);
    let token = issuer.issue(&beijing(), t0()).unwrap();
    // 23 fixed + 9 packed digits + 4 name bytes + 64 signature.
    assert_eq!(token.binary_len(), 100);
    // "MC1" + ceil(100 * log10 256) = 241 digits.
    assert_eq!(token.text().len(), 244);
    assert!(token.text()[3..].bytes().all(|b| b.is_ascii_digit()));
    let (p256, _) = setup(Algorithm::P256);
    assert_eq!(p256.issue(&beijing(), t0()).unwrap().text().len(), 244);
    let (sm2, _) = setup(Algorithm::Sm2);
    assert_eq!(sm2.issue(&beijing(), t0()).unwrap().text().len(), 244);
}

#[test]
fn each_code_gets_a_fresh_token_id() {
    let (issuer, _) = setup(Algorithm::Ed25519);
    let a = issuer.issue(&beijing(), t0()).unwrap();
    let b = issuer.issue(&beijing(), t0()).unwrap();
    assert_ne!(a.token_id(), b.token_id());
    assert_ne!(a.text(), b.text());
}

#[test]
fn alphanumeric_lapsed_resident_and_delegate_round_trip() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    let mut c = Claims::new(
        InsuredId::new("ZZ9Q00AB").unwrap(),
        Region::new("440300").unwrap(),
    );
    c.status = Status::Lapsed;
    c.scheme = Scheme::Resident;
    c.presenter = Some(Presenter {
        insured: InsuredId::new("00000000000000000001").unwrap(),
        relation: Relation::Grandchild,
        mutual_aid: false,
    });
    let token = issuer.issue(&c, t0()).unwrap();
    let v = verifier.verify(token.text(), t0()).unwrap();
    assert_eq!(v.claims(), &c);
    assert_eq!(v.status(), Status::Lapsed);
    let p = v.presenter().unwrap();
    assert_eq!(p.insured.as_str(), "00000000000000000001");
    assert_eq!(p.relation, Relation::Grandchild);
    assert!(!p.mutual_aid);
}

/// One code, one use by default: `Verifier::new` refuses the second
/// presentation of a code within its validity, across clones, until the
/// guard is turned off explicitly.
#[test]
fn a_new_verifier_refuses_the_second_presentation() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    assert!(verifier.has_replay_guard());
    let token = issuer.issue(&beijing(), t0()).unwrap();
    let first = verifier.verify(token.text(), t0()).unwrap();
    assert_eq!(first.token_id(), token.token_id());
    let again = verifier.verify(token.text(), t0().plus(1)).unwrap_err();
    assert_eq!(again.reason(), Reason::Replayed);
    assert_eq!(
        again.to_string(),
        format!("replayed: token {} was already accepted", token.token_id())
    );
    // Clones share the guard; the policy setters keep it.
    let clone = verifier.clone().with_leeway(0);
    assert_eq!(
        reason(clone.verify(token.text(), t0().plus(2))),
        Reason::Replayed
    );
    // Another code from the same person is accepted once too.
    let other = issuer.issue(&beijing(), t0()).unwrap();
    assert!(verifier.verify(other.text(), t0()).is_ok());
    assert_eq!(
        reason(verifier.verify(other.text(), t0())),
        Reason::Replayed
    );
    // The explicit opt-out (on a clone: the original keeps its guard)
    // accepts the same code again and again.
    let bare = verifier.clone().without_replay_guard();
    assert!(!bare.has_replay_guard());
    assert!(verifier.has_replay_guard());
    assert!(bare.verify(token.text(), t0()).is_ok());
    assert!(bare.verify(token.text(), t0().plus(1)).is_ok());
}

#[test]
fn the_validity_window_edges_are_exact() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    // One code shown at many instants: the edges, not the replay guard.
    let verifier = verifier.without_replay_guard();
    let token = issuer.issue(&beijing(), t0()).unwrap();
    // Expiry is t0 + 60, leeway 15: the last accepted second is t0 + 75.
    assert!(verifier.verify(token.text(), t0().plus(74)).is_ok());
    assert!(verifier.verify(token.text(), t0().plus(75)).is_ok());
    let err = verifier.verify(token.text(), t0().plus(76)).unwrap_err();
    assert_eq!(err.reason(), Reason::Expired);
    assert_eq!(
        err.to_string(),
        "expired at 2026-11-22T08:01:00Z (checked at 2026-11-22T08:01:16Z)"
    );
    // Issued-at in the future: 15 s tolerated, 16 s refused.
    assert!(verifier.verify(token.text(), t0().minus(15)).is_ok());
    assert_eq!(
        reason(verifier.verify(token.text(), t0().minus(16))),
        Reason::NotYetValid
    );
    // A zero leeway moves both edges.
    let strict = verifier.clone().with_leeway(0);
    assert!(strict.verify(token.text(), t0().plus(60)).is_ok());
    assert_eq!(
        reason(strict.verify(token.text(), t0().plus(61))),
        Reason::Expired
    );
    assert_eq!(
        reason(strict.verify(token.text(), t0().minus(1))),
        Reason::NotYetValid
    );
}

#[test]
fn validity_above_the_policy_maximum_is_refused() {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let verifier = Verifier::new(TrustList::new(vec![trusted(&key)]).unwrap());
    let issuer = Issuer::new(key);
    let ok = issuer
        .clone_with_validity(300)
        .issue(&beijing(), t0())
        .unwrap();
    assert!(verifier.verify(ok.text(), t0()).is_ok());
    // The issuer signs a 301 s code only when its own maximum is raised.
    let long = issuer
        .clone_with_validity(301)
        .with_max_validity(301)
        .issue(&beijing(), t0())
        .unwrap();
    let err = verifier.verify(long.text(), t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::ValidityTooLong);
}

/// Builds a second issuer with another validity from the same key file.
trait CloneWithValidity {
    fn clone_with_validity(&self, secs: u16) -> Issuer;
}

impl CloneWithValidity for Issuer {
    fn clone_with_validity(&self, secs: u16) -> Issuer {
        let key = self.signing_key();
        let copy = SigningKey::from_pkcs8(&pkcs8_of(key)).unwrap();
        Issuer::new(copy).with_validity(secs)
    }
}

/// Round-trips a key through a 0600 key file, the only way out of the
/// library for private key bytes.
fn pkcs8_of(key: &SigningKey) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pk8");
    medcode::keys::write_private_key(&path, key).unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn unknown_key_and_bad_signature_are_told_apart() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    let (stranger, _) = setup(Algorithm::Ed25519);
    let foreign = stranger.issue(&beijing(), t0()).unwrap();
    let err = verifier.verify(foreign.text(), t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::UnknownKey);
    assert_eq!(
        err.to_string(),
        format!(
            "unknown key {}: no trusted key has this id",
            stranger.key_id()
        )
    );

    let token = issuer.issue(&beijing(), t0()).unwrap();
    let mut text = token.text().to_owned().into_bytes();
    let last = text.len() - 1;
    text[last] = if text[last] == b'9' {
        b'8'
    } else {
        text[last] + 1
    };
    let err = verifier
        .verify(std::str::from_utf8(&text).unwrap(), t0())
        .unwrap_err();
    assert_eq!(err.reason(), Reason::BadSignature);
}

#[test]
fn keys_rotate_with_overlapping_windows() {
    let old = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let new = SigningKey::generate(Algorithm::P256).unwrap();
    let trust = TrustList::new(vec![
        trusted_between(&old, "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        trusted_between(&new, "2026-06-01T00:00:00Z", "2027-06-01T00:00:00Z"),
    ])
    .unwrap();
    let verifier = Verifier::new(trust);
    let old = Issuer::new(old);
    let new = Issuer::new(new);

    // In the overlap both keys verify.
    let june = t("2026-06-15T12:00:00Z");
    for issuer in [&old, &new] {
        let token = issuer.issue(&beijing(), june).unwrap();
        assert_eq!(
            verifier.verify(token.text(), june).unwrap().key_id(),
            issuer.key_id()
        );
    }
    // Before the new key's window and after the old key's window.
    let may = t("2026-05-01T00:00:00Z");
    let token = new.issue(&beijing(), may).unwrap();
    assert_eq!(
        reason(verifier.verify(token.text(), may)),
        Reason::UnknownKey
    );
    let august = t("2026-08-01T00:00:00Z");
    let token = old.issue(&beijing(), august).unwrap();
    let err = verifier.verify(token.text(), august).unwrap_err();
    assert_eq!(err.reason(), Reason::UnknownKey);
    assert!(err.to_string().contains("outside its validity window"));
    assert!(
        verifier
            .verify(new.issue(&beijing(), august).unwrap().text(), august)
            .is_ok()
    );
}

#[test]
fn a_key_must_be_in_its_window_both_at_issue_and_at_verification() {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trust = TrustList::new(vec![trusted_between(
        &key,
        "2026-11-22T08:00:00Z",
        "2026-11-22T08:00:30Z",
    )])
    .unwrap();
    let verifier = Verifier::new(trust);
    let issuer = Issuer::new(key);
    // Issued at the window's last second, verified 1 s later: refused.
    let token = issuer.issue(&beijing(), t0().plus(30)).unwrap();
    assert!(verifier.verify(token.text(), t0().plus(30)).is_ok());
    assert_eq!(
        reason(verifier.verify(token.text(), t0().plus(31))),
        Reason::UnknownKey
    );
    // Issued 1 s before the window opens (clock leeway would otherwise let
    // it through): refused.
    let early = issuer.issue(&beijing(), t0().minus(1)).unwrap();
    assert_eq!(
        reason(verifier.verify(early.text(), t0())),
        Reason::UnknownKey
    );
}

#[test]
fn colliding_key_ids_are_each_tried() {
    let a = test_key("kid-collision-a");
    let b = test_key("kid-collision-b");
    assert_eq!(a.key_id(), b.key_id());
    assert_eq!(a.key_id().to_string(), "de832792");
    assert_ne!(a.public_key(), b.public_key());

    let both = Verifier::new(TrustList::new(vec![trusted(&a), trusted(&b)]).unwrap());
    let only_a = Verifier::new(TrustList::new(vec![trusted(&a)]).unwrap());
    let by_a = Issuer::new(a).issue(&beijing(), t0()).unwrap();
    let by_b = Issuer::new(b).issue(&beijing(), t0()).unwrap();
    assert!(both.verify(by_a.text(), t0()).is_ok());
    assert!(both.verify(by_b.text(), t0()).is_ok());
    assert!(only_a.verify(by_a.text(), t0()).is_ok());
    // Signed by a key with a trusted key id that is not itself trusted.
    assert_eq!(
        reason(only_a.verify(by_b.text(), t0())),
        Reason::BadSignature
    );
}

#[test]
fn cross_province_switch_is_applied_only_with_a_till_region() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    // One code shown at tills of several regions: the switch, not the guard.
    let verifier = verifier.without_replay_guard();
    let mut c = beijing();
    c.cross_province = false;
    let token = issuer.issue(&c, t0()).unwrap();

    let no_region = verifier.verify(token.text(), t0()).unwrap();
    assert_eq!(no_region.notices(), &[Notice::CrossProvinceNotChecked]);

    let same = verifier
        .clone()
        .with_till_region(Region::new("110105").unwrap());
    assert!(
        same.verify(token.text(), t0())
            .unwrap()
            .notices()
            .is_empty()
    );

    let other = verifier
        .clone()
        .with_till_region(Region::new("440300").unwrap());
    assert_eq!(
        reason(other.verify(token.text(), t0())),
        Reason::CrossProvinceDisabled
    );

    // A holder who left the switch on is accepted anywhere (national recognition).
    let open = issuer.issue(&beijing(), t0()).unwrap();
    assert!(other.verify(open.text(), t0()).is_ok());
}

#[test]
fn truncated_extended_and_bit_flipped_tokens_are_rejected() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    // The prefix's letter case flipped is the same token, accepted each
    // time it comes up below: the mutations, not the guard.
    let verifier = verifier.without_replay_guard();
    let token = issuer.issue(&beijing(), t0()).unwrap();
    let text = token.text();

    for cut in 0..text.len() {
        let r = verifier.verify(&text[..cut], t0());
        assert_eq!(reason(r), Reason::Malformed, "truncated to {cut}");
    }
    for extra in ["0", "1", "9", "00", "000", " 0", "\n0", "A", "0000000000"] {
        let r = verifier.verify(&format!("{text}{extra}"), t0());
        assert_eq!(reason(r), Reason::Malformed, "extended by {extra:?}");
    }
    // ASCII whitespace around the text is what scanners add: ignored.
    for (before, after) in [(" ", ""), ("", "\r\n"), ("\t", " "), ("", "\n")] {
        let r = verifier.verify(&format!("{before}{text}{after}"), t0());
        assert!(r.is_ok(), "{before:?} {after:?}: {r:?}");
    }
    // Inside it, whitespace is refused, with words that say so.
    let e = verifier
        .verify(&format!("{} {}", &text[..50], &text[50..]), t0())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "malformed token: whitespace inside the token text (two codes, or a broken scan?)"
    );
    // Every digit position, every other digit value: never accepted.
    let bytes = text.as_bytes();
    for i in 3..bytes.len() {
        for d in b'0'..=b'9' {
            if d == bytes[i] {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = d;
            let r = verifier.verify(std::str::from_utf8(&changed).unwrap(), t0());
            let why = reason(r);
            assert!(
                matches!(
                    why,
                    Reason::Malformed
                        | Reason::UnsupportedVersion
                        | Reason::UnknownKey
                        | Reason::BadSignature
                ),
                "position {i} digit {d}: {why}"
            );
        }
    }
    // Every single-bit flip of every character of the text.
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.to_vec();
            flipped[i] ^= 1 << bit;
            let Ok(s) = std::str::from_utf8(&flipped) else {
                continue; // not a string a scanner could hand over
            };
            let r = verifier.verify(s, t0());
            if s.eq_ignore_ascii_case(text) {
                // The prefix's letter case: the same token, by design.
                assert_eq!(r.unwrap().token_id(), token.token_id());
                continue;
            }
            assert!(r.is_err(), "flip of bit {bit} at {i} accepted");
            if i >= 3 {
                assert_ne!(reason(r), Reason::Expired);
            }
        }
    }
    let parsed = UntrustedToken::parse(text).unwrap();
    assert_eq!(parsed.as_bytes().len(), 100);
}

#[test]
fn the_prefix_is_case_insensitive_and_versioned() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    let token = issuer.issue(&beijing(), t0()).unwrap();
    let lower = format!("mc1{}", &token.text()[3..]);
    assert!(verifier.verify(&lower, t0()).is_ok());
    let v2 = format!("MC9{}", &token.text()[3..]);
    assert_eq!(
        reason(verifier.verify(&v2, t0())),
        Reason::UnsupportedVersion
    );
    for garbage in ["", "MC1", "MC", "hello", "MC1abc", &"9".repeat(5000)] {
        assert_eq!(reason(verifier.verify(garbage, t0())), Reason::Malformed);
    }
}

#[test]
fn the_issuer_refuses_claims_beyond_the_size_budget() {
    let (issuer, _) = setup(Algorithm::Ed25519);
    let mut c = beijing();
    // 20 digits (9 bytes) + "张三丰*" (10 bytes) > 15.
    c.name = Some(MaskedName::new("张三丰*").unwrap());
    let err = issuer.issue(&c, t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidClaims);
    // Claims that never reach the issuer: bad identifiers and names.
    assert_eq!(
        InsuredId::new("").unwrap_err().reason(),
        Reason::InvalidClaims
    );
    assert_eq!(
        InsuredId::new("abc").unwrap_err().reason(),
        Reason::InvalidClaims
    );
    assert_eq!(
        InsuredId::new("123456789012345678901")
            .unwrap_err()
            .reason(),
        Reason::InvalidClaims
    );
    assert_eq!(
        MaskedName::new("张三").unwrap_err().reason(),
        Reason::InvalidClaims
    );
    assert_eq!(
        Region::new("012345").unwrap_err().reason(),
        Reason::InvalidClaims
    );
    // The province part must be a province-level division code.
    let e = Region::new("999999").unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidClaims);
    assert_eq!(
        e.to_string(),
        "invalid region: 999999: 99 is not a province-level division code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82)"
    );
    assert_eq!(
        Region::new("160000").unwrap_err().reason(),
        Reason::InvalidClaims
    );
    assert_eq!(Region::new("820000").unwrap().province(), 82);
}

#[test]
fn verifier_is_shared_across_threads_without_a_lock() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    let tokens: Vec<String> = (0..64)
        .map(|_| issuer.issue(&beijing(), t0()).unwrap().text().to_owned())
        .collect();
    let verifier = std::sync::Arc::new(verifier);
    std::thread::scope(|s| {
        for chunk in tokens.chunks(16) {
            let v = verifier.clone();
            s.spawn(move || {
                for text in chunk {
                    assert!(v.verify(text, t0()).is_ok());
                }
            });
        }
    });
}

#[test]
fn a_replay_guard_accepts_each_code_once_across_threads() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    let guard = std::sync::Arc::new(medcode::replay::MemoryReplayGuard::new());
    let verifier = verifier.with_replay_guard(guard.clone());
    let token = issuer.issue(&beijing(), t0()).unwrap();

    // A refused presentation (too late) does not consume the code...
    assert_eq!(
        reason(verifier.verify(token.text(), t0().plus(76))),
        Reason::Expired
    );
    assert!(guard.is_empty());

    // ...and of 8 threads presenting it at once, exactly one is accepted.
    let results: Vec<Result<medcode::VerifiedToken, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let v = verifier.clone();
                let text = token.text().to_owned();
                s.spawn(move || v.verify(&text, t0().plus(1)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for r in results.into_iter().filter(Result::is_err) {
        let e = r.unwrap_err();
        assert_eq!(e.reason(), Reason::Replayed);
        assert_eq!(
            e.to_string(),
            format!("replayed: token {} was already accepted", token.token_id())
        );
    }
    // Still refused at the last second of validity plus leeway.
    assert_eq!(
        reason(verifier.verify(token.text(), t0().plus(75))),
        Reason::Replayed
    );
    // A fresh code for the same person is accepted.
    let fresh = issuer.issue(&beijing(), t0()).unwrap();
    assert!(verifier.verify(fresh.text(), t0().plus(2)).is_ok());
    assert_eq!(guard.len(), 2);
}

/// The order n of the P-256 group and the order L of the Ed25519 group
/// (big-endian), written out here independently of the library.
const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const ED25519_L: &str = "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed";

fn be32(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).unwrap();
    out
}

/// `a - b` on 32-byte big-endian numbers, `b <= a`.
fn minus(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i32;
    for i in (0..32).rev() {
        let d = i32::from(a[i]) - i32::from(b[i]) - borrow;
        out[i] = u8::try_from(d.rem_euclid(256)).unwrap();
        borrow = i32::from(d < 0);
    }
    assert_eq!(borrow, 0);
    out
}

/// The token with its signature's second half replaced by `f(second half)`.
fn with_second_half(text: &str, f: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let token = UntrustedToken::parse(text).unwrap();
    let mut bytes = token.as_bytes().to_vec();
    let at = bytes.len() - 32;
    let changed = f(&bytes[at..]);
    bytes[at..].copy_from_slice(&changed);
    UntrustedToken::from_bytes(&bytes).unwrap().to_text()
}

#[test]
fn the_p256_twin_with_n_minus_s_is_refused_as_a_bad_signature() {
    let key = SigningKey::generate(Algorithm::P256).unwrap();
    let public = key.public_key().as_bytes().to_vec();
    let verifier = Verifier::new(TrustList::new(vec![trusted(&key)]).unwrap());
    let issuer = Issuer::new(key);
    let token = issuer.issue(&beijing(), t0()).unwrap();
    assert_eq!(
        verifier.verify(token.text(), t0()).unwrap().token_id(),
        token.token_id()
    );
    let twin = with_second_half(token.text(), |s| minus(&be32(P256_N), s).to_vec());
    assert_ne!(twin, token.text());
    // The twin passes the bare curve equation (ring alone accepts it) ...
    let parsed = UntrustedToken::parse(&twin).unwrap();
    let (signed, sig) = parsed.as_bytes().split_at(parsed.binary_len() - 64);
    let mut message = b"medcode/1".to_vec(); // the signing context, docs/FORMAT.md
    message.extend_from_slice(signed);
    let bare =
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &public);
    assert!(
        bare.verify(&message, sig).is_ok(),
        "the twin is a valid ECDSA signature"
    );
    // ... and the verifier refuses it, saying why.
    let err = verifier.verify(&twin, t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::BadSignature);
    assert_eq!(
        err.to_string(),
        format!(
            "bad signature: no trusted key {} verifies this token: its p256 signature has a high s (above half the group order); only the low-s form is accepted, so that each token has one text",
            issuer.key_id()
        )
    );
}

#[test]
fn the_issuer_makes_only_low_s_p256_signatures() {
    let half_n = be32("7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8");
    let (issuer, verifier) = setup(Algorithm::P256);
    for i in 0..256 {
        let token = issuer.issue(&beijing(), t0()).unwrap();
        let bytes = UntrustedToken::parse(token.text())
            .unwrap()
            .as_bytes()
            .to_vec();
        let s = &bytes[bytes.len() - 32..];
        assert!(s <= &half_n[..], "signature {i} has a high s");
        assert!(verifier.verify(token.text(), t0()).is_ok());
    }
}

#[test]
fn the_ed25519_twin_with_s_plus_l_is_refused_as_a_bad_signature() {
    let (issuer, verifier) = setup(Algorithm::Ed25519);
    let token = issuer.issue(&beijing(), t0()).unwrap();
    // S is little-endian and below L < 2^253: S + L still fits 32 bytes.
    let twin = with_second_half(token.text(), |s| {
        let mut big_endian: Vec<u8> = s.iter().rev().copied().collect();
        let l = be32(ED25519_L);
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(big_endian[i]) + u16::from(l[i]) + carry;
            big_endian[i] = u8::try_from(sum & 0xff).unwrap();
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        big_endian.reverse();
        big_endian
    });
    assert_ne!(twin, token.text());
    let err = verifier.verify(&twin, t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::BadSignature);
    assert_eq!(
        err.to_string(),
        format!(
            "bad signature: no trusted key {} verifies this token",
            issuer.key_id()
        )
    );
}
