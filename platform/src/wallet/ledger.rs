//! The ledger: every operation of the wallet as one store transaction.
//!
//! Double entry in fen: money lives in accounts (`fund` the insurance
//! fund, `personal/ID` a personal account, `wallet/ID` a wallet,
//! `transfer/ID` a transfer not yet accepted, `org/ORG` what a pharmacy or
//! hospital was paid). Every movement is one audit row and entries on two
//! or more accounts that sum to zero, written in the same transaction as
//! the rule checks that allowed it; a refused operation writes nothing.
//! So, always: the personal accounts, wallets and pending transfers hold
//! exactly what the fund credited less what was paid.
//!
//! Request ids make an operation idempotent: the first success under an id
//! is remembered with its parameters, and the same id again returns that
//! result without doing anything (other parameters under the same id are
//! refused as `invalid_argument`). A refusal is not remembered: nothing was
//! done, so a retry is checked afresh.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::wallet::relation::{MutualAid, check_close_relative};
use crate::wallet::store::{Value, WalletStore, WalletTx, open_store};
use crate::wallet::{Fen, WalletPolicy};
use medcode::InsuredId;
use medcode::Region;
use medcode::Relation;
use medcode::Scheme;
use medcode::error::{Error, Result, WalletRefusal};
use medcode::time::UnixTime;

medcode::text_enum!(
    /// Where the money of a transfer comes from.
    Source, "source", Error::argument {
        /// The sender's personal account (个人账户): employee scheme only.
        Personal => "personal",
        /// The sender's wallet: money received can be passed on.
        Wallet => "wallet",
    }
);

medcode::text_enum!(
    /// Where a transfer stands.
    TransferState, "transfer state", Error::argument {
        /// Sent, not yet accepted.
        Pending => "pending",
        /// Accepted into the receiver's wallet.
        Accepted => "accepted",
        /// Not accepted in time: back with the sender.
        Returned => "returned",
    }
);

/// An opened wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WalletInfo {
    /// The holder.
    pub insured: InsuredId,
    /// The usage location (使用地): its region must have the service open.
    pub region: Region,
    /// The holder's insurance scheme.
    pub scheme: Scheme,
    /// Who opened it: the holder, or a close relative on their behalf (代开通).
    pub opened_by: InsuredId,
    /// When.
    pub opened_at: UnixTime,
}

/// What opening a wallet needs.
#[derive(Clone, Debug)]
pub struct OpenWallet {
    /// The holder.
    pub insured: InsuredId,
    /// A close relative opening it on the holder's behalf, if not the holder.
    pub by: Option<InsuredId>,
    /// The usage location.
    pub region: Region,
    /// The holder's scheme.
    pub scheme: Scheme,
}

/// A transfer to make.
#[derive(Clone, Debug)]
pub struct TransferRequest {
    /// The sender.
    pub from: InsuredId,
    /// The receiver, a close relative.
    pub to: InsuredId,
    /// How much.
    pub amount: Fen,
    /// From the personal account (the default) or the wallet.
    pub source: Source,
    /// Makes the request idempotent.
    pub request_id: Option<String>,
}

/// A transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// Its id, printed by `wallet transfer` and given to `wallet accept`.
    pub id: String,
    /// The sender.
    pub sender: InsuredId,
    /// The receiver.
    pub receiver: InsuredId,
    /// How much.
    pub amount: Fen,
    /// The account it came from (and goes back to if not accepted).
    pub source: Source,
    /// When it was sent.
    pub created_at: UnixTime,
    /// When it goes back if not accepted (06:00 the next Beijing day).
    pub due_at: UnixTime,
    /// Where it stands.
    pub state: TransferState,
}

/// A credit of the fund to a personal account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Credit {
    /// Its audit sequence number.
    pub seq: i64,
    /// The account holder.
    pub insured: InsuredId,
    /// How much.
    pub amount: Fen,
}

/// What a person holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// The person.
    pub insured: InsuredId,
    /// True when they opened a wallet.
    pub has_wallet: bool,
    /// The personal account (个人账户).
    pub personal: Fen,
    /// The wallet (医保钱包).
    pub wallet: Fen,
    /// Sent, not yet accepted.
    pub pending_out: Fen,
    /// Received, not yet accepted.
    pub pending_in: Fen,
}

