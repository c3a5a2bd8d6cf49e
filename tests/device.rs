//! Codes made offline on the phone: a device credential certified
//! by the issuer, codes signed by the device key, and every check the till
//! makes, with exact sizes, QR versions and reasons. Time is pinned:
//! enrolment at 2026-11-22T08:00:00Z.

mod fixtures;
use fixtures::{t0, test_key, trusted};

use medcode::CredentialId;
use medcode::limits::MAX_CREDENTIAL_LEN;
use medcode::lists::RevocationReason;
use medcode::qr::{Ecc, Qr};
use medcode::verify::CodeKind;
use medcode::{
    Algorithm, Claims, DeviceCredential, DeviceEnrolment, DeviceHolder, Error, InsuredId, Issuer,
    MaskedName, Presenter, Reason, Region, Relation, RevocationList, SigningKey, TrustList,
    UnixTime, UntrustedDeviceCode, Verifier,
};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};

/// The largest self claims: a 20-digit identifier and a 6-byte name (15
/// bytes of the budget).
fn largest_self() -> Claims {
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("欧***").unwrap());
    c
}

/// The largest delegate claims: the presenter's identifier 20 alphanumerics.
fn largest_delegate() -> Claims {
    let mut c = largest_self();
    c.presenter = Some(Presenter {
        insured: InsuredId::new("ABCDEFGHIJKLMNOPQRST").unwrap(),
        relation: Relation::Child,
        mutual_aid: true,
    });
    c
}

fn beijing() -> Claims {
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    c
}

struct Setup {
    issuer: Issuer,
    verifier: Verifier,
}

fn setup() -> Setup {
    let key = test_key("vector-ed25519");
    let trust = TrustList::new(vec![trusted(&key)]).unwrap();
    Setup {
        issuer: Issuer::new(key),
        verifier: Verifier::new(trust),
    }
}

impl Setup {
    /// Enrols `key` as a phone of the person of `claims` at t0, with the
    /// credential's limits as `limits` sets them.
    fn enrol(
        &self,
        claims: Claims,
        key: &SigningKey,
        limits: impl FnOnce(DeviceEnrolment) -> DeviceEnrolment,
    ) -> DeviceCredential {
        let enrolment = limits(DeviceEnrolment::new(claims, key.public_key().clone()));
        self.issuer.enrol_device(&enrolment, t0()).unwrap()
    }
}

