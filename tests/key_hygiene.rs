//! Private key bytes never leave the library: not in Debug output, not in
//! error messages, not in verdicts; key files are 0600 and never replaced.

use std::os::unix::fs::PermissionsExt;

use base64::Engine;
use medcode::keys::{PermissionPolicy, read_private_key, write_private_key};
use medcode::verify::to_json;
use medcode::{
    Algorithm, Claims, InsuredId, Issuer, Reason, Region, SigningKey, TrustList, TrustedKey,
    UnixTime, Verifier,
};

/// Every printable form of a secret we look for in output.
fn forms(secret: &[u8]) -> Vec<String> {
    let mut out = vec![
        hex::encode(secret),
        hex::encode_upper(secret),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        format!("{secret:?}"),
    ];
    // A 16-byte window of the raw secret anywhere, in hex.
    out.extend(secret.windows(16).map(hex::encode));
    out
}

fn assert_no_secret(text: &str, secret: &[u8]) {
    for f in forms(secret) {
        assert!(!text.contains(&f), "secret material leaked into: {text}");
    }
}

#[test]
fn no_debug_error_or_verdict_output_contains_private_key_bytes() {
    for alg in Algorithm::ALL {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer.pk8");
        let key = SigningKey::generate(alg).unwrap();
        write_private_key(&path, &key).unwrap();
        let der = std::fs::read(&path).unwrap();

        let loaded = read_private_key(&path, PermissionPolicy::Refuse).unwrap();
        let trusted = TrustedKey {
            key: loaded.key.public_key().clone(),
            label: "k".into(),
            authority: "a".into(),
            not_before: UnixTime::from_secs(0),
            not_after: UnixTime::from_secs(u64::from(u32::MAX)),
        };
        let mut outputs = vec![
            format!("{key:?}"),
            format!("{loaded:?}"),
            format!("{loaded:#?}"),
        ];
        let issuer = Issuer::new(loaded.key);
        outputs.push(format!("{issuer:?}"));
        let now = UnixTime::from_secs(1_800_000_000);
        let claims = Claims::new(
            InsuredId::new("42").unwrap(),
            Region::new("110000").unwrap(),
        );
        let token = issuer.issue(&claims, now).unwrap();
        outputs.push(format!("{token:?}"));
        let verifier = Verifier::new(TrustList::new(vec![trusted]).unwrap());
        let ok = verifier.verify(token.text(), now);
        outputs.push(to_json(&ok).to_string());
        outputs.push(format!("{ok:?}"));
        outputs.push(verifier.trust_list().to_json());

        // Errors about key files: refused permissions, corrupt key, wrong overwrite.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = read_private_key(&path, PermissionPolicy::Refuse).unwrap_err();
        assert_eq!(e.reason(), Reason::InvalidKey);
        outputs.push(e.to_string());
        outputs.push(format!("{e:?}"));
        let e = write_private_key(&path, &key).unwrap_err();
        outputs.push(e.to_string());
        let mut corrupt = der.clone();
        corrupt[2] ^= 0xff;
        let bad = dir.path().join("bad.pk8");
        std::fs::write(&bad, &corrupt).unwrap();
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = read_private_key(&bad, PermissionPolicy::Refuse).unwrap_err();
        assert_eq!(e.reason(), Reason::InvalidKey);
        outputs.push(e.to_string());
        outputs.push(format!("{e:?}"));
        let e = SigningKey::from_pkcs8(&corrupt).unwrap_err();
        outputs.push(format!("{e} {e:?}"));

        for text in &outputs {
            assert_no_secret(text, &der);
            assert_no_secret(text, &corrupt);
        }
    }
}

#[test]
fn key_files_are_created_0600_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pk8");
    let first = SigningKey::generate(Algorithm::Ed25519).unwrap();
    write_private_key(&path, &first).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = std::fs::read(&path).unwrap();
    let second = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let e = write_private_key(&path, &second).unwrap_err();
    assert_eq!(e.reason(), Reason::Io);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // Loading warns for group/other access, refuses under the strict policy.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
    let loaded = read_private_key(&path, PermissionPolicy::Warn).unwrap();
    assert!(loaded.warning.unwrap().contains("mode 0604"));
    assert!(read_private_key(&path, PermissionPolicy::Refuse).is_err());
    // A directory or an oversized file is refused before reading.
    assert_eq!(
        read_private_key(dir.path(), PermissionPolicy::Warn)
            .unwrap_err()
            .reason(),
        Reason::Io
    );
    let big = dir.path().join("big.pk8");
    std::fs::write(&big, vec![0u8; 1 << 20]).unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        read_private_key(&big, PermissionPolicy::Warn)
            .unwrap_err()
            .reason(),
        Reason::InvalidKey
    );
}
