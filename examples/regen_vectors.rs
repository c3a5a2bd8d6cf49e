//! Regenerates the test vectors in `tests/vectors/*.json`, deterministically.
//!
//! Fixed keys (`tests/vectors/keys/*.pk8`, test-only), fixed times and token
//! ids derived from each vector's name, so running this twice writes the same
//! bytes. Ed25519 signatures are deterministic, and so are SM2 ones (the
//! `sm2` crate derives `k` as RFC 6979 does, with HMAC-SM3); ECDSA P-256
//! signatures are not (ring draws a fresh nonce), so a P-256 vector whose
//! verdict is unchanged keeps its committed token. `.ci/run` runs this and
//! fails if `git diff` shows a change.
//!
//! The SM2 vectors (`*_sm2*`) trust the SM2 test key beside the others;
//! `tests/vectors/standards/` holds the published SM2 signature example of
//! GM/T 0003.5-2012 Annex A, checked here and by `tests/sm2.rs`.
//!
//! Each file holds one vector: the trust list, the time to verify at, the
//! verifier's settings, the token text and the exact verdict JSON expected
//! (see `tests/vectors.rs`). Vectors of revocation carry a `revocations`
//! list; vectors of signed lists carry the `signed_trust_list` envelope
//! (its payload is `trust_list`) and the `root_key` file text it verifies
//! under (`tests/vectors/keys/vector-root.pk8`, Ed25519, so deterministic).
//! Vectors of the replay guard carry `replay_capacity` (an in-memory guard
//! of that many live codes) and `presented_before` (codes accepted first,
//! in order); vectors of scanned images carry `image_file`, a PNG beside
//! them in `tests/vectors/images/`, decoded and then verified (`token` is
//! what it holds, or null when it holds no readable code).

#[path = "../tests/support/token_text.rs"]
mod token_text;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use medcode::lists::{ListInfo, RevocationReason};
use medcode::qr::{Ecc, Qr, decode_image};
use medcode::replay::MemoryReplayGuard;
use medcode::verify::to_json;
use medcode::{
    Claims, CredentialId, DeviceEnrolment, DeviceHolder, InsuredId, Issuer, ListKind, MaskedName,
    Presenter, Region, Relation, RevocationList, RootKey, Scheme, SignedList, SigningKey, Status,
    TokenId, TrustList, TrustedKey, UnixTime, UntrustedDeviceCode, UntrustedToken, Verifier,
};
use serde_json::{Value, json};
use token_text::token_text;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const ISSUED_AT: &str = "2026-11-22T08:00:00Z";
const KEY_FROM: &str = "2026-01-01T00:00:00Z";
const KEY_UNTIL: &str = "2027-01-01T00:00:00Z";

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load_key(name: &str) -> Res<SigningKey> {
    let path = vectors_dir().join("keys").join(format!("{name}.pk8"));
    Ok(SigningKey::from_pkcs8(&std::fs::read(&path)?)?)
}

fn trusted(key: &SigningKey, label: &str) -> Res<TrustedKey> {
    Ok(TrustedKey {
        key: key.public_key().clone(),
        label: label.into(),
        authority: "medcode test vectors (NOT FOR PRODUCTION)".into(),
        not_before: UnixTime::parse_rfc3339(KEY_FROM)?,
        not_after: UnixTime::parse_rfc3339(KEY_UNTIL)?,
    })
}

/// A token id derived from the vector's name: fixed randomness, tests only.
fn token_id(name: &str) -> TokenId {
    let digest = ring::digest::digest(&ring::digest::SHA256, name.as_bytes());
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest.as_ref()[..8]);
    TokenId::from_bytes(id)
}

struct Vector {
    name: &'static str,
    description: &'static str,
    trust: TrustList,
    verify_at: UnixTime,
    leeway: u32,
    till_region: Option<Region>,
    token: String,
    revocations: Option<RevocationList>,
    signed_trust: Option<(RootKey, SignedList)>,
    replay_capacity: Option<usize>,
    presented_before: Vec<String>,
    /// File name in tests/vectors/images/ and the PNG bytes.
    image: Option<(&'static str, Vec<u8>)>,
}

impl Vector {
    fn verifier(&self) -> Verifier {
        let mut v = match &self.signed_trust {
            Some((root, signed)) => {
                Verifier::from_signed(root.clone(), signed).expect("the vector's signed list")
            }
            None => Verifier::new(self.trust.clone()),
        }
        .with_leeway(self.leeway);
        if let Some(r) = self.till_region {
            v = v.with_till_region(r);
        }
        if let Some(list) = &self.revocations {
            v = v.with_revocations(list.clone());
        }
        v
    }

