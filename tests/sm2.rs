//! SM2 (SM2DSA with SM3, user identity 1234567812345678) everywhere the
//! other algorithms work in the library: the published example of GM/T
//! 0003.5-2012 Annex A, key files, trust lists, signed lists under an
//! Ed25519 root, token sizes and QR versions, and the one-form rule for
//! signatures. Times are pinned: codes are issued 2026-11-22T08:00:00Z.

mod fixtures;
use fixtures::{t0, test_key, trusted};

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use medcode::keys::{PermissionPolicy, read_private_key, write_private_key};
use medcode::limits::SM2_USER_ID;
use medcode::lists::ListInfo;
use medcode::qr::{Ecc, Qr};
use medcode::{
    Algorithm, Claims, InsuredId, Issuer, KeyId, ListKind, MaskedName, Presenter, PublicKey,
    Reason, Region, Relation, RootKey, SignedList, SigningKey, TrustList, UntrustedToken, Verifier,
};
use serde_json::Value;

/// The order of the SM2 group, big-endian hex.
const SM2_N: &str = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123";

fn annex_a() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/standards/sm2_gmt0003_5_annex_a.json");
    serde_json::from_slice(&std::fs::read(path).expect("the Annex A vector")).expect("JSON")
}

fn field(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(v[name].as_str().expect(name)).expect("hex")
}

fn beijing() -> Claims {
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    c
}

fn sm2_setup() -> (Issuer, Verifier) {
    let key = SigningKey::generate(Algorithm::Sm2).unwrap();
    let trust = TrustList::new(vec![trusted(&key)]).unwrap();
    (Issuer::new(key), Verifier::new(trust))
}

/// PKCS#8 DER of the SM2 private scalar `d` (id-ecPublicKey, curve
/// 1.2.156.10197.1.301, ECPrivateKey version 1 without the optional
/// fields), written out byte by byte.
fn pkcs8_of_scalar(d: &[u8]) -> Vec<u8> {
    assert_eq!(d.len(), 32);
    let mut der = hex::decode(concat!(
        "3041",                 // PrivateKeyInfo, 65 bytes
        "020100",               // version 0
        "3013",                 // AlgorithmIdentifier
        "06072a8648ce3d0201",   // id-ecPublicKey
        "06082a811ccf5501822d", // sm2 curve
        "0427",                 // privateKey OCTET STRING, 39 bytes
        "3025",                 // ECPrivateKey
        "020101",               // version 1
        "0420",                 // privateKey, 32 bytes
    ))
    .unwrap();
    der.extend_from_slice(d);
    der
}

#[test]
fn the_published_example_of_gmt_0003_5_annex_a_verifies() {
    let v = annex_a();
    assert_eq!(v["user_id"], SM2_USER_ID);
    assert_eq!(SM2_USER_ID, "1234567812345678");
    let public = field(&v, "public_key");
    let key = PublicKey::from_bytes(Algorithm::Sm2, &public).unwrap();
    assert_eq!(key.key_id().to_string(), v["key_id"].as_str().unwrap());
    assert_eq!(key.key_id(), KeyId::of_public_key(&public));
    let mut sig = field(&v, "r");
    sig.extend(field(&v, "s"));
    let message = v["message"].as_str().unwrap().as_bytes();
    assert_eq!(message, b"message digest");
    assert!(key.verify(message, &sig));
    assert!(!key.verify(b"message digesu", &sig));
    let mut other = sig.clone();
    other[63] ^= 1;
    assert!(!key.verify(message, &other));
    // The same point labelled P-256 is no P-256 key at all: refused.
    let p256 = PublicKey::from_bytes(Algorithm::P256, &public).unwrap_err();
    assert_eq!(p256.reason().as_str(), "invalid_key");

    // The published private key gives the published public key, and what
    // medcode signs with it verifies under the published key.
    let signer = SigningKey::from_pkcs8(&pkcs8_of_scalar(&field(&v, "private_key"))).unwrap();
    assert_eq!(signer.algorithm(), Algorithm::Sm2);
    assert_eq!(signer.public_key().as_bytes(), &public[..]);
    let issuer = Issuer::new(signer);
    let verifier = Verifier::new(TrustList::new(vec![trusted(issuer.signing_key())]).unwrap());
    let token = issuer.issue(&beijing(), t0()).unwrap();
    assert_eq!(
        verifier.verify(token.text(), t0()).unwrap().key_id(),
        key.key_id()
    );
}

