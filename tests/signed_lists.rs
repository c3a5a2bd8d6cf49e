//! Signed trust and revocation lists: the pinned root, tampering, the wrong
//! root or kind, rollback, installing newer lists while other threads
//! verify, and the staleness policy to the exact second. Every test pins
//! time to fixed instants; the root key is the test-only
//! `tests/vectors/keys/vector-root.pk8` (key id 9c341fe4).

mod fixtures;
use fixtures::{keys_dir, t, t0, test_key, trusted};

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use medcode::error::{ListLayer, ListProblem};
use medcode::limits::MAX_SIGNED_LIST_LEN;
use medcode::lists::ListInfo;
use medcode::verify::{ListStatus, ListUpdate, to_json};
use medcode::{
    Algorithm, Claims, InsuredId, Issuer, ListKind, Notice, Reason, Region, RevocationList,
    RootKey, SignedList, SigningKey, StalenessPolicy, TrustList, UnixTime, Verifier,
};
use serde_json::Value;

const HOUR: u64 = 3600;

fn root() -> SigningKey {
    test_key("vector-root")
}

fn pinned() -> RootKey {
    RootKey::from_file(&keys_dir().join("vector-root.pub")).expect("vector root key")
}

fn info(kind: ListKind, sequence: u64, next_update: UnixTime) -> ListInfo {
    ListInfo {
        kind,
        sequence,
        issued_at: t("2026-11-01T00:00:00Z"),
        next_update,
    }
}

fn sign_trust(sequence: u64, keys: &[&SigningKey], next_update: UnixTime) -> SignedList {
    let list = TrustList::new(keys.iter().map(|k| trusted(k)).collect()).unwrap();
    SignedList::sign(
        &root(),
        info(ListKind::Trust, sequence, next_update),
        list.to_json().into_bytes(),
    )
    .unwrap()
}

fn sign_revocations(sequence: u64, list: &RevocationList, next_update: UnixTime) -> SignedList {
    SignedList::sign(
        &root(),
        info(ListKind::Revocation, sequence, next_update),
        list.to_json().into_bytes(),
    )
    .unwrap()
}

fn person() -> Claims {
    Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    )
}

fn issuer() -> Issuer {
    Issuer::new(test_key("vector-ed25519"))
}

fn far() -> UnixTime {
    t("2030-01-01T00:00:00Z")
}

