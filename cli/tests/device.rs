//! `medcode device` end to end: a phone's key, the issuer's
//! enrolment (self and delegate through the registry), codes with counters
//! that are never reused (also by processes running at once), the quota,
//! the credential's end, a lost phone revoked, and the refusals of bad
//! input with exit 2.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod support;
use support::cmdline::{self, family_bind, person_add};
use support::{Run, run};

const ENROL: &str = "2026-12-02T08:00:00Z";
const LATER: &str = "2026-12-02T09:00:00Z";
const SHOWN: &str = "2026-12-02T09:00:05Z";
const INSURED: &str = "12345678901234567890";

struct Phone {
    dir: tempfile::TempDir,
}

impl Phone {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn p(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_owned()
    }

    /// An issuer key (KID issuer), a phone key of `alg`, and nothing else.
    fn new(alg: &str) -> Phone {
        let phone = Phone {
            dir: tempfile::tempdir().unwrap(),
        };
        let iss = phone.p("iss");
        let r = run(&[
            "keygen",
            "--dir",
            &iss,
            "--kid",
            "issuer",
            "--at",
            "2026-12-01T00:00:00Z",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&["device", "keygen", "--out", &phone.p("phone"), "--alg", alg]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        phone
    }

    fn enroll(&self, extra: &[&str]) -> Run {
        self.enroll_with(&["--at", ENROL], extra)
    }

    /// `device enroll` of the phone's key into `cred` with `when` (`--at
    /// ..`, or nothing for now), then `extra`.
    fn enroll_with(&self, when: &[&str], extra: &[&str]) -> Run {
        self.enroll_key("phone/device.pub", when, extra)
    }

    /// `device enroll` of the key file `key` (in the phone's directory)
    /// into `cred` with `when`, then `extra`.
    fn enroll_key(&self, key: &str, when: &[&str], extra: &[&str]) -> Run {
        let (iss, pubkey, cred) = (self.p("iss"), self.p(key), self.p("cred"));
        let mut args = vec![
            "device",
            "enroll",
            "--dir",
            &iss,
            "--kid",
            "issuer",
            "--device-key",
            &pubkey,
            "--out",
            &cred,
        ];
        args.extend_from_slice(when);
        args.extend_from_slice(extra);
        run(&args)
    }

    fn enroll_self(&self, extra: &[&str]) -> Run {
        let mut args = vec!["--insured", INSURED, "--region", "110000", "--name", "张*"];
        args.extend_from_slice(extra);
        self.enroll(&args)
    }

    fn code(&self, at: &str) -> Run {
        self.code_with(&["--at", at])
    }

    /// `device code` of the phone's key and credential, then `extra`.
    fn code_with(&self, extra: &[&str]) -> Run {
        let (key, cred) = (self.p("phone/device.pk8"), self.p("cred"));
        let mut args = vec!["device", "code", "--key", &key, "--credential", &cred];
        args.extend_from_slice(extra);
        run(&args)
    }

    fn verify(&self, text: &str, at: &str, extra: &[&str]) -> (i32, Value) {
        let trust = self.p("iss/trust.json");
        let mut args = vec![
            "verify", "--trust", &trust, "--at", at, "--json", "--replay", "memory",
        ];
        args.extend_from_slice(extra);
        args.push(text);
        let r = run(&args);
        (
            r.code,
            serde_json::from_str(&r.stdout).expect("verdict JSON"),
        )
    }
}

fn text_of(r: &Run) -> String {
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = r.stdout.trim().to_owned();
    assert!(text.starts_with("MC2"), "{text}");
    text
}

#[test]
fn keygen_writes_a_private_key_of_mode_0600_and_a_public_key_line() {
    for (alg, pub_len) in [("ed25519", 8 + 64 + 1), ("p256", 5 + 130 + 1)] {
        let phone = Phone::new(alg);
        let key = std::fs::metadata(phone.path("phone/device.pk8")).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
        let public = std::fs::read_to_string(phone.path("phone/device.pub")).unwrap();
        assert!(public.starts_with(&format!("{alg} ")), "{public}");
        assert_eq!(public.len(), pub_len, "{public}");
        // Never overwritten.
        let again = run(&["device", "keygen", "--out", &phone.p("phone")]);
        again.assert_stderr(2, "refusing to overwrite");
    }
}

#[test]
fn a_phone_makes_codes_offline_that_a_till_accepts_once_each() {
    let phone = Phone::new("p256");
    let r = phone.enroll_self(&["--quota", "3"]);
    r.assert_stdout(
        0,
        "valid 2026-12-02T08:00:00Z to 2026-12-03T08:00:00Z, 3 codes of at most 60 s",
    );
    let codes: Vec<String> = (0..3).map(|_| text_of(&phone.code(LATER))).collect();
    assert_eq!(
        std::fs::read_to_string(phone.path("cred.counter")).unwrap(),
        "3\n"
    );
    for (i, text) in codes.iter().enumerate() {
        let (code, v) = phone.verify(text, SHOWN, &[]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["kind"], "device");
        assert_eq!(v["insured"], INSURED);
        assert_eq!(v["device"]["counter"], i);
        assert_eq!(v["device"]["quota"], 3);
        assert_eq!(v["device"]["device_alg"], "p256");
        assert_eq!(v["device"]["credential_expires_at"], "2026-12-03T08:00:00Z");
    }
    // The quota is used up: the phone refuses, exit 1 with the reason.
    let r = phone.code(LATER);
    r.assert_stderr(
        1,
        "offline quota used up: code 3 of a credential that allows 3 codes",
    );
    // A stale screenshot, then an expired credential.
    let (code, v) = phone.verify(&codes[0], "2026-12-02T09:01:16Z", &[]);
    assert_eq!((code, v["reason"].as_str()), (1, Some("expired")));
}

#[test]
fn processes_running_at_once_never_share_a_counter() {
    let phone = Phone::new("ed25519");
    assert_eq!(phone.enroll_self(&[]).code, 0);
    let (key, cred) = (phone.p("phone/device.pk8"), phone.p("cred"));
    let children: Vec<_> = (0..8)
        .map(|_| {
            support::medcode()
                .args([
                    "device",
                    "code",
                    "--key",
                    &key,
                    "--credential",
                    &cred,
                    "--at",
                    LATER,
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut counters: Vec<u64> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            let (code, v) = phone.verify(text.trim(), SHOWN, &[]);
            assert_eq!(code, 0, "{v}");
            v["device"]["counter"].as_u64().unwrap()
        })
        .collect();
    counters.sort_unstable();
    assert_eq!(counters, (0..8).collect::<Vec<u64>>());
    assert_eq!(
        std::fs::read_to_string(phone.path("cred.counter")).unwrap(),
        "8\n"
    );
}

#[test]
fn a_lost_phone_is_revoked_by_its_credential_id() {
    let phone = Phone::new("ed25519");
    let r = phone.enroll_self(&[]);
    let id = r
        .stdout
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_owned();
    assert_eq!(id.len(), 16, "{}", r.stdout);
    let text = text_of(&phone.code(LATER));
    let list = phone.p("revoked.json");
    let r = run(&["revoke", "--list", &list, "--credential", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with(&format!("device credential {id}: revoked\n")),
        "{}",
        r.stdout
    );
    let (code, v) = phone.verify(&text, SHOWN, &["--revocations", &list]);
    assert_eq!(code, 1);
    assert_eq!(v["reason"], "revoked");
    assert_eq!(v["detail"], format!("revoked: device credential {id}"));
    let bad = run(&["revoke", "--list", &list, "--credential", "XYZ"]);
    bad.assert_stderr(2, "not 16 lower-case hex digits");
}

#[test]
fn an_expired_credential_makes_no_codes() {
    let phone = Phone::new("ed25519");
    assert_eq!(phone.enroll_self(&["--valid-hours", "1"]).code, 0);
    let last = text_of(&phone.code("2026-12-02T08:59:50Z"));
    let (code, v) = phone.verify(&last, "2026-12-02T09:00:16Z", &[]);
    assert_eq!(
        (code, v["reason"].as_str()),
        (1, Some("credential_expired"))
    );
    let r = phone.code("2026-12-02T09:00:01Z");
    r.assert_stderr(
        1,
        "medcode: credential_expired: the device credential expired at 2026-12-02T09:00:00Z",
    );
    // Above the 7 days tills accept: refused before anything is written.
    let other = Phone::new("ed25519");
    let r = other.enroll_self(&["--valid-hours", "169"]);
    assert_eq!(r.code, 2);
    assert!(!other.path("cred").exists());
}

#[test]
fn a_delegate_credential_needs_a_binding_in_the_registry() {
    let phone = Phone::new("ed25519");
    let db = phone.p("registry.db");
    let add = |insured: &str, name: &str, id: &str| {
        let mut a = person_add(&db, insured, name, id, "110000");
        a.extend(["--activated", "--at", ENROL]);
        let r = run(&a);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    add("11000000000000000001", "张三", "110105198001010016");
    add("11000000000000000003", "张小明", "110105201506010032");
    // Not bound yet: refused with the registry's reason, nothing written.
    let delegate = [
        "--db",
        &db,
        "--insured",
        "11000000000000000003",
        "--presenter",
        "11000000000000000001",
    ];
    let r = phone.enroll(&delegate);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("not_bound"), "{}", r.stderr);
    assert!(!phone.path("cred").exists());
    let mut a = family_bind(
        &db,
        "11000000000000000001",
        "11000000000000000003",
        "child",
        "张小明",
        "110105201506010032",
    );
    a.extend(["--at", ENROL]);
    let r = run(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = phone.enroll(&delegate);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, v) = phone.verify(&text_of(&phone.code(LATER)), SHOWN, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["kind"], "device");
    assert_eq!(v["insured"], "11000000000000000003");
    assert_eq!(v["presenter"]["insured"], "11000000000000000001");
}

#[test]
fn bad_input_is_refused_with_exit_2_and_a_clear_line() {
    let phone = Phone::new("ed25519");
    // A private key given as the device's public key.
    let r = phone.enroll(&[
        "--insured",
        INSURED,
        "--region",
        "110000",
        "--device-key",
        "x",
    ]);
    assert_eq!(r.code, 2);
    let r = phone.enroll_key(
        "phone/device.pk8",
        &[],
        &["--insured", INSURED, "--region", "110000"],
    );
    r.assert_stderr(2, "not a device public key file");
    assert_eq!(phone.enroll_self(&[]).code, 0);
    // Enrolling over an existing credential is refused.
    let r = phone.enroll_self(&[]);
    r.assert_stderr(2, "refusing to overwrite a credential");
    let (pk8, cred) = (phone.p("phone/device.pk8"), phone.p("cred"));
    // Another phone's key with this credential.
    let other = phone.p("other");
    assert_eq!(run(&["device", "keygen", "--out", &other]).code, 0);
    let r = run(&[
        "device",
        "code",
        "--key",
        &format!("{other}/device.pk8"),
        "--credential",
        &cred,
    ]);
    r.assert_stderr(2, "is not the device key that");
    // A garbage credential and a broken counter file.
    let junk = phone.path("junk");
    std::fs::write(&junk, b"not a credential").unwrap();
    let r = run(&[
        "device",
        "code",
        "--key",
        &pk8,
        "--credential",
        junk.to_str().unwrap(),
    ]);
    r.assert_stderr(2, "is not a device credential");
    std::fs::write(phone.path("cred.counter"), b"seven\n").unwrap();
    let r = phone.code(LATER);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("refusing to guess one"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(phone.path("cred.counter")).unwrap(),
        b"seven\n"
    );
    let _ = Path::new("/");
}

#[test]
fn device_show_prints_one_fresh_code_per_refresh_when_piped() {
    let phone = Phone::new("ed25519");
    // Enrolled now (the show reads the system clock), refreshing every second.
    let r = phone.enroll_with(&[], &["--insured", INSURED, "--region", "110000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut child = support::medcode()
        .args([
            "device",
            "show",
            "--key",
            &phone.p("phone/device.pk8"),
            "--credential",
            &phone.p("cred"),
            "--refresh",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    assert_ne!(first, second);
    let trust = phone.p("iss/trust.json");
    let r = support::run_with(
        &["till", "--trust", &trust, "--replay", "memory", "--json"],
        &format!("{first}\n{second}\n{first}\n"),
    );
    let verdicts: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), 3, "{}", r.stdout);
    assert_eq!(verdicts[0]["device"]["counter"], 0);
    assert_eq!(verdicts[1]["device"]["counter"], 1);
    assert_eq!(verdicts[2]["reason"], "replayed");
}

/// The worked example of docs/DEVICE-CODES.md, run as written.
#[test]
fn the_documented_device_example_runs_as_written() {
    let stdout = support::doc_example("docs/DEVICE-CODES.md", "Codes made offline on the phone");
    assert!(
        stdout.contains("made offline on the phone: credential "),
        "{stdout}"
    );
    assert!(
        stdout.contains(", code 1 of 1000, credential valid until "),
        "{stdout}"
    );
}

/// `medcode serve` verifies device codes one by one and in a batch, and
/// says which kind each was.
#[test]
fn the_service_verifies_device_codes() {
    use serde_json::json;
    use support::service::{Service, args, post_json};
    let phone = Phone::new("p256");
    // Enrolled now: the service reads the system clock.
    let r = phone.enroll_with(&[], &["--insured", INSURED, "--region", "110000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let code = || text_of(&phone.code_with(&[]));
    let own = {
        let r = run(&cmdline::issue(
            &phone.p("iss"),
            "issuer",
            INSURED,
            "110000",
        ));
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout.trim().to_owned()
    };
    let svc = Service::start(&args(&[
        "--trust",
        &phone.p("iss/trust.json"),
        "--listen",
        "127.0.0.1:0",
    ]));
    let first = code();
    let (status, v) = post_json(&svc, "/v1/verify", &json!({"code": first}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["kind"], "device");
    assert_eq!(v["device"]["counter"], 0);
    let second = code();
    let (status, v) = post_json(
        &svc,
        "/v1/verify/batch",
        &json!({"codes": [second, own, first]}),
    );
    assert_eq!(status, 200, "{v}");
    let verdicts = v["verdicts"]
        .as_array()
        .or_else(|| v.as_array())
        .expect("verdicts");
    let kinds: Vec<String> = verdicts
        .iter()
        .map(|v| {
            v["kind"]
                .as_str()
                .or(v["reason"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds, ["device", "self", "replayed"]);
    assert_eq!(svc.stop(), 0);
}
