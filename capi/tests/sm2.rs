//! SM2 codes through the C ABI: a trust list with an `"alg": "sm2"` key
//! (the library's test key tests/vectors/keys/vector-sm2.pk8) read from
//! bytes, a valid code accepted with its key id, a damaged one and one
//! whose `s` is the group order refused as `bad_signature`, saying why.
//! The C ABI lists no algorithms: it takes whatever the trust list names.
//! NOW is 2026-11-22T08:00:00Z.

mod common;

use std::ptr;

use common::{NOW, buf, demo_claims, last_error, root};
use medcode::{Issuer, SigningKey, TokenId, TrustList, TrustedKey, UnixTime, UntrustedToken};
use medcode_capi::*;

fn sm2_issuer() -> Issuer {
    let der = std::fs::read(root().join("tests/vectors/keys/vector-sm2.pk8")).unwrap();
    Issuer::new(SigningKey::from_pkcs8(&der).unwrap())
}

fn verify(v: *const MedcodeVerifier, text: &str) -> MedcodeResult {
    let text = std::ffi::CString::new(text).unwrap();
    let mut r = std::mem::MaybeUninit::<MedcodeResult>::uninit();
    // SAFETY: `v` is a live handle made by the test; `text` is a live CString; `r` is a writable
    // MaybeUninit<MedcodeResult>.
    let code = unsafe { medcode_verify(v, text.as_ptr(), NOW, r.as_mut_ptr()) };
    // SAFETY: `out` was non-null, and medcode_verify writes *out on every path then.
    let r = unsafe { r.assume_init() };
    assert_eq!(code, r.reason);
    r
}

#[test]
fn an_sm2_code_verifies_through_the_c_abi() {
    let issuer = sm2_issuer();
    let trust = TrustList::new(vec![TrustedKey {
        key: issuer.signing_key().public_key().clone(),
        label: "vector-sm2".into(),
        authority: "medcode test vectors (NOT FOR PRODUCTION)".into(),
        not_before: UnixTime::from_secs(NOW - 86_400),
        not_after: UnixTime::from_secs(NOW + 86_400),
    }])
    .unwrap();
    let json = trust.to_json();
    assert!(json.contains("\"alg\": \"sm2\""), "{json}");
    let mut v = ptr::null_mut();
    let code =
        // SAFETY: `json` is a live String of json.len() readable bytes; null options mean the
        // defaults; `v` is writable.
        unsafe { medcode_verifier_new_from_bytes(json.as_ptr(), json.len(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::Ok, "{}", last_error());

    let token = issuer
        .issue_with_token_id(
            &demo_claims(),
            UnixTime::from_secs(NOW - 5),
            TokenId::from_bytes([2, 1, 2, 1, 2, 1, 2, 1]),
        )
        .unwrap();
    let r = verify(v, token.text());
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(buf(&r.kid), issuer.key_id().to_string());
    assert_eq!(buf(&r.insured), "12345678901234567890");
    assert_eq!(buf(&r.token_id), "0201020102010201");

    // The last digit changed: a bad signature.
    let mut damaged = token.text().as_bytes().to_vec();
    let last = damaged.len() - 1;
    damaged[last] = if damaged[last] == b'0' { b'1' } else { b'0' };
    let r = verify(v, std::str::from_utf8(&damaged).unwrap());
    assert_eq!(r.reason, MedcodeReason::BadSignature);
    assert_eq!(
        buf(&r.detail),
        format!(
            "bad signature: no trusted key {} verifies this token",
            issuer.key_id()
        )
    );

    // s = n: refused for its form, and the detail says so.
    let mut bytes = UntrustedToken::parse(token.text())
        .unwrap()
        .as_bytes()
        .to_vec();
    let at = bytes.len() - 32;
    bytes[at..].copy_from_slice(&hex_n(
        "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123",
    ));
    let text = UntrustedToken::from_bytes(&bytes).unwrap().to_text();
    let r = verify(v, &text);
    assert_eq!(r.reason, MedcodeReason::BadSignature);
    assert!(
        buf(&r.detail).contains(
            "its sm2 signature has an r or s that is zero or not below the group order n"
        ),
        "{}",
        buf(&r.detail)
    );
    // SAFETY: `v` is the live handle from medcode_verifier_new_from_bytes, freed exactly once
    // here, after its last use.
    unsafe { medcode_verifier_free(v) };
}

fn hex_n(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}
