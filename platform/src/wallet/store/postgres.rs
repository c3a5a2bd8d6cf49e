//! The platform's wallet store: PostgreSQL through the synchronous
//! `postgres` client (feature `postgres`).
//!
//! Every unit of work is one `SERIALIZABLE` transaction: PostgreSQL aborts
//! one of two transactions whose reads and writes could not have happened
//! one after the other (SQLSTATE 40001; also a deadlock, 40P01, or a
//! unique-key race, 23505), and the store runs that work again from the
//! start, so the rules hold for any number of concurrent writers. A crash
//! inside a transaction leaves nothing of it. The connection is the
//! platform's one PostgreSQL client ([`crate::store::postgres`]), and the
//! migrations run through the store runner under an advisory lock, so
//! concurrent first openers migrate once.

use std::time::Duration;

use postgres::IsolationLevel;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};

use crate::store::postgres::PgClient;
use crate::wallet::store::sql::{Sql, SqlTx, Value, first_words};
use crate::wallet::store::{SCHEMA, WalletStore, WalletTx};
use medcode::error::{Error, Result};

/// How many times a unit of work is tried before a serialisation failure
/// is reported as `storage`.
const MAX_ATTEMPTS: u32 = 1000;

/// The wallet in a PostgreSQL database.
pub struct PostgresWallet {
    pg: PgClient,
}

impl std::fmt::Debug for PostgresWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.write_str("PostgresWallet")
    }
}

impl PostgresWallet {
    /// Connects to `url` (`postgres://USER@HOST:PORT/DB`, no TLS) and brings
    /// the wallet's schema up to date.
    ///
    /// # Errors
    ///
    /// `storage` when the server cannot be reached or the schema migrated.
    pub fn connect(url: &str) -> Result<PostgresWallet> {
        let mut pg = PgClient::connect(url, "")?;
        pg.migrate(&SCHEMA)?;
        Ok(PostgresWallet { pg })
    }
}

/// `?` placeholders to PostgreSQL's `$1, $2, ...` (the ledger's SQL holds
/// no `?` inside a string literal).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    })
}

struct Tx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    retry: &'a mut bool,
}

impl Tx<'_, '_> {
    fn fail(&mut self, sql: &str, e: &postgres::Error) -> Error {
        if retryable(e) {
            *self.retry = true;
        }
        Error::Storage {
            why: format!("cannot run {}: {e}", first_words(sql)),
        }
    }
}

fn boxed(params: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Value::Int(i) => Box::new(*i),
                Value::Text(t) => Box::new(t.clone()),
                Value::Null => Box::new(None::<String>),
            }
        })
        .collect()
}

impl SqlTx for Tx<'_, '_> {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let owned = boxed(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        match self.tx.execute(numbered(sql).as_str(), &refs) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(sql, &e)),
        }
    }

    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        let owned = boxed(params);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let rows = match self.tx.query(numbered(sql).as_str(), &refs) {
            Ok(rows) => rows,
            Err(e) => return Err(self.fail(sql, &e)),
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, col) in row.columns().iter().enumerate() {
                let t = col.type_();
                let value = if *t == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
                } else if *t == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map(|v| v.map(|v| Value::Int(i64::from(v))))
                } else if *t == Type::VOID {
                    Ok(Some(Value::Null))
                } else {
                    row.try_get::<_, Option<String>>(i)
                        .map(|v| v.map(Value::Text))
                };
                match value {
                    Ok(v) => values.push(v.unwrap_or(Value::Null)),
                    Err(e) => return Err(self.fail(sql, &e)),
                }
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl PostgresWallet {
    /// One try of `work` in one transaction; sets `retry` when it failed
    /// for a reason a new try may not meet, `begin_failed` when not even
    /// the transaction could begin (nothing was done: a new connection may
    /// try again).
    fn attempt(
        &mut self,
        level: IsolationLevel,
        work: &mut dyn FnMut(&mut dyn WalletTx) -> Result<()>,
        retry: &mut bool,
        begin_failed: &mut bool,
    ) -> Result<()> {
        let mut tx = self
            .pg
            .client()?
            .build_transaction()
            .isolation_level(level)
            .start()
            .map_err(|e| {
                *begin_failed = true;
                Error::Storage {
                    why: format!("cannot begin a transaction: {e}"),
                }
            })?;
        work(&mut Sql(&mut Tx {
            tx: &mut tx,
            retry: &mut *retry,
        }))?; // an error drops `tx`: rollback
        tx.commit().map_err(|e| {
            *retry = retryable(&e);
            Error::Storage {
                why: format!("cannot commit the transaction: {e}"),
            }
        })
    }
}

impl WalletStore for PostgresWallet {
    fn transact(&mut self, work: &mut dyn FnMut(&mut dyn WalletTx) -> Result<()>) -> Result<()> {
        // A server restart or a dropped connection: connect again, once per
        // unit of work, when the connection is known closed or a transaction
        // cannot begin on it (then nothing was done). A connection lost
        // later, during the work or its commit, is reported (`storage`): the
        // work may have been committed, and running it again could do it
        // twice. A server still down is `storage`.
        let mut reconnected = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (mut retry, mut begin_failed) = (false, false);
            match self.attempt(
                IsolationLevel::Serializable,
                work,
                &mut retry,
                &mut begin_failed,
            ) {
                Err(_) if begin_failed && !reconnected => {
                    reconnected = true;
                    self.pg.reconnect()?;
                }
                Err(_) if retry && attempt < MAX_ATTEMPTS => {
                    // Back off a little, longer as the attempts grow, and
                    // differently per process, so the writers spread out.
                    let jitter = u64::from(std::process::id() % 7);
                    let ms = (u64::from(attempt.min(20)) + jitter) * 2;
                    std::thread::sleep(Duration::from_millis(ms));
                }
                other => return other,
            }
        }
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }
}
