//! Separate `medcode` processes changing one list or key file at once:
//! each read-modify-write holds an exclusive lock on a sidecar
//! `FILE.lock`, so no process loses another's entry, and a lock held too
//! long ends in a clear error (exit 2) instead of a lost write.

mod support;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use fs4::FileExt;
use medcode::ListKind;
use medcode::RootKey;
use medcode::SignedList;
use medcode::TrustList;
use serde_json::Value;
use support::{medcode, run};

/// How many processes change the file at once.
const PROCESSES: usize = 8;
/// The instant the commands act at.
const AT: &str = "2026-11-22T08:00:00Z";

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn insured(i: usize) -> String {
    format!("{:020}", 10_000_000_000_000_000_000u128 + i as u128)
}

fn spawn(args: &[&str]) -> Child {
    medcode()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("medcode starts")
}

/// Waits for every child; each must exit 0 with nothing on stderr.
/// Returns their standard outputs.
fn all_succeed(children: Vec<Child>) -> Vec<String> {
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(0), "{stderr}");
            assert!(stderr.is_empty(), "{stderr}");
            String::from_utf8(out.stdout).unwrap()
        })
        .collect()
}

fn revoked_ids(list: &Path) -> BTreeSet<String> {
    let json: Value = serde_json::from_slice(&std::fs::read(list).unwrap()).unwrap();
    json["insured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn labels(trust: &Path) -> BTreeSet<String> {
    TrustList::from_file(trust)
        .unwrap()
        .keys()
        .iter()
        .map(|k| k.label.clone())
        .collect()
}

#[test]
fn eight_revoke_processes_at_once_keep_all_eight_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("revoked.json");
    let ids: Vec<String> = (0..PROCESSES).map(insured).collect();
    let children = ids
        .iter()
        .map(|id| spawn(&["revoke", "--list", p(&list), "--insured", id, "--at", AT]))
        .collect();
    all_succeed(children);
    assert_eq!(revoked_ids(&list), ids.iter().cloned().collect());
}

#[test]
fn eight_keygen_processes_into_one_folder_all_reach_trust_json() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let kids: Vec<String> = (0..PROCESSES).map(|i| format!("k{i}")).collect();
    let children = kids
        .iter()
        .map(|kid| spawn(&["keygen", "--dir", p(&keys), "--kid", kid, "--at", AT]))
        .collect();
    all_succeed(children);
    for kid in &kids {
        assert!(keys.join(format!("{kid}.pk8")).is_file(), "{kid}.pk8");
    }
    let pk8s = std::fs::read_dir(&keys)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("pk8".as_ref()))
        .count();
    assert_eq!(pk8s, PROCESSES);
    assert_eq!(
        labels(&keys.join("trust.json")),
        kids.iter().cloned().collect()
    );
}

/// `medcode trust sign --root ROOT --in keys/trust.json --out SIGNED`.
fn trust_sign<'a>(root: &'a Path, signed: &'a Path) -> [&'a str; 8] {
    [
        "trust",
        "sign",
        "--root",
        p(root),
        "--in",
        "keys/trust.json",
        "--out",
        p(signed),
    ]
}

#[test]
fn concurrent_trust_signs_each_take_the_next_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&["trust", "root-keygen", "--out", p(dir.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let root = dir.path().join("root.pk8");
    let signed = dir.path().join("trust.signed.json");
    let children = (0..PROCESSES)
        .map(|_| spawn(&[trust_sign(&root, &signed).as_slice(), &["--at", AT]].concat()))
        .collect();
    let sequences: BTreeSet<u64> = all_succeed(children)
        .iter()
        .map(|out| {
            let rest = out.split(" sequence ").nth(1).expect(out);
            rest.split(' ').next().unwrap().parse().expect(out)
        })
        .collect();
    assert_eq!(sequences, (1..=PROCESSES as u64).collect());
    let root_key = RootKey::from_file(&dir.path().join("root.pub")).unwrap();
    let held = SignedList::from_file(&signed).unwrap();
    let verified = held.verify(&root_key, ListKind::Trust).unwrap();
    assert_eq!(verified.info().sequence, PROCESSES as u64);
}

/// Takes the lock the commands use for `target`, as another process would.
fn hold_lock(target: &Path) -> File {
    let file = File::create(lock_path(target)).unwrap();
    FileExt::lock(&file).unwrap();
    file
}

/// The sidecar lock file beside `target`: `NAME.lock`.
fn lock_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap().to_owned();
    name.push(".lock");
    target.with_file_name(name)
}

fn assert_timed_out(out: Output, started: Instant, target: &Path) {
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(9), "gave up early");
    assert_eq!(
        stderr,
        format!(
            "medcode: error: cannot lock {}: another process held it for more than 10 s while changing {}; try again once it has finished\n",
            lock_path(target).display(),
            target.display()
        )
    );
}

#[test]
fn a_lock_held_past_the_wait_is_a_clear_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("revoked.json");
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let trust = keys.join("trust.json");
    let r = run(&["trust", "root-keygen", "--out", p(dir.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let signed = dir.path().join("trust.signed.json");

    let held = [hold_lock(&list), hold_lock(&trust), hold_lock(&signed)];
    let started = Instant::now();
    let revoke = spawn(&["revoke", "--list", p(&list), "--insured", &insured(1)]);
    let keygen = spawn(&["keygen", "--dir", p(&keys), "--kid", "k1"]);
    let root = dir.path().join("root.pk8");
    let sign = spawn(&trust_sign(&root, &signed));
    assert_timed_out(revoke.wait_with_output().unwrap(), started, &list);
    assert_timed_out(keygen.wait_with_output().unwrap(), started, &trust);
    assert_timed_out(sign.wait_with_output().unwrap(), started, &signed);
    assert!(!list.exists() && !trust.exists() && !signed.exists());
    assert!(
        !keys.join("k1.pk8").exists(),
        "no key without its trust entry"
    );
    drop(held);

    // Released: the same commands go through.
    let r = run(&["revoke", "--list", p(&list), "--insured", &insured(1)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(revoked_ids(&list), BTreeSet::from([insured(1)]));
}

#[test]
fn a_command_waits_for_a_lock_released_within_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("revoked.json");
    let held = hold_lock(&list);
    let started = Instant::now();
    let child = spawn(&["revoke", "--list", p(&list), "--insured", &insured(2)]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!list.exists(), "wrote while another process held the lock");
    drop(held);
    all_succeed(vec![child]);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(revoked_ids(&list), BTreeSet::from([insured(2)]));
}
