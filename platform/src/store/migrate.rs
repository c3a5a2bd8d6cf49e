//! The one migration runner of every store, on SQLite and PostgreSQL.
//!
//! A store declares its [`Schema`]: a name, the table that holds its
//! version (one row, one column), and its migrations in order, migration
//! `i` bringing the schema from version `i` to `i + 1`. The backend opens
//! one transaction under a lock (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a
//! transaction-scoped advisory lock) and calls [`bring_up_to_date`], which
//! creates the version table if missing, applies what is missing and
//! records the new version, or refuses a database of a newer version:
//! concurrent first openers migrate once, and a failed migration leaves
//! nothing.

use medcode::error::{Error, Result};

/// The database a statement is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

impl Dialect {
    /// `stmt` for this database: `{SERIAL}` stands for an auto-numbered
    /// 64-bit primary key.
    fn adapt(self, stmt: &str) -> String {
        let serial = match self {
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
        };
        stmt.replace("{SERIAL}", serial)
    }
}

/// A store's schema, versioned in code.
#[derive(Debug)]
pub(crate) struct Schema {
    /// What messages call it: `registry`, `wallet`, `usage`.
    pub name: &'static str,
    /// The table holding the version (`wallet_schema`).
    pub table: &'static str,
    /// Migration `i` brings version `i` to `i + 1`; each is a list of
    /// statements (an SQLite statement may be a batch).
    pub migrations: &'static [&'static [&'static str]],
    /// The PostgreSQL advisory lock key its migrations take.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub lock: i64,
}

impl Schema {
    /// The version this build writes ( = number of migrations).
    pub const fn latest(&self) -> i64 {
        self.migrations.len() as i64
    }
}

/// One transaction of a backend, as the runner needs it.
pub(crate) trait SchemaTx {
    /// The database's dialect.
    fn dialect(&self) -> Dialect;
    /// Runs statements (a batch).
    ///
    /// # Errors
    ///
    /// `storage` when the database refuses them.
    fn execute(&mut self, sql: &str) -> Result<()>;
    /// The integer in the first column of the first row, `None` without a row.
    ///
    /// # Errors
    ///
    /// `storage` when the database refuses the query.
    fn first_int(&mut self, sql: &str) -> Result<Option<i64>>;
}

/// Brings `schema` up to date inside the caller's locked transaction;
/// returns the version found. `place` names the database in messages;
/// `recorded_elsewhere` is a version an earlier build recorded outside the
/// version table (0 when none): the larger of the two counts.
///
/// # Errors
///
/// `storage` when a statement fails or the database has a newer version
/// than this build knows.
pub(crate) fn bring_up_to_date(
    tx: &mut dyn SchemaTx,
    schema: &Schema,
    place: &str,
    recorded_elsewhere: i64,
) -> Result<i64> {
    let table = schema.table;
    tx.execute(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (version BIGINT NOT NULL)"
    ))?;
    let stored = tx.first_int(&format!("SELECT version FROM {table}"))?;
    if stored.is_none() {
        tx.execute(&format!("INSERT INTO {table} (version) VALUES (0)"))?;
    }
    let found = stored.unwrap_or(0).max(recorded_elsewhere);
    let latest = schema.latest();
    if found > latest {
        return Err(Error::Storage {
            why: format!(
                "{place} has {} schema version {found}; this build knows up to {latest}: upgrade medcode",
                schema.name
            ),
        });
    }
    let dialect = tx.dialect();
    let from = usize::try_from(found).unwrap_or(0);
    for migration in schema.migrations.iter().skip(from) {
        for stmt in *migration {
            tx.execute(&dialect.adapt(stmt))?;
        }
    }
    if stored != Some(latest) {
        tx.execute(&format!("UPDATE {table} SET version = {latest}"))?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transaction that runs nothing and remembers what it was asked.
    struct Recorder {
        version: Option<i64>,
        ran: Vec<String>,
    }

    impl SchemaTx for Recorder {
        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
        fn execute(&mut self, sql: &str) -> Result<()> {
            self.ran.push(sql.to_owned());
            Ok(())
        }
        fn first_int(&mut self, _sql: &str) -> Result<Option<i64>> {
            Ok(self.version)
        }
    }

    const SCHEMA: Schema = Schema {
        name: "test",
        table: "test_schema",
        migrations: &[
            &["CREATE TABLE a (seq {SERIAL})"],
            &["CREATE TABLE b (x BIGINT)"],
        ],
        lock: 1,
    };

    #[test]
    fn what_is_missing_is_applied_in_order_and_recorded() {
        let mut tx = Recorder {
            version: Some(1),
            ran: Vec::new(),
        };
        assert_eq!(bring_up_to_date(&mut tx, &SCHEMA, "db", 0).unwrap(), 1);
        assert_eq!(
            tx.ran[1..],
            [
                "CREATE TABLE b (x BIGINT)".to_owned(),
                "UPDATE test_schema SET version = 2".to_owned()
            ]
        );
        let mut new = Recorder {
            version: None,
            ran: Vec::new(),
        };
        bring_up_to_date(&mut new, &SCHEMA, "db", 0).unwrap();
        assert!(
            new.ran
                .contains(&"CREATE TABLE a (seq BIGSERIAL PRIMARY KEY)".to_owned())
        );
        let mut current = Recorder {
            version: Some(2),
            ran: Vec::new(),
        };
        bring_up_to_date(&mut current, &SCHEMA, "db", 0).unwrap();
        assert_eq!(current.ran.len(), 1, "{:?}", current.ran);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut tx = Recorder {
            version: Some(1),
            ran: Vec::new(),
        };
        let e = bring_up_to_date(&mut tx, &SCHEMA, "db", 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "storage error: db has test schema version 3; this build knows up to 2: upgrade medcode"
        );
    }
}