#[test]
fn sm2_codes_keep_the_size_and_qr_versions_of_the_others() {
    let (issuer, verifier) = sm2_setup();
    let token = issuer.issue(&beijing(), t0()).unwrap();
    assert_eq!(token.binary_len(), 100);
    assert_eq!(token.text().len(), 244);
    assert_eq!(Qr::encode(token.text(), Ecc::M).unwrap().version(), 6);
    let v = verifier.verify(token.text(), t0().plus(5)).unwrap();
    assert_eq!(v.algorithm(), Algorithm::Sm2);
    assert_eq!(v.claims(), &beijing());

    // The longest claims the issuer accepts: version 6 self, 7 delegate.
    let mut longest = Claims::new(
        InsuredId::new("ZZZZZZZZZZZZZZZZZZZZ").unwrap(),
        Region::new("829999").unwrap(),
    );
    longest.name = Some(MaskedName::new("A*").unwrap());
    let self_code = issuer.issue(&longest, t0()).unwrap();
    assert_eq!(self_code.binary_len(), 102);
    let qr = Qr::encode(self_code.text(), Ecc::M).unwrap();
    assert_eq!((qr.version(), qr.modules()), (6, 41));
    longest.presenter = Some(Presenter {
        insured: InsuredId::new("ZZZZZZZZZZZZZZZZZZZZ").unwrap(),
        relation: Relation::OtherFamily,
        mutual_aid: true,
    });
    let delegate = issuer.issue(&longest, t0()).unwrap();
    assert_eq!(delegate.binary_len(), 117);
    let qr = Qr::encode(delegate.text(), Ecc::M).unwrap();
    assert_eq!((qr.version(), qr.modules()), (7, 45));
    let v = verifier.verify(delegate.text(), t0().plus(5)).unwrap();
    assert_eq!(v.presenter().unwrap().relation, Relation::OtherFamily);
}

/// `text` with its signature replaced by `r || s` given in hex.
fn with_signature(text: &str, r: &str, s: &str) -> String {
    let mut bytes = UntrustedToken::parse(text).unwrap().as_bytes().to_vec();
    let at = bytes.len() - 64;
    bytes.truncate(at);
    bytes.extend(hex::decode(r).unwrap());
    bytes.extend(hex::decode(s).unwrap());
    UntrustedToken::from_bytes(&bytes).unwrap().to_text()
}

#[test]
fn an_r_or_s_of_zero_or_not_below_n_is_refused_saying_why() {
    let (issuer, verifier) = sm2_setup();
    let token = issuer.issue(&beijing(), t0()).unwrap();
    let parsed = UntrustedToken::parse(token.text()).unwrap();
    let sig = &parsed.as_bytes()[36..];
    let (r, s) = (hex::encode(&sig[..32]), hex::encode(&sig[32..]));
    let zero = "00".repeat(32);
    let ones = "ff".repeat(32);
    let form = format!(
        "bad signature: no trusted key {} verifies this token: its sm2 signature has an r or s that is zero or not below the group order n; only r and s in 1..n-1 are accepted, so that each token has one text",
        issuer.key_id()
    );
    for (r, s) in [
        (zero.as_str(), s.as_str()),
        (r.as_str(), zero.as_str()),
        (SM2_N, s.as_str()),
        (r.as_str(), SM2_N),
        (ones.as_str(), s.as_str()),
        (r.as_str(), ones.as_str()),
    ] {
        let err = verifier
            .verify(&with_signature(token.text(), r, s), t0())
            .unwrap_err();
        assert_eq!(err.reason(), Reason::BadSignature);
        assert_eq!(err.to_string(), form);
    }
    // In range but wrong: refused without a form detail.
    let err = verifier
        .verify(&with_signature(token.text(), &r, &r), t0())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "bad signature: no trusted key {} verifies this token",
            issuer.key_id()
        )
    );
    // The untouched code is accepted.
    assert!(verifier.verify(token.text(), t0()).is_ok());
}

