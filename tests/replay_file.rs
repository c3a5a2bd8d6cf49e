//! The embedded persistent replay guard against real files, beyond the
//! contract every guard keeps (tests/replay_contract.rs): sweeping, refusal
//! of foreign files (an earlier medcode's SQLite store among them), a held
//! lock (from this process and from another), torn records, several
//! handles and processes on one file, compaction, and a code staying
//! `replayed` across a restart.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use medcode::replay::{FileReplayGuard, ReplayGuard};
use medcode::{TokenId, UnixTime};

const T0: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z

fn id(n: u64) -> TokenId {
    TokenId::from_bytes(n.to_le_bytes())
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Expired entries go on the next check and on an explicit purge (the
/// contract itself is in tests/replay_contract.rs).
#[test]
fn expired_rows_are_swept_by_the_next_check_and_by_a_purge() {
    let dir = tempfile::tempdir().unwrap();
    let g = FileReplayGuard::open(&dir.path().join("seen.db")).unwrap();
    let now = UnixTime::from_secs(T0);
    g.mark_seen(id(1), now.plus(75), now).unwrap();
    g.mark_seen(id(2), now.plus(300), now).unwrap();
    assert_eq!(g.len().unwrap(), 2);
    // One second after `until` the entry is swept by the next check.
    g.mark_seen(id(3), now.plus(300), now.plus(76)).unwrap();
    assert_eq!(g.len().unwrap(), 2);
    g.mark_seen(id(1), now.plus(300), now.plus(76)).unwrap();
    assert_eq!(g.purge_expired(now.plus(301)).unwrap(), 3);
    assert!(g.is_empty().unwrap());
}

#[test]
fn a_reopened_store_still_refuses_what_it_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let now = UnixTime::from_secs(T0);
    {
        let g = FileReplayGuard::open(&path).unwrap();
        g.mark_seen(id(7), now.plus(75), now).unwrap();
    }
    let g = FileReplayGuard::open(&path).unwrap();
    let err = g.mark_seen(id(7), now.plus(75), now.plus(30)).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
}

/// The first 100 bytes of an SQLite database whose `PRAGMA application_id`
/// (big-endian at offset 68) is `application_id`, then a page's worth of
/// zeros.
fn sqlite_header(application_id: [u8; 4]) -> Vec<u8> {
    let mut bytes = vec![0u8; 4096];
    bytes[..16].copy_from_slice(b"SQLite format 3\0");
    bytes[16..18].copy_from_slice(&4096u16.to_be_bytes());
    bytes[18] = 1;
    bytes[19] = 1;
    bytes[68..72].copy_from_slice(&application_id);
    bytes
}

/// Opens `path`, expects a `storage` refusal ending in `why`, and checks
/// that the file was not changed.
fn refused_untouched(path: &Path, why: &str) {
    let before = std::fs::read(path).unwrap();
    let err = FileReplayGuard::open(path).unwrap_err();
    assert_eq!(err.reason().as_str(), "storage");
    assert_eq!(
        err.to_string(),
        format!("storage error: replay store {}: {why}", path.display())
    );
    assert_eq!(std::fs::read(path).unwrap(), before, "{}", path.display());
}

#[test]
fn foreign_and_corrupt_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // Not a replay store at all.
    let junk = dir.path().join("junk.db");
    let bytes = b"this is not a replay store, it is a shopping list: rice, tea".repeat(64);
    std::fs::write(&junk, &bytes).unwrap();
    refused_untouched(
        &junk,
        "not a medcode replay store (it does not start with the replay store's magic bytes)",
    );

    // Another application's SQLite database.
    let other = dir.path().join("other.db");
    std::fs::write(&other, sqlite_header([0, 0, 0, 0])).unwrap();
    refused_untouched(
        &other,
        "an SQLite database of another application, not a medcode replay store",
    );
    let other = dir.path().join("other-app.db");
    std::fs::write(&other, sqlite_header(*b"ABCD")).unwrap();
    refused_untouched(
        &other,
        "an SQLite database of another application, not a medcode replay store",
    );

    // The SQLite replay store of an earlier medcode ("MCRP").
    let old = dir.path().join("seen.db");
    std::fs::write(&old, sqlite_header(*b"MCRP")).unwrap();
    refused_untouched(
        &old,
        "a replay store of an earlier medcode version in SQLite format, which this version \
         does not read; it can be removed once the codes it recorded have expired (a few \
         minutes after the till stopped)",
    );

    // A directory.
    let err = FileReplayGuard::open(dir.path()).unwrap_err();
    assert_eq!(err.reason().as_str(), "storage");
    assert!(
        err.to_string().starts_with(&format!(
            "storage error: replay store {}: cannot open: ",
            dir.path().display()
        )),
        "{err}"
    );
}