/// Rewrites one field of a signed list's JSON.
fn edit(signed: &SignedList, f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(&signed.to_json()).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn trust_err(r: medcode::Result<Verifier>) -> String {
    let e = r.expect_err("expected a refusal");
    assert_eq!(e.reason(), Reason::InvalidTrustList, "{e}");
    e.to_string()
}

#[test]
fn a_signed_trust_list_verifies_codes_and_reports_its_status() {
    let signed = sign_trust(1, &[&test_key("vector-ed25519")], far());
    let verifier = Verifier::from_signed(pinned(), &signed).unwrap();
    assert_eq!(pinned().key_id().to_string(), "9c341fe4");
    assert_eq!(verifier.root_key(), Some(&pinned()));
    let code = issuer().issue(&person(), t0()).unwrap();
    let ok = verifier.verify(code.text(), t0()).unwrap();
    assert!(ok.notices().is_empty());
    assert_eq!(
        verifier.list_status(t0()),
        vec![ListStatus {
            info: info(ListKind::Trust, 1, far()),
            refuses_at: far().plus(72 * HOUR),
            notice: None,
            refused: false,
        }]
    );
    // The signed bytes are exactly the trust list file's bytes.
    let again = SignedList::from_json(signed.to_json().as_bytes()).unwrap();
    let verified = again.verify(&pinned(), ListKind::Trust).unwrap();
    assert_eq!(
        verified.payload(),
        TrustList::new(vec![trusted(&test_key("vector-ed25519"))])
            .unwrap()
            .to_json()
            .as_bytes()
    );
    assert_eq!(verified.info(), &info(ListKind::Trust, 1, far()));
}

#[test]
fn a_tampered_list_is_refused() {
    let signed = sign_trust(3, &[&test_key("vector-ed25519")], far());
    let bad_sig = "invalid trust list: signed trust list: the signature does not verify under the pinned root key 9c341fe4";
    // The payload: one more key in the list.
    let outsider = test_key("vector-outsider");
    let widened = TrustList::new(vec![
        trusted(&test_key("vector-ed25519")),
        trusted(&outsider),
    ])
    .unwrap()
    .to_json();
    let tampered = [
        edit(&signed, |v| {
            v["payload"] = B64.encode(widened.as_bytes()).into()
        }),
        // One byte of the payload: the authority's first letter.
        edit(&signed, |v| {
            let mut p = B64.decode(v["payload"].as_str().unwrap()).unwrap();
            let at = p.windows(4).position(|w| w == b"test").unwrap();
            p[at] = b'b';
            v["payload"] = B64.encode(&p).into();
        }),
        edit(&signed, |v| v["sequence"] = 4.into()),
        edit(&signed, |v| {
            v["next_update"] = "2031-01-01T00:00:00Z".into()
        }),
        edit(&signed, |v| v["issued_at"] = "2026-11-01T00:00:01Z".into()),
        edit(&signed, |v| {
            let mut s = B64.decode(v["signature"].as_str().unwrap()).unwrap();
            s[10] ^= 1;
            v["signature"] = B64.encode(&s).into();
        }),
    ];
    for bytes in tampered {
        let parsed = SignedList::from_json(&bytes).unwrap();
        assert_eq!(trust_err(Verifier::from_signed(pinned(), &parsed)), bad_sig);
    }
    // An equivalent spelling of the same instant is the same signed value.
    let respelled = edit(&signed, |v| {
        v["next_update"] = "2030-01-01T08:00:00+08:00".into()
    });
    let parsed = SignedList::from_json(&respelled).unwrap();
    assert!(Verifier::from_signed(pinned(), &parsed).is_ok());
}

#[test]
fn a_list_signed_by_another_root_is_refused() {
    let other = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let list = TrustList::new(vec![trusted(&test_key("vector-ed25519"))]).unwrap();
    let signed = SignedList::sign(
        &other,
        info(ListKind::Trust, 1, far()),
        list.to_json().into_bytes(),
    )
    .unwrap();
    assert_eq!(
        trust_err(Verifier::from_signed(pinned(), &signed)),
        format!(
            "invalid trust list: signed trust list: signed by root key {}, but the pinned root key is 9c341fe4",
            other.key_id()
        )
    );
    // Claiming the pinned root's key id does not help.
    let forged = edit(&signed, |v| v["root_kid"] = "9c341fe4".into());
    let parsed = SignedList::from_json(&forged).unwrap();
    assert_eq!(
        trust_err(Verifier::from_signed(pinned(), &parsed)),
        "invalid trust list: signed trust list: the signature does not verify under the pinned root key 9c341fe4"
    );
    // A root key must be Ed25519.
    let p256 = SigningKey::generate(Algorithm::P256).unwrap();
    let e = SignedList::sign(
        &p256,
        info(ListKind::Trust, 1, far()),
        list.to_json().into_bytes(),
    )
    .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidKey);
    assert_eq!(
        e.to_string(),
        "invalid key: a root key must be ed25519, this one is p256"
    );
}

#[test]
fn a_list_of_the_wrong_kind_is_refused() {
    let revocations = sign_revocations(1, &RevocationList::new(), far());
    assert_eq!(
        trust_err(Verifier::from_signed(pinned(), &revocations)),
        "invalid trust list: a signed revocation list was given where a signed trust list is expected"
    );
    let trust = sign_trust(1, &[&test_key("vector-ed25519")], far());
    let verifier = Verifier::from_signed(pinned(), &trust).unwrap();
    let e = verifier.update_revocations(&trust).unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidTrustList);
    assert_eq!(
        e.to_string(),
        "invalid revocation list: a signed trust list was given where a signed revocation list is expected"
    );
    let e = verifier.update_trust_list(&revocations).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid trust list: a signed revocation list was given where a signed trust list is expected"
    );
}