/// The binary form of a device code's text.
fn binary(text: &str) -> Vec<u8> {
    UntrustedDeviceCode::parse(text)
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn device_key(alg: Algorithm) -> SigningKey {
    SigningKey::generate(alg).unwrap()
}

/// A phone enrolled at t0 with the default terms.
fn phone(s: &Setup, alg: Algorithm, claims: Claims) -> DeviceHolder {
    let key = device_key(alg);
    let credential = s.enrol(claims, &key, std::convert::identity);
    DeviceHolder::new(key, credential, 0).unwrap()
}

fn reason(r: Result<medcode::VerifiedToken, Error>) -> Reason {
    r.expect_err("expected a refusal").reason()
}

#[test]
fn a_device_code_is_accepted_with_its_kind_credential_and_counter() {
    for alg in [Algorithm::Ed25519, Algorithm::P256] {
        let s = setup();
        let mut phone = phone(&s, alg, beijing());
        let at = t0().plus(3600);
        let code = phone.code(at).unwrap();
        assert!(code.text().starts_with("MC2"));
        let v = s.verifier.verify(code.text(), at.plus(2)).unwrap();
        assert_eq!(v.kind(), CodeKind::Device);
        assert_eq!(v.claims(), &beijing());
        assert_eq!(v.issued_at(), at);
        assert_eq!(v.expires_at(), at.plus(60));
        assert_eq!(v.key_id(), s.issuer.key_id());
        assert_eq!(v.token_id(), code.token_id());
        let d = v.device().unwrap();
        assert_eq!(d.credential_id, phone.credential().id());
        assert_eq!(d.counter, 0);
        assert_eq!(d.quota, 1000);
        assert_eq!(d.enrolled_at, t0());
        assert_eq!(d.credential_expires_at, t0().plus(24 * 3600));
        assert_eq!(d.device_algorithm, alg);
        // The next code carries the next counter; the same code twice is a
        // replay.
        let second = phone.code(at.plus(20)).unwrap();
        let v2 = s.verifier.verify(second.text(), at.plus(21)).unwrap();
        assert_eq!(v2.device().unwrap().counter, 1);
        assert_eq!(
            reason(s.verifier.verify(second.text(), at.plus(22))),
            Reason::Replayed
        );
        assert_eq!(phone.next_counter(), 2);
        assert_eq!(phone.remaining(), 998);
    }
}

#[test]
fn the_largest_codes_have_their_exact_size_and_qr_version() {
    let s = setup();
    let cases = [
        (Algorithm::Ed25519, largest_self(), 208, 504, 10),
        (Algorithm::P256, largest_self(), 209, 507, 10),
        (Algorithm::Ed25519, largest_delegate(), 223, 541, 11),
        (Algorithm::P256, largest_delegate(), 224, 543, 11),
    ];
    for (alg, claims, binary_len, text_len, version) in cases {
        let mut phone = phone(&s, alg, claims);
        let code = phone.code(t0().plus(60)).unwrap();
        assert_eq!(code.binary_len(), binary_len, "{alg}");
        assert_eq!(code.text().len(), text_len, "{alg}");
        let qr = Qr::encode(code.text(), Ecc::M).unwrap();
        assert_eq!(qr.version(), version, "{alg} {binary_len} bytes");
    }
    assert_eq!(MAX_CREDENTIAL_LEN, 224 - 70);
    // A normal self code with an Ed25519 device key.
    let mut small = phone(&s, Algorithm::Ed25519, beijing());
    let code = small.code(t0()).unwrap();
    assert_eq!(code.binary_len(), 55 + 3 + 10 + 4 + 64 + 70);
}

#[test]
fn a_phone_made_code_goes_stale_like_a_screenshot() {
    let s = setup();
    let mut phone = phone(&s, Algorithm::Ed25519, beijing());
    let at = t0().plus(600);
    let code = phone.code(at).unwrap();
    // 60 s of validity and 15 s of leeway.
    assert_eq!(
        reason(s.verifier.verify(code.text(), at.plus(76))),
        Reason::Expired
    );
    // A code from the phone's future (its clock ahead by more than the leeway).
    let ahead = phone.code(at.plus(600)).unwrap();
    assert_eq!(
        reason(s.verifier.verify(ahead.text(), at.plus(584))),
        Reason::NotYetValid
    );
    assert!(s.verifier.verify(ahead.text(), at.plus(590)).is_ok());
}

#[test]
fn an_expired_credential_is_refused_as_credential_expired() {
    let s = setup();
    let key = device_key(Algorithm::Ed25519);
    let credential = s.enrol(beijing(), &key, |e| e.with_lifetime_secs(3600));
    assert_eq!(credential.not_after(), t0().plus(3600));
    let mut phone = DeviceHolder::new(key, credential, 0).unwrap();
    // The last code the credential makes, shown at once, is accepted.
    let last = phone.code(t0().plus(3600)).unwrap();
    assert!(s.verifier.verify(last.text(), t0().plus(3610)).is_ok());
    // After the credential's end plus leeway the phone's codes are refused,
    // and the phone itself refuses to make one.
    let late = phone.code(t0().plus(3590)).unwrap();
    assert_eq!(
        reason(s.verifier.verify(late.text(), t0().plus(3616))),
        Reason::CredentialExpired
    );
    let err = phone.code(t0().plus(3601)).unwrap_err();
    assert_eq!(err.reason(), Reason::CredentialExpired);
}

#[test]
fn the_offline_quota_is_enforced_on_the_phone_and_at_the_till() {
    let s = setup();
    let key = test_key("vector-device-ed25519");
    let credential = s.enrol(beijing(), &key, |e| e.with_quota(2));
    let mut phone = DeviceHolder::new(key, credential.clone(), 0).unwrap();
    assert!(phone.code(t0()).is_ok());
    let second = phone.code(t0()).unwrap();
    let err = phone.code(t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::QuotaExceeded);
    assert_eq!(phone.next_counter(), 2);
    // A code with counter 2 signed by the device key by hand: the till
    // refuses it.
    let code = UntrustedDeviceCode::parse(second.text()).unwrap();
    let forged = resign_ed25519(code.as_bytes(), "vector-device-ed25519", |b| {
        let n = credential.as_bytes().len();
        b[n + 3..n + 5].copy_from_slice(&2u16.to_be_bytes());
    });
    assert_eq!(
        reason(s.verifier.verify(&forged, t0().plus(1))),
        Reason::QuotaExceeded
    );
}

/// The device code `bytes` changed by `edit` and signed again with the test
/// device key `key_name` (Ed25519), as text.
fn resign_ed25519(bytes: &[u8], key_name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let pk8 = std::fs::read(fixtures::keys_dir().join(format!("{key_name}.pk8"))).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pk8).unwrap();
    let mut signed = bytes[..bytes.len() - 64].to_vec();
    edit(&mut signed);
    let mut msg = b"medcode/2/code".to_vec();
    msg.extend_from_slice(&signed);
    signed.extend_from_slice(pair.sign(&msg).as_ref());
    UntrustedDeviceCode::from_bytes(&signed).unwrap().to_text()
}

