//! The family-account registry on a real SQLite file: every binding rule
//! with its exact reason, delegate codes through the real verifier, mutual
//! aid kept apart from binding, the ID number never stored in clear,
//! migrations, concurrency across threads and processes, and consistency
//! after a failure or a crash inside a transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use medcode::{
    Algorithm, Error, InsuredId, Issuer, Reason, Region, Relation, Scheme, SigningKey, Status,
    TrustList, TrustedKey, UnixTime, Verifier,
};
use medcode_platform::registry::{
    AuditAction, AuditEntry, BindRequest, Binding, FamilyPolicy, FullName, IdHash, IdNumber,
    MutualAidFiling, NewPerson, Person, Registry, RegistryStore, RegistryTx, SqliteRegistry,
    registry_secret_path,
};

#[path = "fixtures/people.rs"]
mod people;
use people::{add, fixture, id, id_number, name_of, new_person, pid};

/// 2026-11-22T08:00:00Z
const NOW: u64 = 1_795_334_400;

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

#[test]
fn the_id_number_helper_agrees_with_the_standard_example() {
    // GB 11643-1999's own example is 11010519491231002X; ours share the method.
    assert!(IdNumber::new("11010519491231002X").is_ok());
    for n in 0..50 {
        IdNumber::new(&id_number(n)).unwrap();
    }
}

fn request(owner: u32, member: u32, relation: Relation) -> BindRequest {
    BindRequest {
        owner: pid(owner),
        member: pid(member),
        relation,
        member_name: name_of(member),
        member_id_number: IdNumber::new(&id_number(member)).unwrap(),
    }
}

