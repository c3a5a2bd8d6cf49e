//! The on-disk format of the replay store: a fixed header, then fixed-size
//! records. Everything is little-endian.
//!
//! ```text
//! header (32 bytes)
//!   0..16   magic  "medcode replay\n\0"
//!  16..20   format version, u32 (1)
//!  20..24   record size, u32 (16)
//!  24..32   generation, u64 (the top bit is the "replaced" flag)
//! record (16 bytes), repeated
//!   0..8    token id: its 8 bytes as they are
//!   8..16   until: the last second (Unix time) the id stays recorded, u64
//! ```
//!
//! A record of zero bytes (what a file system can leave after a crash in a
//! block it had allocated but not written) reads as token id 0 until the
//! epoch: expired, so harmless.

use std::path::Path;

use crate::error::Error;

/// The first bytes of every replay store.
pub(super) const MAGIC: [u8; 16] = *b"medcode replay\n\0";
/// The format version this build reads and writes.
pub(super) const VERSION: u32 = 1;
/// Bytes of the header.
pub(super) const HEADER_LEN: u64 = 32;
/// Bytes of one record.
pub(super) const RECORD_LEN: u64 = 16;
/// The generation's top bit: set in a store that a compaction replaced
/// (another file now holds its live records under its name).
const REPLACED: u64 = 1 << 63;

/// The header of an earlier medcode's SQLite replay store: SQLite's magic,
/// and "MCRP" as `PRAGMA application_id` (big-endian at offset 68).
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const SQLITE_APPLICATION_ID: [u8; 4] = *b"MCRP";

/// A decoded header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header {
    /// Changes with every compaction, so that a process can tell a store
    /// it has read from its replacement (`generation & !REPLACED`).
    pub(super) generation: u64,
    /// Set in a store that a compaction replaced.
    pub(super) replaced: bool,
}

impl Header {
    pub(super) fn encode(self) -> [u8; HEADER_LEN as usize] {
        let mut out = [0u8; HEADER_LEN as usize];
        out[..16].copy_from_slice(&MAGIC);
        out[16..20].copy_from_slice(&VERSION.to_le_bytes());
        out[20..24].copy_from_slice(&(RECORD_LEN as u32).to_le_bytes());
        let flag = if self.replaced { REPLACED } else { 0 };
        out[24..32].copy_from_slice(&((self.generation & !REPLACED) | flag).to_le_bytes());
        out
    }

    /// Decodes the first bytes of a file; a `storage` error saying what the
    /// file is when it is not a replay store of this format version.
    pub(super) fn decode(bytes: &[u8], path: &Path) -> Result<Header, Error> {
        let Some(head) = bytes.get(..HEADER_LEN as usize) else {
            return Err(foreign(bytes, path));
        };
        if head[..16] != MAGIC {
            return Err(foreign(bytes, path));
        }
        let version = u32::from_le_bytes([head[16], head[17], head[18], head[19]]);
        if version != VERSION {
            return Err(refused(
                path,
                &format!("format version {version}, this build reads version {VERSION}"),
            ));
        }
        let record = u32::from_le_bytes([head[20], head[21], head[22], head[23]]);
        if u64::from(record) != RECORD_LEN {
            return Err(refused(
                path,
                &format!("records of {record} bytes, this build reads records of {RECORD_LEN}"),
            ));
        }
        let mut generation = [0u8; 8];
        generation.copy_from_slice(&head[24..32]);
        let generation = u64::from_le_bytes(generation);
        Ok(Header {
            generation: generation & !REPLACED,
            replaced: generation & REPLACED != 0,
        })
    }
}

/// True for the first bytes of a store whose creation was cut short (a
/// crash while the header was written): a prefix of the magic.
pub(super) fn is_torn_header(bytes: &[u8]) -> bool {
    (bytes.len() as u64) < HEADER_LEN && MAGIC.starts_with(&bytes[..bytes.len().min(16)])
}

/// The refusal of a file that is not a replay store at all, saying what it
/// looks like.
pub(super) fn foreign(bytes: &[u8], path: &Path) -> Error {
    let why = if bytes.starts_with(SQLITE_MAGIC) {
        if bytes.get(68..72) == Some(&SQLITE_APPLICATION_ID[..]) {
            "a replay store of an earlier medcode version in SQLite format, which this \
             version does not read; it can be removed once the codes it recorded have \
             expired (a few minutes after the till stopped)"
        } else {
            "an SQLite database of another application, not a medcode replay store"
        }
    } else {
        "not a medcode replay store (it does not start with the replay store's magic bytes)"
    };
    refused(path, why)
}

/// A store refused as it is, untouched.
pub(super) fn refused(path: &Path, why: &str) -> Error {
    Error::Storage {
        why: format!("replay store {}: {why}", path.display()),
    }
}

/// One record.
pub(super) fn encode_record(id: u64, until: u64) -> [u8; RECORD_LEN as usize] {
    let mut out = [0u8; RECORD_LEN as usize];
    out[..8].copy_from_slice(&id.to_le_bytes());
    out[8..].copy_from_slice(&until.to_le_bytes());
    out
}

/// The records of `bytes` (a whole number of them; a rest is ignored).
pub(super) fn decode_records(bytes: &[u8]) -> impl Iterator<Item = (u64, u64)> + '_ {
    bytes.chunks_exact(RECORD_LEN as usize).map(|r| {
        let mut id = [0u8; 8];
        let mut until = [0u8; 8];
        id.copy_from_slice(&r[..8]);
        until.copy_from_slice(&r[8..]);
        (u64::from_le_bytes(id), u64::from_le_bytes(until))
    })
}
