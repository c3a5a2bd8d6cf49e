//! The usage tables, versioned in code: migration `i` brings the schema
//! from version `i` to `i + 1`, and `usage_schema` holds the version. The
//! SQL differs between the two databases only in the row number column.

use medcode::error::{Error, Result};

/// The schema version this build writes ( = number of migrations).
pub const USAGE_SCHEMA_VERSION: i64 = 1;

/// Which database a statement is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

/// Migration `i`, `{SEQ}` standing for the row number column.
const MIGRATIONS: [&[&str]; 1] = [&[
    // One row per verdict; `seq` orders the records written in one second,
    // `id` (the recorder's) keeps a batch written twice from being stored twice.
    "CREATE TABLE usage_records (
        seq           {SEQ},
        id            TEXT NOT NULL UNIQUE,
        at            BIGINT NOT NULL,
        verdict       TEXT NOT NULL,
        reason        TEXT NOT NULL,
        token_id      TEXT,
        insured       TEXT,
        presenter     TEXT,
        relation      TEXT,
        kind          TEXT,
        org_id        TEXT,
        business_type TEXT,
        operator_id   TEXT,
        office_id     TEXT
    )",
    // The owner's query: by insured person or by presenter, newest first.
    "CREATE INDEX usage_records_insured_at ON usage_records (insured, at)",
    "CREATE INDEX usage_records_presenter_at ON usage_records (presenter, at)",
    // Retention: the oldest first.
    "CREATE INDEX usage_records_at ON usage_records (at)",
]];

/// The statements that bring a schema at `version` up to date, and the
/// statement recording the new version. `version` is `None` for a
/// database without the version table (which the first statement creates).
///
/// # Errors
///
/// `storage` when the schema is newer than this build.
pub(crate) fn migrations(dialect: Dialect, version: i64) -> Result<Vec<String>> {
    if version > USAGE_SCHEMA_VERSION {
        return Err(Error::Storage {
            why: format!(
                "the usage schema is version {version}, newer than this build's {USAGE_SCHEMA_VERSION}: upgrade medcode"
            ),
        });
    }
    let seq = match dialect {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    let from = usize::try_from(version).unwrap_or(0);
    let mut out: Vec<String> = MIGRATIONS
        .iter()
        .skip(from)
        .flat_map(|m| m.iter().map(|s| s.replace("{SEQ}", seq)))
        .collect();
    if !out.is_empty() {
        out.push(format!(
            "UPDATE usage_schema SET version = {USAGE_SCHEMA_VERSION}"
        ));
    }
    Ok(out)
}

/// Creates the version table if missing.
pub(crate) const CREATE_VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS usage_schema (version BIGINT NOT NULL)";
/// Reads the version.
pub(crate) const READ_VERSION: &str = "SELECT version FROM usage_schema";
/// The first version row.
pub(crate) const INSERT_VERSION: &str = "INSERT INTO usage_schema (version) VALUES (0)";
