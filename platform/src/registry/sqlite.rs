//! The embedded registry store: one SQLite file (bundled SQLite, nothing to
//! install, opened as every store of the platform opens its file:
//! [`crate::store::sqlite`]), schema migrations versioned in code through
//! the store runner ([`crate::store::migrate`], table `registry_schema`).
//! The version is also kept in `PRAGMA user_version`, where builds before
//! the runner recorded it: a file they wrote opens unchanged, and they can
//! still read the files this build writes.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction: it takes the database's
//! write lock before reading anything, so the checks of a rule and the
//! change they allow see the same state, whether the competing writers are
//! threads of this process or other processes. A writer that finds the lock
//! taken waits (busy timeout) instead of failing. The rollback journal keeps
//! the database one file at rest and restores the last committed state if a
//! process dies inside a transaction.
//!
//! The audit log is append-only in the schema itself: triggers refuse any
//! `UPDATE` or `DELETE` on it, and ended bindings and filings can only be
//! ended once, never edited or removed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::registry::IdHash;
use crate::registry::{
    AidFilingKind, AuditAction, AuditEntry, Binding, BindingKind, FullName, MutualAidFiling,
    Person, RegistryStore, RegistryTx, Tie,
};
use crate::store::migrate::{Schema, bring_up_to_date};
use crate::store::sqlite::{self as file, Journal, SqliteOptions, SqliteSchemaTx};
use medcode::InsuredId;
use medcode::Region;
use medcode::Relation;
use medcode::Scheme;
use medcode::Status;
use medcode::error::{Error, Result};
use medcode::time::UnixTime;

/// The schema version this build writes ( = number of migrations).
pub const REGISTRY_SCHEMA_VERSION: u32 = SCHEMA.latest() as u32;

/// `PRAGMA application_id` of a medcode registry: "MCRG".
const APPLICATION_ID: i32 = 0x4D43_5247;

/// How the registry's file is opened: the rollback journal (one file at
/// rest), foreign keys enforced, a writer waits up to 30 seconds.
const OPTIONS: SqliteOptions = SqliteOptions {
    create: "create registry",
    label: "",
    busy_timeout: Duration::from_secs(30),
    journal: Journal::Rollback,
    foreign_keys: true,
};

/// The registry's schema, for the store runner.
const SCHEMA: Schema = Schema {
    name: "registry",
    table: "registry_schema",
    migrations: &[&[MIGRATIONS[0]]],
    // "MCRG" (SQLite only: never taken)
    lock: 0x4D43_5247,
};

/// Idle connections kept for reuse.
const POOL_KEEP: usize = 8;

/// Migration `i` brings the schema from version `i` to `i + 1` (each one
/// SQLite batch).
const MIGRATIONS: [&str; 1] = [
    // Version 1: persons, bindings, mutual-aid filings, audit log.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE persons (
    insured        TEXT PRIMARY KEY
                   CHECK (length(insured) BETWEEN 1 AND 20 AND insured NOT GLOB '*[^0-9A-Z]*'),
    full_name      TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 64),
    id_hash        BLOB NOT NULL UNIQUE CHECK (length(id_hash) = 32),
    region         INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    status         TEXT NOT NULL CHECK (status IN ('normal', 'lapsed')),
    scheme         TEXT NOT NULL CHECK (scheme IN ('employee', 'resident')),
    activated      INTEGER NOT NULL CHECK (activated IN (0, 1)),
    cross_province INTEGER NOT NULL CHECK (cross_province IN (0, 1)),
    registered_at  INTEGER NOT NULL CHECK (registered_at >= 0)
) STRICT;

-- Identity never changes.
CREATE TRIGGER persons_identity_fixed
BEFORE UPDATE OF insured, full_name, id_hash, region, registered_at ON persons
BEGIN SELECT RAISE(ABORT, 'a person''s identifier, name, ID hash and region are fixed'); END;

CREATE TRIGGER persons_never_deleted BEFORE DELETE ON persons
BEGIN SELECT RAISE(ABORT, 'persons are never deleted'); END;

CREATE TABLE bindings (
    id         INTEGER PRIMARY KEY,
    owner      TEXT NOT NULL REFERENCES persons (insured),
    member     TEXT NOT NULL REFERENCES persons (insured),
    relation   TEXT NOT NULL CHECK (relation IN
               ('parent', 'spouse', 'child', 'sibling', 'grandparent', 'grandchild', 'other_family')),
    created_at INTEGER NOT NULL CHECK (created_at >= 0),
    ended_at   INTEGER CHECK (ended_at IS NULL OR ended_at >= created_at),
    CHECK (owner <> member)
) STRICT;