#[test]
fn a_code_claiming_more_validity_than_its_credential_is_refused() {
    let s = setup();
    let key = test_key("vector-device-ed25519");
    let credential = s.enrol(beijing(), &key, |e| e.with_max_code_validity(30));
    let mut phone = DeviceHolder::new(key, credential.clone(), 0).unwrap();
    let code = phone.code(t0()).unwrap();
    assert_eq!(code.expires_at(), t0().plus(30));
    let n = credential.as_bytes().len();
    let forged = resign_ed25519(
        UntrustedDeviceCode::parse(code.text()).unwrap().as_bytes(),
        "vector-device-ed25519",
        |b| b[n + 5] = 31,
    );
    let err = s.verifier.verify(&forged, t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::ValidityTooLong);
    assert_eq!(
        err.to_string(),
        "token claims a validity of 31 s, above the accepted maximum of 30 s"
    );
}

#[test]
fn signatures_are_checked_on_both_levels() {
    let s = setup();
    let mut phone = phone(&s, Algorithm::Ed25519, beijing());
    let bytes = binary(phone.code(t0()).unwrap().text());
    let n = phone.credential().as_bytes().len();
    // The device signature (last byte).
    let mut device_sig = bytes.clone();
    *device_sig.last_mut().unwrap() ^= 1;
    let text = UntrustedDeviceCode::from_bytes(&device_sig)
        .unwrap()
        .to_text();
    let err = s.verifier.verify(&text, t0()).unwrap_err();
    assert_eq!(err.reason(), Reason::BadSignature);
    assert!(err.to_string().contains("device signature"), "{err}");
    // The issuer's signature on the credential (its last byte).
    let mut issuer_sig = bytes.clone();
    issuer_sig[n - 1] ^= 1;
    let text = UntrustedDeviceCode::from_bytes(&issuer_sig)
        .unwrap()
        .to_text();
    assert_eq!(reason(s.verifier.verify(&text, t0())), Reason::BadSignature);
    // A claim changed in the credential: the issuer's signature fails.
    let mut lapsed = bytes;
    lapsed[0] |= 1;
    let text = UntrustedDeviceCode::from_bytes(&lapsed).unwrap().to_text();
    assert_eq!(reason(s.verifier.verify(&text, t0())), Reason::BadSignature);
}

