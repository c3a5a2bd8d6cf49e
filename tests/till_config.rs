//! The till setup (`TillConfig`): replay specs, unsigned and signed lists,
//! the pinned root key, the one size rule, and the rollback state file
//! across verifier instances. Time is pinned; the root key is the test-only
//! `tests/vectors/keys/vector-root.pk8` (key id 9c341fe4).

mod fixtures;
use fixtures::{keys_dir, t, t0, test_key, trusted};

use std::path::{Path, PathBuf};

use medcode::TillConfig;
use medcode::error::ListProblem;
use medcode::limits::{MAX_SIGNED_LIST_LEN, MAX_TRUST_LIST_LEN};
use medcode::lists::ListInfo;
#[cfg(feature = "redis")]
use medcode::replay::UnavailablePolicy;
use medcode::verify::{ListSource, ReplaySpec, check_list_len, list_len_limit};
#[cfg(feature = "redis")]
use medcode::verify::{RedisSpec, TillEvent};
use medcode::{
    Claims, Error, InsuredId, Issuer, ListKind, Reason, Region, RevocationList, RootKey,
    SignedList, TrustList,
};

fn root_pub() -> PathBuf {
    keys_dir().join("vector-root.pub")
}

fn trust_json() -> String {
    TrustList::new(vec![trusted(&test_key("vector-ed25519"))])
        .unwrap()
        .to_json()
}

