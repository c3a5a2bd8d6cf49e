//! The wallet's SQL, shared by the SQLite and the PostgreSQL backends:
//! [`Sql`] implements the domain trait [`WalletTx`] over a backend's
//! [`SqlTx`], which runs statements with `?` placeholders and values of
//! [`Value`] (integers and text only).

use crate::wallet::model::{
    Account, HistoryEntry, StoredRequest, Totals, Transfer, TransferState, WalletInfo,
};
use crate::wallet::store::WalletTx;
use crate::wallet::{Fen, Payment};
use medcode::InsuredId;
use medcode::Region;
use medcode::error::{Error, Result, WalletRefusal};
use medcode::time::UnixTime;

/// One SQL value: the ledger uses integers and text only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A 64-bit integer (fen, seconds, counts).
    Int(i64),
    /// Text.
    Text(String),
    /// SQL NULL.
    Null,
}

impl Value {
    fn int(&self, what: &str) -> Result<i64> {
        match self {
            Value::Int(v) => Ok(*v),
            other => Err(Error::Storage {
                why: format!("{what}: expected an integer, found {other:?}"),
            }),
        }
    }

    fn text(&self, what: &str) -> Result<String> {
        match self {
            Value::Text(v) => Ok(v.clone()),
            other => Err(Error::Storage {
                why: format!("{what}: expected text, found {other:?}"),
            }),
        }
    }

    fn opt_text(&self, what: &str) -> Result<Option<String>> {
        match self {
            Value::Null => Ok(None),
            other => other.text(what).map(Some),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&InsuredId> for Value {
    fn from(v: &InsuredId) -> Self {
        Value::Text(v.as_str().to_owned())
    }
}

impl From<&Account> for Value {
    fn from(v: &Account) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

/// A backend's transaction in progress, as the shared SQL needs it.
pub(crate) trait SqlTx {
    /// Runs a statement; returns the number of rows changed.
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Runs a query; returns its rows.
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>>;
}

/// The start of a statement, for error messages.
pub(crate) fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(4).collect::<Vec<_>>().join(" ")
}

/// The wallet's books over a backend's transaction.
pub(crate) struct Sql<'a>(pub &'a mut dyn SqlTx);

fn secs(t: UnixTime) -> Result<i64> {
    i64::try_from(t.as_secs()).map_err(|_| Error::argument("time", "too far in the future"))
}

fn day_number(day: u64) -> i64 {
    i64::try_from(day).unwrap_or(i64::MAX)
}

fn time(v: &Value, what: &str) -> Result<UnixTime> {
    let s = v.int(what)?;
    u64::try_from(s)
        .map(UnixTime::from_secs)
        .map_err(|_| Error::Storage {
            why: format!("{what}: negative time {s}"),
        })
}

fn insured(v: &Value, what: &str) -> Result<InsuredId> {
    InsuredId::new(&v.text(what)?).map_err(|e| Error::Storage {
        why: format!("{what}: {e}"),
    })
}

fn parsed<T: std::str::FromStr<Err = Error>>(v: &Value, what: &str) -> Result<T> {
    v.text(what)?.parse().map_err(|e: Error| Error::Storage {
        why: format!("{what}: {e}"),
    })
}

fn fen(v: &Value, what: &str) -> Result<Fen> {
    Fen::from_db(v.int(what)?)
}

fn region(v: &Value) -> Result<Region> {
    let code = v.int("region")?;
    u32::try_from(code)
        .ok()
        .and_then(|c| Region::from_code(c).ok())
        .ok_or_else(|| Error::Storage {
            why: format!("region {code} in the wallet store"),
        })
}

fn region_code(region: Region) -> Value {
    Value::Int(i64::from(region.code()))
}

const TRANSFER_COLUMNS: &str =
    "id, sender, receiver, fen, source, created_at, due_at, state FROM wallet_transfers";

fn transfer_row(r: &[Value]) -> Result<Transfer> {
    Ok(Transfer {
        id: r[0].text("id")?,
        sender: insured(&r[1], "sender")?,
        receiver: insured(&r[2], "receiver")?,
        amount: fen(&r[3], "fen")?,
        source: parsed(&r[4], "source")?,
        created_at: time(&r[5], "created_at")?,
        due_at: time(&r[6], "due_at")?,
        state: parsed(&r[7], "state")?,
    })
}

impl Sql<'_> {
    /// The integer of a one-row, one-column query (0 without a row).
    fn one_int(&mut self, sql: &str, params: &[Value], what: &str) -> Result<i64> {
        let rows = self.0.rows(sql, params)?;
        rows.first()
            .map(|r| r[0].int(what))
            .transpose()
            .map(|v| v.unwrap_or(0))
    }
}

impl WalletTx for Sql<'_> {
    fn open_region(&mut self, region: Region) -> Result<bool> {
        let n = self.0.exec(
            "INSERT INTO wallet_regions (region) VALUES (?) ON CONFLICT (region) DO NOTHING",
            &[region_code(region)],
        )?;
        Ok(n > 0)
    }

