//! The `registry`, `family` and `issue --db` commands of the real binary:
//! exact outputs, one-line refusals with exit 1, usage errors with exit 2.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

mod support;
use support::cmdline::{family_bind, person_add};
use support::{Run, medcode, run, run_with};

const AT: &str = "2026-11-22T08:00:00Z";
const OWNER: &str = "11000000000000000001";
const MOTHER: &str = "44030000000000000002";
const CHILD: &str = "11000000000000000003";
const COUSIN: &str = "11000000000000000004";
const NEWCOMER: &str = "11000000000000000005";
const RESIDENT: &str = "11000000000000000006";

// Valid GB 11643 numbers (the check character included).
const OWNER_ID: &str = "110105198001010016";
const MOTHER_ID: &str = "440305195203150029";
const CHILD_ID: &str = "110105201506010032";
const COUSIN_ID: &str = "440305197811110046";
const NEWCOMER_ID: &str = "310101199002020052";
const RESIDENT_ID: &str = "110105198512120065";

/// Exit 0 with exactly this stdout and nothing on stderr.
fn ok(r: &Run, stdout: &str) {
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{}", r.stdout);
    assert_eq!(r.stdout, stdout);
}

/// Exit 1, nothing on stdout, exactly this one line on stderr.
fn refused(r: &Run, line: &str) {
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{}", r.stderr);
    assert_eq!(r.stderr, format!("medcode: {line}\n"));
}