fn signed(kind: ListKind, sequence: u64, payload: &str) -> String {
    SignedList::sign(
        &test_key("vector-root"),
        ListInfo {
            kind,
            sequence,
            issued_at: t("2026-11-01T00:00:00Z"),
            next_update: t("2030-01-01T00:00:00Z"),
        },
        payload.as_bytes().to_vec(),
    )
    .unwrap()
    .to_json()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// [`signed`] written to `dir/name`.
fn write_signed(dir: &Path, name: &str, kind: ListKind, sequence: u64, payload: &str) -> PathBuf {
    write(dir, name, &signed(kind, sequence, payload))
}

/// A signed trust list of `sequence` over `payload`, written to `dir/name`.
fn write_trust(dir: &Path, name: &str, sequence: u64, payload: &str) -> PathBuf {
    write_signed(dir, name, ListKind::Trust, sequence, payload)
}

/// The setup of the signed trust list in `trust` under the vector root,
/// with the list state in `state`.
fn with_state(trust: &Path, state: &Path) -> TillConfig {
    TillConfig::new(ListSource::File(trust.to_owned()))
        .root_key_file(root_pub())
        .state_file(state)
}

/// The state file once sequence 2 of the trust list `payload` is in use.
fn state_of_trust_2(payload: &str) -> String {
    format!(
        "{{\"roots\":{{\"9c341fe4\":{{\"trust\":2,\"trust_digest\":\"{}\",\"revocation\":0}}}}}}\n",
        sha256_hex(payload)
    )
}

fn token() -> String {
    let claims = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    Issuer::new(test_key("vector-ed25519"))
        .issue(&claims, t0())
        .unwrap()
        .text()
        .to_owned()
}

/// The reason and the message of a refused setup.
fn refused(config: &TillConfig) -> (Reason, String) {
    let e = config.build(t0()).unwrap_err();
    (e.reason(), e.to_string())
}

#[test]
fn replay_specs_parse() {
    assert_eq!("none".parse::<ReplaySpec>().unwrap(), ReplaySpec::None);
    assert_eq!("memory".parse::<ReplaySpec>().unwrap(), ReplaySpec::Memory);
    assert_eq!(
        "file:/var/lib/medcode/seen.db"
            .parse::<ReplaySpec>()
            .unwrap(),
        ReplaySpec::File(PathBuf::from("/var/lib/medcode/seen.db"))
    );
    assert_eq!(ReplaySpec::default(), ReplaySpec::Memory);
}

/// One code, one use by default: a setup that names no replay guard gets
/// the in-memory one; `ReplaySpec::None` is the explicit opt-out.
#[test]
fn a_setup_without_a_replay_guard_accepts_each_code_once() {
    let config = TillConfig::trust_bytes(trust_json());
    assert_eq!(config.replay_spec(), &ReplaySpec::Memory);
    let verifier = config.build(t0()).unwrap();
    assert!(verifier.has_replay_guard());
    let code = token();
    verifier.verify(&code, t0().plus(1)).unwrap();
    let e = verifier.verify(&code, t0().plus(2)).unwrap_err();
    assert_eq!(e.reason(), Reason::Replayed);
    // A second build is a second verifier with its own guard.
    let rebuilt = config.build(t0()).unwrap();
    rebuilt.verify(&code, t0().plus(3)).unwrap();
    assert_eq!(
        rebuilt.verify(&code, t0().plus(4)).unwrap_err().reason(),
        Reason::Replayed
    );

    let bare = TillConfig::trust_bytes(trust_json())
        .replay("none".parse().unwrap())
        .build(t0())
        .unwrap();
    assert!(!bare.has_replay_guard());
    bare.verify(&code, t0().plus(1)).unwrap();
    bare.verify(&code, t0().plus(2)).unwrap();
}

#[cfg(feature = "redis")]
#[test]
fn redis_specs_parse() {
    assert_eq!(
        "redis://127.0.0.1:6379/2".parse::<ReplaySpec>().unwrap(),
        ReplaySpec::Redis(RedisSpec {
            url: "redis://127.0.0.1:6379/2".into(),
            key_prefix: None,
            unavailable: UnavailablePolicy::FailClosed,
            fallback_file: None,
        })
    );
    // The URL may hold a password: Debug never shows it.
    let spec: ReplaySpec = "redis://:secret@127.0.0.1:6379".parse().unwrap();
    assert!(!format!("{spec:?}").contains("secret"), "{spec:?}");
}

#[test]
fn bad_replay_specs_are_refused() {
    for (text, message) in [
        (
            "sqlite:/tmp/x.db",
            "invalid replay guard: expected file:PATH, redis://HOST:PORT[/DB], redis+cluster://HOST:PORT[,HOST:PORT...], memory or none",
        ),
        (
            "",
            "invalid replay guard: expected file:PATH, redis://HOST:PORT[/DB], redis+cluster://HOST:PORT[,HOST:PORT...], memory or none",
        ),
        (
            "Memory",
            "invalid replay guard: expected file:PATH, redis://HOST:PORT[/DB], redis+cluster://HOST:PORT[,HOST:PORT...], memory or none",
        ),
        (
            "file:",
            "invalid replay guard: file: needs a path, e.g. file:/var/lib/medcode/seen.db",
        ),
    ] {
        let e = text.parse::<ReplaySpec>().unwrap_err();
        assert_eq!(e.reason(), Reason::InvalidArgument, "{text:?}");
        assert_eq!(e.to_string(), message, "{text:?}");
    }
}

/// A Redis URL is checked when the guard is opened, after the lists.
#[cfg(feature = "redis")]
#[test]
fn bad_redis_urls_are_refused_at_build() {
    let dir = tempfile::tempdir().unwrap();
    let trust = write(dir.path(), "trust.json", &trust_json());
    let spec: ReplaySpec = "redis://127.0.0.1:6379/x".parse().unwrap();
    let (reason, message) = refused(&TillConfig::trust_file(&trust).replay(spec));
    assert_eq!(reason, Reason::InvalidArgument);
    assert!(message.starts_with("invalid Redis URL: "), "{message}");
}

#[test]
fn an_unsigned_trust_list_builds() {
    let dir = tempfile::tempdir().unwrap();
    let trust = write(dir.path(), "trust.json", &trust_json());
    let seen = dir.path().join("seen.db");
    let verifier = TillConfig::trust_file(&trust)
        .leeway(7)
        .max_validity(120)
        .till_region(Region::new("310000").unwrap())
        .replay(ReplaySpec::File(seen.clone()))
        .build(t0())
        .unwrap();
    assert_eq!(verifier.policy().leeway_secs, 7);
    assert_eq!(verifier.policy().max_validity_secs, 120);
    assert_eq!(verifier.policy().till_region.unwrap().code(), 310_000);
    assert!(verifier.root_key().is_none());
    assert!(seen.exists());
    let code = token();
    verifier.verify(&code, t0().plus(1)).unwrap();
    let e = verifier.verify(&code, t0().plus(2)).unwrap_err();
    assert_eq!(e.reason(), Reason::Replayed);

    // The same from bytes, with an unsigned revocation list revoking the
    // person: a memory guard is never consulted for a revoked code.
    let mut revocations = RevocationList::new();
    revocations
        .revoke_insured(
            &InsuredId::new("12345678901234567890").unwrap(),
            t("2026-11-01T00:00:00Z"),
        )
        .unwrap();
    let verifier = TillConfig::trust_bytes(trust_json())
        .revocations_bytes(revocations.to_json())
        .replay(ReplaySpec::Memory)
        .build(t0())
        .unwrap();
    let e = verifier.verify(&token(), t0().plus(1)).unwrap_err();
    assert_eq!(e.reason(), Reason::Revoked);
}

#[test]
fn a_signed_trust_list_builds() {
    let dir = tempfile::tempdir().unwrap();
    let trust = write_trust(dir.path(), "trust.signed.json", 3, &trust_json());
    let rev = write_signed(
        dir.path(),
        "rev.signed.json",
        ListKind::Revocation,
        9,
        &RevocationList::new().to_json(),
    );
    let verifier = TillConfig::trust_file(&trust)
        .root_key_file(root_pub())
        .revocations_file(&rev)
        .build(t0())
        .unwrap();
    assert_eq!(
        verifier.root_key().unwrap().key_id().to_string(),
        "9c341fe4"
    );
    let sequences: Vec<_> = verifier
        .list_status(t0())
        .iter()
        .map(|s| (s.info.kind, s.info.sequence))
        .collect();
    assert_eq!(sequences, [(ListKind::Trust, 3), (ListKind::Revocation, 9)]);
    verifier.verify(&token(), t0().plus(1)).unwrap();

    // The pinned key given as a key, the list as bytes.
    let root = RootKey::from_file(&root_pub()).unwrap();
    let config = TillConfig::trust_bytes(std::fs::read(&trust).unwrap()).root_key(root);
    assert!(config.pins_root_key());
    config.build(t0()).unwrap();
}

#[test]
fn signed_and_unsigned_lists_are_not_mixed() {
    let dir = tempfile::tempdir().unwrap();
    let signed_trust = write_trust(dir.path(), "trust.signed.json", 1, &trust_json());
    let unsigned_trust = write(dir.path(), "trust.json", &trust_json());
    let signed_rev = write_signed(
        dir.path(),
        "rev.signed.json",
        ListKind::Revocation,
        1,
        &RevocationList::new().to_json(),
    );
    let unsigned_rev = write(dir.path(), "rev.json", &RevocationList::new().to_json());

    // A signed list without a root key: the typed problem, naming the list
    // (its file, or which list for bytes).
    let no_root = [
        (
            TillConfig::trust_file(&signed_trust),
            ListKind::Trust,
            Some(signed_trust.clone()),
            format!(
                "invalid trust list: {} is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it",
                signed_trust.display()
            ),
        ),
        (
            TillConfig::trust_bytes(std::fs::read(&signed_trust).unwrap()),
            ListKind::Trust,
            None,
            "invalid trust list: the trust list is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it".to_owned(),
        ),
        (
            TillConfig::trust_file(&unsigned_trust).revocations_file(&signed_rev),
            ListKind::Revocation,
            Some(signed_rev.clone()),
            format!(
                "invalid revocation list: {} is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it, with a signed trust list",
                signed_rev.display()
            ),
        ),
    ];
    for (config, kind, named, message) in no_root {
        let e = config.build(t0()).unwrap_err();
        assert_eq!(
            (e.reason(), e.to_string()),
            (Reason::InvalidTrustList, message)
        );
        match e {
            Error::InvalidList {
                list,
                file,
                problem: ListProblem::NoRootKey,
                ..
            } => assert_eq!((list, file), (Some(kind), named)),
            other => panic!("{other:?}"),
        }
    }

    let cases = [
        (
            TillConfig::trust_file(&unsigned_trust).root_key_file(root_pub()),
            Reason::InvalidTrustList,
            format!(
                "invalid trust list: {} is not a signed list, but a root key is pinned: sign it with `medcode trust sign`",
                unsigned_trust.display()
            ),
        ),
        (
            TillConfig::trust_file(&signed_trust)
                .root_key_file(root_pub())
                .revocations_file(&unsigned_rev),
            Reason::InvalidTrustList,
            format!(
                "invalid revocation list: {} is not a signed list, but a root key is pinned: sign it with `medcode trust sign --kind revocation`",
                unsigned_rev.display()
            ),
        ),
        (
            TillConfig::trust_file(&unsigned_trust).state_file(dir.path().join("state.json")),
            Reason::InvalidArgument,
            "invalid state file: a rollback state file needs a pinned root key: only signed lists have sequence numbers".to_owned(),
        ),
    ];
    for (config, reason, message) in cases {
        assert_eq!(refused(&config), (reason, message));
    }
    assert!(!dir.path().join("state.json").exists());
}

#[test]
fn one_size_rule_for_files_and_bytes() {
    assert_eq!(list_len_limit(ListKind::Trust, false), MAX_TRUST_LIST_LEN);
    assert_eq!(list_len_limit(ListKind::Trust, true), MAX_SIGNED_LIST_LEN);
    assert_eq!(
        list_len_limit(ListKind::Revocation, true),
        MAX_SIGNED_LIST_LEN
    );
    check_list_len(ListKind::Trust, false, MAX_TRUST_LIST_LEN).unwrap();

    // An unsigned trust list one byte over 1 MiB: refused before it is
    // read, from a file and from bytes.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(MAX_TRUST_LIST_LEN + 1).unwrap();
    assert_eq!(
        refused(&TillConfig::trust_file(&big)),
        (
            Reason::InvalidTrustList,
            format!(
                "invalid trust list: {} is 1048577 bytes, larger than the 1048576-byte limit",
                big.display()
            )
        )
    );
    let bytes = vec![b' '; usize::try_from(MAX_TRUST_LIST_LEN).unwrap() + 1];
    assert_eq!(
        refused(&TillConfig::trust_bytes(bytes)),
        (
            Reason::InvalidTrustList,
            "invalid trust list: the trust list is 1048577 bytes, larger than the 1048576-byte limit"
                .to_owned()
        )
    );
    // With a root key the signed list's limit applies.
    let huge = dir.path().join("huge.signed.json");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(MAX_SIGNED_LIST_LEN + 1).unwrap();
    assert_eq!(
        refused(&TillConfig::trust_file(&huge).root_key_file(root_pub())),
        (
            Reason::InvalidTrustList,
            format!(
                "invalid trust list: {} is {} bytes, larger than the {MAX_SIGNED_LIST_LEN}-byte limit",
                huge.display(),
                MAX_SIGNED_LIST_LEN + 1
            )
        )
    );
    let e = check_list_len(ListKind::Revocation, true, MAX_SIGNED_LIST_LEN + 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "invalid revocation list: the revocation list is {} bytes, larger than the {MAX_SIGNED_LIST_LEN}-byte limit",
            MAX_SIGNED_LIST_LEN + 1
        )
    );
}