CREATE UNIQUE INDEX bindings_active_pair ON bindings (owner, member) WHERE ended_at IS NULL;
CREATE INDEX bindings_active_member ON bindings (member) WHERE ended_at IS NULL;

CREATE TABLE aid_filings (
    id         INTEGER PRIMARY KEY,
    owner      TEXT NOT NULL REFERENCES persons (insured),
    member     TEXT NOT NULL REFERENCES persons (insured),
    relation   TEXT NOT NULL CHECK (relation IN
               ('parent', 'spouse', 'child', 'sibling', 'grandparent', 'grandchild')),
    created_at INTEGER NOT NULL CHECK (created_at >= 0),
    ended_at   INTEGER CHECK (ended_at IS NULL OR ended_at >= created_at),
    CHECK (owner <> member)
) STRICT;

CREATE UNIQUE INDEX aid_filings_active_pair ON aid_filings (owner, member) WHERE ended_at IS NULL;

-- Bindings and filings are history: only ended_at may be set, once.
CREATE TRIGGER bindings_end_only BEFORE UPDATE ON bindings
WHEN OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL
  OR NEW.owner IS NOT OLD.owner OR NEW.member IS NOT OLD.member
  OR NEW.relation IS NOT OLD.relation OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a binding can only be ended, once'); END;

CREATE TRIGGER bindings_never_deleted BEFORE DELETE ON bindings
BEGIN SELECT RAISE(ABORT, 'bindings are never deleted'); END;

CREATE TRIGGER aid_filings_end_only BEFORE UPDATE ON aid_filings
WHEN OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL
  OR NEW.owner IS NOT OLD.owner OR NEW.member IS NOT OLD.member
  OR NEW.relation IS NOT OLD.relation OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a mutual-aid filing can only be revoked, once'); END;

CREATE TRIGGER aid_filings_never_deleted BEFORE DELETE ON aid_filings
BEGIN SELECT RAISE(ABORT, 'mutual-aid filings are never deleted'); END;

CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL CHECK (at >= 0),
    action   TEXT NOT NULL CHECK (action IN ('person_add', 'person_status', 'person_activate',
             'person_cross_province', 'bind', 'unbind', 'aid_file', 'aid_revoke')),
    insured  TEXT NOT NULL,
    member   TEXT,
    relation TEXT,
    detail   TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
];

/// The registry in one SQLite file.
///
/// Cheap to share between threads (`Arc<SqliteRegistry>`): each operation
/// borrows a connection from a small pool, so concurrent writers meet at
/// SQLite's own file lock exactly as separate processes do.
#[derive(Debug)]
pub struct SqliteRegistry {
    path: PathBuf,
    /// Opened by [`SqliteRegistry::open_read_only`]: no connection writes.
    read_only: bool,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteRegistry {
    /// Opens the registry at `path`, creating the file if it does not exist,
    /// and brings its schema to [`REGISTRY_SCHEMA_VERSION`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when the file cannot be created; [`Error::Storage`]
    /// (`storage`) when SQLite cannot open or migrate it, it is another application's
    /// database, or its schema is newer than [`REGISTRY_SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<SqliteRegistry> {
        Self::open_with(path, true)
    }

    /// Opens an existing registry file; refuses a missing one.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when there is no file at `path`; [`Error::Storage`]
    /// (`storage`) as for [`SqliteRegistry::open`].
    pub fn open_existing(path: &Path) -> Result<SqliteRegistry> {
        Self::open_with(path, false)
    }

    fn open_with(path: &Path, create: bool) -> Result<SqliteRegistry> {
        if !create && std::fs::metadata(path).is_err() {
            return Err(Error::io(
                path,
                "open registry",
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file (a registry is created by `registry person add`)",
                ),
            ));
        }
        if create {
            file::create_private(path, OPTIONS.create)?;
        }
        let store = SqliteRegistry {
            path: path.to_owned(),
            read_only: false,
            idle: Mutex::new(Vec::new()),
        };
        let mut conn = store.connect()?;
        migrate(&mut conn, &store.path)?;
        store.give_back(conn);
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version stored in the file.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when no connection can be opened or the
    /// version cannot be read.
    pub fn schema_version(&self) -> Result<u32> {
        let conn = self.take()?;
        let v = conn
            .query_row(&format!("SELECT version FROM {}", SCHEMA.table), [], |r| {
                r.get(0)
            })
            .map_err(|e| storage("read the schema version", &e));
        self.give_back(conn);
        v
    }