/// One code, one use by default: a verifier built from a signed list has
/// the in-memory replay guard without being asked, shared by its clones and
/// kept when a newer list is installed.
#[test]
fn a_verifier_from_a_signed_list_accepts_each_code_once() {
    let key = test_key("vector-ed25519");
    let verifier = Verifier::from_signed(pinned(), &sign_trust(1, &[&key], far())).unwrap();
    assert!(verifier.has_replay_guard());
    let code = issuer().issue(&person(), t0()).unwrap();
    let first = verifier.verify(code.text(), t0()).unwrap();
    assert_eq!(first.token_id(), code.token_id());
    let again = verifier.verify(code.text(), t0().plus(1)).unwrap_err();
    assert_eq!(again.reason(), Reason::Replayed);
    assert_eq!(
        verifier
            .clone()
            .verify(code.text(), t0().plus(2))
            .unwrap_err()
            .reason(),
        Reason::Replayed
    );
    assert!(matches!(
        verifier
            .update_trust_list(&sign_trust(2, &[&key], far()))
            .unwrap(),
        ListUpdate::Installed { .. }
    ));
    assert_eq!(
        verifier
            .verify(code.text(), t0().plus(3))
            .unwrap_err()
            .reason(),
        Reason::Replayed
    );
    // The explicit opt-out: the same code twice, accepted twice.
    let bare = Verifier::from_signed(pinned(), &sign_trust(1, &[&key], far()))
        .unwrap()
        .without_replay_guard();
    assert!(!bare.has_replay_guard());
    assert!(bare.verify(code.text(), t0()).is_ok());
    assert!(bare.verify(code.text(), t0().plus(1)).is_ok());
}

#[test]
fn rollback_is_refused_and_newer_lists_take_over() {
    let old_key = test_key("vector-ed25519");
    let new_key = test_key("vector-p256");
    let five = sign_trust(5, &[&old_key], far());
    // Each code is shown again under each list: the lists, not the guard.
    let verifier = Verifier::from_signed(pinned(), &five)
        .unwrap()
        .without_replay_guard();
    let old_code = Issuer::new(test_key("vector-ed25519"))
        .issue(&person(), t0())
        .unwrap();
    let new_code = Issuer::new(test_key("vector-p256"))
        .issue(&person(), t0())
        .unwrap();
    assert!(verifier.verify(old_code.text(), t0()).is_ok());
    assert_eq!(
        verifier.verify(new_code.text(), t0()).unwrap_err().reason(),
        Reason::UnknownKey
    );

    let four = sign_trust(4, &[&old_key, &new_key], far());
    let e = verifier.update_trust_list(&four).unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidTrustList);
    assert_eq!(
        e.to_string(),
        "invalid trust list: signed trust list: sequence 4 is older than sequence 5 held by this verifier (rollback refused)"
    );
    assert_eq!(
        verifier.update_trust_list(&five).unwrap(),
        ListUpdate::AlreadyHeld
    );
    let other_five = sign_trust(5, &[&new_key], far());
    assert_eq!(
        verifier
            .update_trust_list(&other_five)
            .unwrap_err()
            .to_string(),
        "invalid trust list: signed trust list: sequence 5 is already held with other content"
    );
    // The list in force is unchanged by the refusals.
    assert!(verifier.verify(old_code.text(), t0()).is_ok());

    // Sequence 6 replaces the old key by the new one, for every clone.
    let clone = verifier.clone();
    let six = sign_trust(6, &[&new_key], far());
    assert_eq!(
        verifier.update_trust_list(&six).unwrap(),
        ListUpdate::Installed {
            previous: Some(info(ListKind::Trust, 5, far()))
        }
    );
    assert!(clone.verify(new_code.text(), t0()).is_ok());
    assert_eq!(
        clone.verify(old_code.text(), t0()).unwrap_err().reason(),
        Reason::UnknownKey
    );
    assert_eq!(
        clone.update_trust_list(&five).unwrap_err().to_string(),
        "invalid trust list: signed trust list: sequence 5 is older than sequence 6 held by this verifier (rollback refused)"
    );
    assert_eq!(clone.list_status(t0())[0].info.sequence, 6);
}

