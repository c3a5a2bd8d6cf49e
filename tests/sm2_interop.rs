//! SM2 against independent implementations, in both directions, over the
//! exact bytes a medcode signature covers (`medcode/1` and the token body,
//! docs/FORMAT.md):
//!
//! - the `gmssl` Python package (PyPI, pure Python), in a virtual
//!   environment this test makes under `target/tmp/` (kept between runs):
//!   gmssl signs and medcode verifies, medcode signs and gmssl verifies,
//!   and gmssl reproduces the published example of GM/T 0003.5 Annex A;
//! - OpenSSL 3 (`openssl pkeyutl -rawin -digest sm3 -pkeyopt
//!   distid:1234567812345678`): OpenSSL signs with a medcode key file and
//!   medcode verifies, medcode signs with an OpenSSL key file and OpenSSL
//!   verifies.
//!
//! Without python3, a virtual environment or PyPI, or without openssl, the
//! tests print a loud SKIPPED line, and fail where they must run (CI,
//! `MEDCODE_REQUIRE_TOOLS=1`; tests/support/tools.rs). An OpenSSL that has
//! no SM2 (before 3.0, or built without it) is skipped loudly everywhere.

mod fixtures;
mod support;

use fixtures::{t0, trusted};
use support::tools::{output_with_input, probe_or_skip, skip_loudly, skip_or_fail, tool_or_skip};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use medcode::keys::{PermissionPolicy, read_private_key, write_private_key};
use medcode::limits::SM2_USER_ID;
use medcode::{
    Algorithm, Claims, InsuredId, Issuer, MaskedName, PublicKey, Reason, Region, SigningKey,
    TrustList, TrustedKey, UntrustedToken, Verifier,
};
use serde_json::{Value, json};

/// The gmssl release the tests install (pure Python, with pycryptodomex).
const GMSSL: &str = "gmssl==3.2.2";
/// The signing context before the token body (docs/FORMAT.md).
const CONTEXT: &[u8] = b"medcode/1";
/// Codes per direction: several random nonces on gmssl's side.
const CODES: u64 = 8;