    /// Opens an existing registry read-only: nothing is created, migrated
    /// or written (a reader beside the registry, such as `wallet open`
    /// looking up a person's region). Refuses a file that is not a
    /// registry, or not at this build's schema version.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when there is no file at `path`;
    /// [`Error::Storage`] (`storage`) when it cannot be read, is not a
    /// medcode registry, or its schema is another version.
    pub fn open_read_only(path: &Path) -> Result<SqliteRegistry> {
        if std::fs::metadata(path).is_err() {
            return Err(Error::io(
                path,
                "open registry",
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file (a registry is created by `registry person add`)",
                ),
            ));
        }
        let store = SqliteRegistry {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            read_only: true,
        };
        let conn = store.connect()?;
        let read =
            |e: rusqlite::Error| storage(&format!("read {} as a registry", path.display()), &e);
        let app_id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(read)?;
        if app_id != APPLICATION_ID {
            return Err(Error::Storage {
                why: format!("{} is not a medcode registry", path.display()),
            });
        }
        let version = user_version(&conn).map_err(read)?;
        if version != REGISTRY_SCHEMA_VERSION {
            return Err(Error::Storage {
                why: format!(
                    "{} has registry schema version {version}; this build reads version {REGISTRY_SCHEMA_VERSION} (open it with `medcode registry` first)",
                    path.display()
                ),
            });
        }
        store.give_back(conn);
        Ok(store)
    }

    fn connect(&self) -> Result<Connection> {
        if self.read_only {
            file::connect_read_only(&self.path, &OPTIONS)
        } else {
            file::connect(&self.path, &OPTIONS)
        }
    }

    fn take(&self) -> Result<Connection> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => self.connect(),
        }
    }

    fn give_back(&self, conn: Connection) {
        // A connection left inside a transaction (a failed rollback) is
        // closed rather than reused.
        if !conn.is_autocommit() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < POOL_KEEP
        {
            idle.push(conn);
        }
    }

    fn run(
        &self,
        behavior: TransactionBehavior,
        work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.take()?;
        let result = run_in(&mut conn, behavior, work);
        self.give_back(conn);
        result
    }
}

fn run_in(
    conn: &mut Connection,
    behavior: TransactionBehavior,
    work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>,
) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(behavior)
        .map_err(|e| storage("begin a transaction", &e))?;
    work(&mut SqliteTx { conn: &tx })?; // an error drops `tx`: rollback
    tx.commit()
        .map_err(|e| storage("commit the transaction", &e))
}

impl RegistryStore for SqliteRegistry {
    fn write(&self, work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>) -> Result<()> {
        self.run(TransactionBehavior::Immediate, work)
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn RegistryTx) -> Result<()>) -> Result<()> {
        self.run(TransactionBehavior::Deferred, work)
    }
}

fn storage(action: &str, e: &rusqlite::Error) -> Error {
    Error::Storage {
        why: format!("cannot {action}: {e}"),
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the file to the current schema inside one immediate transaction,
/// so two processes opening a new file at once migrate it exactly once.
/// Refuses another application's database first.
fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = file::begin_migration(conn, &OPTIONS)?;
    let version = user_version(&tx)
        .map_err(|e| storage(&format!("read {} as a registry", path.display()), &e))?;
    let app_id: i32 = tx
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| storage("read the application id", &e))?;
    let has_tables: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| storage("read the schema", &e))?;
    if app_id != APPLICATION_ID && (app_id != 0 || version != 0 || has_tables) {
        return Err(Error::Storage {
            why: format!(
                "{} is an SQLite database but not a medcode registry",
                path.display()
            ),
        });
    }
    let found = bring_up_to_date(
        &mut SqliteSchemaTx {
            tx: &tx,
            options: &OPTIONS,
        },
        &SCHEMA,
        &path.display().to_string(),
        i64::from(version),
    )?;
    if found < SCHEMA.latest() || version != REGISTRY_SCHEMA_VERSION {
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .and_then(|()| tx.pragma_update(None, "user_version", REGISTRY_SCHEMA_VERSION))
            .map_err(|e| storage("record the schema version", &e))?;
    }
    tx.commit()
        .map_err(|e| storage("commit the schema migration", &e))
}