    /// The verdict for `token` (or for the vector's image when it has one),
    /// from a fresh verifier and guard after the earlier presentations.
    fn expected(&self, token: &str) -> Value {
        let mut verifier = self.verifier();
        if let Some(capacity) = self.replay_capacity {
            verifier =
                verifier.with_replay_guard(Arc::new(MemoryReplayGuard::with_capacity(capacity)));
        }
        for earlier in &self.presented_before {
            verifier
                .verify(earlier, self.verify_at)
                .expect("an earlier presentation is accepted");
        }
        let result = match &self.image {
            Some((_, png)) => {
                decode_image(png).and_then(|text| verifier.verify(&text, self.verify_at))
            }
            None => verifier.verify(token, self.verify_at),
        };
        to_json(&result)
    }

    fn to_json(&self) -> Res<Value> {
        // The binary of a token or of a device code, whichever the text is.
        let binary = UntrustedToken::parse(&self.token)
            .map(|t| t.as_bytes().to_vec())
            .or_else(|_| UntrustedDeviceCode::parse(&self.token).map(|d| d.as_bytes().to_vec()))
            .ok();
        // An image vector's token is the text its code holds, if any.
        let token = match &self.image {
            Some((_, png)) => decode_image(png).ok(),
            None => Some(self.token.clone()),
        };
        let mut v = json!({
            "name": self.name,
            "description": self.description,
            "verify_at": self.verify_at.to_rfc3339(),
            "leeway_secs": self.leeway,
            "till_region": self.till_region.map(|r| r.to_string()),
            "trust_list": serde_json::from_str::<Value>(&self.trust.to_json())?,
            "token": token,
            "text_len": token.as_ref().map(String::len),
            "binary_hex": binary.as_ref().map(hex::encode),
            "binary_len": binary.as_ref().map(Vec::len),
            "expected": self.expected(&self.token),
        });
        // Only vectors of revocation and signed lists carry these fields.
        if let Some(list) = &self.revocations {
            v["revocations"] = serde_json::from_str(&list.to_json())?;
        }
        if let Some((root, signed)) = &self.signed_trust {
            v["root_key"] = root.to_text().into();
            v["signed_trust_list"] = serde_json::from_str(&signed.to_json())?;
        }
        if let Some(capacity) = self.replay_capacity {
            v["replay_capacity"] = capacity.into();
            v["presented_before"] = self.presented_before.clone().into();
        }
        if let Some((file, _)) = &self.image {
            v["image_file"] = format!("images/{file}").into();
        }
        Ok(v)
    }
}

/// Writes `v`, keeping the committed token of a non-deterministic (P-256)
/// vector when it still yields the same verdict; returns the token written.
fn write(mut v: Vector, keep_if_same_verdict: bool) -> Res<String> {
    let path = vectors_dir().join(format!("{}.json", v.name));
    if let Some((file, png)) = &v.image {
        let images = vectors_dir().join("images");
        std::fs::create_dir_all(&images)?;
        std::fs::write(images.join(file), png)?;
    }
    if keep_if_same_verdict && let Ok(old) = std::fs::read(&path) {
        let old: Value = serde_json::from_slice(&old)?;
        if let Some(old_token) = old["token"].as_str()
            && v.expected(old_token) == v.expected(&v.token)
        {
            v.token = old_token.to_owned();
        }
    }
    let mut text = serde_json::to_string_pretty(&v.to_json()?)?;
    text.push('\n');
    std::fs::write(&path, text)?;
    println!("wrote {}", path.display());
    Ok(v.token)
}

/// The P-256 token `text` with its signature's `s` replaced by `n - s`
/// (big-endian, `n` the order of the P-256 group): the malleated twin, which
/// the curve equation accepts and the verifier refuses.
fn p256_twin(text: &str) -> Res<String> {
    const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63,
        0x25, 0x51,
    ];
    let mut bytes = UntrustedToken::parse(text)?.as_bytes().to_vec();
    let at = bytes.len() - 32;
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(N[i]) - i16::from(bytes[at + i]) - borrow;
        bytes[at + i] = u8::try_from(d.rem_euclid(256))?;
        borrow = i16::from(d < 0);
    }
    Ok(UntrustedToken::from_bytes(&bytes)?.to_text())
}