#[test]
fn the_state_file_refuses_a_rollback_across_verifiers() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("lists.state");
    let v2 = write_trust(dir.path(), "trust-2.json", 2, &trust_json());
    let v1 = write_trust(dir.path(), "trust-1.json", 1, &trust_json());
    let setup = |trust: &Path| with_state(trust, &state);

    // Without the state file an older list is all a new verifier knows.
    TillConfig::trust_file(&v1)
        .root_key_file(root_pub())
        .build(t0())
        .unwrap();
    // The first verifier raises the state to sequence 2 ...
    setup(&v2).build(t0()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        state_of_trust_2(&trust_json())
    );
    // ... so a second one refuses sequence 1 ...
    assert_eq!(
        refused(&setup(&v1)),
        (
            Reason::InvalidTrustList,
            format!(
                "invalid trust list: {}: signed trust list sequence 1 is older than sequence 2 this till already used ({}): rollback refused",
                v1.display(),
                state.display()
            )
        )
    );
    // ... and accepts sequence 2 again.
    setup(&v2).build(t0()).unwrap();

    // A corrupt state file is a storage error, not a silent reset.
    std::fs::write(&state, "{").unwrap();
    let (reason, message) = refused(&setup(&v2));
    assert_eq!(reason, Reason::Storage);
    assert!(
        message.starts_with(&format!("storage error: state file {}: ", state.display())),
        "{message}"
    );
}