fn refusal(result: Result<impl std::fmt::Debug, Error>) -> (Reason, String) {
    match result.unwrap_err() {
        Error::Refused { refusal, detail } => (refusal.reason(), detail),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn key_and_verifier() -> (Issuer, Verifier) {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trusted = TrustedKey {
        key: key.public_key().clone(),
        label: "registry-test".into(),
        authority: "Test Healthcare Security Administration".into(),
        not_before: UnixTime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
        not_after: UnixTime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap(),
    };
    (
        Issuer::new(key),
        Verifier::new(TrustList::new(vec![trusted]).unwrap()),
    )
}

fn audit_len(registry: &Registry) -> usize {
    registry.audit_log().unwrap().len()
}

#[test]
fn binding_rules_refuse_with_their_exact_reasons_and_write_nothing() {
    let f = fixture();
    let r = &f.registry;
    for n in 1..=3 {
        add(r, n);
    }
    let mut not_activated = new_person(4, "110000");
    not_activated.activated = false;
    r.add_person(&not_activated, now()).unwrap();
    let before = audit_len(r);

    assert_eq!(
        refusal(r.bind(&request(1, 1, Relation::Parent), now())),
        (
            Reason::SelfBinding,
            "11000000000000000001 cannot bind their own code to their own family account".into()
        )
    );
    assert_eq!(
        refusal(r.bind(&request(1, 99, Relation::Parent), now())),
        (
            Reason::UnknownPerson,
            "no member person 11000000000000000099 in the registry".into()
        )
    );
    assert_eq!(
        refusal(r.bind(&request(98, 1, Relation::Parent), now())).0,
        Reason::UnknownPerson
    );
    assert_eq!(
        refusal(r.bind(&request(4, 1, Relation::Parent), now())),
        (
            Reason::NotActivated,
            "owner 11000000000000000004 has not activated their own code".into()
        )
    );
    let (reason, detail) = refusal(r.bind(&request(1, 4, Relation::Parent), now()));
    assert_eq!(reason, Reason::NotActivated);
    assert!(
        detail.starts_with("member 11000000000000000004 has not activated"),
        "{detail}"
    );

    // Identity details must match exactly: name, ID number, or both.
    let mismatch = (
        Reason::IdentityMismatch,
        "the name and ID number given for member 11000000000000000002 do not match the insurance record"
            .to_owned(),
    );
    let mut wrong_name = request(1, 2, Relation::Parent);
    wrong_name.member_name = format!("{} ", name_of(2));
    assert_eq!(refusal(r.bind(&wrong_name, now())), mismatch);
    let mut wrong_name = request(1, 2, Relation::Parent);
    wrong_name.member_name = "王小".into();
    assert_eq!(refusal(r.bind(&wrong_name, now())), mismatch);
    let mut wrong_id = request(1, 2, Relation::Parent);
    wrong_id.member_id_number = IdNumber::new(&id_number(3)).unwrap();
    assert_eq!(refusal(r.bind(&wrong_id, now())), mismatch);
    // Identity is checked before activation, so a stranger learns nothing
    // about a member's activation from a wrong guess.
    let mut guess = request(1, 4, Relation::Parent);
    guess.member_id_number = IdNumber::new(&id_number(3)).unwrap();
    assert_eq!(refusal(r.bind(&guess, now())).0, Reason::IdentityMismatch);

    assert_eq!(audit_len(r), before, "refusals leave no trace in the log");
    assert!(r.members(&pid(1)).unwrap().is_empty());

    let b = r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    assert_eq!(
        (
            b.owner.as_str(),
            b.member.as_str(),
            b.relation,
            b.created_at,
            b.ended_at
        ),
        (
            "11000000000000000001",
            "11000000000000000002",
            Relation::Parent,
            now(),
            None
        )
    );
    assert_eq!(
        refusal(r.bind(&request(1, 2, Relation::Sibling), now().plus(5))),
        (
            Reason::AlreadyBound,
            "11000000000000000002 is already bound to 11000000000000000001 (since 2026-11-22T08:00:00Z)"
                .into()
        )
    );
    assert_eq!(
        refusal(r.unbind(&pid(1), &pid(3), now())),
        (
            Reason::NotBound,
            "11000000000000000003 is not bound to 11000000000000000001's family account".into()
        )
    );
    assert_eq!(refusal(r.members(&pid(97))).0, Reason::UnknownPerson);
}

#[test]
fn an_owner_binds_at_most_six_members_by_default() {
    let f = fixture();
    let r = &f.registry;
    for n in 1..=8 {
        add(r, n);
    }
    for m in 2..=7 {
        r.bind(&request(1, m, Relation::OtherFamily), now())
            .unwrap();
    }
    assert_eq!(
        refusal(r.bind(&request(1, 8, Relation::Child), now())),
        (
            Reason::LimitMembers,
            "owner 11000000000000000001 already has 6 family members bound (limit 6)".into()
        )
    );
    assert_eq!(r.members(&pid(1)).unwrap().len(), 6);
    // History cannot end before it began.
    let err = r.unbind(&pid(1), &pid(4), now().minus(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid time: 2026-11-22T07:59:59Z is before 2026-11-22T08:00:00Z, when the binding was made"
    );
    // Unbinding frees a place.
    r.unbind(&pid(1), &pid(4), now().plus(60)).unwrap();
    r.bind(&request(1, 8, Relation::Child), now().plus(61))
        .unwrap();
    let members: Vec<_> = r
        .members(&pid(1))
        .unwrap()
        .into_iter()
        .map(|m| m.member)
        .collect();
    assert_eq!(members, [2, 3, 5, 6, 7, 8].map(pid));
}

#[test]
fn a_member_is_bound_by_at_most_two_owners_by_default() {
    let f = fixture();
    let r = &f.registry;
    for n in 1..=4 {
        add(r, n);
    }
    r.bind(&request(1, 4, Relation::Parent), now()).unwrap();
    r.bind(&request(2, 4, Relation::Parent), now()).unwrap();
    assert_eq!(
        refusal(r.bind(&request(3, 4, Relation::Parent), now())),
        (
            Reason::LimitOwners,
            "member 11000000000000000004 is already bound by 2 owners (limit 2)".into()
        )
    );
    r.unbind(&pid(2), &pid(4), now()).unwrap();
    r.bind(&request(3, 4, Relation::Parent), now()).unwrap();
}

#[test]
fn limits_are_policy_settings() {
    let dir = tempfile::tempdir().unwrap();
    let r = Registry::open(&dir.path().join("r.db"))
        .unwrap()
        .with_policy(FamilyPolicy::new(5, 1).unwrap());
    for n in 1..=7 {
        add(&r, n);
    }
    for m in 2..=6 {
        r.bind(&request(1, m, Relation::Sibling), now()).unwrap();
    }
    assert_eq!(
        refusal(r.bind(&request(1, 7, Relation::Sibling), now())).1,
        "owner 11000000000000000001 already has 5 family members bound (limit 5)"
    );
    assert_eq!(
        refusal(r.bind(&request(7, 2, Relation::Sibling), now())).1,
        "member 11000000000000000002 is already bound by 1 owners (limit 1)"
    );
}

#[test]
fn binding_crosses_regions_and_the_delegate_code_carries_the_members_region() {
    let f = fixture();
    let r = &f.registry;
    r.add_person(&new_person(1, "110000"), now()).unwrap();
    let mut mother = new_person(2, "440300");
    mother.scheme = Scheme::Resident;
    r.add_person(&mother, now()).unwrap();
    let b = r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    assert_eq!(b.relation, Relation::Parent);

    let (issuer, verifier) = key_and_verifier();
    let token = r.issue_delegate(&issuer, &pid(1), &pid(2), now()).unwrap();
    let v = verifier.verify(token.text(), now().plus(5)).unwrap();
    assert_eq!(v.insured(), &pid(2));
    assert_eq!(v.region().to_string(), "440300");
    assert_eq!(v.scheme(), Scheme::Resident);
    assert_eq!(v.name().unwrap().as_str(), "李*");
    let p = v.presenter().unwrap();
    assert_eq!(p.insured, pid(1));
    // The owner shows their mother's code: the presenter is her child.
    assert_eq!(p.relation, Relation::Child);
    assert!(!p.mutual_aid);
    // A till in Beijing accepts the Shenzhen member's code (switch on): a
    // fresh code, as the one above has had its one use.
    let beijing = verifier.with_till_region(Region::new("110105").unwrap());
    assert_eq!(
        beijing
            .verify(token.text(), now().plus(5))
            .unwrap_err()
            .reason(),
        medcode::Reason::Replayed
    );
    let fresh = r.issue_delegate(&issuer, &pid(1), &pid(2), now()).unwrap();
    let v = beijing.verify(fresh.text(), now().plus(5)).unwrap();
    assert_eq!(v.insured(), &pid(2));
    assert_eq!(v.presenter().unwrap().insured, pid(1));
    let log = r.audit_log().unwrap();
    let bind = log.iter().find(|e| e.action == AuditAction::Bind).unwrap();
    assert_eq!(bind.detail, "owner region 110000, member region 440300");
}

#[test]
fn a_lapsed_members_delegate_code_verifies_and_reports_lapsed() {
    let f = fixture();
    let r = &f.registry;
    add(r, 1);
    add(r, 2);
    r.bind(&request(1, 2, Relation::Grandparent), now())
        .unwrap();
    r.set_status(&pid(2), Status::Lapsed, now()).unwrap();
    let (issuer, verifier) = key_and_verifier();
    let token = r.issue_delegate(&issuer, &pid(1), &pid(2), now()).unwrap();
    let result = verifier.verify(token.text(), now().plus(1));
    let v = result.as_ref().unwrap();
    assert_eq!(v.status(), Status::Lapsed);
    assert_eq!(v.presenter().unwrap().relation, Relation::Grandchild);
    let json = medcode::verify::to_json(&result);
    assert_eq!(json["status"], "lapsed");
    assert_eq!(json["insured"], "11000000000000000002");
    assert_eq!(json["presenter"]["insured"], "11000000000000000001");
    assert_eq!(json["presenter"]["relation"], "grandchild");
    assert_eq!(json["presenter"]["mutual_aid"], false);
}

#[test]
fn unbinding_stops_new_delegate_codes_at_once() {
    let f = fixture();
    let r = &f.registry;
    add(r, 1);
    add(r, 2);
    let (issuer, verifier) = key_and_verifier();
    assert_eq!(
        refusal(r.issue_delegate(&issuer, &pid(1), &pid(2), now())).0,
        Reason::NotBound
    );
    r.bind(&request(1, 2, Relation::Child), now()).unwrap();
    let before = r.issue_delegate(&issuer, &pid(1), &pid(2), now()).unwrap();
    r.unbind(&pid(1), &pid(2), now().plus(1)).unwrap();
    assert_eq!(
        refusal(r.issue_delegate(&issuer, &pid(1), &pid(2), now().plus(1))),
        (
            Reason::NotBound,
            "11000000000000000002 is not bound to 11000000000000000001's family account".into()
        )
    );
    // A code issued before the unbinding lives out its short validity only.
    assert!(verifier.verify(before.text(), now().plus(30)).is_ok());
    assert_eq!(
        verifier
            .verify(before.text(), now().plus(76))
            .unwrap_err()
            .reason(),
        Reason::Expired
    );
    // The member's own code is unaffected.
    let own = r.issue_self(&issuer, &pid(2), now()).unwrap();
    assert!(
        verifier
            .verify(own.text(), now())
            .unwrap()
            .presenter()
            .is_none()
    );
}

#[test]
fn mutual_aid_is_a_separate_filing_for_close_relatives_of_employee_owners() {
    let f = fixture();
    // One member of each of the seven relations: one over the default limit.
    let wide = Registry::open_existing(&f.path)
        .unwrap()
        .with_policy(FamilyPolicy::new(7, 2).unwrap());
    let r = &wide;
    add(r, 1);
    let mut resident = new_person(9, "110000");
    resident.scheme = Scheme::Resident;
    r.add_person(&resident, now()).unwrap();
    let (issuer, verifier) = key_and_verifier();
    let aid_flag = |owner: u32, member: u32| {
        let t = r
            .issue_delegate(&issuer, &pid(owner), &pid(member), now())
            .unwrap();
        verifier
            .verify(t.text(), now())
            .unwrap()
            .presenter()
            .unwrap()
            .mutual_aid
    };

    assert_eq!(
        refusal(r.file_aid(&pid(1), &pid(2), now())).0,
        Reason::UnknownPerson
    );
    for (m, relation) in (2..).zip(&Relation::ALL) {
        add(r, m);
        assert_eq!(
            refusal(r.file_aid(&pid(1), &pid(m), now())).0,
            Reason::NotBound,
            "filing needs the relation on record"
        );
        r.bind(&request(1, m, *relation), now()).unwrap();
        // A binding alone never grants mutual aid.
        assert!(!aid_flag(1, m), "{relation}");
        if relation.is_close_relative() {
            let filing = r.file_aid(&pid(1), &pid(m), now().plus(10)).unwrap();
            assert_eq!(filing.relation, *relation);
            assert!(aid_flag(1, m), "{relation}");
            assert_eq!(
                refusal(r.file_aid(&pid(1), &pid(m), now())).0,
                Reason::AlreadyBound
            );
        } else {
            assert_eq!(
                refusal(r.file_aid(&pid(1), &pid(m), now())),
                (
                    Reason::NotCloseRelative,
                    format!(
                        "mutual aid is only for close relatives (spouse, parents, children, siblings, grandparents, grandchildren); {} is bound as other_family",
                        pid(m)
                    )
                )
            );
            assert!(!aid_flag(1, m));
        }
    }
    // The six close relatives were filed; other_family was not.
    let listed: Vec<bool> = r
        .members(&pid(1))
        .unwrap()
        .iter()
        .map(|m| m.mutual_aid)
        .collect();
    assert_eq!(listed, [true, true, true, true, true, true, false]);

    // A resident-scheme owner has no personal account to share.
    r.bind(&request(9, 2, Relation::Child), now()).unwrap();
    assert_eq!(
        refusal(r.file_aid(&pid(9), &pid(2), now())),
        (
            Reason::NotEmployeeScheme,
            "owner 11000000000000000009 is in the resident scheme; only employee-scheme insurance has a personal account to share".into()
        )
    );
    assert!(!aid_flag(9, 2));

    // Revoking turns the flag off for codes issued from then on.
    r.revoke_aid(&pid(1), &pid(2), now().plus(20)).unwrap();
    assert!(!aid_flag(1, 2));
    assert_eq!(
        refusal(r.revoke_aid(&pid(1), &pid(2), now())).0,
        Reason::NotBound
    );
    // Unbinding does not touch the separate filing; rebinding shows it again.
    r.unbind(&pid(1), &pid(3), now().plus(30)).unwrap();
    assert!(r.aid_filing(&pid(1), &pid(3)).unwrap().is_some());
    r.bind(&request(1, 3, Relation::Spouse), now().plus(40))
        .unwrap();
    assert!(aid_flag(1, 3));
}

#[test]
fn self_codes_come_from_the_record_and_refuse_unknown_or_unactivated_persons() {
    let f = fixture();
    let r = &f.registry;
    let mut p = new_person(1, "440305");
    p.status = Status::Lapsed;
    r.add_person(&p, now()).unwrap();
    let mut q = new_person(2, "110000");
    q.activated = false;
    r.add_person(&q, now()).unwrap();
    let claims = r.self_claims(&pid(1)).unwrap();
    assert_eq!(claims.region.to_string(), "440305");
    assert_eq!(claims.status, Status::Lapsed);
    assert_eq!(claims.name.as_ref().unwrap().as_str(), "王*");
    assert!(claims.presenter.is_none());
    assert_eq!(
        refusal(r.self_claims(&pid(2))),
        (
            Reason::NotActivated,
            "11000000000000000002 has not activated their code".into()
        )
    );
    assert_eq!(
        refusal(r.self_claims(&pid(3))),
        (
            Reason::UnknownPerson,
            "no person 11000000000000000003 in the registry".into()
        )
    );
    r.activate(&pid(2), now()).unwrap();
    assert!(r.self_claims(&pid(2)).is_ok());

    // The cross-province switch travels in the code.
    r.set_cross_province(&pid(1), false, now()).unwrap();
    let (issuer, verifier) = key_and_verifier();
    let token = r.issue_self(&issuer, &pid(1), now()).unwrap();
    let beijing = verifier.with_till_region(Region::new("110105").unwrap());
    assert_eq!(
        beijing.verify(token.text(), now()).unwrap_err().reason(),
        Reason::CrossProvinceDisabled
    );
}

#[test]
fn adding_refuses_duplicates_and_names_too_long_for_a_code() {
    let f = fixture();
    let r = &f.registry;
    add(r, 1);
    let err = r.add_person(&new_person(1, "110000"), now()).unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidArgument);
    let mut same_id_number = new_person(2, "110000");
    same_id_number.id_number = IdNumber::new(&id_number(1)).unwrap();
    let err = r.add_person(&same_id_number, now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid national ID number: the registry already holds this ID number (person 11000000000000000001)"
    );
    // A 20-character letter identifier packs into 13 bytes: "张*" (4 bytes)
    // no longer fits the 15-byte budget of a version-6 code.
    let long = NewPerson::new(
        id("ABCDEFGHIJKLMNOPQRST"),
        FullName::new("张三").unwrap(),
        IdNumber::new(&id_number(3)).unwrap(),
        Region::new("110000").unwrap(),
    );
    assert_eq!(
        r.add_person(&long, now()).unwrap_err().reason(),
        Reason::InvalidClaims
    );
    assert_eq!(audit_len(r), 1);
}

#[test]
fn the_id_number_is_never_stored_in_clear() {
    let f = fixture();
    let r = &f.registry;
    add(r, 1);
    add(r, 2);
    r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    drop(f.registry);
    let dir = f.path.parent().unwrap();
    let secret = registry_secret_path(&f.path);
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path == secret {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        for n in [1, 2] {
            let number = id_number(n);
            assert!(
                !contains(&bytes, number.as_bytes()),
                "{} holds an ID number in clear",
                path.display()
            );
            // Nor its first 17 digits, in any encoding SQLite might use.
            assert!(!contains(&bytes, &number.as_bytes()[..17]));
            let utf16: Vec<u8> = number[..17]
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            assert!(!contains(&bytes, &utf16));
        }
        // The full name is stored (for the exact match), as the issue says.
        assert!(contains(&bytes, name_of(2).as_bytes()));
    }
    assert_eq!(files, 1, "the registry is one file at rest");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(unix)]
#[test]
fn the_secret_and_the_database_are_private_files() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let secret = registry_secret_path(&f.path);
    assert_eq!(mode(&secret), 0o600);
    assert_eq!(std::fs::read(&secret).unwrap().len(), 32);
    assert_eq!(mode(&f.path), 0o600);
}

#[test]
fn the_secret_must_be_the_registrys_own() {
    let f = fixture();
    add(&f.registry, 1);
    drop(f.registry);
    let secret = registry_secret_path(&f.path);
    let original = std::fs::read(&secret).unwrap();

    // Missing: refused rather than silently replaced by a new secret.
    std::fs::remove_file(&secret).unwrap();
    let err = Registry::open(&f.path).unwrap_err();
    assert_eq!(err.reason(), Reason::InvalidKey);
    assert!(err.to_string().contains("is missing"), "{err}");
    assert!(!secret.exists(), "no new secret was created");

    // Another secret: refused.
    write_0600(&secret, &[7u8; 32]);
    let err = Registry::open(&f.path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid key: the registry secret does not belong to this registry: its ID-number hashes were made with another secret"
    );

    // The right one back: the stored hash matches again.
    std::fs::remove_file(&secret).unwrap();
    write_0600(&secret, &original);
    let r = Registry::open(&f.path).unwrap();
    add(&r, 2);
    r.bind(&request(2, 1, Relation::Sibling), now()).unwrap();
}

fn write_0600(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn migrations_run_from_an_empty_file_once_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let r = Registry::open_existing(&path).unwrap();
    add(&r, 1);
    add(&r, 2);
    r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    drop(r);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = raw
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, medcode_platform::registry::REGISTRY_SCHEMA_VERSION);
    let app: i32 = raw
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .unwrap();
    assert_eq!(app, 0x4D43_5247);
    drop(raw);
    let store = SqliteRegistry::open_existing(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 1);
    let r = Registry::open_existing(&path).unwrap();
    assert_eq!(r.members(&pid(1)).unwrap().len(), 1);
    assert_eq!(r.person(&pid(2)).unwrap().full_name.as_str(), name_of(2));
}