/// The order `n` of the SM2 group, big-endian.
const SM2_N: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x72, 0x03, 0xDF, 0x6B, 0x21, 0xC6, 0x05, 0x2B, 0x53, 0xBB, 0xF4, 0x09, 0x39, 0xD5, 0x41, 0x23,
];

/// The SM2 token `text` with its signature's `s` replaced by `n` itself:
/// not in 1..n-1, so refused for its form whatever the key.
fn sm2_s_is_n(text: &str) -> Res<String> {
    let mut bytes = UntrustedToken::parse(text)?.as_bytes().to_vec();
    let at = bytes.len() - 32;
    bytes[at..].copy_from_slice(&SM2_N);
    Ok(UntrustedToken::from_bytes(&bytes)?.to_text())
}

/// GM/T 0003.5-2012 Annex A (also GB/T 32918.5-2017 Annex A): the SM2
/// signature example over the recommended 256-bit curve, with the default
/// user identity. (The examples of GB/T 32918.2-2016's own annex use a test
/// curve of their own, which no SM2 implementation here takes.)
fn sm2_annex_a() -> Res<()> {
    let x = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020";
    let y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
    let r = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
    let s = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
    let message = "message digest";
    let public = hex::decode(format!("04{x}{y}"))?;
    let key = medcode::PublicKey::from_bytes(medcode::Algorithm::Sm2, &public)?;
    let signature = hex::decode(format!("{r}{s}"))?;
    assert!(
        key.verify(message.as_bytes(), &signature),
        "the published SM2 example verifies"
    );
    let v = json!({
        "name": "sm2_gmt0003_5_annex_a",
        "description": "The SM2 signature example of GM/T 0003.5-2012 Annex A (GB/T 32918.5-2017 Annex A) over the recommended 256-bit curve: SM2DSA with SM3 and the default user identity. z is SM3(ENTL || ID || a || b || xG || yG || xA || yA), e is SM3(z || message), k the signer's random number of the example.",
        "user_id": medcode::limits::SM2_USER_ID,
        "message": message,
        "private_key": "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8",
        "public_key": format!("04{x}{y}"),
        "key_id": key.key_id().to_string(),
        "k": "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21",
        "z": "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3",
        "e": "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640",
        "r": r,
        "s": s,
    });
    let dir = vectors_dir().join("standards");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("sm2_gmt0003_5_annex_a.json");
    let mut text = serde_json::to_string_pretty(&v)?;
    text.push('\n');
    std::fs::write(&path, text)?;
    println!("wrote {}", path.display());
    Ok(())
}