/// One line of a person's history: an audit row and what it did to their
/// accounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// The audit sequence number.
    pub seq: i64,
    /// When.
    pub at: UnixTime,
    /// What (`open`, `credit`, `transfer`, `accept`, `return`, `pay`, ...).
    pub action: String,
    /// The details.
    pub detail: String,
    /// The change to the personal account, in fen (negative: out).
    pub personal: i64,
    /// The change to the wallet, in fen.
    pub wallet: i64,
}

/// The books added up (for audits and tests).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Everything the fund credited.
    pub credits: Fen,
    /// Everything paid to institutions.
    pub payments: Fen,
    /// Personal accounts and wallets together.
    pub held: Fen,
    /// Transfers not yet accepted or returned.
    pub pending: Fen,
    /// Movements whose entries do not sum to zero (always 0).
    pub unbalanced_movements: i64,
    /// Accounts whose balance differs from the sum of their entries (always 0).
    pub drifted_accounts: i64,
}

/// A hook called at named steps inside a transaction (for crash tests).
pub type StepHook = Arc<dyn Fn(&str) + Send + Sync>;

/// The medical-insurance wallet: the ledger over one store.
pub struct Wallet {
    store: Mutex<Box<dyn WalletStore>>,
    policy: WalletPolicy,
    hook: Option<StepHook>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Longest request id, organisation id or transfer id.
const MAX_KEY_LEN: usize = 64;

pub(crate) fn check_key(what: &'static str, text: &str) -> Result<()> {
    let ok = !text.is_empty()
        && text.len() <= MAX_KEY_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::argument(
            what,
            format!("{text:?}: use 1-{MAX_KEY_LEN} letters, digits, '-', '_' or '.'"),
        ))
    }
}

fn positive(amount: Fen) -> Result<()> {
    if amount == Fen::ZERO {
        return Err(Error::wallet(
            WalletRefusal::InvalidAmount,
            "the amount must be more than 0.00 yuan",
        ));
    }
    Ok(())
}