#[test]
fn foreign_newer_or_damaged_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert_eq!(
        Registry::open_existing(&missing).unwrap_err().reason(),
        Reason::Io
    );
    assert!(!missing.exists());

    let newer = dir.path().join("newer.db");
    Registry::open(&newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Registry::open(&newer).unwrap_err();
    assert_eq!(err.reason(), Reason::Storage);
    assert!(
        err.to_string()
            .contains("schema version 99; this build knows up to 1"),
        "{err}"
    );

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = Registry::open(&foreign).unwrap_err();
    assert!(err.to_string().contains("not a medcode registry"), "{err}");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5Au8; 4096]).unwrap();
    assert_eq!(
        Registry::open(&garbage).unwrap_err().reason(),
        Reason::Storage
    );
}

#[test]
fn the_audit_log_and_history_are_append_only_in_the_schema() {
    let f = fixture();
    let r = &f.registry;
    add(r, 1);
    add(r, 2);
    r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    r.file_aid(&pid(1), &pid(2), now().plus(1)).unwrap();
    r.revoke_aid(&pid(1), &pid(2), now().plus(2)).unwrap();
    r.unbind(&pid(1), &pid(2), now().plus(3)).unwrap();
    let log = r.audit_log().unwrap();
    let actions: Vec<_> = log.iter().map(|e| (e.seq, e.action)).collect();
    assert_eq!(
        actions,
        [
            (1, AuditAction::PersonAdd),
            (2, AuditAction::PersonAdd),
            (3, AuditAction::Bind),
            (4, AuditAction::AidFile),
            (5, AuditAction::AidRevoke),
            (6, AuditAction::Unbind),
        ]
    );
    assert_eq!(log[5].at, now().plus(3));
    assert_eq!(log[5].member, Some(pid(2)));
    assert_eq!(log[5].relation, Some(Relation::Parent));

    let raw = rusqlite::Connection::open(&f.path).unwrap();
    for sql in [
        "UPDATE audit_log SET detail = 'x' WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 3",
        "DELETE FROM audit_log",
        "DELETE FROM bindings",
        "UPDATE bindings SET ended_at = NULL",
        "UPDATE bindings SET relation = 'spouse'",
        "DELETE FROM aid_filings",
        "DELETE FROM persons",
        "UPDATE persons SET full_name = 'x'",
    ] {
        let err = raw.execute(sql, []).unwrap_err();
        assert!(
            err.to_string().contains("append-only")
                || err.to_string().contains("never deleted")
                || err.to_string().contains("only be ended")
                || err.to_string().contains("are fixed"),
            "{sql}: {err}"
        );
    }
    drop(raw);
    assert_eq!(r.audit_log().unwrap(), log);
}