#[test]
fn a_forwarded_credential_cannot_make_codes_on_another_phone() {
    let s = setup();
    let phone_a = phone(&s, Algorithm::Ed25519, beijing());
    let other = device_key(Algorithm::Ed25519);
    let err = DeviceHolder::new(other, phone_a.credential().clone(), 0).unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidKey);
    // Codes signed by another key over the forwarded credential.
    let mut phone_a = phone_a;
    let real = phone_a.code(t0()).unwrap();
    let forged = resign_ed25519(
        UntrustedDeviceCode::parse(real.text()).unwrap().as_bytes(),
        "vector-device-ed25519",
        |_| {},
    );
    assert_eq!(
        reason(s.verifier.verify(&forged, t0())),
        Reason::BadSignature
    );
}

#[test]
fn an_untrusted_issuer_is_an_unknown_key() {
    let s = setup();
    let outsider = Setup {
        issuer: Issuer::new(test_key("vector-outsider")),
        verifier: s.verifier.clone(),
    };
    let mut phone = phone(&outsider, Algorithm::Ed25519, beijing());
    let code = phone.code(t0()).unwrap();
    assert_eq!(
        reason(s.verifier.verify(code.text(), t0())),
        Reason::UnknownKey
    );
}

#[test]
fn revocation_covers_the_credential_the_issuer_key_and_the_person() {
    let s = setup();
    let mut phone = phone(&s, Algorithm::P256, beijing());
    let id = phone.credential().id();
    let codes: Vec<_> = (0..4).map(|i| phone.code(t0().plus(i)).unwrap()).collect();
    let check = |list: RevocationList, text: &str| {
        s.verifier
            .clone()
            .with_revocations(list)
            .verify(text, t0().plus(5))
    };
    let mut lost = RevocationList::new();
    lost.revoke_credential(id).unwrap();
    let err = check(lost, codes[0].text()).unwrap_err();
    assert_eq!(err.reason(), Reason::Revoked);
    assert_eq!(err.to_string(), format!("revoked: device credential {id}"));
    let mut key = RevocationList::new();
    key.revoke_key(s.issuer.key_id(), RevocationReason::Compromised)
        .unwrap();
    assert_eq!(reason(check(key, codes[1].text())), Reason::Revoked);
    // The person revoked from before the enrolment: refused; from after it,
    // the credential made before still works until it ends.
    let insured = InsuredId::new("12345678901234567890").unwrap();
    let mut before = RevocationList::new();
    before.revoke_insured(&insured, t0()).unwrap();
    assert_eq!(reason(check(before, codes[2].text())), Reason::Revoked);
    let mut after = RevocationList::new();
    after.revoke_insured(&insured, t0().plus(1)).unwrap();
    assert!(check(after, codes[3].text()).is_ok());
}

#[test]
fn the_credential_cache_never_outlives_a_trust_or_revocation_change() {
    let s = setup();
    let mut phone = phone(&s, Algorithm::Ed25519, beijing());
    let first = phone.code(t0()).unwrap();
    assert!(s.verifier.verify(first.text(), t0()).is_ok());
    // Cached now; a revocation installed later still refuses the phone.
    let mut lost = RevocationList::new();
    lost.revoke_credential(phone.credential().id()).unwrap();
    let revoking = s.verifier.clone().with_revocations(lost);
    let second = phone.code(t0().plus(1)).unwrap();
    assert_eq!(
        reason(revoking.verify(second.text(), t0().plus(1))),
        Reason::Revoked
    );
    // A verifier whose trust list lost the issuer key refuses it, cache or not.
    let other = test_key("vector-p256");
    let without = Verifier::new(TrustList::new(vec![trusted(&other)]).unwrap());
    let third = phone.code(t0().plus(2)).unwrap();
    assert_eq!(
        reason(without.verify(third.text(), t0().plus(2))),
        Reason::UnknownKey
    );
    // And with the cache off, every code still verifies.
    let uncached = s.verifier.clone().with_credential_cache(0);
    let fourth = phone.code(t0().plus(3)).unwrap();
    assert!(uncached.verify(fourth.text(), t0().plus(3)).is_ok());
}