fn main() -> Res<()> {
    let ed = load_key("vector-ed25519")?;
    let p256 = load_key("vector-p256")?;
    let outsider = load_key("vector-outsider")?;
    let trust = TrustList::new(vec![
        trusted(&ed, "vector-ed25519")?,
        trusted(&p256, "vector-p256")?,
    ])?;
    let sm2 = load_key("vector-sm2")?;
    let trust_sm2 = trust.with_key(trusted(&sm2, "vector-sm2")?)?;
    let sm2_issuer = Issuer::new(sm2);
    let ed_issuer = Issuer::new(load_key("vector-ed25519")?);
    let p256_issuer = Issuer::new(p256);
    let outsider_issuer = Issuer::new(outsider);
    let t0 = UnixTime::parse_rfc3339(ISSUED_AT)?;

    let mut beijing = Claims::new(
        InsuredId::new("12345678901234567890")?,
        Region::new("110000")?,
    );
    beijing.name = Some(MaskedName::new("张*")?);

    let mut shenzhen = Claims::new(InsuredId::new("A1B2C3D4E5")?, Region::new("440300")?);
    shenzhen.status = Status::Lapsed;
    shenzhen.scheme = Scheme::Resident;

    let mut delegate = Claims::new(
        InsuredId::new("98765432109876543210")?,
        Region::new("440300")?,
    );
    delegate.name = Some(MaskedName::new("李*")?);
    delegate.presenter = Some(Presenter {
        insured: InsuredId::new("12345678901234567890")?,
        relation: Relation::Child,
        mutual_aid: true,
    });

    let mut home_only = beijing.clone();
    home_only.cross_province = false;

    let base = |name: &'static str, description: &'static str, token: String| Vector {
        name,
        description,
        trust: trust.clone(),
        verify_at: t0.plus(5),
        leeway: 15,
        till_region: None,
        token,
        revocations: None,
        signed_trust: None,
        replay_capacity: None,
        presented_before: Vec::new(),
        image: None,
    };
    let issue = |issuer: &Issuer, claims: &Claims, name: &str| -> Res<String> {
        Ok(issuer
            .issue_with_token_id(claims, t0, token_id(name))?
            .text()
            .to_owned())
    };

    // Accepted codes.
    write(
        base(
            "valid_self_ed25519",
            "A normal self code: 20-digit identifier, two-character masked name, Beijing; the token docs/FORMAT.md walks through byte by byte.",
            issue(&ed_issuer, &beijing, "valid_self_ed25519")?,
        ),
        false,
    )?;
    let p256_token = write(
        base(
            "valid_self_p256",
            "The same claims signed with ECDSA P-256 (fixed-size 64-byte signature, low s).",
            issue(&p256_issuer, &beijing, "valid_self_p256")?,
        ),
        true,
    )?;
    let sm2_token = write(
        Vector {
            trust: trust_sm2.clone(),
            ..base(
                "valid_self_sm2",
                "The same claims signed with SM2DSA and SM3 (user identity 1234567812345678; signature r || s, 64 bytes): the same length and QR version as the Ed25519 code.",
                issue(&sm2_issuer, &beijing, "valid_self_sm2")?,
            )
        },
        false,
    )?;
    write(
        base(
            "valid_lapsed_resident_alnum",
            "An alphanumeric identifier, no name, lapsed status and resident scheme: accepted, and the verdict reports the lapse.",
            issue(&ed_issuer, &shenzhen, "valid_lapsed_resident_alnum")?,
        ),
        false,
    )?;
    write(
        base(
            "valid_delegate",
            "A family-account delegate code: the insured person's child shows it, with a mutual-aid filing.",
            issue(&ed_issuer, &delegate, "valid_delegate")?,
        ),
        false,
    )?;
    write(
        Vector {
            till_region: Some(Region::new("110105")?),
            ..base(
                "valid_home_province_only_same_province",
                "The holder switched off use outside their province; a till in the same province accepts.",
                issue(&ed_issuer, &home_only, "valid_home_province_only")?,
            )
        },
        false,
    )?;
    write(
        base(
            "valid_home_province_only_no_till_region",
            "The holder switched off use outside their province; a verifier without a till region accepts and says it could not check.",
            issue(&ed_issuer, &home_only, "valid_home_province_only")?,
        ),
        false,
    )?;

    // One refusal per reason code.
    let good = issue(&ed_issuer, &beijing, "valid_self_ed25519")?;
    write(
        base(
            "reject_malformed",
            "A letter among the digits.",
            format!("{}X{}", &good[..100], &good[101..]),
        ),
        false,
    )?;
    write(
        base(
            "reject_whitespace_inside",
            "A space among the digits (two codes run together, or a broken scan): malformed; only whitespace around the text is ignored.",
            format!("{} {}", &good[..100], &good[100..]),
        ),
        false,
    )?;
    write(
        base(
            "valid_scanner_whitespace",
            "The normal self code as a keyboard-style scanner may type it: a leading space and a trailing CR LF, which readers ignore.",
            format!(" {good}\r\n"),
        ),
        false,
    )?;
    write(
        base(
            "reject_unsupported_version",
            "The prefix names format version 9, which this build does not know.",
            good.replacen("MC1", "MC9", 1),
        ),
        false,
    )?;
    write(
        base(
            "reject_unknown_key",
            "Signed by a key that is not in the trust list.",
            issue(&outsider_issuer, &beijing, "reject_unknown_key")?,
        ),
        false,
    )?;
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    write(
        base(
            "reject_bad_signature",
            "The last digit changed: the signature no longer verifies.",
            String::from_utf8(tampered)?,
        ),
        false,
    )?;
    write(
        base(
            "reject_bad_signature_p256_high_s",
            "The valid P-256 code with its signature's s replaced by n - s: the curve equation holds, but only the low-s form is accepted, so a code has one text.",
            p256_twin(&p256_token)?,
        ),
        false,
    )?;
    let mut tampered = sm2_token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    write(
        Vector {
            trust: trust_sm2.clone(),
            ..base(
                "reject_bad_signature_sm2",
                "The valid SM2 code with its last digit changed: the signature no longer verifies.",
                String::from_utf8(tampered)?,
            )
        },
        false,
    )?;
    write(
        Vector {
            trust: trust_sm2.clone(),
            ..base(
                "reject_bad_signature_sm2_s_out_of_range",
                "The valid SM2 code with its signature's s replaced by n, the group order: r and s must be in 1..n-1, so the signature is refused for its form (s = n would act as 0).",
                sm2_s_is_n(&sm2_token)?,
            )
        },
        false,
    )?;
    write(
        Vector {
            verify_at: t0.plus(60 + 15 + 1),
            ..base(
                "reject_expired",
                "Presented 1 s after validity (60 s) plus leeway (15 s): a stale screenshot.",
                good.clone(),
            )
        },
        false,
    )?;
    write(
        Vector {
            verify_at: t0.minus(15 + 1),
            ..base(
                "reject_not_yet_valid",
                "Presented 1 s before issued-at minus leeway: the issuer's clock is ahead.",
                good.clone(),
            )
        },
        false,
    )?;
    write(
        base(
            "reject_validity_too_long",
            "The token claims 301 s of validity; the verifier accepts at most 300 s.",
            issue(
                &Issuer::new(load_key("vector-ed25519")?)
                    .with_validity(301)
                    .with_max_validity(301),
                &beijing,
                "reject_validity_too_long",
            )?,
        ),
        false,
    )?;
    write(
        Vector {
            till_region: Some(Region::new("440300")?),
            ..base(
                "reject_cross_province_disabled",
                "The holder (Beijing) switched off use outside their province; the till is in Shenzhen.",
                issue(&ed_issuer, &home_only, "valid_home_province_only")?,
            )
        },
        false,
    )?;

    // Revocation (checked once the signature holds).
    let mut revoked_key = RevocationList::new();
    revoked_key.revoke_key(ed_issuer.key_id(), RevocationReason::Compromised)?;
    write(
        Vector {
            revocations: Some(revoked_key),
            ..base(
                "reject_revoked_key",
                "The issuing key's id is on the revocation list as compromised: every code it signed is refused.",
                good.clone(),
            )
        },
        false,
    )?;
    let revoke_from = |since: UnixTime| -> Res<RevocationList> {
        let mut list = RevocationList::new();
        list.revoke_insured(&beijing.insured, since)?;
        Ok(list)
    };
    write(
        Vector {
            revocations: Some(revoke_from(t0)?),
            ..base(
                "reject_revoked_insured",
                "The insured person is revoked from the second the code was issued (a phone reported stolen): refused.",
                good.clone(),
            )
        },
        false,
    )?;
    write(
        Vector {
            revocations: Some(revoke_from(t0.plus(1))?),
            ..base(
                "valid_revoked_insured_issued_before",
                "The insured person is revoked from 1 s after the code was issued: codes issued before the revocation still verify.",
                good.clone(),
            )
        },
        false,
    )?;

    // Signed trust lists past their next-update: 72 h of grace with a
    // notice, refused from the first second after it.
    let root_key = load_key("vector-root")?;
    let root = RootKey::of(&root_key)?;
    let verify_at = t0.plus(5);
    let signed = |next_update: UnixTime| -> Res<Option<(RootKey, SignedList)>> {
        let info = ListInfo {
            kind: ListKind::Trust,
            sequence: 1,
            issued_at: UnixTime::parse_rfc3339(KEY_FROM)?,
            next_update,
        };
        let list = SignedList::sign(&root_key, info, trust.to_json().into_bytes())?;
        Ok(Some((root.clone(), list)))
    };
    const GRACE: u64 = 72 * 3600;
    write(
        Vector {
            signed_trust: signed(verify_at.minus(GRACE))?,
            ..base(
                "reject_trust_list_stale",
                "The signed trust list was due for update exactly 72 h before the code is shown: the grace has ended, every code is refused.",
                good.clone(),
            )
        },
        false,
    )?;
    write(
        Vector {
            signed_trust: signed(verify_at.minus(GRACE - 1))?,
            ..base(
                "valid_trust_list_stale_within_grace",
                "The signed trust list is 1 s short of 72 h past its next-update: accepted, and the verdict says it refuses every code in 1 s.",
                good.clone(),
            )
        },
        false,
    )?;

    // One code, one use: the in-memory replay guard.
    write(
        Vector {
            replay_capacity: Some(16),
            presented_before: vec![good.clone()],
            ..base(
                "reject_replayed",
                "The same code shown a second time within its validity (a screenshot passed on): the guard accepted it once and refuses it now.",
                good.clone(),
            )
        },
        false,
    )?;
    let other = issue(&ed_issuer, &shenzhen, "reject_replay_guard_full")?;
    write(
        Vector {
            replay_capacity: Some(1),
            presented_before: vec![other],
            ..base(
                "reject_replay_guard_full",
                "A guard with room for one live code already holds another: it refuses rather than forgetting.",
                good.clone(),
            )
        },
        false,
    )?;

    // Masked names with an invisible or control character.
    // The issuer refuses them, so the body is built by hand from the valid
    // self code and signed with the trusted key: the signature holds, and
    // the name alone makes the code `malformed`.
    for (name, description, invisible) in [
        (
            "reject_name_right_to_left_override",
            "A masked name of U+202E (right-to-left override, category Cf) and '*', validly signed: malformed, since a masked name holds only letters, the middle dot and '*'.",
            "\u{202e}*",
        ),
        (
            "reject_name_zero_width_space",
            "A masked name of U+200B (zero-width space, category Cf) and '*', validly signed: malformed.",
            "\u{200b}*",
        ),
        (
            "reject_name_left_to_right_isolate",
            "A masked name of U+2066 (left-to-right isolate, category Cf) and '*', validly signed: malformed.",
            "\u{2066}*",
        ),
        (
            "reject_name_escape_control",
            "A masked name of U+001B (escape, category Cc, the start of terminal control sequences) and '*', validly signed: malformed.",
            "\u{1b}*",
        ),
    ] {
        write(
            base(
                name,
                description,
                hand_signed_with_name(&good, name, invisible)?,
            ),
            false,
        )?;
    }

    // A region whose province part (99) is no province-level division: the
    // issuer refuses it, so the body is signed by hand.
    write(
        base(
            "reject_region_no_province",
            "Region 999999, validly signed: malformed, since its first two digits (99) are no province-level division code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82).",
            hand_signed_with_region(&good, "reject_region_no_province", 999_999)?,
        ),
        false,
    )?;

    // Scanned images: the valid code rendered as a PNG, and a PNG with no code.
    let png = Qr::encode(&good, Ecc::M)?.to_png(4)?;
    write(
        Vector {
            image: Some(("valid_self_ed25519.png", png)),
            ..base(
                "valid_image_png",
                "The valid self code rendered at level M, 4 pixels per module, scanned back from the PNG and verified.",
                good.clone(),
            )
        },
        false,
    )?;
    write(
        Vector {
            image: Some(("blank.png", blank_png()?)),
            ..base(
                "reject_unreadable_blank_image",
                "A photo with no QR code in it (a white 64 x 64 PNG): unreadable.",
                String::new(),
            )
        },
        false,
    )?;
    device_vectors(&base, &ed_issuer, &p256_issuer, &beijing, &delegate, t0)?;
    sm2_annex_a()
}