/// Binds the members `first..first + count` to owner 1 from `count` threads
/// released together; returns the reasons of the failures.
fn bind_from_threads(registry: &Arc<Registry>, members: std::ops::Range<u32>) -> Vec<Reason> {
    let barrier = Arc::new(Barrier::new(members.len()));
    let handles: Vec<_> = members
        .map(|m| {
            let registry = Arc::clone(registry);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                registry.bind(&request(1, m, Relation::OtherFamily), now())
            })
        })
        .collect();
    handles
        .into_iter()
        .filter_map(|h| h.join().unwrap().err().map(|e| e.reason()))
        .collect()
}

#[test]
fn twenty_threads_binding_at_once_leave_exactly_six() {
    let f = fixture();
    for n in 1..=21 {
        add(&f.registry, n);
    }
    let registry = Arc::new(f.registry);
    let failures = bind_from_threads(&registry, 2..22);
    assert_eq!(failures, vec![Reason::LimitMembers; 14]);
    assert_eq!(registry.members(&pid(1)).unwrap().len(), 6);
    let binds = registry
        .audit_log()
        .unwrap()
        .iter()
        .filter(|e| e.action == AuditAction::Bind)
        .count();
    assert_eq!(binds, 6);

    // And a second registry handle on the same file (another "process" in
    // miniature) sees the same six.
    let other = Registry::open_existing(&f.path).unwrap();
    assert_eq!(other.members(&pid(1)).unwrap().len(), 6);
}

