//! The revocation list in the verifier: revoked key ids, revoked insured
//! identifiers with a since-instant (and as presenters of delegate codes),
//! where the check sits among the others, and the file format's limits.
//! Every test pins time to fixed instants.

mod fixtures;
use fixtures::{t0, test_key, trusted};

use std::sync::Arc;

use medcode::error::RevokedItem;
use medcode::limits::MAX_REVOCATION_LIST_LEN;
use medcode::lists::RevocationReason;
use medcode::replay::MemoryReplayGuard;
use medcode::{
    Claims, InsuredId, Issuer, KeyId, Presenter, Reason, Region, Relation, RevocationList,
    TrustList, Verifier,
};

fn claims(id: &str) -> Claims {
    Claims::new(InsuredId::new(id).unwrap(), Region::new("110000").unwrap())
}

fn id(text: &str) -> InsuredId {
    InsuredId::new(text).unwrap()
}

/// The vector Ed25519 key (kid 25f8179a) as issuer, trusted.
fn setup() -> (Issuer, TrustList) {
    let key = test_key("vector-ed25519");
    let trust = TrustList::new(vec![trusted(&key)]).unwrap();
    (Issuer::new(key), trust)
}

#[test]
fn a_revoked_key_id_refuses_every_code_it_signed_with_its_reason() {
    let (issuer, trust) = setup();
    let kid = issuer.key_id();
    assert_eq!(kid.to_string(), "25f8179a");
    let code = issuer.issue(&claims("12345678901234567890"), t0()).unwrap();
    assert!(
        Verifier::new(trust.clone())
            .verify(code.text(), t0())
            .is_ok()
    );
    for reason in RevocationReason::ALL {
        let mut list = RevocationList::new();
        list.revoke_key(kid, reason).unwrap();
        let verifier = Verifier::new(trust.clone()).with_revocations(list);
        let err = verifier.verify(code.text(), t0().plus(1)).unwrap_err();
        assert_eq!(err.reason(), Reason::Revoked);
        assert_eq!(err.reason().as_str(), "revoked");
        // Typed: the key id and its revocation reason.
        match &err {
            medcode::Error::Revoked {
                what: RevokedItem::Key { kid, reason: why },
            } => {
                assert_eq!(kid, "25f8179a");
                assert_eq!(*why, reason.as_str());
            }
            other => panic!("expected a revoked key, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!("revoked: issuer key 25f8179a ({})", reason.as_str())
        );
    }
}

#[test]
fn another_key_id_on_the_list_changes_nothing() {
    let (issuer, trust) = setup();
    let mut list = RevocationList::new();
    list.revoke_key(
        KeyId::parse_hex("dc3c1877").unwrap(),
        RevocationReason::Compromised,
    )
    .unwrap();
    list.revoke_insured(&id("99"), t0()).unwrap();
    let verifier = Verifier::new(trust).with_revocations(list);
    let code = issuer.issue(&claims("12345678901234567890"), t0()).unwrap();
    assert!(verifier.verify(code.text(), t0()).is_ok());
}

#[test]
fn a_revoked_insured_is_refused_from_since_and_accepted_before() {
    let (issuer, trust) = setup();
    let since = t0();
    let mut list = RevocationList::new();
    list.revoke_insured(&id("12345678901234567890"), since)
        .unwrap();
    let verifier = Verifier::new(trust).with_revocations(list);
    let person = claims("12345678901234567890");

    // Issued 1 s before the since-instant: still verifies.
    let before = issuer.issue(&person, since.minus(1)).unwrap();
    let ok = verifier.verify(before.text(), since.plus(10)).unwrap();
    assert_eq!(ok.insured().as_str(), "12345678901234567890");

    // Issued at the since-instant and after: revoked, with both instants.
    for (issued, text) in [
        (since, "2026-11-22T08:00:00Z"),
        (since.plus(1), "2026-11-22T08:00:01Z"),
    ] {
        let code = issuer.issue(&person, issued).unwrap();
        let err = verifier.verify(code.text(), issued.plus(2)).unwrap_err();
        assert_eq!(err.reason(), Reason::Revoked);
        // Typed: the insured person, the since-instant and the issue time.
        match &err {
            medcode::Error::Revoked {
                what:
                    RevokedItem::Insured {
                        insured,
                        since: from,
                        issued_at,
                    },
            } => {
                assert_eq!(insured, "12345678901234567890");
                assert_eq!(*from, since);
                assert_eq!(*issued_at, issued);
            }
            other => panic!("expected a revoked insured person, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "revoked: insured 12345678901234567890 for codes issued from 2026-11-22T08:00:00Z; this code was issued at {text}"
            )
        );
    }

    // Someone else is not affected.
    let other = issuer
        .issue(&claims("12345678901234567891"), since)
        .unwrap();
    assert!(verifier.verify(other.text(), since).is_ok());
}

#[test]
fn a_revoked_presenter_cannot_show_family_codes() {
    let (issuer, trust) = setup();
    let mut list = RevocationList::new();
    list.revoke_insured(&id("OWNER1"), t0()).unwrap();
    let verifier = Verifier::new(trust).with_revocations(list);
    let mut member = claims("PARENT7");
    member.presenter = Some(Presenter {
        insured: id("OWNER1"),
        relation: Relation::Child,
        mutual_aid: false,
    });
    let early = issuer.issue(&member, t0().minus(30)).unwrap();
    assert!(verifier.verify(early.text(), t0()).is_ok());
    let code = issuer.issue(&member, t0()).unwrap();
    let err = verifier.verify(code.text(), t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::Revoked);
    // Typed: the presenter, not the insured person whose code it is.
    assert_eq!(
        match &err {
            medcode::Error::Revoked { what } => what.clone(),
            other => panic!("expected a revocation, got {other:?}"),
        },
        RevokedItem::Presenter {
            presenter: "OWNER1".into(),
            insured: "PARENT7".into(),
            since: t0(),
            issued_at: t0(),
        }
    );
    assert_eq!(
        err.to_string(),
        "revoked: presenter OWNER1 (showing the code of PARENT7) for codes issued from 2026-11-22T08:00:00Z; this code was issued at 2026-11-22T08:00:00Z"
    );
    // The member's own code, shown by nobody, still works.
    let own = issuer.issue(&claims("PARENT7"), t0()).unwrap();
    assert!(verifier.verify(own.text(), t0()).is_ok());
}

#[test]
fn a_forged_code_learns_nothing_from_the_revocation_list() {
    // The revoked person's code with a broken signature is a bad signature,
    // not "revoked": the list is consulted only after the signature holds.
    let (issuer, trust) = setup();
    let mut list = RevocationList::new();
    list.revoke_insured(&id("12345678901234567890"), t0())
        .unwrap();
    list.revoke_key(issuer.key_id(), RevocationReason::Compromised)
        .unwrap();
    let verifier = Verifier::new(trust).with_revocations(list);
    let code = issuer.issue(&claims("12345678901234567890"), t0()).unwrap();
    let mut forged = code.text().to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        verifier.verify(&forged, t0()).unwrap_err().reason(),
        Reason::BadSignature
    );
    // A key that is revoked but not trusted stays unknown.
    let outsider = Issuer::new(test_key("vector-outsider"));
    let mut list = RevocationList::new();
    list.revoke_key(outsider.key_id(), RevocationReason::Compromised)
        .unwrap();
    let (_, trust) = setup();
    let verifier = Verifier::new(trust).with_revocations(list);
    let code = outsider.issue(&claims("1"), t0()).unwrap();
    assert_eq!(
        verifier.verify(code.text(), t0()).unwrap_err().reason(),
        Reason::UnknownKey
    );
}