fn sha256_hex(text: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
}

/// A trust list with other content than [`trust_json`]: one more key.
fn other_trust_json() -> String {
    TrustList::new(vec![
        trusted(&test_key("vector-ed25519")),
        trusted(&test_key("vector-p256")),
    ])
    .unwrap()
    .to_json()
}

#[test]
fn the_state_file_refuses_the_same_sequence_with_other_content_across_verifiers() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("lists.state");
    let first = write_trust(dir.path(), "trust-a.json", 2, &trust_json());
    let second = write_trust(dir.path(), "trust-b.json", 2, &other_trust_json());
    let setup = |trust: &Path| with_state(trust, &state);
    let same_sequence = format!(
        "invalid trust list: {}: signed trust list: sequence 2 is already held with other content",
        second.display()
    );

    // Within one verifier: the second list of sequence 2 is refused ...
    let verifier = setup(&first).build(t0()).unwrap();
    let offered = SignedList::from_json(std::fs::read(&second).unwrap().as_slice()).unwrap();
    let e = verifier
        .update_trust_list(&offered)
        .map_err(|e| e.in_list_file(&second))
        .unwrap_err();
    assert_eq!(
        (e.reason(), e.to_string()),
        (Reason::InvalidTrustList, same_sequence.clone())
    );
    // ... and on a later run, with the same reason and message.
    assert_eq!(
        refused(&setup(&second)),
        (Reason::InvalidTrustList, same_sequence.clone())
    );
    // The list used before is still accepted; the state is unchanged.
    let saved = std::fs::read_to_string(&state).unwrap();
    setup(&first).build(t0()).unwrap();
    assert_eq!(std::fs::read_to_string(&state).unwrap(), saved);
    assert!(saved.contains(&sha256_hex(&trust_json())), "{saved}");

    // A newer sequence with the other content is installed and recorded.
    let third = write_trust(dir.path(), "trust-c.json", 3, &other_trust_json());
    setup(&third).build(t0()).unwrap();
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains("\"trust\":3"), "{saved}");
    assert!(saved.contains(&sha256_hex(&other_trust_json())), "{saved}");
}