    fn close_region(&mut self, region: Region) -> Result<bool> {
        let n = self.0.exec(
            "DELETE FROM wallet_regions WHERE region = ?",
            &[region_code(region)],
        )?;
        Ok(n > 0)
    }

    fn region_open(&mut self, region: Region) -> Result<bool> {
        let code = i64::from(region.code());
        let n = self.one_int(
            "SELECT COUNT(*) FROM wallet_regions WHERE region IN (?, ?, ?)",
            &[
                code.into(),
                (code / 100 * 100).into(),
                (code / 10_000 * 10_000).into(),
            ],
            "count",
        )?;
        Ok(n > 0)
    }

    fn wallet(&mut self, id: &InsuredId) -> Result<Option<WalletInfo>> {
        let rows = self.0.rows(
            "SELECT insured, region, scheme, opened_by, opened_at FROM wallet_wallets WHERE insured = ?",
            &[id.into()],
        )?;
        rows.first()
            .map(|r| -> Result<WalletInfo> {
                Ok(WalletInfo {
                    insured: insured(&r[0], "insured")?,
                    region: region(&r[1])?,
                    scheme: parsed(&r[2], "scheme")?,
                    opened_by: insured(&r[3], "opened_by")?,
                    opened_at: time(&r[4], "opened_at")?,
                })
            })
            .transpose()
    }

    fn insert_wallet(&mut self, w: &WalletInfo) -> Result<()> {
        self.0.exec(
            "INSERT INTO wallet_wallets (insured, region, scheme, opened_by, opened_at) VALUES (?, ?, ?, ?, ?)",
            &[
                (&w.insured).into(),
                region_code(w.region),
                w.scheme.as_str().into(),
                (&w.opened_by).into(),
                secs(w.opened_at)?.into(),
            ],
        )?;
        Ok(())
    }

    fn set_location(&mut self, id: &InsuredId, region: Region) -> Result<()> {
        self.0.exec(
            "UPDATE wallet_wallets SET region = ? WHERE insured = ?",
            &[region_code(region), id.into()],
        )?;
        Ok(())
    }

    fn balance(&mut self, account: &Account) -> Result<Fen> {
        let rows = self.0.rows(
            "SELECT fen FROM wallet_balances WHERE account = ?",
            &[account.into()],
        )?;
        match rows.first() {
            Some(row) => fen(&row[0], "balance"),
            None => Ok(Fen::ZERO),
        }
    }

    fn audit(&mut self, at: UnixTime, action: &str, who: &str, detail: &str) -> Result<i64> {
        let seq = self.one_int(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM wallet_audit",
            &[],
            "audit sequence",
        )?;
        self.0.exec(
            "INSERT INTO wallet_audit (seq, at, action, insured, detail) VALUES (?, ?, ?, ?, ?)",
            &[
                seq.into(),
                secs(at)?.into(),
                action.into(),
                who.into(),
                detail.into(),
            ],
        )?;
        Ok(seq)
    }

