//! The embedded wallet store: one SQLite file (bundled SQLite), which may
//! be the family registry's own file (the wallet's tables all start with
//! `wallet_`; it never touches the registry's `user_version` or
//! `application_id`, and keeps its own schema version in `wallet_schema`).
//!
//! Every unit of work is one `BEGIN IMMEDIATE` transaction: it takes the
//! database's write lock before reading anything, so a rule's check and the
//! change it allows see the same state, for threads and processes alike; a
//! writer that finds the lock taken waits (busy timeout). The rollback
//! journal with `synchronous = FULL` restores the last committed state when
//! a process dies inside a transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use crate::store::sqlite::{self as file, Journal, SqliteOptions};
use crate::wallet::store::sql::{Sql, SqlTx, Value, first_words};
use crate::wallet::store::{SCHEMA, WalletStore, WalletTx};
use medcode::error::{Error, Result};

/// How the wallet's file is opened: the rollback journal (the file may be
/// the registry's), a writer waits up to a minute.
const OPTIONS: SqliteOptions = SqliteOptions {
    create: "create wallet database",
    label: "",
    busy_timeout: Duration::from_secs(60),
    journal: Journal::Rollback,
    foreign_keys: false,
};

/// The wallet in an SQLite file.
#[derive(Debug)]
pub struct SqliteWallet {
    path: PathBuf,
    conn: Connection,
}

impl SqliteWallet {
    /// Opens (creating with mode 0600 if needed) the file and brings the
    /// wallet's schema up to date.
    ///
    /// # Errors
    ///
    /// `io` when the file cannot be created, `storage` when SQLite cannot
    /// open or migrate it.
    pub fn open(path: &Path) -> Result<SqliteWallet> {
        let mut conn = file::open(path, &OPTIONS)?;
        file::migrate(&mut conn, &SCHEMA, &OPTIONS, &path.display().to_string())?;
        Ok(SqliteWallet {
            path: path.to_owned(),
            conn,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn storage(action: &str, e: &rusqlite::Error) -> Error {
    OPTIONS.storage(action, e)
}

fn to_sql(params: &[Value]) -> Vec<SqlValue> {
    params
        .iter()
        .map(|v| match v {
            Value::Int(i) => SqlValue::Integer(*i),
            Value::Text(t) => SqlValue::Text(t.clone()),
            Value::Null => SqlValue::Null,
        })
        .collect()
}

struct Tx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl SqlTx for Tx<'_> {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let n = self
            .tx
            .execute(sql, rusqlite::params_from_iter(to_sql(params)))
            .map_err(|e| storage(&format!("run {}", first_words(sql)), &e))?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        let err = |e: rusqlite::Error| storage(&format!("run {}", first_words(sql)), &e);
        let mut stmt = self.tx.prepare_cached(sql).map_err(err)?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(to_sql(params)))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match row.get_ref(i).map_err(err)? {
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Null => Value::Null,
                    ValueRef::Real(_) | ValueRef::Blob(_) => {
                        return Err(Error::Storage {
                            why: format!("{}: a value of an unexpected type", first_words(sql)),
                        });
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl WalletStore for SqliteWallet {
    fn transact(&mut self, work: &mut dyn FnMut(&mut dyn WalletTx) -> Result<()>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage("begin a transaction", &e))?;
        work(&mut Sql(&mut Tx { tx: &tx }))?; // an error drops `tx`: rollback
        tx.commit()
            .map_err(|e| storage("commit the transaction", &e))
    }

    fn kind(&self) -> &'static str {
        "sqlite"
    }
}