#[test]
fn verify_batch_takes_self_delegate_and_device_codes_together() {
    let s = setup();
    let mut phone = phone(&s, Algorithm::P256, beijing());
    let own = s.issuer.issue(&beijing(), t0()).unwrap();
    let mut delegate_claims = beijing();
    delegate_claims.presenter = Some(Presenter {
        insured: InsuredId::new("00012").unwrap(),
        relation: Relation::Child,
        mutual_aid: false,
    });
    let delegate = s.issuer.issue(&delegate_claims, t0()).unwrap();
    let d1 = phone.code(t0()).unwrap();
    let d2 = phone.code(t0()).unwrap();
    let texts = [
        own.text(),
        d1.text(),
        delegate.text(),
        d2.text(),
        d1.text(),
        "MC3123",
    ];
    let results = s.verifier.verify_batch(&texts, t0().plus(1));
    let kinds: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().map(|v| v.kind()).map_err(Error::reason))
        .collect();
    assert_eq!(
        kinds,
        [
            Ok(CodeKind::SelfCode),
            Ok(CodeKind::Device),
            Ok(CodeKind::Delegate),
            Ok(CodeKind::Device),
            Err(Reason::Replayed),
            Err(Reason::UnsupportedVersion),
        ]
    );
}

#[test]
fn bad_device_code_layouts_are_malformed() {
    let s = setup();
    let mut phone = phone(&s, Algorithm::Ed25519, beijing());
    let bytes = binary(phone.code(t0()).unwrap().text());
    let reason_of = |b: &[u8]| UntrustedDeviceCode::from_bytes(b).unwrap_err().reason();
    assert_eq!(reason_of(&bytes[..bytes.len() - 1]), Reason::Malformed);
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(reason_of(&longer), Reason::Malformed);
    // An unknown device-key algorithm byte (offset 22), a zero quota.
    let mut alg = bytes.clone();
    alg[22] = 9;
    assert_eq!(reason_of(&alg), Reason::Malformed);
    let mut quota = bytes.clone();
    quota[20] = 0;
    quota[21] = 0;
    assert_eq!(reason_of(&quota), Reason::Malformed);
    // The credential alone is no code; an MC1 prefix on a device binary
    // is no token.
    let cred = phone.credential().as_bytes();
    assert_eq!(reason_of(cred), Reason::Malformed);
    assert_eq!(
        DeviceCredential::from_bytes(cred).unwrap().id(),
        phone.credential().id()
    );
    assert_eq!(
        DeviceCredential::from_bytes(&bytes).unwrap_err().reason(),
        Reason::Malformed
    );
    assert_eq!(
        UntrustedDeviceCode::parse("MC1255").unwrap_err().reason(),
        Reason::UnsupportedVersion
    );
    assert_eq!(reason(s.verifier.verify("MC2255", t0())), Reason::Malformed);
    assert_eq!(
        reason(s.verifier.verify("MC4255", t0())),
        Reason::UnsupportedVersion
    );
}