    fn post(&mut self, seq: i64, entries: &[(Account, i64)]) -> Result<()> {
        // The new balances are added in Rust with checked arithmetic, never
        // in SQL: SQLite turns an integer sum past i64::MAX into a float.
        // Every balance stays within +-i64::MAX, so the fund's negation and
        // every sum of the other balances (together minus the fund's) fit.
        let mut balances = Vec::with_capacity(entries.len());
        for (account, fen) in entries {
            let old = self.one_int(
                "SELECT fen FROM wallet_balances WHERE account = ?",
                &[account.into()],
                "balance",
            )?;
            let new = old
                .checked_add(*fen)
                .filter(|v| *v != i64::MIN)
                .ok_or_else(|| {
                    Error::wallet(
                        WalletRefusal::InvalidAmount,
                        format!(
                            "{fen} fen would take {account} past the most the books hold ({} fen)",
                            i64::MAX
                        ),
                    )
                })?;
            balances.push((account, new));
        }
        for ((account, fen), (_, new)) in entries.iter().zip(balances) {
            self.0.exec(
                "INSERT INTO wallet_entries (seq, account, fen) VALUES (?, ?, ?)",
                &[seq.into(), account.into(), (*fen).into()],
            )?;
            self.0.exec(
                "INSERT INTO wallet_balances (account, fen) VALUES (?, ?)
                 ON CONFLICT (account) DO UPDATE SET fen = excluded.fen",
                &[account.into(), new.into()],
            )?;
        }
        Ok(())
    }

    fn request(&mut self, id: &str) -> Result<Option<StoredRequest>> {
        let rows = self.0.rows(
            "SELECT operation, params, state, result, detail, claim, claimed_at
             FROM wallet_requests WHERE id = ?",
            &[id.into()],
        )?;
        rows.first()
            .map(|r| -> Result<StoredRequest> {
                Ok(StoredRequest {
                    operation: r[0].text("operation")?,
                    params: r[1].text("params")?,
                    state: parsed(&r[2], "state")?,
                    result: r[3].text("result")?,
                    detail: r[4].text("detail")?,
                    claim: r[5].int("claim")?,
                    claimed_at: time(&r[6], "claimed_at")?,
                })
            })
            .transpose()
    }

