//! `Verifier::verify_batch` gives, for every input, exactly the verdict
//! `Verifier::verify` gives at the same time: valid codes of several keys
//! and every algorithm (SM2 and P-256 codes checked one by one), bad signatures (alone, among many good ones, all
//! bad), garbage, expired and not-yet-valid codes, unknown and colliding
//! key ids, and duplicates under a replay guard. Run in the default build
//! (batch equations) and with `ring-ed25519-verify` (`.ci/run` does both).

mod fixtures;
use fixtures::{t, test_key, trusted};

use std::sync::Arc;

use medcode::limits::BATCH_MAX;
use medcode::replay::MemoryReplayGuard;
use medcode::{
    Algorithm, Claims, Error, InsuredId, Issuer, MaskedName, Presenter, Reason, Region, Relation,
    SigningKey, TrustList, UnixTime, VerifiedToken, Verifier,
};

/// 2026-11-22T08:00:00Z, the instant every code is checked at.
fn now() -> UnixTime {
    t("2026-11-22T08:00:00Z")
}

fn claims(n: u64) -> Claims {
    let mut c = Claims::new(
        InsuredId::new(&format!("{:020}", 12_345_678_901_234_567_890u64 + n)).unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    c
}

/// The text with the digit `from_end` places before its end changed: the
/// same length, so it still parses, with a damaged signature.
fn damaged(text: &str, from_end: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let i = bytes.len() - 1 - from_end;
    bytes[i] = if bytes[i] == b'9' { b'0' } else { bytes[i] + 1 };
    String::from_utf8(bytes).unwrap()
}

/// Deterministic shuffle (a fixed linear congruential sequence).
fn shuffle<T>(items: &mut [T]) {
    let mut state: u64 = 0x5eed;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from((state >> 33) % (i as u64 + 1)).unwrap();
        items.swap(i, j);
    }
}

/// Compares one batch verdict with one single verdict, exactly.
fn assert_same(
    i: usize,
    text: &str,
    batch: &Result<VerifiedToken, Error>,
    single: &Result<VerifiedToken, Error>,
) {
    match (batch, single) {
        (Ok(b), Ok(s)) => assert_eq!(b, s, "input {i}: {text}"),
        (Err(b), Err(s)) => {
            assert_eq!(b.reason(), s.reason(), "input {i}: {text}");
            assert_eq!(b.to_string(), s.to_string(), "input {i}: {text}");
        }
        _ => panic!("input {i} ({text}): batch {batch:?}, single {single:?}"),
    }
}

struct World {
    verifier: Verifier,
    ed_a: Issuer,
    ed_b: Issuer,
    p256: Issuer,
    sm2: Issuer,
    collide_a: Issuer,
    collide_b: Issuer,
    stranger: Issuer,
}

impl World {
    /// The world's verifier with a replay guard of its own, as one till.
    fn guarded(&self) -> Verifier {
        self.verifier
            .clone()
            .with_replay_guard(Arc::new(MemoryReplayGuard::new()))
    }
}

fn world() -> World {
    let ed_a = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let ed_b = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let p256 = SigningKey::generate(Algorithm::P256).unwrap();
    let sm2 = SigningKey::generate(Algorithm::Sm2).unwrap();
    let collide_a = test_key("kid-collision-a");
    let collide_b = test_key("kid-collision-b");
    let trust = TrustList::new(vec![
        trusted(&ed_a),
        trusted(&ed_b),
        trusted(&p256),
        trusted(&sm2),
        trusted(&collide_a),
        trusted(&collide_b),
    ])
    .unwrap();
    World {
        verifier: Verifier::new(trust),
        ed_a: Issuer::new(ed_a),
        ed_b: Issuer::new(ed_b),
        p256: Issuer::new(p256),
        sm2: Issuer::new(sm2),
        collide_a: Issuer::new(collide_a),
        collide_b: Issuer::new(collide_b),
        stranger: Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap()),
    }
}