/// A credential id derived from the vector's name: fixed randomness.
fn credential_id(name: &str) -> CredentialId {
    let mut id = [0u8; 8];
    id.copy_from_slice(token_id(&format!("credential {name}")).as_bytes());
    CredentialId::from_bytes(id)
}

/// The device-code vectors: codes made offline with a device
/// key the issuer certified at `t0`.
fn device_vectors(
    base: &dyn Fn(&'static str, &'static str, String) -> Vector,
    ed_issuer: &Issuer,
    p256_issuer: &Issuer,
    beijing: &Claims,
    delegate: &Claims,
    t0: UnixTime,
) -> Res<()> {
    let phone = |issuer: &Issuer,
                 device: &str,
                 claims: &Claims,
                 name: &str,
                 edit: &dyn Fn(DeviceEnrolment) -> DeviceEnrolment|
     -> Res<DeviceHolder> {
        let key = load_key(device)?;
        let enrolment = edit(DeviceEnrolment::new(
            claims.clone(),
            key.public_key().clone(),
        ));
        let credential = issuer.enrol_device_with_id(&enrolment, t0, credential_id(name))?;
        Ok(DeviceHolder::new(key, credential, 0)?)
    };
    let same = |e: DeviceEnrolment| e;
    // Made an hour after enrolment, shown 2 s later.
    let made = t0.plus(3600);
    let at = |v: Vector| Vector {
        verify_at: made.plus(2),
        ..v
    };
    let ed_phone = |name: &str| phone(ed_issuer, "vector-device-ed25519", beijing, name, &same);
    let first_code = |mut p: DeviceHolder| -> Res<String> { Ok(p.code(made)?.text().to_owned()) };

    let walked = first_code(ed_phone("valid_device_ed25519")?)?;
    write(
        at(base(
            "valid_device_ed25519",
            "A code the phone made offline: the issuer (Ed25519) certified the phone's Ed25519 key at enrolment, 24 h, 1000 codes; this is code 0, made an hour later. docs/FORMAT.md walks through it byte by byte.",
            walked.clone(),
        )),
        false,
    )?;
    write(
        at(base(
            "valid_device_p256",
            "A phone with a P-256 key (as the Secure Enclave or StrongBox holds) certified by the P-256 issuer key: the largest self device code of these claims.",
            first_code(phone(
                p256_issuer,
                "vector-device-p256",
                beijing,
                "valid_device_p256",
                &same,
            )?)?,
        )),
        true,
    )?;
    write(
        at(base(
            "valid_device_delegate",
            "A family member's phone: the credential carries the presenter block (the insured person's child, mutual aid filed), as a delegate code does.",
            first_code(phone(
                ed_issuer,
                "vector-device-ed25519",
                delegate,
                "valid_device_delegate",
                &same,
            )?)?,
        )),
        false,
    )?;
    let hour = |e: DeviceEnrolment| e.with_lifetime_secs(3600);
    // A credential of one hour, with each issuer and device key.
    for (issuer, device, name, description, keep) in [
        (
            ed_issuer,
            "vector-device-ed25519",
            "reject_credential_expired",
            "A credential of one hour: its code made at 59:50 is shown at 1:00:16, after the credential's end plus 15 s of leeway: the phone must go online once.",
            false,
        ),
        (
            p256_issuer,
            "vector-device-p256",
            "reject_credential_expired_p256",
            "The same with a P-256 issuer key and a P-256 device key: the credential's hour is over.",
            true,
        ),
    ] {
        let mut short = phone(issuer, device, beijing, name, &hour)?;
        write(
            Vector {
                verify_at: t0.plus(3600 + 16),
                ..base(
                    name,
                    description,
                    short.code(t0.plus(3590))?.text().to_owned(),
                )
            },
            keep,
        )?;
    }
    let two = |e: DeviceEnrolment| e.with_quota(2);
    let capped = phone(
        ed_issuer,
        "vector-device-ed25519",
        beijing,
        "reject_quota_exceeded",
        &two,
    )?;
    let cred_len = capped.credential().as_bytes().len();
    let within = first_code(capped)?;
    write(
        at(base(
            "reject_quota_exceeded",
            "A credential of 2 codes and a code with counter 2, signed by the device key by hand (the library's holder refuses to make it).",
            device_signed_by_hand(&within, |b| {
                b[cred_len + 3..cred_len + 5].copy_from_slice(&2u16.to_be_bytes());
            })?,
        )),
        false,
    )?;
    let lost = ed_phone("reject_revoked_credential")?;
    let mut list = RevocationList::new();
    list.revoke_credential(lost.credential().id())?;
    write(
        Vector {
            revocations: Some(list),
            ..at(base(
                "reject_revoked_credential",
                "The phone was reported lost: its credential id is on the revocation list.",
                first_code(lost)?,
            ))
        },
        false,
    )?;
    let mut bytes = UntrustedDeviceCode::parse(&walked)?.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    write(
        at(base(
            "reject_bad_signature_device",
            "The device signature's last byte changed: the credential verifies, the code does not.",
            UntrustedDeviceCode::from_bytes(&bytes)?.to_text(),
        )),
        false,
    )?;
    Ok(())
}