#[test]
fn twenty_threads_binding_one_member_leave_exactly_two_owners() {
    let f = fixture();
    for n in 1..=21 {
        add(&f.registry, n);
    }
    let registry = Arc::new(f.registry);
    let barrier = Arc::new(Barrier::new(20));
    let handles: Vec<_> = (2..22)
        .map(|owner| {
            let registry = Arc::clone(&registry);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                registry.bind(&request(owner, 1, Relation::Sibling), now())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.reason(), Reason::LimitOwners);
    }
}

/// A store that runs every write through a wrapper of the real SQLite
/// transaction, which fails (or kills the process) right after the change
/// and before its audit entry: the moment "between statements".
struct FaultyStore {
    inner: SqliteRegistry,
    crash: bool,
}

struct FaultyTx<'a> {
    inner: &'a mut dyn RegistryTx,
    crash: bool,
}

impl RegistryStore for FaultyStore {
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn RegistryTx) -> medcode::Result<()>,
    ) -> medcode::Result<()> {
        let crash = self.crash;
        self.inner
            .write(&mut |tx| work(&mut FaultyTx { inner: tx, crash }))
    }

    fn read(
        &self,
        work: &mut dyn FnMut(&mut dyn RegistryTx) -> medcode::Result<()>,
    ) -> medcode::Result<()> {
        self.inner.read(work)
    }
}

