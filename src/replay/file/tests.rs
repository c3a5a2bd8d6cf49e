//! What the integration tests (tests/replay_file.rs) cannot reach: the
//! compaction floor, the header's bytes, a compaction cut short.

use super::*;

const T0: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z

fn id(n: u64) -> TokenId {
    TokenId::from_bytes(n.to_le_bytes())
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn a_new_store_is_a_header_then_one_record_per_accepted_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap();
    assert_eq!(file_len(&path), 32);
    g.mark_seen(id(0x0102), at(T0 + 75), at(T0)).unwrap();
    // A refused code writes nothing.
    g.mark_seen(id(0x0102), at(T0 + 75), at(T0)).unwrap_err();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 48);
    assert_eq!(&bytes[..16], b"medcode replay\n\0");
    assert_eq!(&bytes[16..24], &[1, 0, 0, 0, 16, 0, 0, 0]);
    assert_eq!(bytes[31] & 0x80, 0, "not flagged replaced");
    assert_eq!(&bytes[32..40], &0x0102u64.to_le_bytes());
    assert_eq!(&bytes[40..48], &(T0 + 75).to_le_bytes());
}

#[test]
fn compaction_keeps_the_live_records_only_and_the_other_handle_follows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let a = FileReplayGuard::open(&path).unwrap().with_compact_floor(8);
    let b = FileReplayGuard::open(&path).unwrap().with_compact_floor(8);
    // 2 live codes, 10 that expire at T0 + 10.
    a.mark_seen(id(100), at(T0 + 600), at(T0)).unwrap();
    b.mark_seen(id(101), at(T0 + 600), at(T0)).unwrap();
    for n in 0..10 {
        a.mark_seen(id(n), at(T0 + 10), at(T0)).unwrap();
    }
    assert_eq!(file_len(&path), 32 + 12 * 16);
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap());
    // At T0 + 11 the ten are dead (10 > 2 * 2): the next check compacts
    // before appending its own record.
    a.mark_seen(id(200), at(T0 + 600), at(T0 + 11)).unwrap();
    assert_eq!(file_len(&path), 32 + 3 * 16);
    #[cfg(unix)]
    assert_ne!(
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap()),
        inode
    );
    assert!(!dir.path().join("seen.db.compact").exists());
    // `b` still holds the old file; its next check finds the new one.
    for n in [100, 101, 200] {
        let err = b.mark_seen(id(n), at(T0 + 600), at(T0 + 12)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "{n}");
    }
    assert_eq!(b.len().unwrap(), 3);
    b.mark_seen(id(201), at(T0 + 600), at(T0 + 12)).unwrap();
    let err = a.mark_seen(id(201), at(T0 + 600), at(T0 + 12)).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    assert_eq!(file_len(&path), 32 + 4 * 16);
    // An expired code is new again, after as before the compaction.
    a.mark_seen(id(3), at(T0 + 600), at(T0 + 12)).unwrap();
    drop((a, b));
    let c = FileReplayGuard::open(&path).unwrap();
    assert_eq!(c.len().unwrap(), 5);
}

#[test]
fn a_purge_compacts_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap().with_compact_floor(4);
    let items: Vec<_> = (0..6).map(|n| (id(n), at(T0 + 10))).collect();
    assert!(
        g.mark_seen_many(&items, at(T0))
            .iter()
            .all(|r| matches!(r, Ok(None)))
    );
    assert_eq!(file_len(&path), 32 + 6 * 16);
    assert_eq!(g.purge_expired(at(T0 + 11)).unwrap(), 6);
    assert_eq!(file_len(&path), 32);
    assert!(g.is_empty().unwrap());
}

#[test]
fn a_store_below_the_floor_is_not_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap();
    for n in 0..10 {
        g.mark_seen(id(n), at(T0 + 10), at(T0)).unwrap();
    }
    assert_eq!(g.purge_expired(at(T0 + 11)).unwrap(), 10);
    assert_eq!(file_len(&path), 32 + 10 * 16);
}

/// A compaction that crashed after flagging the old store "replaced" and
/// before its rename leaves the flagged store at the path, and a leftover
/// `NAME.compact`: the next check clears the flag and keeps every record,
/// and the next compaction replaces the leftover.
#[test]
fn a_compaction_cut_short_before_its_rename_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let g = FileReplayGuard::open(&path).unwrap().with_compact_floor(4);
    for n in 0..3 {
        g.mark_seen(id(n), at(T0 + 600), at(T0)).unwrap();
    }
    drop(g);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[31] |= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    std::fs::write(dir.path().join("seen.db.compact"), b"half a compaction").unwrap();

    let g = FileReplayGuard::open(&path).unwrap().with_compact_floor(4);
    for n in 0..3 {
        let err = g.mark_seen(id(n), at(T0 + 600), at(T0 + 1)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed");
    }
    assert_eq!(std::fs::read(&path).unwrap()[31] & 0x80, 0, "flag cleared");
    // Ten short ones, then a compaction.
    for n in 10..20 {
        g.mark_seen(id(n), at(T0 + 5), at(T0 + 1)).unwrap();
    }
    g.mark_seen(id(3), at(T0 + 600), at(T0 + 6)).unwrap();
    assert_eq!(file_len(&path), 32 + 4 * 16);
    assert!(!dir.path().join("seen.db.compact").exists());
}

#[test]
fn a_file_of_another_format_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    let mut bytes = Header {
        generation: 7,
        replaced: false,
    }
    .encode()
    .to_vec();
    bytes[16] = 2;
    std::fs::write(&path, &bytes).unwrap();
    let err = FileReplayGuard::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "storage error: replay store {}: format version 2, this build reads version 1",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// A store whose header was cut short (a crash while creating it) is made
/// again; a short file that is not a header's beginning is foreign.
#[test]
fn a_torn_header_is_written_again_but_a_short_foreign_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seen.db");
    std::fs::write(&path, b"medcode re").unwrap();
    let g = FileReplayGuard::open(&path).unwrap();
    g.mark_seen(id(1), at(T0 + 60), at(T0)).unwrap();
    assert_eq!(file_len(&path), 48);

    let short = dir.path().join("short.db");
    std::fs::write(&short, b"hello").unwrap();
    let err = FileReplayGuard::open(&short).unwrap_err();
    assert_eq!(err.reason().as_str(), "storage");
    assert_eq!(std::fs::read(&short).unwrap(), b"hello");
}

/// A store reached through a symbolic link is compacted in place of its
/// target; the link stays a link.
#[cfg(unix)]
#[test]
fn a_store_behind_a_symbolic_link_stays_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.db");
    let link = dir.path().join("seen.db");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let g = FileReplayGuard::open(&link).unwrap().with_compact_floor(4);
    g.mark_seen(id(1), at(T0 + 600), at(T0)).unwrap();
    for n in 10..20 {
        g.mark_seen(id(n), at(T0 + 5), at(T0)).unwrap();
    }
    g.mark_seen(id(2), at(T0 + 600), at(T0 + 6)).unwrap();
    assert_eq!(file_len(&real), 32 + 2 * 16);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let err = g.mark_seen(id(1), at(T0 + 600), at(T0 + 7)).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    let other = FileReplayGuard::open(&real).unwrap();
    assert_eq!(other.len().unwrap(), 2);
}