struct SqliteTx<'a> {
    conn: &'a Connection,
}

fn secs(t: UnixTime) -> Result<i64> {
    i64::try_from(t.as_secs()).map_err(|_| Error::InvalidArgument {
        what: "time",
        why: format!("{} is too far in the future to store", t.as_secs()),
    })
}

fn corrupt(idx: usize, what: &str, e: &dyn std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        format!("stored {what} is invalid: {e}").into(),
    )
}

fn time_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<UnixTime> {
    let v: i64 = row.get(idx)?;
    u64::try_from(v)
        .map(UnixTime::from_secs)
        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, v))
}

fn opt_time_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<UnixTime>> {
    let v: Option<i64> = row.get(idx)?;
    v.map(|v| {
        u64::try_from(v)
            .map(UnixTime::from_secs)
            .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, v))
    })
    .transpose()
}

fn id_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<InsuredId> {
    let text: String = row.get(idx)?;
    InsuredId::new(&text).map_err(|e| corrupt(idx, "identifier", &e))
}

fn relation_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Relation> {
    let text: String = row.get(idx)?;
    text.parse()
        .map_err(|e: Error| corrupt(idx, "relation", &e))
}

const PERSON_COLUMNS: &str =
    "insured, full_name, id_hash, region, status, scheme, activated, cross_province, registered_at";

fn person_row(row: &Row<'_>) -> rusqlite::Result<Person> {
    let name: String = row.get(1)?;
    let hash: Vec<u8> = row.get(2)?;
    let region: u32 = row.get(3)?;
    let status: String = row.get(4)?;
    let scheme: String = row.get(5)?;
    Ok(Person {
        insured: id_col(row, 0)?,
        full_name: FullName::new(&name).map_err(|e| corrupt(1, "full name", &e))?,
        id_hash: IdHash::from_slice(&hash).map_err(|e| corrupt(2, "ID hash", &e))?,
        region: Region::from_code(region).map_err(|e| corrupt(3, "region", &e))?,
        status: status
            .parse::<Status>()
            .map_err(|e| corrupt(4, "status", &e))?,
        scheme: scheme
            .parse::<Scheme>()
            .map_err(|e| corrupt(5, "scheme", &e))?,
        activated: row.get(6)?,
        cross_province: row.get(7)?,
        registered_at: time_col(row, 8)?,
    })
}

/// Where each kind of [`Tie`] is kept, and what it is called in errors.
trait TieTable {
    const TABLE: &'static str;
    const WHAT: &'static str;
}

impl TieTable for BindingKind {
    const TABLE: &'static str = "bindings";
    const WHAT: &'static str = "a binding";
}

impl TieTable for AidFilingKind {
    const TABLE: &'static str = "aid_filings";
    const WHAT: &'static str = "a mutual-aid filing";
}

fn tie_row<K>(row: &Row<'_>) -> rusqlite::Result<Tie<K>> {
    let mut tie = Tie::new(
        id_col(row, 0)?,
        id_col(row, 1)?,
        relation_col(row, 2)?,
        time_col(row, 3)?,
    );
    tie.ended_at = opt_time_col(row, 4)?;
    Ok(tie)
}

fn audit_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    let seq: i64 = row.get(0)?;
    let action: String = row.get(2)?;
    let member: Option<String> = row.get(4)?;
    let relation: Option<String> = row.get(5)?;
    Ok(AuditEntry {
        seq: u64::try_from(seq).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, seq))?,
        at: time_col(row, 1)?,
        action: AuditAction::from_name(&action)
            .ok_or_else(|| corrupt(2, "audit action", &format!("{action:?} is unknown")))?,
        insured: id_col(row, 3)?,
        member: member
            .map(|m| InsuredId::new(&m).map_err(|e| corrupt(4, "identifier", &e)))
            .transpose()?,
        relation: relation
            .map(|r| {
                r.parse::<Relation>()
                    .map_err(|e| corrupt(5, "relation", &e))
            })
            .transpose()?,
        detail: row.get(6)?,
    })
}

/// The columns of a [`Tie`] row, in the order of `tie_row`.
const TIE_COLUMNS: &str = "owner, member, relation, created_at, ended_at";