/// Methods of `RegistryTx` that `FaultyTx` hands to the real transaction
/// unchanged.
macro_rules! pass_through {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&mut self, $($arg: $ty),*) -> medcode::Result<$ret> {
            self.inner.$name($($arg),*)
        })*
    };
}

impl RegistryTx for FaultyTx<'_> {
    pass_through! {
        fn meta(key: &str) -> Option<Vec<u8>>;
        fn insert_meta(key: &str, value: &[u8]) -> ();
        fn person(insured: &InsuredId) -> Option<Person>;
        fn person_by_id_hash(hash: &IdHash) -> Option<InsuredId>;
        fn insert_person(person: &Person) -> ();
        fn update_person(person: &Person) -> ();
        fn active_binding(owner: &InsuredId, member: &InsuredId) -> Option<Binding>;
        fn bindings_of_owner(owner: &InsuredId) -> Vec<Binding>;
        fn bindings_of_member(member: &InsuredId) -> Vec<Binding>;
        fn insert_binding(binding: &Binding) -> ();
        fn end_binding(owner: &InsuredId, member: &InsuredId, at: UnixTime) -> ();
        fn active_filing(owner: &InsuredId, member: &InsuredId) -> Option<MutualAidFiling>;
        fn insert_filing(filing: &MutualAidFiling) -> ();
        fn end_filing(owner: &InsuredId, member: &InsuredId, at: UnixTime) -> ();
        fn audit_log() -> Vec<AuditEntry>;
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> medcode::Result<()> {
        if self.crash {
            // The binding is written inside the open transaction. Add enough
            // uncommitted rows to overflow SQLite's page cache (2 MB by
            // default), so that uncommitted pages reach the database file
            // itself and only the journal can undo them.
            let mut filler = entry.clone();
            filler.detail = "x".repeat(1000);
            for _ in 0..SPILL_ROWS {
                self.inner.append_audit(&filler)?;
            }
            // Tell the parent, and wait for it to kill this process (give up
            // after a while so that no process outlives a failed parent).
            use std::io::Write;
            let mut stdout = std::io::stdout();
            let _ = writeln!(stdout, "{CRASH_MARKER}");
            let _ = stdout.flush();
            std::thread::sleep(std::time::Duration::from_secs(120));
            std::process::exit(3);
        }
        Err(Error::Storage {
            why: format!(
                "injected failure before the audit entry for {}",
                entry.action
            ),
        })
    }
}