    fn remember(&mut self, id: &str, r: &StoredRequest) -> Result<()> {
        self.0.exec(
            "INSERT INTO wallet_requests (id, operation, params, state, result, detail, claim, claimed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                id.into(),
                r.operation.as_str().into(),
                r.params.as_str().into(),
                r.state.as_str().into(),
                r.result.as_str().into(),
                r.detail.as_str().into(),
                r.claim.into(),
                secs(r.claimed_at)?.into(),
            ],
        )?;
        Ok(())
    }

    fn update_request(&mut self, id: &str, r: &StoredRequest) -> Result<()> {
        self.0.exec(
            "UPDATE wallet_requests SET state = ?, result = ?, detail = ?, claim = ?, claimed_at = ?
             WHERE id = ?",
            &[
                r.state.as_str().into(),
                r.result.as_str().into(),
                r.detail.as_str().into(),
                r.claim.into(),
                secs(r.claimed_at)?.into(),
                id.into(),
            ],
        )?;
        Ok(())
    }

    fn forget_request(&mut self, id: &str) -> Result<()> {
        self.0
            .exec("DELETE FROM wallet_requests WHERE id = ?", &[id.into()])?;
        Ok(())
    }

    fn transfer(&mut self, id: &str) -> Result<Option<Transfer>> {
        let rows = self.0.rows(
            &format!("SELECT {TRANSFER_COLUMNS} WHERE id = ?"),
            &[id.into()],
        )?;
        rows.first().map(|r| transfer_row(r)).transpose()
    }

    fn transfers_sent_on(&mut self, sender: &InsuredId, day: u64) -> Result<u64> {
        let n = self.one_int(
            "SELECT COUNT(*) FROM wallet_transfers WHERE sender = ? AND day = ?",
            &[sender.into(), day_number(day).into()],
            "count",
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn pending_transfer(
        &mut self,
        sender: &InsuredId,
        receiver: &InsuredId,
        now: UnixTime,
    ) -> Result<Option<String>> {
        let rows = self.0.rows(
            "SELECT id FROM wallet_transfers WHERE sender = ? AND receiver = ? AND state = 'pending' AND due_at > ?",
            &[sender.into(), receiver.into(), secs(now)?.into()],
        )?;
        rows.first().map(|r| r[0].text("id")).transpose()
    }

    fn insert_transfer(&mut self, t: &Transfer, day: u64) -> Result<()> {
        self.0.exec(
            "INSERT INTO wallet_transfers (id, sender, receiver, fen, source, created_at, day, due_at, state)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                t.id.as_str().into(),
                (&t.sender).into(),
                (&t.receiver).into(),
                t.amount.db()?.into(),
                t.source.as_str().into(),
                secs(t.created_at)?.into(),
                day_number(day).into(),
                secs(t.due_at)?.into(),
                t.state.as_str().into(),
            ],
        )?;
        Ok(())
    }

    fn close_transfer(&mut self, id: &str, state: TransferState, at: UnixTime) -> Result<()> {
        self.0.exec(
            "UPDATE wallet_transfers SET state = ?, closed_at = ? WHERE id = ?",
            &[state.as_str().into(), secs(at)?.into(), id.into()],
        )?;
        Ok(())
    }

    fn due_transfers(&mut self, now: UnixTime) -> Result<Vec<Transfer>> {
        let rows = self.0.rows(
            &format!(
                "SELECT {TRANSFER_COLUMNS} WHERE state = 'pending' AND due_at <= ? ORDER BY id"
            ),
            &[secs(now)?.into()],
        )?;
        rows.iter().map(|r| transfer_row(r)).collect()
    }

    fn pending_sums(&mut self, id: &InsuredId) -> Result<(Fen, Fen)> {
        let mut sums = [Fen::ZERO; 2];
        for (i, column) in ["sender", "receiver"].iter().enumerate() {
            let n = self.one_int(
                &format!(
                    "SELECT CAST(COALESCE(SUM(fen), 0) AS BIGINT) FROM wallet_transfers WHERE {column} = ? AND state = 'pending'"
                ),
                &[id.into()],
                "pending",
            )?;
            sums[i] = Fen::from_db(n)?;
        }
        Ok((sums[0], sums[1]))
    }

    fn payment(&mut self, token_id: &str) -> Result<Option<Payment>> {
        let rows = self.0.rows(
            "SELECT token_id, insured, presenter, org, fen, from_wallet, from_personal, at
             FROM wallet_payments WHERE token_id = ?",
            &[token_id.into()],
        )?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(Payment {
            token_id: r[0].text("token_id")?,
            insured: insured(&r[1], "insured")?,
            presenter: r[2]
                .opt_text("presenter")?
                .map(|p| {
                    InsuredId::new(&p).map_err(|e| Error::Storage {
                        why: format!("presenter: {e}"),
                    })
                })
                .transpose()?,
            org: r[3].text("org")?,
            amount: fen(&r[4], "fen")?,
            from_wallet: fen(&r[5], "from_wallet")?,
            from_personal: fen(&r[6], "from_personal")?,
            at: UnixTime::from_secs(u64::try_from(r[7].int("at")?).unwrap_or(0)),
        }))
    }

    fn insert_payment(&mut self, p: &Payment, seq: i64) -> Result<()> {
        self.0.exec(
            "INSERT INTO wallet_payments (token_id, insured, presenter, org, fen, from_wallet, from_personal, at, seq)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                p.token_id.as_str().into(),
                (&p.insured).into(),
                p.presenter.as_ref().map(|p| p.as_str().to_owned()).into(),
                p.org.as_str().into(),
                p.amount.db()?.into(),
                p.from_wallet.db()?.into(),
                p.from_personal.db()?.into(),
                i64::try_from(p.at.as_secs()).unwrap_or(i64::MAX).into(),
                seq.into(),
            ],
        )?;
        Ok(())
    }

    fn history(&mut self, id: &InsuredId) -> Result<Vec<HistoryEntry>> {
        let personal = Account::Personal(id.clone());
        let wallet = Account::Wallet(id.clone());
        let rows = self.0.rows(
            "SELECT a.seq, a.at, a.action, a.detail,
                    CAST(COALESCE(SUM(CASE WHEN e.account = ? THEN e.fen ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN e.account = ? THEN e.fen ELSE 0 END), 0) AS BIGINT)
             FROM wallet_audit a LEFT JOIN wallet_entries e ON e.seq = a.seq
             WHERE a.insured = ? OR a.seq IN
                   (SELECT seq FROM wallet_entries WHERE account = ? OR account = ?)
             GROUP BY a.seq, a.at, a.action, a.detail
             ORDER BY a.seq",
            &[
                (&personal).into(),
                (&wallet).into(),
                id.into(),
                (&personal).into(),
                (&wallet).into(),
            ],
        )?;
        rows.iter()
            .map(|r| -> Result<HistoryEntry> {
                Ok(HistoryEntry {
                    seq: r[0].int("seq")?,
                    at: time(&r[1], "at")?,
                    action: r[2].text("action")?,
                    detail: r[3].text("detail")?,
                    personal: r[4].int("personal")?,
                    wallet: r[5].int("wallet")?,
                })
            })
            .collect()
    }

    fn totals(&mut self) -> Result<Totals> {
        let mut sum = |pattern: &str| -> Result<i64> {
            self.one_int(
                "SELECT CAST(COALESCE(SUM(fen), 0) AS BIGINT) FROM wallet_balances WHERE account LIKE ?",
                &[pattern.into()],
                "sum",
            )
        };
        let fund = sum("fund")?;
        let org = sum("org/%")?;
        let held = sum("personal/%")?.checked_add(sum("wallet/%")?);
        let pending = sum("transfer/%")?;
        let too_large = || Error::Storage {
            why: "the books' totals do not fit 64 bits".into(),
        };
        let held = held.ok_or_else(too_large)?;
        let credits = fund.checked_neg().ok_or_else(too_large)?;
        let unbalanced = self.one_int(
            "SELECT COUNT(*) FROM (SELECT seq FROM wallet_entries GROUP BY seq HAVING SUM(fen) <> 0) u",
            &[],
            "count",
        )?;
        let drifted = self.one_int(
            "SELECT COUNT(*) FROM wallet_balances b WHERE b.fen <>
             (SELECT COALESCE(SUM(e.fen), 0) FROM wallet_entries e WHERE e.account = b.account)",
            &[],
            "count",
        )?;
        Ok(Totals {
            credits: Fen::from_db(credits)?,
            payments: Fen::from_db(org)?,
            held: Fen::from_db(held)?,
            pending: Fen::from_db(pending)?,
            unbalanced_movements: unbalanced,
            drifted_accounts: drifted,
        })
    }

    fn dump(&mut self) -> Result<Vec<String>> {
        const TABLES: [(&str, &str); 8] = [
            ("wallet_regions", "region"),
            ("wallet_wallets", "insured"),
            ("wallet_balances", "account"),
            ("wallet_audit", "seq"),
            ("wallet_entries", "seq, account"),
            ("wallet_transfers", "id"),
            ("wallet_payments", "token_id"),
            ("wallet_requests", "id"),
        ];
        let mut lines = Vec::new();
        for (table, order) in TABLES {
            for row in self
                .0
                .rows(&format!("SELECT * FROM {table} ORDER BY {order}"), &[])?
            {
                lines.push(format!("{table} {row:?}"));
            }
        }
        Ok(lines)
    }
}