#[test]
fn signed_revocations_are_installed_applied_and_rolled_forward() {
    let trust = sign_trust(1, &[&test_key("vector-ed25519")], far());
    // One code shown under each revocation list: the lists, not the guard.
    let verifier = Verifier::from_signed(pinned(), &trust)
        .unwrap()
        .without_replay_guard();
    let code = issuer().issue(&person(), t0()).unwrap();
    let mut list = RevocationList::new();
    list.revoke_insured(&person().insured, t0().minus(60))
        .unwrap();
    assert_eq!(
        verifier
            .update_revocations(&sign_revocations(1, &list, far()))
            .unwrap(),
        ListUpdate::Installed { previous: None }
    );
    let e = verifier.verify(code.text(), t0()).unwrap_err();
    assert_eq!(e.reason(), Reason::Revoked);
    assert_eq!(
        e.to_string(),
        "revoked: insured 12345678901234567890 for codes issued from 2026-11-22T07:59:00Z; this code was issued at 2026-11-22T08:00:00Z"
    );
    assert_eq!(verifier.revocations().unwrap().insured_count(), 1);
    // A newer list without the entry (a mistaken revocation withdrawn).
    verifier
        .update_revocations(&sign_revocations(2, &RevocationList::new(), far()))
        .unwrap();
    assert!(verifier.verify(code.text(), t0()).is_ok());
    // The old list cannot come back.
    let e = verifier
        .update_revocations(&sign_revocations(1, &list, far()))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid revocation list: signed revocation list: sequence 1 is older than sequence 2 held by this verifier (rollback refused)"
    );
    assert!(verifier.verify(code.text(), t0()).is_ok());
}

#[test]
fn a_stale_trust_list_warns_for_72_hours_then_refuses_at_the_exact_second() {
    // The list was due at t0; the grace ends at t0 + 72 h.
    let due = t0();
    let verifier = Verifier::from_signed(
        pinned(),
        &sign_trust(1, &[&test_key("vector-ed25519")], due),
    )
    .unwrap();
    let check = |at: UnixTime| {
        let code = issuer().issue(&person(), at).unwrap();
        verifier.verify(code.text(), at)
    };

    // Fresh until 24 h before next-update, then "due soon".
    assert!(
        check(due.minus(24 * HOUR + 1))
            .unwrap()
            .notices()
            .is_empty()
    );
    let soon = check(due.minus(24 * HOUR)).unwrap();
    assert_eq!(
        soon.notices(),
        &[Notice::ListDueSoon {
            list: ListKind::Trust,
            next_update: due,
            secs_left: 24 * HOUR,
        }]
    );
    assert_eq!(
        soon.notices()[0].to_string(),
        "the signed trust list is due for update at 2026-11-22T08:00:00Z (in 24 h 0 min): install a newly signed one"
    );

    // Stale from next-update: accepted, saying how long until it refuses.
    let first = check(due).unwrap();
    assert_eq!(
        first.notices(),
        &[Notice::ListStale {
            list: ListKind::Trust,
            next_update: due,
            refuses_at: due.plus(72 * HOUR),
            secs_left: 72 * HOUR,
        }]
    );
    let last = check(due.plus(72 * HOUR - 1)).unwrap();
    assert_eq!(
        last.notices(),
        &[Notice::ListStale {
            list: ListKind::Trust,
            next_update: due,
            refuses_at: due.plus(72 * HOUR),
            secs_left: 1,
        }]
    );
    let sentence = "the signed trust list was due for update at 2026-11-22T08:00:00Z: this verifier refuses every code from 2026-11-25T08:00:00Z (in 1 s) unless a newly signed one is installed";
    assert_eq!(last.notices()[0].to_string(), sentence);
    let json = to_json(&Ok(last));
    assert_eq!(json["valid"], true);
    assert_eq!(json["notices"][0], sentence);

    // The boundary second: refused.
    let e = check(due.plus(72 * HOUR)).unwrap_err();
    assert_eq!(e.reason(), Reason::TrustListStale);
    assert_eq!(e.reason().as_str(), "trust_list_stale");
    assert_eq!(
        e.to_string(),
        "the signed trust list was due for update at 2026-11-22T08:00:00Z and its grace ended at 2026-11-25T08:00:00Z (checked at 2026-11-25T08:00:00Z): install a newly signed list"
    );
    let status = &verifier.list_status(due.plus(72 * HOUR))[0];
    assert!(status.refused);
    assert_eq!(status.notice, None);

    // A newer list ends it.
    verifier
        .update_trust_list(&sign_trust(2, &[&test_key("vector-ed25519")], far()))
        .unwrap();
    assert!(check(due.plus(72 * HOUR)).unwrap().notices().is_empty());
}