impl SqliteTx<'_> {
    fn list<T>(
        &self,
        sql: &str,
        param: &str,
        map: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| storage("prepare a query", &e))?;
        let rows = stmt
            .query_map([param], map)
            .map_err(|e| storage("run a query", &e))?;
        rows.collect::<rusqlite::Result<Vec<T>>>()
            .map_err(|e| storage("read the registry", &e))
    }

    fn changed_one(&self, what: &str, n: usize) -> Result<()> {
        if n == 1 {
            Ok(())
        } else {
            Err(Error::Storage {
                why: format!("{what} changed {n} rows instead of 1"),
            })
        }
    }

    /// The tie of kind `K` in force between `owner` and `member`.
    fn active_tie<K: TieTable>(
        &mut self,
        owner: &InsuredId,
        member: &InsuredId,
    ) -> Result<Option<Tie<K>>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {TIE_COLUMNS} FROM {} WHERE owner = ?1 AND member = ?2 AND ended_at IS NULL",
                K::TABLE
            ))
            .and_then(|mut s| {
                s.query_row([owner.as_str(), member.as_str()], tie_row)
                    .optional()
            })
            .map_err(|e| storage(&format!("read {}", K::WHAT), &e))
    }

    fn insert_tie<K: TieTable>(&mut self, t: &Tie<K>) -> Result<()> {
        let n = self
            .conn
            .execute(
                &format!(
                    "INSERT INTO {} (owner, member, relation, created_at, ended_at) VALUES (?1, ?2, ?3, ?4, NULL)",
                    K::TABLE
                ),
                params![
                    t.owner.as_str(),
                    t.member.as_str(),
                    t.relation.as_str(),
                    secs(t.created_at)?
                ],
            )
            .map_err(|e| storage(&format!("store {}", K::WHAT), &e))?;
        self.changed_one(&format!("storing {}", K::WHAT), n)
    }

    fn end_tie<K: TieTable>(
        &mut self,
        owner: &InsuredId,
        member: &InsuredId,
        at: UnixTime,
    ) -> Result<()> {
        let n = self
            .conn
            .execute(
                &format!(
                    "UPDATE {} SET ended_at = ?3 WHERE owner = ?1 AND member = ?2 AND ended_at IS NULL",
                    K::TABLE
                ),
                params![owner.as_str(), member.as_str(), secs(at)?],
            )
            .map_err(|e| storage(&format!("end {}", K::WHAT), &e))?;
        self.changed_one(&format!("ending {}", K::WHAT), n)
    }
}