/// Every kind of input, shuffled: mostly valid Ed25519 codes of two keys
/// (more than two batches' worth), and among them everything that fails.
fn mixed_inputs(w: &World) -> Vec<String> {
    let issue = |issuer: &Issuer, n: u64, at: UnixTime| {
        issuer.issue(&claims(n), at).unwrap().text().to_owned()
    };
    let mut texts = Vec::new();
    for n in 0..150 {
        texts.push(issue(&w.ed_a, n, now().plus(n % 7)));
    }
    for n in 0..40 {
        texts.push(issue(&w.ed_b, n, now()));
    }
    for n in 0..5 {
        texts.push(issue(&w.p256, n, now()));
        texts.push(issue(&w.sm2, n, now()));
        texts.push(issue(&w.collide_a, n, now()));
        texts.push(issue(&w.collide_b, n, now()));
    }
    // Bad signatures: last digits (s) and further in (R), every algorithm.
    let good = issue(&w.ed_a, 900, now());
    for from_end in [0, 3, 40, 90, 140] {
        texts.push(damaged(&good, from_end));
    }
    texts.push(damaged(&issue(&w.ed_b, 901, now()), 7));
    texts.push(damaged(&issue(&w.p256, 902, now()), 1));
    texts.push(damaged(&issue(&w.sm2, 907, now()), 1));
    // Expired, not yet valid, unknown key.
    texts.push(issue(&w.ed_a, 903, now().minus(3600)));
    texts.push(issue(&w.ed_a, 904, now().plus(3600)));
    texts.push(issue(&w.stranger, 905, now()));
    // A delegate code.
    let mut delegate = claims(906);
    delegate.presenter = Some(Presenter {
        insured: InsuredId::new("99999999999999999999").unwrap(),
        relation: Relation::Parent,
        mutual_aid: false,
    });
    texts.push(w.ed_b.issue(&delegate, now()).unwrap().text().to_owned());
    // Garbage.
    for g in ["", "MC1", "hello", "MC10123", "mc1x", &"9".repeat(400)] {
        texts.push(g.to_owned());
    }
    texts.push(format!("MC1{}", "9".repeat(241)));
    shuffle(&mut texts);
    texts
}

#[test]
fn every_verdict_equals_the_single_verdict() {
    let w = world();
    let texts = mixed_inputs(&w);
    // Two tills, each with its own (default) replay guard: one checks the
    // batch, the other each code alone.
    let (batch_verifier, single_verifier) = (w.guarded(), w.guarded());
    let batch = batch_verifier.verify_batch(&texts, now());
    assert_eq!(batch.len(), texts.len());
    let mut reasons = std::collections::BTreeMap::new();
    for (i, (text, b)) in texts.iter().zip(&batch).enumerate() {
        let single = single_verifier.verify(text, now());
        assert_same(i, text, b, &single);
        *reasons
            .entry(single.err().map_or("accepted", |e| e.reason().as_str()))
            .or_insert(0) += 1;
    }
    // The mix holds what it claims to.
    let expected = [
        ("accepted", 150 + 40 + 20 + 1),
        ("bad_signature", 8),
        ("expired", 1),
        ("malformed", 7),
        ("not_yet_valid", 1),
        ("unknown_key", 1),
    ];
    assert_eq!(reasons.into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn one_bad_signature_among_many_good_ones_and_all_bad() {
    let w = world();
    let mut texts: Vec<String> = (0..2 * BATCH_MAX as u64 + 1)
        .map(|n| w.ed_a.issue(&claims(n), now()).unwrap().text().to_owned())
        .collect();
    texts[77] = damaged(&texts[77], 2);
    let results = w.verifier.verify_batch(&texts, now());
    for (i, r) in results.iter().enumerate() {
        if i == 77 {
            assert_eq!(r.as_ref().unwrap_err().reason(), Reason::BadSignature);
        } else {
            assert!(r.is_ok(), "input {i}: {r:?}");
        }
    }

    let all_bad: Vec<String> = texts.iter().map(|t| damaged(t, 5)).collect();
    let results = w.verifier.verify_batch(&all_bad, now());
    assert_eq!(results.len(), all_bad.len());
    for (text, r) in all_bad.iter().zip(&results) {
        assert_same(0, text, r, &w.verifier.verify(text, now()));
    }
    assert!(w.verifier.verify_batch::<&str>(&[], now()).is_empty());
}

#[test]
fn duplicates_under_a_replay_guard_are_replayed_as_in_sequence() {
    let w = world();
    let mut texts = mixed_inputs(&w);
    // Each of these three codes appears three times, spread out.
    let repeated: Vec<String> = vec![texts[0].clone(), texts[10].clone(), texts[100].clone()];
    for (k, text) in repeated.iter().enumerate() {
        texts.insert(5 + k, text.clone());
        texts.push(text.clone());
    }
    let (batch_verifier, single_verifier) = (w.guarded(), w.guarded());
    let batch = batch_verifier.verify_batch(&texts, now());
    let mut replayed = 0;
    for (i, (text, b)) in texts.iter().zip(&batch).enumerate() {
        let single = single_verifier.verify(text, now());
        assert_same(i, text, b, &single);
        if matches!(&single, Err(e) if e.reason() == Reason::Replayed) {
            replayed += 1;
        }
    }
    // Every copy after the first of each code that is accepted at all.
    let accepted_repeats = repeated
        .iter()
        .filter(|t| w.verifier.verify(t, now()).is_ok())
        .count();
    assert_eq!(replayed, 2 * accepted_repeats);
    assert!(accepted_repeats > 0);
    // A second batch of the same codes: every accepted one is now replayed.
    let again = batch_verifier.verify_batch(&texts[..20], now());
    for (text, r) in texts[..20].iter().zip(&again) {
        assert_same(0, text, r, &single_verifier.verify(text, now()));
    }
}