#[test]
fn the_staleness_policy_can_be_stricter() {
    let due = t0();
    let signed = sign_trust(1, &[&test_key("vector-ed25519")], due);
    let verifier = Verifier::from_signed(pinned(), &signed)
        .unwrap()
        .with_staleness(StalenessPolicy::STRICT);
    let code = issuer().issue(&person(), due.minus(1)).unwrap();
    assert!(verifier.verify(code.text(), due.minus(1)).is_ok());
    let code = issuer().issue(&person(), due).unwrap();
    assert_eq!(
        verifier.verify(code.text(), due).unwrap_err().reason(),
        Reason::TrustListStale
    );
    assert_eq!(StalenessPolicy::default().grace_secs, 72 * HOUR);
}

#[test]
fn a_stale_revocation_list_refuses_too() {
    let verifier = Verifier::from_signed(
        pinned(),
        &sign_trust(1, &[&test_key("vector-ed25519")], far()),
    )
    .unwrap();
    verifier
        .update_revocations(&sign_revocations(1, &RevocationList::new(), t0()))
        .unwrap();
    let at = t0().plus(72 * HOUR);
    let code = issuer().issue(&person(), at).unwrap();
    let e = verifier.verify(code.text(), at).unwrap_err();
    assert_eq!(e.reason(), Reason::TrustListStale);
    assert_eq!(
        e.to_string(),
        "the signed revocation list was due for update at 2026-11-22T08:00:00Z and its grace ended at 2026-11-25T08:00:00Z (checked at 2026-11-25T08:00:00Z): install a newly signed list"
    );
    let code = issuer().issue(&person(), at.minus(1)).unwrap();
    let ok = verifier.verify(code.text(), at.minus(1)).unwrap();
    assert!(matches!(
        ok.notices(),
        [Notice::ListStale {
            list: ListKind::Revocation,
            secs_left: 1,
            ..
        }]
    ));
}

#[test]
fn an_unsigned_verifier_cannot_install_signed_lists() {
    let verifier =
        Verifier::new(TrustList::new(vec![trusted(&test_key("vector-ed25519"))]).unwrap());
    let e = verifier
        .update_trust_list(&sign_trust(1, &[&test_key("vector-ed25519")], far()))
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidTrustList);
    assert_eq!(
        e.to_string(),
        "invalid trust list: cannot install a signed trust list: this verifier pins no root key (build it with Verifier::from_signed)"
    );
    assert!(verifier.list_status(t0()).is_empty());
    assert!(verifier.root_key().is_none());
}

#[test]
fn lists_are_installed_while_many_threads_verify() {
    let key = test_key("vector-ed25519");
    // One code verified 1200 times while lists change: the lists, not the
    // guard.
    let verifier = Verifier::from_signed(pinned(), &sign_trust(1, &[&key], far()))
        .unwrap()
        .without_replay_guard();
    let code = issuer().issue(&person(), t0()).unwrap();
    // Lists 2..=40 alternate between one and two keys; the code's key is in
    // every one of them, so every verification must succeed throughout.
    let lists: Vec<SignedList> = (2..=40)
        .map(|seq| {
            if seq % 2 == 0 {
                sign_trust(seq, &[&key, &test_key("vector-p256")], far())
            } else {
                sign_trust(seq, &[&key], far())
            }
        })
        .collect();
    std::thread::scope(|s| {
        let mut workers = Vec::new();
        for _ in 0..4 {
            let v = verifier.clone();
            let text = code.text().to_owned();
            workers.push(s.spawn(move || {
                for _ in 0..300 {
                    v.verify(&text, t0()).expect("accepted under every list");
                }
            }));
        }
        for list in &lists {
            assert!(matches!(
                verifier.update_trust_list(list).unwrap(),
                ListUpdate::Installed { .. }
            ));
        }
        for w in workers {
            w.join().unwrap();
        }
    });
    assert_eq!(verifier.list_status(t0())[0].info.sequence, 40);
}

