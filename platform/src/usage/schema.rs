//! The usage tables, versioned in code (the store runner of
//! [`crate::store::migrate`]): migration `i` brings the schema from version
//! `i` to `i + 1`, and `usage_schema` holds the version. The SQL differs
//! between the two databases only in the row number column (`{SERIAL}`).

use crate::store::migrate::Schema;

/// The schema version this build writes ( = number of migrations).
pub const USAGE_SCHEMA_VERSION: i64 = SCHEMA.latest();

/// The usage records' schema.
pub(crate) const SCHEMA: Schema = Schema {
    name: "usage",
    table: "usage_schema",
    migrations: &[
        &[
            // One row per verdict; `seq` orders the records written in one second,
            // `id` (the recorder's) keeps a batch written twice from being stored twice.
            "CREATE TABLE usage_records (
        seq           {SERIAL},
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
        ],
        &[
            // How many verdicts a record stands for: junk (refusals that name
            // nobody) is counted per caller, reason and minute.
            "ALTER TABLE usage_records ADD COLUMN count BIGINT NOT NULL DEFAULT 1",
        ],
    ],
    // "MCUS"
    lock: 0x4D43_5553,
};