fn faulty_registry(path: &Path, crash: bool) -> Registry {
    let store = Arc::new(FaultyStore {
        inner: SqliteRegistry::open_existing(path).unwrap(),
        crash,
    });
    let hasher = medcode_platform::registry::IdHasher::load(&registry_secret_path(path)).unwrap();
    Registry::new(store, hasher).unwrap()
}

/// Bindings and audit entries straight from the file.
fn raw_counts(path: &Path) -> (i64, i64, i64) {
    let raw = rusqlite::Connection::open(path).unwrap();
    let q = |sql: &str| raw.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let check: String = raw
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    (
        q("SELECT count(*) FROM bindings WHERE ended_at IS NULL"),
        q("SELECT count(*) FROM aid_filings WHERE ended_at IS NULL"),
        q("SELECT count(*) FROM audit_log"),
    )
}

/// A registry of people 1 to 3, with 3 bound to 1 as spouse: the last
/// commit before the failures below.
fn spouse_bound() -> people::Fixture {
    let f = fixture();
    for n in 1..=3 {
        add(&f.registry, n);
    }
    f.registry
        .bind(&request(1, 3, Relation::Spouse), now())
        .unwrap();
    f
}

#[test]
fn a_failure_between_statements_rolls_the_whole_operation_back() {
    let f = spouse_bound();
    let before = raw_counts(&f.path);
    assert_eq!(before, (1, 0, 4));

    let faulty = faulty_registry(&f.path, false);
    let err = faulty
        .bind(&request(1, 2, Relation::Parent), now())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "storage error: injected failure before the audit entry for bind"
    );
    assert!(faulty.unbind(&pid(1), &pid(3), now()).is_err());
    assert!(faulty.file_aid(&pid(1), &pid(3), now()).is_err());
    assert!(faulty.set_status(&pid(2), Status::Lapsed, now()).is_err());
    assert_eq!(
        raw_counts(&f.path),
        before,
        "no change without its audit row"
    );

    // The real registry carries on as if nothing happened.
    let r = Registry::open_existing(&f.path).unwrap();
    assert_eq!(r.person(&pid(2)).unwrap().status, Status::Normal);
    assert!(r.binding(&pid(1), &pid(3)).unwrap().is_some());
    r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    assert_eq!(raw_counts(&f.path), (2, 0, 5));
}

/// Environment variable that turns [`crash_child_process_entry`] into the
/// child of [`a_process_killed_inside_a_transaction_leaves_the_last_commit`].
const CRASH_DB_ENV: &str = "MEDCODE_TEST_CRASH_DB";
/// Uncommitted 1 KB rows the child writes: about 8 MB, four times the
/// default page cache.
const SPILL_ROWS: usize = 8000;
/// The line the child prints once it is inside the transaction.
const CRASH_MARKER: &str = "medcode-test: inside the transaction";