/// Exit 2 with one line on stderr containing `text`.
fn usage(r: &Run, text: &str) {
    assert_eq!(r.code, 2, "stdout {} stderr {}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(text), "{}", r.stderr);
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn db(&self) -> String {
        self.dir
            .path()
            .join("registry.db")
            .to_str()
            .unwrap()
            .to_owned()
    }

    fn keys(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    fn registry(&self, args: &[&str]) -> Run {
        let db = self.db();
        let mut all = vec!["registry", "--db", &db];
        all.extend_from_slice(args);
        run(&all)
    }

    fn family(&self, args: &[&str]) -> Run {
        let db = self.db();
        let mut all = vec!["family", "--db", &db];
        all.extend_from_slice(args);
        run(&all)
    }

    fn add(&self, insured: &str, name: &str, id: &str, region: &str, extra: &[&str]) -> Run {
        let db = self.db();
        let mut args = person_add(&db, insured, name, id, region);
        args.extend(["--at", AT]);
        args.extend_from_slice(extra);
        run(&args)
    }

    fn bind(&self, member: &str, relation: &str, name: &str, id: &str) -> Run {
        self.bind_with(&[], OWNER, member, relation, name, id)
    }

    /// `family [FAMILY_OPTIONS] bind` of `member` to `owner`, at [`AT`].
    fn bind_with(
        &self,
        family_options: &[&str],
        owner: &str,
        member: &str,
        relation: &str,
        name: &str,
        id: &str,
    ) -> Run {
        let db = self.db();
        let mut args = family_bind(&db, owner, member, relation, name, id);
        args.splice(3..3, family_options.iter().copied());
        args.extend(["--at", AT]);
        run(&args)
    }

    /// `registry person SETTING --insured INSURED VALUE --at AT`.
    fn person_set(&self, setting: &str, insured: &str, value: &str) -> Run {
        self.registry(&["person", setting, "--insured", insured, value, "--at", AT])
    }

    /// `issue` from the registry at [`AT`], then `extra`.
    fn issue(&self, extra: &[&str]) -> Run {
        let db = self.db();
        self.issue_without_db(&[&["--db", &db, "--at", AT], extra].concat())
    }

    /// `issue` with the issuer key k1 and no registry, then `extra`.
    fn issue_without_db(&self, extra: &[&str]) -> Run {
        let keys = self.keys();
        let mut args = vec!["issue", "--dir", keys.to_str().unwrap(), "--kid", "k1"];
        args.extend_from_slice(extra);
        run(&args)
    }

    /// `verify` with the issuer's trust list at [`AT`], then `extra`.
    fn verify(&self, extra: &[&str]) -> Run {
        let trust = self.keys().join("trust.json");
        let mut args = vec!["verify", "--trust", trust.to_str().unwrap(), "--at", AT];
        args.extend_from_slice(extra);
        run(&args)
    }

    fn verify_json(&self, token: &str, extra: &[&str]) -> (i32, Value) {
        let r = self.verify(&[&["--json"], extra, &[token.trim_end()]].concat());
        (
            r.code,
            serde_json::from_str(&r.stdout).expect("JSON verdict"),
        )
    }
}

/// A registry with the owner (Beijing, employee), the owner's mother
/// (Shenzhen, lapsed, resident), a child, a cousin, an unactivated newcomer
/// and a resident-scheme person; and an issuer key.
fn setup() -> Env {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    ok(
        &env.add(OWNER, "张三", OWNER_ID, "110000", &["--activated"]),
        "added 11000000000000000001 张*: region 110000, employee scheme, status normal, code activated, cross-province use on\n",
    );
    ok(
        &env.add(
            MOTHER,
            "李秀英",
            MOTHER_ID,
            "440300",
            &["--status", "lapsed", "--scheme", "resident", "--activated"],
        ),
        "added 44030000000000000002 李*: region 440300, resident scheme, status lapsed, code activated, cross-province use on\n",
    );
    for (id, name, number, extra) in [
        (CHILD, "张小明", CHILD_ID, &["--activated"][..]),
        (COUSIN, "王五", COUSIN_ID, &["--activated"][..]),
        (NEWCOMER, "赵六", NEWCOMER_ID, &[][..]),
        (
            RESIDENT,
            "刘七",
            RESIDENT_ID,
            &["--activated", "--scheme", "resident"][..],
        ),
    ] {
        assert_eq!(env.add(id, name, number, "110000", extra).code, 0);
    }
    let keys = env.keys();
    let r = run(&[
        "keygen",
        "--dir",
        keys.to_str().unwrap(),
        "--kid",
        "k1",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env
}

#[test]
fn person_commands_print_exact_records() {
    let env = setup();
    ok(
        &env.registry(&["person", "show", "--insured", MOTHER]),
        "44030000000000000002 李*: region 440300, resident scheme, status lapsed, code activated, cross-province use on\n\
         full name: 李秀英\n\
         registered: 2026-11-22T08:00:00Z\n",
    );
    let r = env.registry(&["person", "show", "--insured", OWNER, "--json"]);
    assert_eq!(r.code, 0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v,
        json!({
            "insured": OWNER, "name": "张*", "full_name": "张三", "region": "110000",
            "status": "normal", "scheme": "employee", "activated": true,
            "cross_province": true, "registered_at": AT,
        })
    );
    assert!(!r.stdout.contains(OWNER_ID));
    ok(
        &env.person_set("set-status", MOTHER, "normal"),
        "44030000000000000002 李*: region 440300, resident scheme, status normal, code activated, cross-province use on\n",
    );
    ok(
        &env.person_set("set-cross-province", MOTHER, "off"),
        "44030000000000000002 李*: region 440300, resident scheme, status normal, code activated, cross-province use off\n",
    );
    ok(
        &env.registry(&["person", "activate", "--insured", NEWCOMER, "--at", AT]),
        "11000000000000000005 赵*: region 110000, employee scheme, status normal, code activated, cross-province use on\n",
    );
    refused(
        &env.registry(&["person", "show", "--insured", "999"]),
        "unknown_person: no person 999 in the registry",
    );
    usage(
        &env.registry(&["person", "set-status", "--insured", MOTHER, "retired"]),
        "invalid value 'retired'",
    );
    usage(
        &env.add("7", "孙八", OWNER_ID, "110000", &[]),
        "invalid national ID number: the registry already holds this ID number (person 11000000000000000001)",
    );
    usage(
        &env.add("7", "孙八", "110105198001010017", "110000", &[]),
        "invalid national ID number: the check character does not match",
    );
    usage(
        &env.add("7", "孙*", NEWCOMER_ID, "110000", &[]),
        "invalid full name",
    );
}

#[test]
fn the_id_number_can_come_from_standard_input() {
    let env = setup();
    let db = env.db();
    let mut args = person_add(&db, "8", "孙八", "-", "110000");
    args.extend(["--activated", "--at", AT]);
    let r = run_with(&args, "11010519491231002X\n");
    ok(
        &r,
        "added 8 孙*: region 110000, employee scheme, status normal, code activated, cross-province use on\n",
    );
    let mut args = family_bind(&db, OWNER, "8", "sibling", "孙八", "-");
    args.extend(["--at", AT]);
    let r = run_with(&args, "11010519491231002x\n");
    ok(
        &r,
        "bound 8 to 11000000000000000001's family account as sibling\n",
    );
    let bytes = std::fs::read(Path::new(&db)).unwrap();
    assert!(!bytes.windows(17).any(|w| w == b"11010519491231002"));
}

#[test]
fn bind_list_and_unbind() {
    let env = setup();
    ok(
        &env.bind(MOTHER, "parent", "李秀英", MOTHER_ID),
        "bound 44030000000000000002 to 11000000000000000001's family account as parent\n",
    );
    ok(
        &env.bind(CHILD, "child", "张小明", CHILD_ID),
        "bound 11000000000000000003 to 11000000000000000001's family account as child\n",
    );
    ok(
        &env.family(&[
            "aid", "file", "--owner", OWNER, "--member", CHILD, "--at", AT,
        ]),
        "mutual aid filed: 11000000000000000001's personal account may pay for 11000000000000000003 (child)\n",
    );
    ok(
        &env.family(&["list", "--owner", OWNER]),
        "11000000000000000001: 2 of 6 family members bound\n  \
         44030000000000000002 李* (parent) since 2026-11-22T08:00:00Z, region 440300, status lapsed; personal-account mutual aid: not filed\n  \
         11000000000000000003 张* (child) since 2026-11-22T08:00:00Z, region 110000, status normal; personal-account mutual aid: filed\n",
    );
    let r = env.family(&["--max-members", "5", "list", "--owner", OWNER, "--json"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap(),
        json!({
            "owner": OWNER,
            "limit": 5,
            "members": [
                {"member": MOTHER, "name": "李*", "relation": "parent", "since": AT,
                 "mutual_aid": false, "status": "lapsed", "region": "440300"},
                {"member": CHILD, "name": "张*", "relation": "child", "since": AT,
                 "mutual_aid": true, "status": "normal", "region": "110000"},
            ]
        })
    );
    ok(
        &env.family(&[
            "unbind",
            "--owner",
            OWNER,
            "--member",
            MOTHER,
            "--at",
            "2026-11-23T08:00:00Z",
        ]),
        "unbound 44030000000000000002 from 11000000000000000001's family account (bound since 2026-11-22T08:00:00Z)\n",
    );
    ok(
        &env.family(&[
            "aid", "revoke", "--owner", OWNER, "--member", CHILD, "--at", AT,
        ]),
        "mutual aid revoked: 11000000000000000001's personal account no longer pays for 11000000000000000003 (filed since 2026-11-22T08:00:00Z)\n",
    );
    let r = env.family(&["list", "--owner", OWNER, "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["members"].as_array().unwrap().len(), 1);
    assert_eq!(v["members"][0]["mutual_aid"], json!(false));

    let r = env.registry(&["audit", "--json"]);
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions[6..],
        ["bind", "bind", "aid_file", "unbind", "aid_revoke"]
    );
    assert_eq!(
        log[9],
        json!({"seq": 10, "at": "2026-11-23T08:00:00Z", "action": "unbind", "insured": OWNER,
               "member": MOTHER, "relation": "parent", "detail": "bound since 2026-11-22T08:00:00Z"})
    );
    let r = env.registry(&["audit"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.lines().nth(9),
        Some(
            "10 2026-11-23T08:00:00Z unbind 11000000000000000001 member 44030000000000000002 (parent): bound since 2026-11-22T08:00:00Z"
        )
    );
}

#[test]
fn every_refusal_is_one_line_with_its_reason_and_exit_1() {
    let env = setup();
    refused(
        &env.bind(OWNER, "parent", "张三", OWNER_ID),
        "self_binding: 11000000000000000001 cannot bind their own code to their own family account",
    );
    refused(
        &env.bind("77", "parent", "张三", OWNER_ID),
        "unknown_person: no member person 77 in the registry",
    );
    refused(
        &env.bind(MOTHER, "parent", "李秀", MOTHER_ID),
        "identity_mismatch: the name and ID number given for member 44030000000000000002 do not match the insurance record",
    );
    refused(
        &env.bind(MOTHER, "parent", "李秀英", CHILD_ID),
        "identity_mismatch: the name and ID number given for member 44030000000000000002 do not match the insurance record",
    );
    refused(
        &env.bind(NEWCOMER, "sibling", "赵六", NEWCOMER_ID),
        "not_activated: member 11000000000000000005 has not activated their own code; family members activate theirs once before binding",
    );
    assert_eq!(env.bind(COUSIN, "other_family", "王五", COUSIN_ID).code, 0);
    refused(
        &env.bind(COUSIN, "other_family", "王五", COUSIN_ID),
        "already_bound: 11000000000000000004 is already bound to 11000000000000000001 (since 2026-11-22T08:00:00Z)",
    );
    refused(
        &env.bind_with(
            &["--max-members", "1"],
            OWNER,
            CHILD,
            "child",
            "张小明",
            CHILD_ID,
        ),
        "limit_members: owner 11000000000000000001 already has 1 family members bound (limit 1)",
    );
    refused(
        &env.bind_with(
            &["--max-owners", "1"],
            RESIDENT,
            COUSIN,
            "other_family",
            "王五",
            COUSIN_ID,
        ),
        "limit_owners: member 11000000000000000004 is already bound by 1 owners (limit 1)",
    );
    refused(
        &env.family(&["unbind", "--owner", OWNER, "--member", CHILD]),
        "not_bound: 11000000000000000003 is not bound to 11000000000000000001's family account",
    );
    refused(
        &env.family(&["aid", "file", "--owner", OWNER, "--member", COUSIN]),
        "not_close_relative: mutual aid is only for close relatives (spouse, parents, children, siblings, grandparents, grandchildren); 11000000000000000004 is bound as other_family",
    );
    refused(
        &env.family(&["aid", "revoke", "--owner", OWNER, "--member", COUSIN]),
        "not_bound: no mutual aid from 11000000000000000001 to 11000000000000000004 is filed",
    );
    let r = env.bind_with(&[], RESIDENT, CHILD, "sibling", "张小明", CHILD_ID);
    assert_eq!(r.code, 0, "{}", r.stderr);
    refused(
        &env.family(&["aid", "file", "--owner", RESIDENT, "--member", CHILD]),
        "not_employee_scheme: owner 11000000000000000006 is in the resident scheme; only employee-scheme insurance has a personal account to share",
    );
    refused(
        &env.family(&["list", "--owner", "999"]),
        "unknown_person: no owner person 999 in the registry",
    );
    // Nothing refused reached the log: 6 persons, 2 bindings.
    let r = env.registry(&["audit", "--json"]);
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(log.as_array().unwrap().len(), 8);
}

#[test]
fn usage_errors_exit_2() {
    let env = setup();
    let missing = env.dir.path().join("nope.db");
    usage(
        &run(&[
            "family",
            "--db",
            missing.to_str().unwrap(),
            "list",
            "--owner",
            OWNER,
        ]),
        "nope.db",
    );
    assert!(
        !missing.exists(),
        "a typo does not create an empty registry"
    );
    usage(
        &env.bind(MOTHER, "aunt", "李秀英", MOTHER_ID),
        "invalid value 'aunt'",
    );
    usage(
        &env.bind(MOTHER, "parent", "李秀英", "12345"),
        "invalid national ID number: must be 18 characters",
    );
    usage(
        &env.bind("abc", "parent", "李秀英", MOTHER_ID),
        "invalid --member",
    );
    usage(
        &env.family(&["--max-members", "0", "list", "--owner", OWNER]),
        "--max-members",
    );
    usage(
        &env.issue(&["--insured", OWNER, "--region", "110000"]),
        "cannot be used with",
    );
    usage(
        &env.issue(&["--insured", OWNER, "--name", "张*"]),
        "cannot be used with",
    );
    usage(
        &env.issue(&["--insured", OWNER, "--status", "lapsed"]),
        "cannot be used with",
    );
    usage(
        &env.issue_without_db(&[
            "--insured",
            MOTHER,
            "--presenter",
            OWNER,
            "--region",
            "440300",
        ]),
        "--db",
    );
    usage(&env.issue_without_db(&["--insured", MOTHER]), "--region");
}

#[test]
fn issue_with_db_makes_self_and_delegate_codes_from_the_registry() {
    let env = setup();
    // A self code: region, status, scheme and masked name from the record.
    let r = env.issue(&["--insured", MOTHER]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let (code, v) = env.verify_json(&r.stdout, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        (
            &v["insured"],
            &v["name"],
            &v["region"],
            &v["status"],
            &v["scheme"],
            &v["presenter"]
        ),
        (
            &json!(MOTHER),
            &json!("李*"),
            &json!("440300"),
            &json!("lapsed"),
            &json!("resident"),
            &Value::Null
        )
    );
    refused(
        &env.issue(&["--insured", NEWCOMER]),
        "not_activated: 11000000000000000005 has not activated their code",
    );
    refused(
        &env.issue(&["--insured", "999"]),
        "unknown_person: no person 999 in the registry",
    );

    // No delegate code without a binding.
    refused(
        &env.issue(&["--insured", MOTHER, "--presenter", OWNER]),
        "not_bound: 44030000000000000002 is not bound to 11000000000000000001's family account",
    );
    assert_eq!(env.bind(MOTHER, "parent", "李秀英", MOTHER_ID).code, 0);
    let r = env.issue(&["--insured", MOTHER, "--presenter", OWNER]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, v) = env.verify_json(&r.stdout, &[]);
    assert_eq!(code, 0);
    assert_eq!(v["insured"], json!(MOTHER));
    assert_eq!(v["status"], json!("lapsed"));
    assert_eq!(
        v["presenter"],
        json!({"insured": OWNER, "relation": "child", "mutual_aid": false})
    );
    // The plain verdict names the presenter and says aid is not filed (a
    // second delegate code: the first one was used).
    let r = env.issue(&["--insured", MOTHER, "--presenter", OWNER]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plain = env.verify(&[r.stdout.trim_end()]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert_eq!(
        plain.stdout.lines().last(),
        Some(
            "shown by 11000000000000000001 (child) on behalf of the insured; personal-account mutual aid: not filed"
        )
    );

    // The mother is a resident: the owner (employee) may still file aid for her.
    assert_eq!(
        env.family(&[
            "aid", "file", "--owner", OWNER, "--member", MOTHER, "--at", AT
        ])
        .code,
        0
    );
    let r = env.issue(&["--insured", MOTHER, "--presenter", OWNER]);
    let (_, v) = env.verify_json(&r.stdout, &[]);
    assert_eq!(v["presenter"]["mutual_aid"], json!(true));

    // Her cross-province switch travels in the delegate code too.
    assert_eq!(env.person_set("set-cross-province", MOTHER, "off").code, 0);
    let r = env.issue(&["--insured", MOTHER, "--presenter", OWNER]);
    let (code, v) = env.verify_json(&r.stdout, &["--till-region", "110105"]);
    assert_eq!(code, 1);
    assert_eq!(v["reason"], json!("cross_province_disabled"));
    let (code, _) = env.verify_json(&r.stdout, &["--till-region", "440305"]);
    assert_eq!(code, 0);

    // Unbinding stops new delegate codes at once.
    assert_eq!(
        env.family(&["unbind", "--owner", OWNER, "--member", MOTHER, "--at", AT])
            .code,
        0
    );
    refused(
        &env.issue(&["--insured", MOTHER, "--presenter", OWNER]),
        "not_bound: 44030000000000000002 is not bound to 11000000000000000001's family account",
    );
}

#[test]
fn show_with_db_refreshes_delegate_codes_and_stops_when_unbound() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let env = setup();
    assert_eq!(env.bind(MOTHER, "parent", "李秀英", MOTHER_ID).code, 0);
    let keys = env.keys();
    let db = env.db();
    let mut child = medcode()
        .args([
            "show",
            "--dir",
            keys.to_str().unwrap(),
            "--kid",
            "k1",
            "--db",
            &db,
            "--insured",
            MOTHER,
            "--presenter",
            OWNER,
            "--ttl",
            "5",
            "--refresh",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("show starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first code").expect("utf-8");
    assert!(first.starts_with("MC1"), "{first}");

    // The owner ends the binding while the code is on screen: the next
    // refresh reads the registry again and the show ends with the reason.
    let r = env.family(&["unbind", "--owner", OWNER, "--member", MOTHER]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("show ends by itself");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.ends_with(
            "medcode: not_bound: 44030000000000000002 is not bound to 11000000000000000001's family account\n"
        ),
        "{stderr}"
    );
    // At most the codes of the second in which the unbinding landed.
    assert!(rest.len() <= 1, "{rest:?}");
}