#[test]
fn the_state_file_refuses_a_revocation_list_of_a_used_sequence_with_other_content() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("lists.state");
    let trust = write_trust(dir.path(), "trust.json", 1, &trust_json());
    let empty = RevocationList::new().to_json();
    let mut one = RevocationList::new();
    one.revoke_insured(
        &InsuredId::new("12345678901234567890").unwrap(),
        t("2026-11-01T00:00:00Z"),
    )
    .unwrap();
    let a = write_signed(
        dir.path(),
        "revoked-a.json",
        ListKind::Revocation,
        5,
        &empty,
    );
    let b = write_signed(
        dir.path(),
        "revoked-b.json",
        ListKind::Revocation,
        5,
        &one.to_json(),
    );
    let setup = |revocations: &Path| {
        TillConfig::trust_file(&trust)
            .root_key_file(root_pub())
            .revocations_file(revocations)
            .state_file(&state)
    };
    setup(&a).build(t0()).unwrap();
    assert_eq!(
        refused(&setup(&b)),
        (
            Reason::InvalidTrustList,
            format!(
                "invalid revocation list: {}: signed revocation list: sequence 5 is already held with other content",
                b.display()
            )
        )
    );
    // The person revoked in the refused list is not refused by the one used.
    let verifier = setup(&a).build(t0()).unwrap();
    assert!(verifier.verify(&token(), t0()).is_ok());
}