#[test]
fn sm2_key_files_are_pkcs8_0600_and_reload_to_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuer-sm2.pk8");
    let key = SigningKey::generate(Algorithm::Sm2).unwrap();
    write_private_key(&path, &key).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let der = std::fs::read(&path).unwrap();
    // PrivateKeyInfo naming id-ecPublicKey and the SM2 curve.
    assert!(
        der.windows(9)
            .any(|w| w == hex::decode("06072a8648ce3d0201").unwrap())
    );
    assert!(
        der.windows(10)
            .any(|w| w == hex::decode("06082a811ccf5501822d").unwrap())
    );
    let loaded = read_private_key(&path, PermissionPolicy::Refuse).unwrap();
    assert!(loaded.warning.is_none());
    assert_eq!(loaded.key.algorithm(), Algorithm::Sm2);
    assert_eq!(loaded.key.key_id(), key.key_id());
    let debug = format!("{:?}", loaded.key);
    assert_eq!(
        debug,
        format!(
            "SigningKey {{ alg: Sm2, kid: KeyId({}), private: \"<redacted>\" }}",
            key.key_id()
        )
    );
    // The same key signs the same bytes the same way (RFC 6979 nonces).
    let a = Issuer::new(key)
        .issue_with_token_id(&beijing(), t0(), medcode::TokenId::from_bytes([7; 8]))
        .unwrap();
    let b = Issuer::new(loaded.key)
        .issue_with_token_id(&beijing(), t0(), medcode::TokenId::from_bytes([7; 8]))
        .unwrap();
    assert_eq!(a.text(), b.text());
}

#[test]
fn trust_lists_carry_sm2_keys_as_alg_sm2() {
    let key = test_key("vector-sm2");
    let list = TrustList::new(vec![trusted(&key)]).unwrap();
    let json: Value = serde_json::from_str(&list.to_json()).unwrap();
    let entry = &json["keys"][0];
    assert_eq!(entry["alg"], "sm2");
    assert_eq!(entry["kid"], key.key_id().to_string());
    let again = TrustList::from_json(list.to_json().as_bytes()).unwrap();
    assert_eq!(again.keys(), list.keys());

    // A point off the curve is refused with the entry named.
    let mut bad = json.clone();
    let mut point = key.public_key().as_bytes().to_vec();
    point[64] ^= 1;
    use base64::Engine;
    bad["keys"][0]["public_key"] = base64::engine::general_purpose::STANDARD
        .encode(&point)
        .into();
    let err = TrustList::from_json(bad.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidTrustList);
    assert!(
        err.to_string()
            .contains("this sm2 public key is not a point of the SM2 curve"),
        "{err}"
    );
}

#[test]
fn a_signed_trust_list_under_an_ed25519_root_carries_an_sm2_key() {
    let root_key = test_key("vector-root");
    let root = RootKey::of(&root_key).unwrap();
    let sm2 = test_key("vector-sm2");
    let trust = TrustList::new(vec![trusted(&sm2)]).unwrap();
    let info = ListInfo {
        kind: ListKind::Trust,
        sequence: 1,
        issued_at: t0().minus(86_400),
        next_update: t0().plus(86_400),
    };
    let signed = SignedList::sign(&root_key, info, trust.to_json().into_bytes()).unwrap();
    let verifier = Verifier::from_signed(root, &signed).unwrap();
    let token = Issuer::new(sm2).issue(&beijing(), t0()).unwrap();
    let v = verifier.verify(token.text(), t0().plus(1)).unwrap();
    assert_eq!(v.algorithm(), Algorithm::Sm2);
    // A root key itself stays Ed25519.
    let err = RootKey::of(&SigningKey::generate(Algorithm::Sm2).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid key: a root key must be ed25519, this one is sm2"
    );
}