#[test]
fn enrolment_refuses_what_no_till_accepts() {
    let s = setup();
    let key = device_key(Algorithm::P256);
    let e = || DeviceEnrolment::new(beijing(), key.public_key().clone());
    let refuse = |e: DeviceEnrolment| s.issuer.enrol_device(&e, t0()).unwrap_err().reason();
    assert_eq!(
        refuse(e().with_lifetime_secs(7 * 24 * 3600 + 60)),
        Reason::InvalidArgument
    );
    assert_eq!(refuse(e().with_lifetime_secs(90)), Reason::InvalidArgument);
    assert_eq!(refuse(e().with_quota(0)), Reason::InvalidArgument);
    assert_eq!(
        refuse(e().with_max_code_validity(0)),
        Reason::InvalidArgument
    );
    assert!(
        s.issuer
            .enrol_device(&e().with_lifetime_secs(7 * 24 * 3600), t0())
            .is_ok()
    );
    let sm2 = device_key(Algorithm::Sm2);
    let err = s
        .issuer
        .enrol_device(
            &DeviceEnrolment::new(beijing(), sm2.public_key().clone()),
            t0(),
        )
        .unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidKey);
    let mut too_long = beijing();
    too_long.name = Some(MaskedName::new("欧阳**").unwrap());
    let err = s
        .issuer
        .enrol_device(
            &DeviceEnrolment::new(too_long, key.public_key().clone()),
            t0(),
        )
        .unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidClaims);
    // The credential id is what the phone's owner revokes.
    let c = s.issuer.enrol_device(&e(), t0()).unwrap();
    let id = CredentialId::parse_hex(&c.id().to_string()).unwrap();
    assert_eq!(id, c.id());
    assert_eq!(
        CredentialId::parse_hex("0F1E2D3C4B5A6978")
            .unwrap_err()
            .reason(),
        Reason::InvalidArgument
    );
}

#[test]
fn a_p256_device_code_signed_by_hand_with_ring_verifies() {
    // The device side may be a phone's secure hardware: any P-256 ECDSA
    // signer over the same message makes a valid code.
    let s = setup();
    let rng = ring::rand::SystemRandom::new();
    let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pk8.as_ref(), &rng).unwrap();
    let public =
        medcode::PublicKey::from_bytes(Algorithm::P256, pair.public_key().as_ref()).unwrap();
    let credential = s
        .issuer
        .enrol_device(&DeviceEnrolment::new(beijing(), public), t0())
        .unwrap();
    let mut signed = credential.as_bytes().to_vec();
    signed.extend_from_slice(&[0, 0, 10, 0, 7, 60]); // 10 s after enrolment, counter 7, 60 s
    let mut msg = b"medcode/2/code".to_vec();
    msg.extend_from_slice(&signed);
    signed.extend_from_slice(pair.sign(&rng, &msg).unwrap().as_ref());
    let text = UntrustedDeviceCode::from_bytes(&signed).unwrap().to_text();
    let v = s.verifier.verify(&text, t0().plus(11)).unwrap();
    assert_eq!(v.device().unwrap().counter, 7);
    assert_eq!(v.issued_at(), t0().plus(10));
    let _: UnixTime = v.expires_at();
}

#[test]
fn verdicts_name_a_device_codes_holder_only_after_both_signatures_held() {
    let s = setup();
    let till = medcode::verify::TillContext::new();
    let mut phone = phone(&s, Algorithm::Ed25519, beijing());
    let code = phone.code(t0()).unwrap();
    let first = s.verifier.check(code.text(), &till, t0());
    assert!(first.is_accepted());
    assert_eq!(first.kind(), Some(CodeKind::Device));
    assert_eq!(first.token_id(), Some(code.token_id()));
    // Replayed: refused after both signatures held, so it names the holder.
    let again = s.verifier.check(code.text(), &till, t0().plus(1));
    assert_eq!(again.reason(), Some(Reason::Replayed));
    assert_eq!(again.kind(), Some(CodeKind::Device));
    assert_eq!(
        again.signed_claims().unwrap().insured.as_str(),
        "12345678901234567890"
    );
    assert_eq!(again.token_id(), Some(code.token_id()));
    // A forged device signature names nobody.
    let mut bytes = binary(code.text());
    *bytes.last_mut().unwrap() ^= 1;
    let forged = UntrustedDeviceCode::from_bytes(&bytes).unwrap().to_text();
    let refused = s.verifier.check(&forged, &till, t0());
    assert_eq!(refused.reason(), Some(Reason::BadSignature));
    assert_eq!(refused.signed_claims(), None);
    assert_eq!(refused.kind(), None);
}