impl RegistryTx for SqliteTx<'_> {
    fn meta(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| storage("read registry metadata", &e))
    }

    fn insert_meta(&mut self, key: &str, value: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(|e| storage("write registry metadata", &e))
            .and_then(|n| self.changed_one("storing metadata", n))
    }

    fn person(&mut self, insured: &InsuredId) -> Result<Option<Person>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {PERSON_COLUMNS} FROM persons WHERE insured = ?1"
            ))
            .and_then(|mut s| s.query_row([insured.as_str()], person_row).optional())
            .map_err(|e| storage("read a person", &e))
    }

    fn person_by_id_hash(&mut self, hash: &IdHash) -> Result<Option<InsuredId>> {
        self.conn
            .query_row(
                "SELECT insured FROM persons WHERE id_hash = ?1",
                [&hash.as_bytes()[..]],
                |r| id_col(r, 0),
            )
            .optional()
            .map_err(|e| storage("look up an ID hash", &e))
    }

    fn insert_person(&mut self, p: &Person) -> Result<()> {
        let n = self
            .conn
            .execute(
                &format!("INSERT INTO persons ({PERSON_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    p.insured.as_str(),
                    p.full_name.as_str(),
                    &p.id_hash.as_bytes()[..],
                    p.region.code(),
                    p.status.as_str(),
                    p.scheme.as_str(),
                    p.activated,
                    p.cross_province,
                    secs(p.registered_at)?,
                ],
            )
            .map_err(|e| storage("add a person", &e))?;
        self.changed_one("adding a person", n)
    }

    fn update_person(&mut self, p: &Person) -> Result<()> {
        let n = self
            .conn
            .execute(
                "UPDATE persons SET status = ?2, scheme = ?3, activated = ?4, cross_province = ?5 WHERE insured = ?1",
                params![
                    p.insured.as_str(),
                    p.status.as_str(),
                    p.scheme.as_str(),
                    p.activated,
                    p.cross_province,
                ],
            )
            .map_err(|e| storage("update a person", &e))?;
        self.changed_one("updating a person", n)
    }

    fn active_binding(&mut self, owner: &InsuredId, member: &InsuredId) -> Result<Option<Binding>> {
        self.active_tie(owner, member)
    }

    fn bindings_of_owner(&mut self, owner: &InsuredId) -> Result<Vec<Binding>> {
        self.list(
            &format!(
                "SELECT {TIE_COLUMNS} FROM bindings WHERE owner = ?1 AND ended_at IS NULL ORDER BY created_at, id"
            ),
            owner.as_str(),
            tie_row,
        )
    }

    fn bindings_of_member(&mut self, member: &InsuredId) -> Result<Vec<Binding>> {
        self.list(
            &format!(
                "SELECT {TIE_COLUMNS} FROM bindings WHERE member = ?1 AND ended_at IS NULL ORDER BY created_at, id"
            ),
            member.as_str(),
            tie_row,
        )
    }

    fn insert_binding(&mut self, b: &Binding) -> Result<()> {
        self.insert_tie(b)
    }

    fn end_binding(&mut self, owner: &InsuredId, member: &InsuredId, at: UnixTime) -> Result<()> {
        self.end_tie::<BindingKind>(owner, member, at)
    }

    fn active_filing(
        &mut self,
        owner: &InsuredId,
        member: &InsuredId,
    ) -> Result<Option<MutualAidFiling>> {
        self.active_tie(owner, member)
    }

    fn insert_filing(&mut self, f: &MutualAidFiling) -> Result<()> {
        self.insert_tie(f)
    }

    fn end_filing(&mut self, owner: &InsuredId, member: &InsuredId, at: UnixTime) -> Result<()> {
        self.end_tie::<AidFilingKind>(owner, member, at)
    }

    fn append_audit(&mut self, e: &AuditEntry) -> Result<()> {
        let n = self
            .conn
            .execute(
                "INSERT INTO audit_log (at, action, insured, member, relation, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    secs(e.at)?,
                    e.action.as_str(),
                    e.insured.as_str(),
                    e.member.as_ref().map(InsuredId::as_str),
                    e.relation.map(Relation::as_str),
                    e.detail,
                ],
            )
            .map_err(|err| storage("append to the audit log", &err))?;
        self.changed_one("appending to the audit log", n)
    }

    fn audit_log(&mut self) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, at, action, insured, member, relation, detail FROM audit_log ORDER BY seq",
            )
            .map_err(|e| storage("prepare a query", &e))?;
        let rows = stmt
            .query_map([], audit_row)
            .map_err(|e| storage("read the audit log", &e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| storage("read the audit log", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_by_position() {
        assert_eq!(
            u32::try_from(MIGRATIONS.len()).unwrap(),
            REGISTRY_SCHEMA_VERSION
        );
        assert_eq!(SCHEMA.migrations.len(), MIGRATIONS.len());
    }

    #[test]
    fn a_new_file_is_migrated_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let store = SqliteRegistry::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), REGISTRY_SCHEMA_VERSION);
        drop(store);
        let again = SqliteRegistry::open_existing(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), REGISTRY_SCHEMA_VERSION);
    }

    /// A file written before the store runner (its version in `PRAGMA
    /// user_version` only, no `registry_schema` table) opens unchanged: its
    /// rows stay, nothing is migrated twice, and the version table is added.
    #[test]
    fn a_file_of_the_earlier_layout_opens_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        drop(SqliteRegistry::open(&path).unwrap());
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch(
            "DROP TABLE registry_schema;
             INSERT INTO meta (key, value) VALUES ('kept', x'01');",
        )
        .unwrap();
        drop(raw);
        let store = SqliteRegistry::open_existing(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), REGISTRY_SCHEMA_VERSION);
        let mut kept = None;
        store
            .read(&mut |tx| {
                kept = tx.meta("kept")?;
                Ok(())
            })
            .unwrap();
        assert_eq!(kept, Some(vec![1]));
        let raw = Connection::open(&path).unwrap();
        let user_version: u32 = raw
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(user_version, REGISTRY_SCHEMA_VERSION);
    }
}