#[test]
fn a_revoked_code_does_not_use_up_the_replay_guard() {
    // Revocation is checked before the replay guard: a refused code is not
    // recorded, so it is refused as revoked every time, never as replayed.
    let (issuer, trust) = setup();
    let mut list = RevocationList::new();
    list.revoke_insured(&id("5"), t0()).unwrap();
    let verifier = Verifier::new(trust)
        .with_revocations(list)
        .with_replay_guard(Arc::new(MemoryReplayGuard::new()));
    let code = issuer.issue(&claims("5"), t0()).unwrap();
    for _ in 0..3 {
        assert_eq!(
            verifier.verify(code.text(), t0()).unwrap_err().reason(),
            Reason::Revoked
        );
    }
    let fine = issuer.issue(&claims("6"), t0()).unwrap();
    assert!(verifier.verify(fine.text(), t0()).is_ok());
    assert_eq!(
        verifier.verify(fine.text(), t0()).unwrap_err().reason(),
        Reason::Replayed
    );
}

#[test]
fn the_list_file_round_trips_and_oversized_files_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("revocations.json");
    let mut list = RevocationList::new();
    list.revoke_key(
        KeyId::parse_hex("25f8179a").unwrap(),
        RevocationReason::Superseded,
    )
    .unwrap();
    list.revoke_insured(&id("A1B2C3D4E5"), t0()).unwrap();
    list.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "{\n  \"keys\": [\n    {\"kid\":\"25f8179a\",\"reason\":\"superseded\"}\n  ],\n  \"insured\": [\n    {\"id\":\"A1B2C3D4E5\",\"since\":\"2026-11-22T08:00:00Z\"}\n  ]\n}\n"
    );
    let back = RevocationList::from_file(&path).unwrap();
    assert_eq!(back, list);
    assert_eq!(back.key_count(), 1);
    assert_eq!(back.insured_count(), 1);
    assert_eq!(back.insured_since(&id("A1B2C3D4E5")), Some(t0()));
    assert_eq!(back.insured_since(&id("A1B2C3D4E6")), None);

    // A sparse file one byte over the limit: refused from its size alone.
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_REVOCATION_LIST_LEN + 1)
        .unwrap();
    let err = RevocationList::from_file(&big).unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidTrustList);
    assert_eq!(
        err.to_string(),
        format!(
            "invalid trust list: {} is 100663297 bytes, larger than the 100663296-byte limit",
            big.display()
        )
    );
    let err = RevocationList::from_file(&dir.path().join("missing.json")).unwrap_err();
    assert_eq!(err.reason(), Reason::Io);
}