#[test]
fn a_state_file_of_sequences_only_is_read_and_upgraded_with_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("lists.state");
    // As written before digests were kept.
    std::fs::write(
        &state,
        "{\"roots\":{\"9c341fe4\":{\"trust\":2,\"revocation\":0}}}\n",
    )
    .unwrap();
    let first = write_trust(dir.path(), "trust-a.json", 2, &trust_json());
    let second = write_trust(dir.path(), "trust-b.json", 2, &other_trust_json());
    let older = write_trust(dir.path(), "trust-0.json", 1, &trust_json());
    let setup = |trust: &Path| with_state(trust, &state);
    // The old file still refuses a rollback, and is not rewritten for it.
    assert_eq!(refused(&setup(&older)).0, Reason::InvalidTrustList);
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        "{\"roots\":{\"9c341fe4\":{\"trust\":2,\"revocation\":0}}}\n"
    );
    // The first list of its sequence is taken as the one used ...
    setup(&first).build(t0()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        state_of_trust_2(&trust_json())
    );
    // ... and from then on the other content of that sequence is refused.
    assert_eq!(
        refused(&setup(&second)),
        (
            Reason::InvalidTrustList,
            format!(
                "invalid trust list: {}: signed trust list: sequence 2 is already held with other content",
                second.display()
            )
        )
    );
}

#[cfg(feature = "redis")]
#[test]
fn till_events_read_as_log_lines() {
    assert_eq!(
        TillEvent::ReplayGuardUnreachable {
            why: "connection refused".into(),
            policy: UnavailablePolicy::LocalFallback,
        }
        .to_string(),
        "shared replay guard unreachable (connection refused); checking codes against this till's own records only (local-fallback)"
    );
    assert_eq!(
        TillEvent::ReplayGuardUnreachable {
            why: "connection refused".into(),
            policy: UnavailablePolicy::FailClosed,
        }
        .to_string(),
        "shared replay guard unreachable (connection refused); refusing codes until it answers (fail-closed)"
    );
    assert_eq!(
        TillEvent::ReplayGuardReachable { synced: 3 }.to_string(),
        "shared replay guard reachable again; 3 code(s) accepted offline recorded in it"
    );
}

/// A fallback file belongs to local-fallback: with fail-closed, which never
/// falls back, the setup is refused and no file is created.
#[cfg(feature = "redis")]
#[test]
fn a_fallback_file_with_fail_closed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fallback.db");
    let err = TillConfig::trust_bytes(trust_json())
        .replay(ReplaySpec::Redis(RedisSpec {
            url: "redis://127.0.0.1:1".into(),
            key_prefix: None,
            unavailable: UnavailablePolicy::FailClosed,
            fallback_file: Some(file.clone()),
        }))
        .build(t0())
        .unwrap_err();
    assert_eq!(err.reason().as_str(), "invalid_argument");
    assert_eq!(
        err.to_string(),
        "invalid replay fallback file: a fallback file applies to the local-fallback policy only; fail-closed refuses codes while Redis is unreachable"
    );
    assert!(!file.exists());
}