#[test]
fn the_envelope_is_parsed_strictly() {
    let signed = sign_trust(1, &[&test_key("vector-ed25519")], far());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            edit(&signed, |v| v["extra"] = 1.into()),
            "unknown field `extra`",
        ),
        (
            edit(&signed, |v| v["format"] = "medcode-list/2".into()),
            "format \"medcode-list/2\", expected \"medcode-list/1\"",
        ),
        (
            edit(&signed, |v| v["kind"] = "keys".into()),
            "unknown kind \"keys\"",
        ),
        (
            edit(&signed, |v| v["sequence"] = 0.into()),
            "sequence numbers start at 1",
        ),
        (
            edit(&signed, |v| v["sequence"] = (-1).into()),
            "invalid value: integer `-1`",
        ),
        (
            edit(&signed, |v| {
                v["next_update"] = "2026-11-01T00:00:00Z".into()
            }),
            "next_update 2026-11-01T00:00:00Z is not after issued_at 2026-11-01T00:00:00Z",
        ),
        (
            edit(&signed, |v| v["issued_at"] = "soon".into()),
            "issued_at \"soon\" is not an RFC 3339 time",
        ),
        (
            edit(&signed, |v| v["root_kid"] = "9C341FE4".into()),
            "root_kid \"9C341FE4\" is not 8 lower-case hex digits",
        ),
        (
            edit(&signed, |v| v["payload"] = "***".into()),
            "payload is not base64",
        ),
        (
            edit(&signed, |v| v["signature"] = "AAAA".into()),
            "the signature is 3 bytes, an Ed25519 signature is 64",
        ),
        (
            {
                let mut b = signed.to_json().into_bytes();
                b.extend_from_slice(b"{}");
                b
            },
            "trailing characters",
        ),
        (
            b"[]".to_vec(),
            "invalid length 0, expected a signed list envelope",
        ),
        (b"\"x\"".to_vec(), "signed list: invalid type: string"),
    ];
    for (bytes, want) in cases {
        let e = SignedList::from_json(&bytes).unwrap_err();
        assert_eq!(e.reason(), Reason::InvalidTrustList);
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
    // Oversized: refused from the file size, unread (a sparse file).
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.signed.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_SIGNED_LIST_LEN + 1)
        .unwrap();
    let e = SignedList::from_file(&big).unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidTrustList);
    assert!(e.to_string().contains("larger than the"), "{e}");
    // A trust payload over the trust list's 1 MiB limit is refused before decoding.
    let huge = edit(&signed, |v| v["payload"] = "A".repeat(1_400_000).into());
    let e = SignedList::from_json(&huge).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid trust list: signed list: the trust list payload is larger than the 1048576-byte limit"
    );
}

#[test]
fn the_root_key_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.pub");
    let key = RootKey::of(&root()).unwrap();
    key.save(&path).unwrap();
    assert_eq!(RootKey::from_file(&path).unwrap(), key);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(keys_dir().join("vector-root.pub")).unwrap()
    );
    std::fs::write(&path, vec![b'#'; 5000]).unwrap();
    let e = RootKey::from_file(&path).unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidKey);
    assert!(
        e.to_string().contains("larger than the 4096-byte limit"),
        "{e}"
    );
}

#[test]
fn the_demo_signed_list_is_the_demo_trust_list() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    let pinned = RootKey::from_file(&root.join("demo-root.pub")).unwrap();
    let signed = SignedList::from_file(&root.join("trust.signed.json")).unwrap();
    let verified = signed.verify(&pinned, ListKind::Trust).unwrap();
    assert_eq!(
        verified.payload(),
        std::fs::read(root.join("trust.json")).unwrap().as_slice(),
        "keys/trust.signed.json is out of date: re-sign keys/trust.json (see keys/README.md)"
    );
    assert_eq!(verified.info().next_update, t("2035-12-30T00:00:00Z"));
}

/// What a till does with a refused list update: it tells a rollback (an
/// older list replayed to it: alert, keep the list in force) from a list
/// that does not verify (a damaged or forged download: fetch again) by
/// matching the typed problem, not by reading the message.
fn till_action(e: &medcode::Error) -> &'static str {
    match e {
        medcode::Error::InvalidList {
            problem: ListProblem::Rollback { .. },
            ..
        } => "alert: rollback",
        medcode::Error::InvalidList {
            problem: ListProblem::BadSignature { .. },
            ..
        } => "fetch again: bad signature",
        _ => "other",
    }
}

