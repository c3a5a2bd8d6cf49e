//! The embedded persistent replay guard against real SQLite files, beyond
//! the contract every guard keeps (tests/replay_contract.rs): sweeping,
//! refusal of foreign files, a held lock, concurrent creation, and a code
//! staying `replayed` across a restart.

use medcode::replay::{FileReplayGuard, ReplayGuard};
use medcode::{TokenId, UnixTime};

const T0: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z

fn id(n: u64) -> TokenId {
    TokenId::from_bytes(n.to_le_bytes())
}

/// Expired rows go on the next check and on an explicit purge (the
/// contract itself is in tests/replay_contract.rs).
#[test]
fn expired_rows_are_swept_by_the_next_check_and_by_a_purge() {
    let dir = tempfile::tempdir().unwrap();
    let g = FileReplayGuard::open(&dir.path().join("seen.db")).unwrap();
    let now = UnixTime::from_secs(T0);
    g.mark_seen(id(1), now.plus(75), now).unwrap();
    g.mark_seen(id(2), now.plus(300), now).unwrap();
    assert_eq!(g.len().unwrap(), 2);
    // One second after `until` the row is swept by the next check.
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

#[test]
fn foreign_and_corrupt_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // Not an SQLite file at all.
    let junk = dir.path().join("junk.db");
    let bytes = b"this is not an SQLite database, it is a shopping list: rice, tea".repeat(64);
    std::fs::write(&junk, &bytes).unwrap();
    let err = FileReplayGuard::open(&junk).unwrap_err();
    assert_eq!(err.reason().as_str(), "storage");
    assert!(
        err.to_string().starts_with("storage error: replay store "),
        "{err}"
    );
    assert_eq!(std::fs::read(&junk).unwrap(), bytes);

    // Another application's SQLite database.
    let other = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('x');")
            .unwrap();
    }
    let err = FileReplayGuard::open(&other).unwrap_err();
    assert_eq!(err.reason().as_str(), "storage");
    assert!(
        err.to_string()
            .ends_with("an SQLite database of another application, not a medcode replay store"),
        "{err}"
    );
    let conn = rusqlite::Connection::open(&other).unwrap();
    let names: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(names, 1, "nothing was added to the foreign database");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        mode, "delete",
        "the foreign database was not switched to WAL"
    );

    // A directory.
    let err = FileReplayGuard::open(dir.path()).unwrap_err();
    assert_eq!(err.reason().as_str(), "storage");
}

#[test]
fn a_held_write_lock_is_waited_for_then_reported_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap();
    g.set_busy_timeout(std::time::Duration::from_millis(100))
        .unwrap();
    // Another process's long write transaction.
    let mut other = rusqlite::Connection::open(&path).unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let now = UnixTime::from_secs(T0);
    let err = g.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
    drop(tx);
    g.mark_seen(id(1), now.plus(75), now).unwrap();
}

/// Connections opening one new file at the same moment (as tills starting
/// together would): every one succeeds and exactly one creates the schema.
#[test]
fn opening_one_new_file_at_once_from_many_connections() {
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
    }
}

/// A new store is readable by its owner only, and so are SQLite's `-wal`
/// and `-shm` files beside it; an existing file keeps the mode it has.
#[cfg(unix)]
#[test]
fn a_new_store_is_created_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap();
    let now = UnixTime::from_secs(T0);
    assert_eq!(g.mark_seen(id(1), now.plus(60), now).unwrap(), None);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("seen.db-wal")), 0o600);
    assert_eq!(mode(&dir.path().join("seen.db-shm")), 0o600);
    drop(g);

    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, b"").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
    drop(FileReplayGuard::open(&existing).unwrap());
    assert_eq!(mode(&existing), 0o640);
}