/// The lock held through another handle (as another process holds it):
/// a check waits for the busy timeout, then is `replay_guard_unavailable`;
/// once the lock is released it goes through.
#[test]
fn a_held_lock_is_waited_for_then_reported_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap();
    g.set_busy_timeout(Duration::from_millis(100)).unwrap();
    let other = std::fs::File::open(&path).unwrap();
    other.lock().unwrap();
    let now = UnixTime::from_secs(T0);
    let err = g.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
    assert_eq!(
        err.to_string(),
        format!(
            "replay guard unavailable: replay store {}: locked by another process or guard for more than 100 ms",
            path.display()
        )
    );
    assert_eq!(
        g.len().unwrap_err().reason().as_str(),
        "replay_guard_unavailable"
    );
    other.unlock().unwrap();
    assert_eq!(g.mark_seen(id(1), now.plus(75), now).unwrap(), None);
    // Opening waits for the lock too.
    other.lock().unwrap();
    let err = FileReplayGuard::open(&path).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
}

/// The environment variable that turns a `helper_*` test into the helper
/// process of another test; without it the helpers do nothing.
const HELPER_LOCK: &str = "MEDCODE_TEST_HELPER_LOCK";
const HELPER_MARK: &str = "MEDCODE_TEST_HELPER_MARK";

/// Helper process: holds the lock on the file named by `HELPER_LOCK`
/// until its standard input closes.
#[test]
fn helper_hold_lock() {
    let Some(path) = std::env::var_os(HELPER_LOCK) else {
        return;
    };
    let file = std::fs::File::open(path).unwrap();
    file.lock().unwrap();
    println!("MEDCODE-HELPER-LOCKED");
    std::io::stdout().flush().unwrap();
    let mut rest = String::new();
    while std::io::stdin().read_line(&mut rest).unwrap() > 0 {}
    file.unlock().unwrap();
}

/// Helper process: opens the guard on the file named by `HELPER_MARK`,
/// says it is ready, waits for a line on standard input, presents codes
/// 0..300 and prints how many it accepted.
#[test]
fn helper_mark_codes() {
    let Some(path) = std::env::var_os(HELPER_MARK) else {
        return;
    };
    let g = FileReplayGuard::open(Path::new(&path)).unwrap();
    println!("MEDCODE-HELPER-READY");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let now = UnixTime::from_secs(T0);
    let mut accepted = 0;
    for n in 0..300 {
        match g.mark_seen(id(n), now.plus(60), now) {
            Ok(None) => accepted += 1,
            Ok(Some(notice)) => panic!("unexpected notice {notice:?}"),
            Err(e) => assert_eq!(e.reason().as_str(), "replayed", "{e}"),
        }
    }
    println!("MEDCODE-HELPER-ACCEPTED {accepted}");
}

/// This test binary run as the helper test `name` with `var=path`.
fn helper(name: &str, var: &str, path: &Path) -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(var, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

/// Reads the helper's output up to the line holding `marker`; returns the
/// rest of that line.
fn wait_for(out: &mut BufReader<ChildStdout>, marker: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the helper ended before printing {marker}"
        );
        if let Some(at) = line.find(marker) {
            return line[at + marker.len()..].trim().to_owned();
        }
    }
}

/// Another process holding the lock: the same as another handle.
#[test]
fn a_lock_held_by_another_process_is_waited_for_then_reported_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap();
    g.set_busy_timeout(Duration::from_millis(100)).unwrap();
    let (mut child, mut out) = helper("helper_hold_lock", HELPER_LOCK, &path);
    wait_for(&mut out, "MEDCODE-HELPER-LOCKED");
    let now = UnixTime::from_secs(T0);
    let err = g.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert_eq!(g.mark_seen(id(1), now.plus(75), now).unwrap(), None);
}

/// Two helper processes and two threads of this one present the same 300
/// codes at once on one file: each is accepted exactly once.
#[test]
fn processes_sharing_one_file_accept_each_code_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let mut helpers: Vec<_> = (0..2)
        .map(|_| helper("helper_mark_codes", HELPER_MARK, &path))
        .collect();
    for (_, out) in &mut helpers {
        wait_for(out, "MEDCODE-HELPER-READY");
    }
    let g = FileReplayGuard::open(&path).unwrap();
    for (child, _) in &mut helpers {
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    }
    let now = UnixTime::from_secs(T0);
    let here: usize = std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    (0..300)
                        .filter(|&n| match g.mark_seen(id(n), now.plus(60), now) {
                            Ok(None) => true,
                            Ok(Some(notice)) => panic!("unexpected notice {notice:?}"),
                            Err(e) => {
                                assert_eq!(e.reason().as_str(), "replayed", "{e}");
                                false
                            }
                        })
                        .count()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    let mut total = here;
    for (mut child, mut out) in helpers {
        total += wait_for(&mut out, "MEDCODE-HELPER-ACCEPTED ")
            .parse::<usize>()
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(total, 300);
    assert_eq!(g.len().unwrap(), 300);
    assert_eq!(file_len(&path), 32 + 300 * 16);
}