/// Not a test on its own: when the parent test re-runs this test binary
/// with `CRASH_DB_ENV` set, it binds through a store that, after the
/// binding row is written and instead of its audit row, fills the page
/// cache with uncommitted rows and then waits, transaction open, until the
/// parent kills it. Without the variable it returns at once.
#[test]
fn crash_child_process_entry() {
    let Ok(db) = std::env::var(CRASH_DB_ENV) else {
        return;
    };
    let r = faulty_registry(Path::new(&db), true);
    let _ = r.bind(&request(1, 2, Relation::Parent), now());
    std::process::exit(4); // never reached: the store waits to be killed
}

/// Kills the child on every path out of the test, so none is left behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_process_killed_inside_a_transaction_leaves_the_last_commit() {
    use std::io::BufRead;
    let f = spouse_bound();
    drop(f.registry);
    let before = raw_counts(&f.path);
    let size_before = std::fs::metadata(&f.path).unwrap().len();

    let mut child = KillOnDrop(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_child_process_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_DB_ENV, &f.path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let reached = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.ends_with(CRASH_MARKER));
    assert!(reached, "the child never got inside the transaction");

    // Uncommitted pages have reached the database file.
    let size_during = std::fs::metadata(&f.path).unwrap().len();
    assert!(
        size_during > size_before + 4_000_000,
        "{size_before} -> {size_during}: the child's pages did not spill"
    );

    child.0.kill().unwrap();
    let status = child.0.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
    }
    #[cfg(not(unix))]
    assert!(!status.success());
    // It died with the transaction open: its rollback journal is left
    // behind (hot), and the next connection plays it back.
    let journal = PathBuf::from(format!("{}-journal", f.path.display()));
    assert!(journal.exists(), "a journal remains after the kill");

    assert_eq!(raw_counts(&f.path), before);
    assert!(!journal.exists(), "the hot journal was played back");
    let r = Registry::open_existing(&f.path).unwrap();
    assert!(r.binding(&pid(1), &pid(2)).unwrap().is_none());
    r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    let (active, _, audit) = raw_counts(&f.path);
    assert_eq!((active, audit), (before.0 + 1, before.2 + 1));
}

/// A reader beside the registry (`wallet open` looking up a person's
/// region and scheme) changes nothing: not the file, not the secret (even
/// a missing one is not created), and it refuses what is not a registry.
#[test]
fn reading_a_person_beside_the_registry_creates_nothing() {
    let f = fixture();
    add(&f.registry, 1);
    let secret = registry_secret_path(&f.path);
    let bytes = std::fs::read(&f.path).unwrap();
    std::fs::remove_file(&secret).unwrap();
    let person = medcode_platform::registry::read_person(&f.path, &pid(1)).unwrap();
    assert_eq!(person.full_name.as_str(), name_of(1));
    assert_eq!(
        medcode_platform::registry::read_person(&f.path, &pid(2))
            .unwrap_err()
            .reason(),
        Reason::UnknownPerson
    );
    assert_eq!(std::fs::read(&f.path).unwrap(), bytes);
    assert!(!secret.exists());

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert_eq!(
        medcode_platform::registry::read_person(&missing, &pid(1))
            .unwrap_err()
            .reason(),
        Reason::Io
    );
    assert!(!missing.exists());
    let wallet = dir.path().join("wallet.db");
    medcode_platform::wallet::Wallet::open(wallet.to_str().unwrap()).unwrap();
    let before = std::fs::read(&wallet).unwrap();
    let e = medcode_platform::registry::read_person(&wallet, &pid(1)).unwrap_err();
    assert_eq!(e.reason(), Reason::Storage);
    assert!(e.to_string().contains("not a medcode registry"), "{e}");
    assert_eq!(std::fs::read(&wallet).unwrap(), before);
}

/// The registry answers the wallet's question about mutual aid
/// (`MutualAidRelations`): a filing in force counts both ways, with the
/// relation inverted for the other side, and a binding alone does not.
#[test]
fn a_filing_in_force_is_a_mutual_aid_relation_both_ways() {
    let f = fixture();
    let r = &f.registry;
    add(r, 1);
    add(r, 2);
    r.bind(&request(1, 2, Relation::Parent), now()).unwrap();
    assert_eq!(r.mutual_aid(&pid(1), &pid(2)).unwrap(), None);
    r.file_aid(&pid(1), &pid(2), now()).unwrap();
    assert_eq!(
        r.mutual_aid(&pid(1), &pid(2)).unwrap(),
        Some(Relation::Parent)
    );
    assert_eq!(
        r.mutual_aid(&pid(2), &pid(1)).unwrap(),
        Some(Relation::Child)
    );
    r.revoke_aid(&pid(1), &pid(2), now().plus(1)).unwrap();
    assert_eq!(r.mutual_aid(&pid(2), &pid(1)).unwrap(), None);
}