fn secs(t: UnixTime) -> Result<i64> {
    i64::try_from(t.as_secs()).map_err(|_| Error::argument("time", "too far in the future"))
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

pub(crate) fn personal_account(id: &InsuredId) -> String {
    format!("personal/{id}")
}

pub(crate) fn wallet_account(id: &InsuredId) -> String {
    format!("wallet/{id}")
}

fn source_account(source: Source, id: &InsuredId) -> String {
    match source {
        Source::Personal => personal_account(id),
        Source::Wallet => wallet_account(id),
    }
}

/// The balance of an account (0 when it never moved).
pub(crate) fn balance_of(tx: &mut dyn WalletTx, account: &str) -> Result<Fen> {
    let rows = tx.rows(
        "SELECT fen FROM wallet_balances WHERE account = ?",
        &[account.into()],
    )?;
    match rows.first() {
        Some(row) => Fen::from_db(row[0].int("balance")?),
        None => Ok(Fen::ZERO),
    }
}

/// Appends an audit row; returns its sequence number.
pub(crate) fn audit(
    tx: &mut dyn WalletTx,
    now: UnixTime,
    action: &str,
    who: &str,
    detail: &str,
) -> Result<i64> {
    let rows = tx.rows("SELECT COALESCE(MAX(seq), 0) + 1 FROM wallet_audit", &[])?;
    let seq = rows
        .first()
        .map(|r| r[0].int("audit sequence"))
        .transpose()?
        .unwrap_or(1);
    tx.exec(
        "INSERT INTO wallet_audit (seq, at, action, insured, detail) VALUES (?, ?, ?, ?, ?)",
        &[
            seq.into(),
            secs(now)?.into(),
            action.into(),
            who.into(),
            detail.into(),
        ],
    )?;
    Ok(seq)
}

/// Writes one movement: entries that sum to zero, under audit row `seq`.
/// Only the fund may go below zero.
pub(crate) fn movement(tx: &mut dyn WalletTx, seq: i64, entries: &[(&str, i64)]) -> Result<()> {
    let sum: i128 = entries.iter().map(|(_, f)| i128::from(*f)).sum();
    if sum != 0 {
        return Err(Error::Storage {
            why: format!("an unbalanced movement ({sum} fen): refused"),
        });
    }
    for (account, fen) in entries {
        tx.exec(
            "INSERT INTO wallet_entries (seq, account, fen) VALUES (?, ?, ?)",
            &[seq.into(), (*account).into(), (*fen).into()],
        )?;
        tx.exec(
            "INSERT INTO wallet_balances (account, fen) VALUES (?, ?)
             ON CONFLICT (account) DO UPDATE SET fen = wallet_balances.fen + excluded.fen",
            &[(*account).into(), (*fen).into()],
        )?;
        if *account != "fund" && balance_of(tx, account).is_err() {
            return Err(Error::Storage {
                why: format!("{account} would go below zero: refused"),
            });
        }
    }
    Ok(())
}

/// The stored result of request `id`, if it was made before with the same
/// operation and parameters.
pub(crate) fn recall(
    tx: &mut dyn WalletTx,
    id: Option<&str>,
    operation: &str,
    params: &str,
) -> Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    check_key("request id", id)?;
    let rows = tx.rows(
        "SELECT operation, params, result FROM wallet_requests WHERE id = ?",
        &[id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    if row[0].text("operation")? != operation || row[1].text("params")? != params {
        return Err(Error::argument(
            "request id",
            format!("{id:?} was already used for another request"),
        ));
    }
    Ok(Some(row[2].text("result")?))
}

pub(crate) fn remember(
    tx: &mut dyn WalletTx,
    id: Option<&str>,
    operation: &str,
    params: &str,
    result: &str,
) -> Result<()> {
    if let Some(id) = id {
        tx.exec(
            "INSERT INTO wallet_requests (id, operation, params, result) VALUES (?, ?, ?, ?)",
            &[id.into(), operation.into(), params.into(), result.into()],
        )?;
    }
    Ok(())
}

fn wallet_of(tx: &mut dyn WalletTx, id: &InsuredId) -> Result<Option<WalletInfo>> {
    let rows = tx.rows(
        "SELECT insured, region, scheme, opened_by, opened_at FROM wallet_wallets WHERE insured = ?",
        &[id.as_str().into()],
    )?;
    rows.first()
        .map(|r| -> Result<WalletInfo> {
            let code = r[1].int("region")?;
            Ok(WalletInfo {
                insured: insured(&r[0], "insured")?,
                region: u32::try_from(code)
                    .ok()
                    .and_then(|c| Region::from_code(c).ok())
                    .ok_or_else(|| Error::Storage {
                        why: format!("region {code} in the wallet store"),
                    })?,
                scheme: parsed(&r[2], "scheme")?,
                opened_by: insured(&r[3], "opened_by")?,
                opened_at: time(&r[4], "opened_at")?,
            })
        })
        .transpose()
}

/// True when the wallet service is open in `region`: the code itself, its
/// prefecture (`4403xx` under `440300`) or its province (`440000`).
fn region_open(tx: &mut dyn WalletTx, region: Region) -> Result<bool> {
    let code = i64::from(region.code());
    let rows = tx.rows(
        "SELECT COUNT(*) FROM wallet_regions WHERE region IN (?, ?, ?)",
        &[
            code.into(),
            (code / 100 * 100).into(),
            (code / 10_000 * 10_000).into(),
        ],
    )?;
    Ok(rows
        .first()
        .map(|r| r[0].int("count"))
        .transpose()?
        .unwrap_or(0)
        > 0)
}

fn relation_of(tx: &mut dyn WalletTx, a: &InsuredId, b: &InsuredId) -> Result<Option<Relation>> {
    let rows = tx.rows(
        "SELECT relation FROM wallet_relations WHERE a = ? AND b = ?",
        &[a.as_str().into(), b.as_str().into()],
    )?;
    rows.first().map(|r| parsed(&r[0], "relation")).transpose()
}

const TRANSFER_COLUMNS: &str =
    "id, sender, receiver, fen, source, created_at, due_at, state FROM wallet_transfers";

fn transfer_row(r: &[Value]) -> Result<Transfer> {
    Ok(Transfer {
        id: r[0].text("id")?,
        sender: insured(&r[1], "sender")?,
        receiver: insured(&r[2], "receiver")?,
        amount: Fen::from_db(r[3].int("fen")?)?,
        source: parsed(&r[4], "source")?,
        created_at: time(&r[5], "created_at")?,
        due_at: time(&r[6], "due_at")?,
        state: parsed(&r[7], "state")?,
    })
}

fn transfer_by_id(tx: &mut dyn WalletTx, id: &str) -> Result<Option<Transfer>> {
    let rows = tx.rows(
        &format!("SELECT {TRANSFER_COLUMNS} WHERE id = ?"),
        &[id.into()],
    )?;
    rows.first().map(|r| transfer_row(r)).transpose()
}

impl Wallet {
    /// The wallet on `store`, with the default policy.
    pub fn new(store: Box<dyn WalletStore>) -> Wallet {
        Wallet {
            store: Mutex::new(store),
            policy: WalletPolicy::default(),
            hook: None,
        }
    }

    /// Opens the store `location` names ([`open_store`]: an SQLite path or
    /// a `postgres://` URL).
    ///
    /// # Errors
    ///
    /// As [`open_store`].
    pub fn open(location: &str) -> Result<Wallet> {
        Ok(Wallet::new(open_store(location)?))
    }

    /// Replaces the rule settings.
    #[must_use]
    pub fn with_policy(mut self, policy: WalletPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Calls `hook` with a step name (`transfer`) inside the transaction,
    /// after the movement is written and before the commit: for crash
    /// tests, which kill the process there.
    #[must_use]
    pub fn with_step_hook(mut self, hook: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The rule settings.
    pub fn policy(&self) -> &WalletPolicy {
        &self.policy
    }

    pub(crate) fn step(&self, name: &str) {
        if let Some(hook) = &self.hook {
            hook(name);
        }
    }

    /// Runs `work` as one store transaction and returns its result.
    pub(crate) fn run<T>(&self, mut work: impl FnMut(&mut dyn WalletTx) -> Result<T>) -> Result<T> {
        let mut store = self.store.lock().map_err(|_| Error::Storage {
            why: "the wallet store's lock is poisoned".into(),
        })?;
        let mut out = None;
        store.transact(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Storage {
            why: "a transaction ended without a result".into(),
        })
    }

    /// Opens the wallet service in a region (a province code covers its
    /// cities). Opening it again changes nothing.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn open_region(&self, region: Region, now: UnixTime) -> Result<bool> {
        self.run(|tx| {
            let n = tx.exec(
                "INSERT INTO wallet_regions (region) VALUES (?) ON CONFLICT (region) DO NOTHING",
                &[i64::from(region.code()).into()],
            )?;
            if n > 0 {
                audit(
                    tx,
                    now,
                    "region_open",
                    "platform",
                    &format!("region {region}"),
                )?;
            }
            Ok(n > 0)
        })
    }

    /// Closes the wallet service in a region (as listed: a city under an
    /// open province stays open).
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn close_region(&self, region: Region, now: UnixTime) -> Result<bool> {
        self.run(|tx| {
            let n = tx.exec(
                "DELETE FROM wallet_regions WHERE region = ?",
                &[i64::from(region.code()).into()],
            )?;
            if n > 0 {
                audit(
                    tx,
                    now,
                    "region_close",
                    "platform",
                    &format!("region {region}"),
                )?;
            }
            Ok(n > 0)
        })
    }

    /// Opens a wallet, by the holder or by a close relative on their behalf
    /// (代开通, who must have a filed relation with the holder). Opening an
    /// open wallet again changes nothing and returns it.
    ///
    /// # Errors
    ///
    /// `not_close_relative` when `by` has no relation with the holder.
    pub fn open_wallet(&self, req: &OpenWallet, now: UnixTime) -> Result<WalletInfo> {
        self.run(|tx| {
            if let Some(existing) = wallet_of(tx, &req.insured)? {
                return Ok(existing);
            }
            let by = req.by.clone().unwrap_or_else(|| req.insured.clone());
            if by != req.insured && relation_of(tx, &by, &req.insured)?.is_none() {
                return Err(Error::wallet(
                    WalletRefusal::NotCloseRelative,
                    format!(
                        "{by} has no filed mutual-aid relation with {}, so cannot open their wallet",
                        req.insured
                    ),
                ));
            }
            tx.exec(
                "INSERT INTO wallet_wallets (insured, region, scheme, opened_by, opened_at) VALUES (?, ?, ?, ?, ?)",
                &[
                    req.insured.as_str().into(),
                    i64::from(req.region.code()).into(),
                    req.scheme.as_str().into(),
                    by.as_str().into(),
                    secs(now)?.into(),
                ],
            )?;
            audit(
                tx,
                now,
                "open",
                req.insured.as_str(),
                &format!("region {}, {} scheme, opened by {by}", req.region, req.scheme),
            )?;
            Ok(WalletInfo {
                insured: req.insured.clone(),
                region: req.region,
                scheme: req.scheme,
                opened_by: by.clone(),
                opened_at: now,
            })
        })
    }

    /// The holder's wallet, if opened.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn wallet(&self, id: &InsuredId) -> Result<Option<WalletInfo>> {
        self.run(|tx| wallet_of(tx, id))
    }

    /// Changes a wallet's usage location (使用地变更).
    ///
    /// # Errors
    ///
    /// `sender_no_wallet` when the person has no wallet.
    pub fn set_location(
        &self,
        id: &InsuredId,
        region: Region,
        now: UnixTime,
    ) -> Result<WalletInfo> {
        self.run(|tx| {
            let Some(mut w) = wallet_of(tx, id)? else {
                return Err(Error::wallet(
                    WalletRefusal::SenderNoWallet,
                    format!("{id} has not opened a wallet"),
                ));
            };
            tx.exec(
                "UPDATE wallet_wallets SET region = ? WHERE insured = ?",
                &[i64::from(region.code()).into(), id.as_str().into()],
            )?;
            audit(
                tx,
                now,
                "set_location",
                id.as_str(),
                &format!("usage location {} -> {region}", w.region),
            )?;
            w.region = region;
            Ok(w)
        })
    }

    /// Files a mutual-aid relation: `to` is `from`'s `relation`. Filing it
    /// again replaces the relation.
    ///
    /// # Errors
    ///
    /// `not_close_relative` for oneself or `other_family`.
    pub fn relate(
        &self,
        from: &InsuredId,
        to: &InsuredId,
        relation: Relation,
        now: UnixTime,
    ) -> Result<MutualAid> {
        check_close_relative(from, to, relation)?;
        self.run(|tx| {
            for (a, b, r) in [(from, to, relation), (to, from, relation.inverse())] {
                tx.exec(
                    "INSERT INTO wallet_relations (a, b, relation, filed_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (a, b) DO UPDATE SET relation = excluded.relation",
                    &[
                        a.as_str().into(),
                        b.as_str().into(),
                        r.as_str().into(),
                        secs(now)?.into(),
                    ],
                )?;
            }
            audit(
                tx,
                now,
                "relate",
                from.as_str(),
                &format!("{to} is {from}'s {relation}"),
            )?;
            Ok(MutualAid {
                from: from.clone(),
                to: to.clone(),
                relation,
                filed_at: now,
            })
        })
    }

    /// The fund credits a personal account.
    ///
    /// # Errors
    ///
    /// `invalid_amount` for zero or an amount that would overflow.
    pub fn credit(
        &self,
        id: &InsuredId,
        amount: Fen,
        request_id: Option<&str>,
        now: UnixTime,
    ) -> Result<Credit> {
        positive(amount)?;
        let params = format!("{id} {}", amount.fen());
        self.run(|tx| {
            if let Some(seq) = recall(tx, request_id, "credit", &params)? {
                return Ok(Credit {
                    seq: seq.parse().map_err(|_| Error::Storage {
                        why: "a credit's stored result".into(),
                    })?,
                    insured: id.clone(),
                    amount,
                });
            }
            let account = personal_account(id);
            balance_of(tx, &account)?.checked_add(amount)?;
            let seq = audit(
                tx,
                now,
                "credit",
                id.as_str(),
                &format!("{amount} yuan to the personal account"),
            )?;
            let fen = amount.db()?;
            movement(tx, seq, &[("fund", -fen), (account.as_str(), fen)])?;
            remember(tx, request_id, "credit", &params, &seq.to_string())?;
            Ok(Credit {
                seq,
                insured: id.clone(),
                amount,
            })
        })
    }

    /// Sends money to a close relative's wallet; the rules, in order:
    /// a positive amount; both wallets open (`sender_no_wallet`,
    /// `receiver_no_wallet`); both regions open (`region_not_opened`); a
    /// filed relation (`not_close_relative`); personal-account money only
    /// from the employee scheme (`not_employee_scheme`); the day's count
    /// (`limit_daily_transfers`); the amount (`limit_amount`); the quiet
    /// hours (`quiet_hours`); no pending transfer to the same receiver
    /// (`pending_transfer`); enough money (`insufficient_funds`).
    ///
    /// # Errors
    ///
    /// The refusal of the first rule broken; `invalid_argument` for a
    /// request id used for another request.
    pub fn transfer(&self, req: &TransferRequest, now: UnixTime) -> Result<Transfer> {
        positive(req.amount)?;
        let params = format!(
            "{} {} {} {}",
            req.from,
            req.to,
            req.amount.fen(),
            req.source
        );
        let p = &self.policy;
        let transfer = self.run(|tx| {
            if let Some(id) = recall(tx, req.request_id.as_deref(), "transfer", &params)? {
                return transfer_by_id(tx, &id)?.ok_or_else(|| Error::Storage {
                    why: format!("transfer {id} of a stored request is missing"),
                });
            }
            let refuse = |r, d: String| Err(Error::wallet(r, d));
            let Some(sender) = wallet_of(tx, &req.from)? else {
                return refuse(
                    WalletRefusal::SenderNoWallet,
                    format!("{} has not opened a wallet", req.from),
                );
            };
            let Some(receiver) = wallet_of(tx, &req.to)? else {
                return refuse(
                    WalletRefusal::ReceiverNoWallet,
                    format!("{} has not opened a wallet", req.to),
                );
            };
            for w in [&sender, &receiver] {
                if !region_open(tx, w.region)? {
                    return refuse(
                        WalletRefusal::RegionNotOpened,
                        format!(
                            "the wallet service is not open in region {} ({}'s usage location)",
                            w.region, w.insured
                        ),
                    );
                }
            }
            if req.from == req.to || relation_of(tx, &req.from, &req.to)?.is_none() {
                return refuse(
                    WalletRefusal::NotCloseRelative,
                    format!(
                        "{} has no filed mutual-aid relation with {}",
                        req.from, req.to
                    ),
                );
            }
            if req.source == Source::Personal && sender.scheme != Scheme::Employee {
                return refuse(
                    WalletRefusal::NotEmployeeScheme,
                    format!(
                        "{} is in the {} scheme: personal-account money can only be sent from the employee scheme (money in the wallet can: --source wallet)",
                        req.from, sender.scheme
                    ),
                );
            }
            let day = i64::try_from(p.local_day(now)).unwrap_or(i64::MAX);
            let sent = tx.rows(
                "SELECT COUNT(*) FROM wallet_transfers WHERE sender = ? AND day = ?",
                &[req.from.as_str().into(), day.into()],
            )?;
            let sent = sent.first().map(|r| r[0].int("count")).transpose()?.unwrap_or(0);
            if sent >= i64::from(p.max_transfers_per_day()) {
                return refuse(
                    WalletRefusal::LimitDailyTransfers,
                    format!(
                        "{} already made {sent} transfers today (Beijing time), at most {}",
                        req.from,
                        p.max_transfers_per_day()
                    ),
                );
            }
            if req.amount > p.max_transfer() {
                return refuse(
                    WalletRefusal::LimitAmount,
                    format!(
                        "{} yuan is above the {} yuan one transfer may move",
                        req.amount,
                        p.max_transfer()
                    ),
                );
            }
            if p.is_quiet(now) {
                return refuse(
                    WalletRefusal::QuietHours,
                    format!("no transfers {}; it is {}", p.quiet_text(), now.to_rfc3339()),
                );
            }
            let pending = tx.rows(
                "SELECT id FROM wallet_transfers WHERE sender = ? AND receiver = ? AND state = 'pending' AND due_at > ?",
                &[req.from.as_str().into(), req.to.as_str().into(), secs(now)?.into()],
            )?;
            if let Some(row) = pending.first() {
                return refuse(
                    WalletRefusal::PendingTransfer,
                    format!(
                        "transfer {} to {} is not yet accepted",
                        row[0].text("id")?,
                        req.to
                    ),
                );
            }
            let from_account = source_account(req.source, &req.from);
            let have = balance_of(tx, &from_account)?;
            if have < req.amount {
                return refuse(
                    WalletRefusal::InsufficientFunds,
                    format!(
                        "{} yuan asked, {} yuan in {}'s {}",
                        req.amount,
                        have,
                        req.from,
                        if req.source == Source::Personal { "personal account" } else { "wallet" }
                    ),
                );
            }
            let seq = audit(
                tx,
                now,
                "transfer",
                req.from.as_str(),
                &format!("{} yuan from the {} to {}", req.amount, req.source, req.to),
            )?;
            let id = format!("T{seq:08}");
            let due = p.return_due(now);
            let fen = req.amount.db()?;
            tx.exec(
                "INSERT INTO wallet_transfers (id, sender, receiver, fen, source, created_at, day, due_at, state)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                &[
                    id.as_str().into(),
                    req.from.as_str().into(),
                    req.to.as_str().into(),
                    fen.into(),
                    req.source.as_str().into(),
                    secs(now)?.into(),
                    day.into(),
                    secs(due)?.into(),
                ],
            )?;
            let pending_account = format!("transfer/{id}");
            movement(
                tx,
                seq,
                &[(from_account.as_str(), -fen), (pending_account.as_str(), fen)],
            )?;
            remember(tx, req.request_id.as_deref(), "transfer", &params, &id)?;
            self.step("transfer");
            Ok(Transfer {
                id,
                sender: req.from.clone(),
                receiver: req.to.clone(),
                amount: req.amount,
                source: req.source,
                created_at: now,
                due_at: due,
                state: TransferState::Pending,
            })
        })?;
        Ok(transfer)
    }

    /// The receiver accepts a pending transfer into their wallet.
    ///
    /// # Errors
    ///
    /// `unknown_transfer`; `transfer_not_pending` when it was accepted or
    /// returned already, or is due back to the sender (then the next sweep
    /// returns it).
    pub fn accept(&self, id: &str, now: UnixTime) -> Result<Transfer> {
        check_key("transfer id", id)?;
        self.run(|tx| {
            let Some(mut t) = transfer_by_id(tx, id)? else {
                return Err(Error::wallet(
                    WalletRefusal::UnknownTransfer,
                    format!("no transfer {id}"),
                ));
            };
            if t.state != TransferState::Pending {
                return Err(Error::wallet(
                    WalletRefusal::TransferNotPending,
                    format!("transfer {id} was already {}", t.state),
                ));
            }
            if now >= t.due_at {
                return Err(Error::wallet(
                    WalletRefusal::TransferNotPending,
                    format!(
                        "transfer {id} was due back to {} at {}: it goes back at the next sweep",
                        t.sender, t.due_at
                    ),
                ));
            }
            let seq = audit(
                tx,
                now,
                "accept",
                t.receiver.as_str(),
                &format!("{} yuan from {} (transfer {id})", t.amount, t.sender),
            )?;
            let fen = t.amount.db()?;
            let pending_account = format!("transfer/{id}");
            let into = wallet_account(&t.receiver);
            movement(
                tx,
                seq,
                &[(pending_account.as_str(), -fen), (into.as_str(), fen)],
            )?;
            tx.exec(
                "UPDATE wallet_transfers SET state = 'accepted', closed_at = ? WHERE id = ?",
                &[secs(now)?.into(), id.into()],
            )?;
            t.state = TransferState::Accepted;
            Ok(t)
        })
    }

    /// Returns every pending transfer due back at `now` to the account it
    /// came from; returns them.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn sweep(&self, now: UnixTime) -> Result<Vec<Transfer>> {
        self.run(|tx| {
            let rows = tx.rows(
                &format!(
                    "SELECT {TRANSFER_COLUMNS} WHERE state = 'pending' AND due_at <= ? ORDER BY id"
                ),
                &[secs(now)?.into()],
            )?;
            let mut returned = Vec::with_capacity(rows.len());
            for row in rows {
                let mut t = transfer_row(&row)?;
                let seq = audit(
                    tx,
                    now,
                    "return",
                    t.sender.as_str(),
                    &format!(
                        "{} yuan back to the {}: transfer {} to {} not accepted",
                        t.amount, t.source, t.id, t.receiver
                    ),
                )?;
                let fen = t.amount.db()?;
                let pending_account = format!("transfer/{}", t.id);
                let back = source_account(t.source, &t.sender);
                movement(
                    tx,
                    seq,
                    &[(pending_account.as_str(), -fen), (back.as_str(), fen)],
                )?;
                tx.exec(
                    "UPDATE wallet_transfers SET state = 'returned', closed_at = ? WHERE id = ?",
                    &[secs(now)?.into(), t.id.as_str().into()],
                )?;
                t.state = TransferState::Returned;
                returned.push(t);
            }
            Ok(returned)
        })
    }

    /// A transfer by id.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn transfer_by_id(&self, id: &str) -> Result<Option<Transfer>> {
        self.run(|tx| transfer_by_id(tx, id))
    }

    /// What a person holds.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn balance(&self, id: &InsuredId) -> Result<Balance> {
        self.run(|tx| {
            let has_wallet = wallet_of(tx, id)?.is_some();
            let personal = balance_of(tx, &personal_account(id))?;
            let wallet = balance_of(tx, &wallet_account(id))?;
            let mut sums = [Fen::ZERO; 2];
            for (i, column) in ["sender", "receiver"].iter().enumerate() {
                let rows = tx.rows(
                    &format!(
                        "SELECT CAST(COALESCE(SUM(fen), 0) AS BIGINT) FROM wallet_transfers WHERE {column} = ? AND state = 'pending'"
                    ),
                    &[id.as_str().into()],
                )?;
                if let Some(r) = rows.first() {
                    sums[i] = Fen::from_db(r[0].int("pending")?)?;
                }
            }
            Ok(Balance {
                insured: id.clone(),
                has_wallet,
                personal,
                wallet,
                pending_out: sums[0],
                pending_in: sums[1],
            })
        })
    }

    /// A person's history: every audit row about them or moving their
    /// money, oldest first.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn history(&self, id: &InsuredId) -> Result<Vec<HistoryEntry>> {
        let personal = personal_account(id);
        let wallet = wallet_account(id);
        self.run(|tx| {
            let rows = tx.rows(
                "SELECT a.seq, a.at, a.action, a.detail,
                        CAST(COALESCE(SUM(CASE WHEN e.account = ? THEN e.fen ELSE 0 END), 0) AS BIGINT),
                        CAST(COALESCE(SUM(CASE WHEN e.account = ? THEN e.fen ELSE 0 END), 0) AS BIGINT)
                 FROM wallet_audit a LEFT JOIN wallet_entries e ON e.seq = a.seq
                 WHERE a.insured = ? OR a.seq IN
                       (SELECT seq FROM wallet_entries WHERE account = ? OR account = ?)
                 GROUP BY a.seq, a.at, a.action, a.detail
                 ORDER BY a.seq",
                &[
                    personal.as_str().into(),
                    wallet.as_str().into(),
                    id.as_str().into(),
                    personal.as_str().into(),
                    wallet.as_str().into(),
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
        })
    }

    /// The books added up: what a conservation check compares.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn totals(&self) -> Result<Totals> {
        self.run(|tx| {
            let sum = |tx: &mut dyn WalletTx, pattern: &str| -> Result<i64> {
                let rows = tx.rows(
                    "SELECT CAST(COALESCE(SUM(fen), 0) AS BIGINT) FROM wallet_balances WHERE account LIKE ?",
                    &[pattern.into()],
                )?;
                rows.first().map(|r| r[0].int("sum")).transpose().map(|v| v.unwrap_or(0))
            };
            let fund = sum(tx, "fund")?;
            let org = sum(tx, "org/%")?;
            let held = sum(tx, "personal/%")? + sum(tx, "wallet/%")?;
            let pending = sum(tx, "transfer/%")?;
            let count = |tx: &mut dyn WalletTx, sql: &str| -> Result<i64> {
                let rows = tx.rows(sql, &[])?;
                rows.first().map(|r| r[0].int("count")).transpose().map(|v| v.unwrap_or(0))
            };
            let unbalanced = count(
                tx,
                "SELECT COUNT(*) FROM (SELECT seq FROM wallet_entries GROUP BY seq HAVING SUM(fen) <> 0) u",
            )?;
            let drifted = count(
                tx,
                "SELECT COUNT(*) FROM wallet_balances b WHERE b.fen <>
                 (SELECT COALESCE(SUM(e.fen), 0) FROM wallet_entries e WHERE e.account = b.account)",
            )?;
            Ok(Totals {
                credits: Fen::from_db(-fund)?,
                payments: Fen::from_db(org)?,
                held: Fen::from_db(held)?,
                pending: Fen::from_db(pending)?,
                unbalanced_movements: unbalanced,
                drifted_accounts: drifted,
            })
        })
    }

    /// Every row of every wallet table, as text lines in a fixed order: two
    /// dumps are equal exactly when nothing changed.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn dump(&self) -> Result<Vec<String>> {
        const TABLES: [(&str, &str); 9] = [
            ("wallet_regions", "region"),
            ("wallet_wallets", "insured"),
            ("wallet_relations", "a, b"),
            ("wallet_balances", "account"),
            ("wallet_audit", "seq"),
            ("wallet_entries", "seq, account"),
            ("wallet_transfers", "id"),
            ("wallet_payments", "token_id"),
            ("wallet_requests", "id"),
        ];
        self.run(|tx| {
            let mut lines = Vec::new();
            for (table, order) in TABLES {
                for row in tx.rows(&format!("SELECT * FROM {table} ORDER BY {order}"), &[])? {
                    lines.push(format!("{table} {row:?}"));
                }
            }
            Ok(lines)
        })
    }
}