/// A record cut short (a writer that crashed mid-append, before telling
/// its till anything) is ignored and cut off; what was there before stays,
/// and later appends are whole records.
#[test]
fn a_torn_last_record_is_ignored_and_later_appends_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let now = UnixTime::from_secs(T0);
    let g = FileReplayGuard::open(&path).unwrap();
    g.mark_seen(id(1), now.plus(75), now).unwrap();
    // Seven bytes of a record of id 2: another process died writing it.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(&2u64.to_le_bytes()[..7]).unwrap();
    drop(file);
    assert_eq!(file_len(&path), 32 + 16 + 7);
    // This handle's next check cuts it off and records its own.
    let err = g.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    assert_eq!(file_len(&path), 32 + 16);
    assert_eq!(g.mark_seen(id(2), now.plus(75), now).unwrap(), None);
    assert_eq!(g.mark_seen(id(3), now.plus(75), now).unwrap(), None);
    assert_eq!(file_len(&path), 32 + 3 * 16);
    drop(g);
    // A torn record found by a new handle.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(&[0xAB; 15]).unwrap();
    drop(file);
    let g = FileReplayGuard::open(&path).unwrap();
    assert_eq!(g.len().unwrap(), 3);
    for n in 1..=3 {
        let err = g.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "{n}");
    }
    assert_eq!(g.mark_seen(id(4), now.plus(75), now).unwrap(), None);
    assert_eq!(file_len(&path), 32 + 4 * 16);
}

/// Two handles on one file (two opens in one process count as two, as two
/// processes would): what one accepts, the other refuses.
#[test]
fn codes_recorded_through_one_handle_are_refused_through_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let a = FileReplayGuard::open(&path).unwrap();
    let b = FileReplayGuard::open(&path).unwrap();
    let now = UnixTime::from_secs(T0);
    assert_eq!(a.mark_seen(id(1), now.plus(75), now).unwrap(), None);
    assert_eq!(b.mark_seen(id(2), now.plus(75), now).unwrap(), None);
    let err = b.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "replayed: token 0100000000000000 was already accepted"
    );
    let err = a.mark_seen(id(2), now.plus(75), now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "replayed: token 0200000000000000 was already accepted"
    );
    // A batch through one handle sees the other's codes, and its own
    // duplicates, in order.
    let answers = a.mark_seen_many(
        &[
            (id(3), now.plus(75)),
            (id(2), now.plus(75)),
            (id(3), now.plus(75)),
            (id(4), now.plus(75)),
        ],
        now,
    );
    let reasons: Vec<_> = answers
        .iter()
        .map(|r| match r {
            Ok(None) => "accepted".to_owned(),
            Ok(Some(n)) => format!("{n:?}"),
            Err(e) => e.reason().as_str().to_owned(),
        })
        .collect();
    assert_eq!(reasons, ["accepted", "replayed", "replayed", "accepted"]);
    assert_eq!(b.len().unwrap(), 4);
    assert_eq!(file_len(&path), 32 + 4 * 16);
}