/// The device code `text` with its signed part changed by `edit`, signed
/// again with the test device key (Ed25519) by hand.
fn device_signed_by_hand(text: &str, edit: impl FnOnce(&mut Vec<u8>)) -> Res<String> {
    let pkcs8 = std::fs::read(vectors_dir().join("keys/vector-device-ed25519.pk8"))?;
    let key = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
        .map_err(|e| format!("the device key: {e}"))?;
    let bytes = UntrustedDeviceCode::parse(text)?.as_bytes().to_vec();
    let mut out = bytes[..bytes.len() - 64].to_vec();
    edit(&mut out);
    let mut message = b"medcode/2/code".to_vec();
    message.extend_from_slice(&out);
    out.extend_from_slice(key.sign(&message).as_ref());
    Ok(UntrustedDeviceCode::from_bytes(&out)?.to_text())
}

/// The valid Beijing self code `good` (name `张*`) with its masked name
/// replaced by `name` and its token id by the vector's, signed again with
/// the test Ed25519 key by hand, bypassing the issuer's checks.
fn hand_signed_with_name(good: &str, vector: &str, name: &str) -> Res<String> {
    const NAME_AT: usize = 23 + 9; // fixed part, 20-digit identifier
    const SIGNATURE_LEN: usize = 64;
    let bytes = UntrustedToken::parse(good)?.as_bytes().to_vec();
    let body = &bytes[..bytes.len() - SIGNATURE_LEN];
    assert_eq!(&body[NAME_AT..], "张*".as_bytes(), "the valid code's name");
    assert!(name.len() <= 12);
    let mut out = body[..NAME_AT].to_vec();
    out[11..19].copy_from_slice(token_id(vector).as_bytes());
    out[21] = (out[21] & 0xF0) | u8::try_from(name.len())?;
    out.extend_from_slice(name.as_bytes());
    assert_eq!(token_text(&bytes), good, "the text encoding");
    signed_by_hand(out)
}