#[test]
fn a_till_tells_a_rollback_from_a_bad_signature_by_matching() {
    let key = test_key("vector-ed25519");
    let five = sign_trust(5, &[&key], far());
    let verifier = Verifier::from_signed(pinned(), &five).unwrap();

    let four = sign_trust(4, &[&key], far());
    let rollback = verifier.update_trust_list(&four).unwrap_err();
    assert_eq!(till_action(&rollback), "alert: rollback");
    match &rollback {
        medcode::Error::InvalidList {
            list,
            layer,
            file,
            problem,
        } => {
            assert_eq!(*list, Some(ListKind::Trust));
            assert_eq!(*layer, ListLayer::Envelope);
            assert_eq!(*file, None);
            assert_eq!(
                *problem,
                ListProblem::Rollback {
                    installed: 5,
                    offered: 4,
                    state_file: None
                }
            );
        }
        other => panic!("expected a list error, got {other:?}"),
    }

    let six = sign_trust(6, &[&key], far());
    let forged = SignedList::from_json(&edit(&six, |v| {
        let mut s = B64.decode(v["signature"].as_str().unwrap()).unwrap();
        s[10] ^= 1;
        v["signature"] = B64.encode(&s).into();
    }))
    .unwrap();
    let bad = verifier.update_trust_list(&forged).unwrap_err();
    assert_eq!(till_action(&bad), "fetch again: bad signature");
    assert!(matches!(
        &bad,
        medcode::Error::InvalidList {
            list: Some(ListKind::Trust),
            layer: ListLayer::Envelope,
            problem: ListProblem::BadSignature { root },
            ..
        } if root == "9c341fe4"
    ));
    // Both stay `invalid_trust_list` with today's messages.
    assert_eq!(rollback.reason(), Reason::InvalidTrustList);
    assert_eq!(bad.reason(), Reason::InvalidTrustList);
    assert_eq!(
        bad.to_string(),
        "invalid trust list: signed trust list: the signature does not verify under the pinned root key 9c341fe4"
    );
    // The same sequence with other content is a third case.
    let other_five = sign_trust(5, &[&key, &test_key("vector-p256")], far());
    assert!(matches!(
        verifier.update_trust_list(&other_five).unwrap_err(),
        medcode::Error::InvalidList {
            problem: ListProblem::SameSequence { sequence: 5 },
            ..
        }
    ));
}

#[test]
fn list_errors_name_their_file_kind_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.signed.json");
    std::fs::write(&path, b"{\"format\": 1}").unwrap();
    let e = SignedList::from_file(&path).unwrap_err();
    match &e {
        medcode::Error::InvalidList {
            list: None,
            layer: ListLayer::Envelope,
            file: Some(file),
            problem: ListProblem::NotJson { .. },
        } => assert_eq!(file, &path),
        other => panic!("expected a named envelope error, got {other:?}"),
    }
    assert!(
        e.to_string().starts_with(&format!(
            "invalid trust list: {}: signed list: ",
            path.display()
        )),
        "{e}"
    );

    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; MAX_SIGNED_LIST_LEN as usize + 1]).unwrap();
    let e = SignedList::from_file(&big).unwrap_err();
    assert!(matches!(
        &e,
        medcode::Error::InvalidList {
            layer: ListLayer::File,
            problem: ListProblem::TooLarge { len, limit },
            ..
        } if *len == MAX_SIGNED_LIST_LEN + 1 && *limit == MAX_SIGNED_LIST_LEN
    ));
    assert_eq!(
        e.to_string(),
        format!(
            "invalid trust list: {} is {} bytes, larger than the {MAX_SIGNED_LIST_LEN}-byte limit",
            big.display(),
            MAX_SIGNED_LIST_LEN + 1
        )
    );

    // A signed revocation list offered where a trust list is expected.
    let revocations = sign_revocations(1, &RevocationList::new(), far());
    let e = revocations.verify(&pinned(), ListKind::Trust).unwrap_err();
    assert!(matches!(
        e,
        medcode::Error::InvalidList {
            problem: ListProblem::WrongKind {
                expected: ListKind::Trust,
                found: ListKind::Revocation
            },
            ..
        }
    ));
}