/// Eight threads over two handles of one file present the same codes:
/// each is accepted exactly once.
#[test]
fn many_threads_over_two_handles_accept_each_code_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let guards = [
        FileReplayGuard::open(&path).unwrap(),
        FileReplayGuard::open(&path).unwrap(),
    ];
    let now = UnixTime::from_secs(T0);
    let accepted: Vec<Vec<u64>> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let g = &guards[t % 2];
                s.spawn(move || {
                    (0..200)
                        .filter(|&n| g.mark_seen(id(n), now.plus(60), now).is_ok())
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut all: Vec<u64> = accepted.into_iter().flatten().collect();
    all.sort_unstable();
    assert_eq!(all, (0..200).collect::<Vec<u64>>());
}

/// A store holding more than twice as many expired records as live ones
/// (and at least 1024) is rewritten with the live ones only; the handle
/// that did not compact follows to the new file, and a new handle reads it.
#[test]
fn compaction_keeps_every_live_entry_and_other_handles_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let a = FileReplayGuard::open(&path).unwrap();
    let b = FileReplayGuard::open(&path).unwrap();
    let now = UnixTime::from_secs(T0);
    let live: Vec<u64> = (1_000_000..1_000_010).collect();
    for &n in &live {
        a.mark_seen(id(n), now.plus(600), now).unwrap();
    }
    let short: Vec<_> = (0..1100).map(|n| (id(n), now.plus(10))).collect();
    assert!(
        b.mark_seen_many(&short, now)
            .iter()
            .all(|r| matches!(r, Ok(None)))
    );
    assert_eq!(file_len(&path), 32 + 1110 * 16);
    // At now + 11 the 1100 have expired: the next check compacts.
    a.mark_seen(id(2_000_000), now.plus(600), now.plus(11))
        .unwrap();
    assert_eq!(file_len(&path), 32 + 11 * 16);
    assert!(!dir.path().join("seen.db.compact").exists());
    // The other handle follows.
    for &n in live.iter().chain(&[2_000_000]) {
        let err = b.mark_seen(id(n), now.plus(600), now.plus(12)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "{n}");
    }
    assert_eq!(
        b.mark_seen(id(5), now.plus(600), now.plus(12)).unwrap(),
        None
    );
    let err = a.mark_seen(id(5), now.plus(600), now.plus(12)).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    assert_eq!(file_len(&path), 32 + 12 * 16);
    drop((a, b));
    // Reopened after compaction.
    let c = FileReplayGuard::open(&path).unwrap();
    assert_eq!(c.len().unwrap(), 12);
    for &n in live.iter().chain(&[2_000_000, 5]) {
        let err = c.mark_seen(id(n), now.plus(600), now.plus(13)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "{n}");
    }
    assert_eq!(
        c.mark_seen(id(6), now.plus(600), now.plus(13)).unwrap(),
        None
    );
}

/// The capacity counts the live codes of every handle sharing the file.
#[test]
fn capacity_counts_the_codes_of_every_handle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let a = FileReplayGuard::open(&path).unwrap().with_capacity(3);
    let b = FileReplayGuard::open(&path).unwrap();
    assert_eq!(a.capacity(), 3);
    let now = UnixTime::from_secs(T0);
    for n in 0..3 {
        b.mark_seen(id(n), now.plus(10), now).unwrap();
    }
    let err = a.mark_seen(id(3), now.plus(10), now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "replay guard full: 3 live codes recorded, refusing rather than forgetting"
    );
    assert_eq!(
        file_len(&path),
        32 + 3 * 16,
        "a refused code is not written"
    );
    // Replayed comes before full.
    let err = a.mark_seen(id(0), now.plus(10), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    assert_eq!(
        a.mark_seen(id(3), now.plus(30), now.plus(11)).unwrap(),
        None
    );
}

/// Handles opening one new file at the same moment (as tills starting
/// together would): every one succeeds and exactly one writes the header.
#[test]
fn opening_one_new_file_at_once_from_many_handles() {
    for round in 0..30 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seen.db");
        let now = UnixTime::from_secs(T0);
        let accepted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let g = FileReplayGuard::open(&path)
                            .unwrap_or_else(|e| panic!("round {round}: {e}"));
                        usize::from(g.mark_seen(id(round), now.plus(60), now).is_ok())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(accepted, 1, "round {round}");
        assert_eq!(file_len(&path), 32 + 16, "round {round}");
    }
}

/// A new store is readable by its owner only, and so is the file a
/// compaction writes; an existing file keeps the mode it has, through a
/// compaction too.
#[cfg(unix)]
#[test]
fn a_new_store_is_created_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap();
    let now = UnixTime::from_secs(T0);
    assert_eq!(g.mark_seen(id(1), now.plus(60), now).unwrap(), None);
    assert_eq!(mode(&path), 0o600);
    let compact = |g: &FileReplayGuard| {
        let short: Vec<_> = (10..1100).map(|n| (id(n), now.plus(10))).collect();
        g.mark_seen_many(&short, now);
        g.purge_expired(now.plus(11)).unwrap();
    };
    compact(&g);
    assert_eq!(file_len(&path), 32 + 16, "compacted");
    assert_eq!(mode(&path), 0o600);
    drop(g);

    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, b"").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
    let g = FileReplayGuard::open(&existing).unwrap();
    assert_eq!(mode(&existing), 0o640);
    g.mark_seen(id(1), now.plus(60), now).unwrap();
    compact(&g);
    assert_eq!(file_len(&existing), 32 + 16, "compacted");
    assert_eq!(mode(&existing), 0o640);
}