#[test]
fn reload_installs_a_newer_list_refuses_a_rollback_and_keeps_the_list_in_force() {
    use medcode::verify::ListUpdate;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("lists.state");
    let trust = write_trust(dir.path(), "trust.json", 3, &trust_json());
    let rev_path = dir.path().join("rev.json");
    let write_rev = |sequence: u64, revoked: bool| {
        let mut list = RevocationList::new();
        if revoked {
            list.revoke_insured(&InsuredId::new("12345678901234567890").unwrap(), t0())
                .unwrap();
        }
        let text = signed(ListKind::Revocation, sequence, &list.to_json());
        std::fs::write(&rev_path, &text).unwrap();
        text
    };
    let first = write_rev(9, false);
    let config = TillConfig::trust_file(&trust)
        .root_key_file(root_pub())
        .revocations_file(&rev_path)
        .state_file(&state);
    let verifier = config.build(t0()).unwrap();
    let outcomes = |config: &TillConfig| -> Vec<(ListKind, Result<ListUpdate, String>)> {
        config
            .reload(&verifier)
            .into_iter()
            .map(|r| (r.kind, r.outcome.map_err(|e| e.to_string())))
            .collect()
    };

    // Nothing new: both lists already held.
    assert_eq!(
        outcomes(&config),
        [
            (ListKind::Trust, Ok(ListUpdate::AlreadyHeld)),
            (ListKind::Revocation, Ok(ListUpdate::AlreadyHeld)),
        ]
    );
    // Sequence 10 revokes the insured: installed, in force, on the state file.
    write_rev(10, true);
    let done = outcomes(&config);
    assert!(
        matches!(&done[1], (ListKind::Revocation, Ok(ListUpdate::Installed { previous: Some(p) })) if p.sequence == 9),
        "{done:?}"
    );
    assert_eq!(
        verifier
            .verify(&token(), t0().plus(1))
            .unwrap_err()
            .reason(),
        Reason::Revoked
    );
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains("\"revocation\":10,"),
        "{}",
        std::fs::read_to_string(&state).unwrap()
    );
    // Sequence 9 back: a rollback, refused; sequence 10 stays in force.
    std::fs::write(&rev_path, first).unwrap();
    let done = outcomes(&config);
    assert_eq!(done[0], (ListKind::Trust, Ok(ListUpdate::AlreadyHeld)));
    assert_eq!(
        done[1],
        (
            ListKind::Revocation,
            Err(format!(
                "invalid revocation list: {}: signed revocation list sequence 9 is older than sequence 10 this till already used ({}): rollback refused",
                rev_path.display(),
                state.display()
            ))
        )
    );
    assert_eq!(
        verifier.list_status(t0())[1].info.sequence,
        10,
        "the list in force is kept"
    );
    // An unreadable file: refused, the list in force kept.
    std::fs::write(&rev_path, "{").unwrap();
    let done = outcomes(&config);
    assert!(done[1].1.is_err(), "{done:?}");
    assert_eq!(verifier.list_status(t0())[1].info.sequence, 10);

    // Unsigned lists cannot be reloaded.
    let unsigned = write(dir.path(), "plain.json", &trust_json());
    let config = TillConfig::trust_file(&unsigned);
    let plain = config.build(t0()).unwrap();
    let done = config.reload(&plain);
    assert_eq!(done.len(), 1);
    let e = done[0].outcome.as_ref().unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidArgument);
    assert_eq!(
        e.to_string(),
        "invalid reload: the lists are unsigned: only signed lists (with a pinned root key) can be reloaded, restart to change them"
    );
}