/// The valid Beijing self code `good` with its region replaced by `region`
/// and its token id by the vector's, signed again by hand.
fn hand_signed_with_region(good: &str, vector: &str, region: u32) -> Res<String> {
    const SIGNATURE_LEN: usize = 64;
    let bytes = UntrustedToken::parse(good)?.as_bytes().to_vec();
    let mut out = bytes[..bytes.len() - SIGNATURE_LEN].to_vec();
    out[11..19].copy_from_slice(token_id(vector).as_bytes());
    let packed = u32::from_be_bytes([0, out[19], out[20], out[21]]);
    assert_eq!(packed >> 4, 110_000, "the valid code's region");
    let packed = (region << 4) | (packed & 0xF);
    out[19..22].copy_from_slice(&packed.to_be_bytes()[1..]);
    signed_by_hand(out)
}

/// Signs a token body with the test Ed25519 key by hand (bypassing the
/// issuer's checks) and returns the token text.
fn signed_by_hand(mut out: Vec<u8>) -> Res<String> {
    use ring::signature::KeyPair;
    let pkcs8 = std::fs::read(vectors_dir().join("keys/vector-ed25519.pk8"))?;
    let key = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
        .map_err(|e| format!("the vector key: {e}"))?;
    let mut message = b"medcode/1".to_vec();
    message.extend_from_slice(&out);
    let signature = key.sign(&message);
    // The signature holds: only the name's rule refuses the code.
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key.public_key().as_ref())
        .verify(&message, signature.as_ref())
        .map_err(|_| "the hand-made signature does not verify")?;
    out.extend_from_slice(signature.as_ref());
    Ok(token_text(&out))
}

/// A white 64 x 64 grayscale PNG.
fn blank_png() -> Res<Vec<u8>> {
    let img = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}
