//! The family registry from separate `medcode family` processes at once:
//! the owner limit holds across processes sharing one SQLite file.

#[path = "../../platform/tests/fixtures/people.rs"]
mod people;
mod support;

use medcode_platform::registry::Registry;
use people::{add, fixture, id_number, name_of, pid};
use support::cmdline::family_bind;
use support::medcode;

#[test]
fn separate_processes_binding_at_once_leave_exactly_six() {
    const PROCESSES: u32 = 12;
    let f = fixture();
    for n in 1..=PROCESSES + 1 {
        add(&f.registry, n);
    }
    drop(f.registry);
    let db = f.path.to_str().unwrap().to_owned();
    let children: Vec<_> = (2..PROCESSES + 2)
        .map(|m| {
            let (owner, member) = (pid(1), pid(m));
            let (name, id) = (name_of(m), id_number(m));
            medcode()
                .args(family_bind(
                    &db,
                    owner.as_str(),
                    member.as_str(),
                    "sibling",
                    &name,
                    &id,
                ))
                .args(["--at", "2026-11-22T08:00:00Z"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        match out.status.code() {
            Some(0) => {
                ok += 1;
                assert!(stderr.is_empty(), "{stderr}");
            }
            Some(1) => {
                refused += 1;
                assert_eq!(
                    stderr,
                    "medcode: limit_members: owner 11000000000000000001 already has 6 family members bound (limit 6)\n"
                );
            }
            other => panic!("unexpected exit {other:?}: {stderr}"),
        }
    }
    assert_eq!((ok, refused), (6, 6));
    let r = Registry::open_existing(&f.path).unwrap();
    assert_eq!(r.members(&pid(1)).unwrap().len(), 6);
}
