//! What the wallet holds and answers: wallets, transfers, credits,
//! balances, history lines, the books' totals, and the accounts money
//! lives in.

use std::fmt;

use serde::Serialize;

use crate::wallet::Fen;
use medcode::InsuredId;
use medcode::Region;
use medcode::Scheme;
use medcode::error::Error;
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

/// An account of the double-entry books.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Account {
    /// The insurance fund: credits come from it (the only account that
    /// goes below zero).
    Fund,
    /// A personal account (个人账户).
    Personal(InsuredId),
    /// A wallet (医保钱包).
    Wallet(InsuredId),
    /// A transfer not yet accepted, by its id.
    Transfer(String),
    /// What an institution was paid, by its organisation id.
    Org(String),
}

impl Account {
    /// Where money of `source` is kept for `id`.
    pub fn of_source(source: Source, id: &InsuredId) -> Account {
        match source {
            Source::Personal => Account::Personal(id.clone()),
            Source::Wallet => Account::Wallet(id.clone()),
        }
    }
}

impl fmt::Display for Account {
    /// The stored name: `fund`, `personal/ID`, `wallet/ID`, `transfer/ID`,
    /// `org/ORG`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Fund => f.write_str("fund"),
            Account::Personal(id) => write!(f, "personal/{id}"),
            Account::Wallet(id) => write!(f, "wallet/{id}"),
            Account::Transfer(id) => write!(f, "transfer/{id}"),
            Account::Org(org) => write!(f, "org/{org}"),
        }
    }
}

medcode::text_enum!(
    /// Where an idempotent request stands.
    RequestState, "request state", Error::argument {
        /// Claimed by a payment still running (its first try).
        Pending => "pending",
        /// Done: the result is stored.
        Done => "done",
        /// Refused after the code was used: the refusal is stored.
        Refused => "refused",
    }
);

/// The first result of an idempotent request, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest {
    /// The operation (`credit`, `transfer`, `pay`).
    pub operation: String,
    /// Its parameters, as text.
    pub params: String,
    /// Where it stands (`credit` and `transfer` are stored done).
    pub state: RequestState,
    /// Its result, as text (a sequence number, a transfer id, a token id;
    /// the reason code of a refusal; empty while pending).
    pub result: String,
    /// The detail of a refusal (empty otherwise).
    pub detail: String,
    /// The number of the claim that holds a pending request: 1 for the
    /// first try, one more for each takeover of a stale claim.
    pub claim: i64,
    /// When the claim was made (the `now` of the try that made it).
    pub claimed_at: UnixTime,
}

impl StoredRequest {
    /// A request done with `result`.
    pub fn done(operation: &str, params: &str, result: &str) -> StoredRequest {
        StoredRequest {
            operation: operation.to_owned(),
            params: params.to_owned(),
            state: RequestState::Done,
            result: result.to_owned(),
            detail: String::new(),
            claim: 0,
            claimed_at: UnixTime::from_secs(0),
        }
    }
}