fn claims(n: u64) -> Claims {
    let mut c = Claims::new(
        InsuredId::new(&format!("{:020}", 12_345_678_901_234_567_890u64 + n)).unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    c
}

/// The signed message and the signature of a token.
fn split(text: &str) -> (Vec<u8>, Vec<u8>) {
    let token = UntrustedToken::parse(text).unwrap();
    let (body, sig) = token.as_bytes().split_at(token.binary_len() - 64);
    ([CONTEXT, body].concat(), sig.to_vec())
}

/// Token bodies (without signature) naming `kid` as their key: medcode
/// issues them with a throwaway SM2 key and the key id is replaced, so the
/// other implementation's key signs them.
fn bodies_for(public: &PublicKey) -> Vec<Vec<u8>> {
    let issuer = Issuer::new(SigningKey::generate(Algorithm::Sm2).unwrap());
    (0..CODES)
        .map(|n| {
            let text = issuer.issue(&claims(n), t0()).unwrap();
            let token = UntrustedToken::parse(text.text()).unwrap();
            let mut body = token.as_bytes()[..token.binary_len() - 64].to_vec();
            body[1..5].copy_from_slice(public.key_id().as_bytes());
            body
        })
        .collect()
}

fn text_of(body: &[u8], sig: &[u8]) -> String {
    UntrustedToken::from_bytes(&[body, sig].concat())
        .unwrap()
        .to_text()
}

fn verifier_for(public: &PublicKey) -> Verifier {
    Verifier::new(
        TrustList::new(vec![TrustedKey {
            key: public.clone(),
            label: "other-implementation".into(),
            authority: "test authority".into(),
            not_before: t0().minus(86_400),
            not_after: t0().plus(86_400),
        }])
        .unwrap(),
    )
}

// ---- gmssl ---------------------------------------------------------------

/// What the Python side does, one request (a JSON list of operations) on
/// stdin, one JSON list of answers on stdout. gmssl's constructor strips
/// the characters `0` and `4` from the start of a public key given with the
/// `04` prefix (str.lstrip), so the key is set after construction.
const GMSSL_SCRIPT: &str = r#"
import json, secrets, sys
from gmssl import sm2
n = int(sm2.default_ecc_table['n'], 16)
def crypt(d, xy):
    c = sm2.CryptSM2(private_key=d, public_key='00')
    c.public_key = xy
    return c
def nonce():
    return '%064x' % (secrets.randbelow(n - 1) + 1)
out = []
for op in json.load(sys.stdin):
    if op['op'] == 'keygen':
        d = nonce()
        xy = crypt(d, '00')._kg(int(d, 16), sm2.default_ecc_table['g'])
        out.append({'d': d, 'xy': xy})
    elif op['op'] == 'sign':
        c = crypt(op['d'], op['xy'])
        sig = None
        while sig is None:
            sig = c.sign_with_sm3(bytes.fromhex(op['msg']), op.get('k') or nonce())
        out.append({'sig': sig})
    elif op['op'] == 'verify':
        c = crypt('00', op['xy'])
        out.append({'ok': bool(c.verify_with_sm3(op['sig'], bytes.fromhex(op['msg'])))})
    elif op['op'] == 'e':
        out.append({'e': crypt('00', op['xy'])._sm3_z(bytes.fromhex(op['msg']))})
json.dump(out, sys.stdout)
"#;

/// The virtual environment with gmssl, made once and kept in target/tmp;
/// `None` after a SKIPPED line (or a failure where tools are required).
fn gmssl_python(test: &str) -> Option<PathBuf> {
    if !tool_or_skip("python3", test) {
        return None;
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sm2-interop-gmssl-venv");
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", "import gmssl.sm2"])
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return Some(python);
    }
    // Made beside, then moved into place: tests running at once (in one
    // process or several) never see half an environment.
    let staging = tempfile::Builder::new()
        .prefix("sm2-interop-venv-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(staging.path().join("venv"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if !made.status.success() {
        skip_or_fail(
            test,
            &format!(
                "python3 -m venv failed (apt-get install -y python3-venv): {}",
                String::from_utf8_lossy(&made.stderr).trim()
            ),
        );
        return None;
    }
    let staged_python = staging.path().join("venv/bin/python");
    let pip = Command::new(&staged_python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            GMSSL,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if !pip.status.success() || !ready(&staged_python) {
        skip_or_fail(
            test,
            &format!(
                "pip install {GMSSL} failed (no PyPI here?): {}",
                String::from_utf8_lossy(&pip.stderr).trim()
            ),
        );
        return None;
    }
    // Moved into place unless another test has put one there meanwhile.
    let moved = std::fs::rename(staging.path().join("venv"), &venv).is_ok();
    if ready(&python) {
        return Some(python);
    }
    if moved {
        skip_or_fail(test, "the virtual environment does not work once moved");
        return None;
    }
    // Another test's environment is not ready yet: use the staged one for
    // this run (left in target/tmp).
    Some(staging.keep().join("venv/bin/python"))
}

fn gmssl(python: &Path, ops: &Value) -> Vec<Value> {
    let out = output_with_input(
        Command::new(python).args(["-c", GMSSL_SCRIPT]),
        &ops.to_string(),
        "gmssl",
    );
    assert!(
        out.status.success(),
        "gmssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `x || y` in hex, as gmssl takes a public key.
fn xy_hex(public: &PublicKey) -> String {
    hex::encode(&public.as_bytes()[1..])
}

#[test]
fn gmssl_signs_the_token_bytes_and_medcode_verifies() {
    let Some(python) = gmssl_python("gmssl_signs_the_token_bytes_and_medcode_verifies") else {
        return;
    };
    let key = &gmssl(&python, &json!([{"op": "keygen"}]))[0];
    let (d, xy) = (key["d"].as_str().unwrap(), key["xy"].as_str().unwrap());
    let public = PublicKey::from_bytes(Algorithm::Sm2, &hex::decode(format!("04{xy}")).unwrap())
        .expect("gmssl's public key is an SM2 point");
    let bodies = bodies_for(&public);
    let ops: Vec<Value> = bodies
        .iter()
        .map(|body| json!({"op": "sign", "d": d, "xy": xy, "msg": hex::encode([CONTEXT, body].concat())}))
        .collect();
    let answers = gmssl(&python, &Value::Array(ops));
    let verifier = verifier_for(&public);
    for (body, answer) in bodies.iter().zip(&answers) {
        let sig = hex::decode(answer["sig"].as_str().unwrap()).unwrap();
        assert_eq!(sig.len(), 64, "gmssl signs r || s");
        let v = verifier
            .verify(&text_of(body, &sig), t0())
            .expect("medcode accepts gmssl's signature");
        assert_eq!(v.algorithm(), Algorithm::Sm2);
        assert_eq!(v.key_id(), public.key_id());
    }
    // gmssl's signature of another body is no signature of this one.
    let sig = hex::decode(answers[1]["sig"].as_str().unwrap()).unwrap();
    let err = verifier
        .verify(&text_of(&bodies[0], &sig), t0())
        .unwrap_err();
    assert_eq!(err.reason(), Reason::BadSignature);
}

#[test]
fn medcode_signs_and_gmssl_verifies() {
    let Some(python) = gmssl_python("medcode_signs_and_gmssl_verifies") else {
        return;
    };
    let issuer = Issuer::new(SigningKey::generate(Algorithm::Sm2).unwrap());
    let xy = xy_hex(issuer.signing_key().public_key());
    let mut ops = Vec::new();
    for n in 0..CODES {
        let (message, sig) = split(issuer.issue(&claims(n), t0()).unwrap().text());
        ops.push(json!({"op": "verify", "xy": xy, "msg": hex::encode(&message), "sig": hex::encode(&sig)}));
        // The same signature over one changed byte: gmssl must refuse it.
        let mut changed = message.clone();
        changed[20] ^= 1;
        ops.push(json!({"op": "verify", "xy": xy, "msg": hex::encode(&changed), "sig": hex::encode(&sig)}));
    }
    let answers = gmssl(&python, &Value::Array(ops));
    let verdicts: Vec<bool> = answers.iter().map(|a| a["ok"].as_bool().unwrap()).collect();
    let expected: Vec<bool> = (0..CODES).flat_map(|_| [true, false]).collect();
    assert_eq!(verdicts, expected);
}

#[test]
fn gmssl_reproduces_the_published_example_of_annex_a() {
    let Some(python) = gmssl_python("gmssl_reproduces_the_published_example_of_annex_a") else {
        return;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/standards/sm2_gmt0003_5_annex_a.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let hex_of = |name: &str| v[name].as_str().unwrap().to_lowercase();
    let xy = hex_of("public_key")[2..].to_owned();
    let msg = hex::encode(v["message"].as_str().unwrap());
    let answers = gmssl(
        &python,
        &json!([
            {"op": "sign", "d": hex_of("private_key"), "xy": xy, "msg": msg, "k": hex_of("k")},
            {"op": "e", "xy": xy, "msg": msg},
        ]),
    );
    assert_eq!(
        answers[0]["sig"].as_str().unwrap(),
        format!("{}{}", hex_of("r"), hex_of("s"))
    );
    assert_eq!(answers[1]["e"].as_str().unwrap(), hex_of("e"));
    assert_eq!(SM2_USER_ID, "1234567812345678"); // gmssl's fixed identity
}

// ---- OpenSSL -------------------------------------------------------------

/// Runs openssl with `args`, returning its exit status and stderr.
fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const DISTID: &str = "distid:1234567812345678";

/// `openssl pkeyutl -sign` of `msg` into `sig` with SM2, SM3 and the
/// distinguishing id, by the key in `key` (its form in `keyform`).
fn sm2_sign(keyform: &[&str], key: &Path, msg: &Path, sig: &Path) -> (bool, String) {
    let sign = [
        "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
    ];
    let files = ["-inkey", path(key), "-in", path(msg), "-out", path(sig)];
    openssl(&[&sign[..], keyform, &files].concat())
}

/// A temporary directory for a test of `openssl` with SM2, or `None`
/// (SKIPPED) where `openssl_with_sm2` says it cannot.
fn openssl_dir(test: &str) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    openssl_with_sm2(test, dir.path()).then_some(dir)
}

/// True when openssl runs and signs with SM2 (`-rawin -digest sm3` and the
/// distinguishing id); otherwise SKIPPED (or a failure for a missing
/// openssl where tools are required).
fn openssl_with_sm2(test: &str, dir: &Path) -> bool {
    if !probe_or_skip("openssl", &["version"], test) {
        return false;
    }
    let key = dir.join("probe.pem");
    let msg = dir.join("probe.msg");
    std::fs::write(&msg, b"probe").unwrap();
    let (made, _) = openssl(&["genpkey", "-algorithm", "SM2", "-out", path(&key)]);
    let sig = dir.join("probe.sig");
    let (signed, err) = if made {
        sm2_sign(&[], &key, &msg, &sig)
    } else {
        (false, "genpkey -algorithm SM2 failed".into())
    };
    if !signed {
        skip_loudly(
            test,
            &format!(
                "this openssl cannot sign with SM2 and SM3 (OpenSSL 3 can): {}",
                err.trim()
            ),
        );
    }
    signed
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An ASN.1 DER ECDSA-Sig-Value (SEQUENCE of INTEGER r, INTEGER s), as
/// OpenSSL writes SM2 signatures, to `r || s`.
fn der_to_raw(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30);
    assert_eq!(usize::from(der[1]), der.len() - 2);
    let mut raw = Vec::new();
    let mut rest = &der[2..];
    for _ in 0..2 {
        assert_eq!(rest[0], 0x02);
        let len = usize::from(rest[1]);
        let int = &rest[2..2 + len];
        let int = &int[int.iter().take_while(|&&b| b == 0).count()..];
        assert!(int.len() <= 32);
        raw.extend(std::iter::repeat_n(0u8, 32 - int.len()));
        raw.extend_from_slice(int);
        rest = &rest[2 + len..];
    }
    assert!(rest.is_empty());
    raw
}

/// `r || s` to DER.
fn raw_to_der(raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for half in raw.chunks(32) {
        let trimmed = &half[half.iter().take_while(|&&b| b == 0).count()..];
        let pad = trimmed.first().is_some_and(|&b| b >= 0x80);
        body.push(0x02);
        body.push(u8::try_from(trimmed.len() + usize::from(pad)).unwrap());
        if pad {
            body.push(0);
        }
        body.extend_from_slice(trimmed);
    }
    [vec![0x30, u8::try_from(body.len()).unwrap()], body].concat()
}

#[test]
fn openssl_signs_with_a_medcode_key_file_and_medcode_verifies() {
    let Some(dir) = openssl_dir("openssl_signs_with_a_medcode_key_file_and_medcode_verifies")
    else {
        return;
    };
    // medcode's key file (PKCS#8 DER, 0600) is what OpenSSL signs with.
    let key_file = dir.path().join("issuer.pk8");
    let key = SigningKey::generate(Algorithm::Sm2).unwrap();
    write_private_key(&key_file, &key).unwrap();
    let public = key.public_key().clone();
    let verifier = Verifier::new(TrustList::new(vec![trusted(&key)]).unwrap());
    for (n, body) in bodies_for(&public).iter().enumerate() {
        let msg = dir.path().join(format!("{n}.msg"));
        let sig = dir.path().join(format!("{n}.sig"));
        std::fs::write(&msg, [CONTEXT, body].concat()).unwrap();
        let (ok, err) = sm2_sign(&["-keyform", "DER"], &key_file, &msg, &sig);
        assert!(ok, "openssl pkeyutl -sign: {err}");
        let raw = der_to_raw(&std::fs::read(&sig).unwrap());
        let v = verifier
            .verify(&text_of(body, &raw), t0())
            .expect("medcode accepts OpenSSL's signature");
        assert_eq!(v.key_id(), public.key_id());
    }
}

#[test]
fn medcode_signs_with_an_openssl_key_file_and_openssl_verifies() {
    let Some(dir) = openssl_dir("medcode_signs_with_an_openssl_key_file_and_openssl_verifies")
    else {
        return;
    };
    // OpenSSL's key is what medcode loads and signs with: genpkey writes
    // PKCS#8 in PEM (its DER output is SEC1), pkcs8 -topk8 turns it into
    // the DER form of medcode's key files.
    let pem_file = dir.path().join("openssl.pem");
    let key_file = dir.path().join("openssl.pk8");
    let pub_file = dir.path().join("openssl.pub.pem");
    let (ok, err) = openssl(&["genpkey", "-algorithm", "SM2", "-out", path(&pem_file)]);
    assert!(ok, "openssl genpkey: {err}");
    let (ok, err) = openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        path(&pem_file),
        "-outform",
        "DER",
        "-out",
        path(&key_file),
    ]);
    assert!(ok, "openssl pkcs8 -topk8: {err}");
    let (ok, err) = openssl(&[
        "pkey",
        "-in",
        path(&pem_file),
        "-pubout",
        "-out",
        path(&pub_file),
    ]);
    assert!(ok, "openssl pkey -pubout: {err}");
    let loaded = read_private_key(&key_file, PermissionPolicy::Warn).unwrap();
    assert_eq!(loaded.key.algorithm(), Algorithm::Sm2);
    let issuer = Issuer::new(loaded.key);
    let mut verdicts = Vec::new();
    for n in 0..CODES {
        let (message, sig) = split(issuer.issue(&claims(n), t0()).unwrap().text());
        let sig_file = dir.path().join(format!("{n}.sig"));
        std::fs::write(&sig_file, raw_to_der(&sig)).unwrap();
        for (i, msg) in [message.clone(), [&message[..], &b"!"[..]].concat()]
            .iter()
            .enumerate()
        {
            let msg_file = dir.path().join(format!("{n}-{i}.msg"));
            std::fs::write(&msg_file, msg).unwrap();
            let (ok, _) = openssl(&[
                "pkeyutl",
                "-verify",
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                DISTID,
                "-pubin",
                "-inkey",
                path(&pub_file),
                "-in",
                path(&msg_file),
                "-sigfile",
                path(&sig_file),
            ]);
            verdicts.push(ok);
        }
    }
    let expected: Vec<bool> = (0..CODES).flat_map(|_| [true, false]).collect();
    assert_eq!(
        verdicts, expected,
        "OpenSSL's verdicts: the code, then a changed message"
    );
}

#[test]
fn der_signature_forms_round_trip() {
    let raw: Vec<u8> = (0u8..64).map(|b| b.wrapping_mul(37) ^ 0x80).collect();
    assert_eq!(der_to_raw(&raw_to_der(&raw)), raw);
    let mut small = vec![0u8; 64];
    small[31] = 1;
    small[63] = 0x80;
    assert_eq!(raw_to_der(&small), vec![0x30, 0x07, 2, 1, 1, 2, 2, 0, 0x80]);
    assert_eq!(der_to_raw(&raw_to_der(&small)), small);
}
