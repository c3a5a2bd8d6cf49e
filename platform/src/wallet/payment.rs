//! Paying with the code at a designated pharmacy or hospital.
//!
//! The till's payment first verifies the code with the till's verifier
//! (signature, times, revocation, and one use through its replay guard),
//! then, in one transaction, debits the insured person's wallet and, for
//! what the wallet does not cover, their personal account. A delegate code
//! (a family member's code shown by the owner) pays from the member's money,
//! never the owner's: the money is always the insured person's.
//!
//! The code's token id is the payment's key: a code pays once, and the
//! same code again is refused as `replayed`, by the replay guard or, with a
//! guard that forgot, by the ledger itself.
//!
//! A request id makes the payment idempotent however its retries
//! interleave. The first try claims the id (a `pending` row, in a
//! transaction of its own) before the code is checked; a retry that finds
//! the claim waits for it, polling the store for at most the policy's
//! [`WalletPolicy::pending_payment_wait`], and answers as the first try
//! did: the same payment, or the same refusal when the first try was
//! refused after the code was used (`insufficient_funds`, or `replayed` by
//! the ledger). A first try whose code the verifier refused used nothing:
//! it releases its claim, and a retry is checked afresh. A retry still
//! waiting at the end of its wait is refused as `payment_pending` (retry
//! it later). A claim at least [`WalletPolicy::stale_payment_claim`]
//! seconds old (by the retry's `now`) belongs to a try that died: a retry takes
//! it over and pays in its place (the code may then be `replayed`, used up
//! by the try that died; nothing was paid). A try whose claim was taken
//! over pays nothing and answers as the new owner does.
//!
//! [`WalletPolicy::pending_payment_wait`]: crate::wallet::WalletPolicy::pending_payment_wait
//! [`WalletPolicy::stale_payment_claim`]: crate::wallet::WalletPolicy::stale_payment_claim

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::wallet::model::{Account, RequestState, StoredRequest};
use crate::wallet::rules::{check_key, movement, recall_stored};
use crate::wallet::store::WalletTx;
use crate::wallet::{Fen, Wallet};
use medcode::InsuredId;
use medcode::Reason;
use medcode::error::{Error, Result, WalletRefusal};
use medcode::time::UnixTime;
use medcode::verify::TillContext;
use medcode::{VerifiedToken, Verifier};

/// A payment to make.
#[derive(Clone, Debug)]
pub struct PayRequest {
    /// The scanned code's token text.
    pub code: String,
    /// How much.
    pub amount: Fen,
    /// The institution paid (`orgId`).
    pub org: String,
    /// Makes the request idempotent.
    pub request_id: Option<String>,
}

/// A payment made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// The code's token id: the payment's key.
    pub token_id: String,
    /// Whose money paid: the insured person of the code.
    pub insured: InsuredId,
    /// Who showed the code, for a delegate code.
    pub presenter: Option<InsuredId>,
    /// The institution paid.
    pub org: String,
    /// How much.
    pub amount: Fen,
    /// Of which from the wallet.
    pub from_wallet: Fen,
    /// Of which from the personal account.
    pub from_personal: Fen,
    /// When.
    pub at: UnixTime,
}

/// What a payment's claim step found.
enum Step {
    /// The request is ours to pay, under this claim.
    Claimed(StoredRequest),
    /// The request was answered before: its answer.
    Answer(Result<Payment>),
    /// Another try is paying it.
    Wait,
}

/// How often a retry looks again at a payment still running.
const POLL: Duration = Duration::from_millis(20);

/// A refusal a payment stores for its retries: one given after the code
/// was used.
fn storable(e: &Error) -> Option<(&'static str, String)> {
    match e {
        Error::Replayed { token_id } => Some((Reason::Replayed.as_str(), token_id.clone())),
        Error::WalletRefused { refusal, detail } => Some((refusal.as_str(), detail.clone())),
        _ => None,
    }
}

/// The refusal a payment stored.
fn stored_refusal(stored: &StoredRequest) -> Error {
    if stored.result == Reason::Replayed.as_str() {
        return Error::Replayed {
            token_id: stored.detail.clone(),
        };
    }
    match WalletRefusal::ALL
        .into_iter()
        .find(|r| r.as_str() == stored.result)
    {
        Some(refusal) => Error::wallet(refusal, stored.detail.clone()),
        None => Error::Storage {
            why: format!("a stored payment refusal {:?}", stored.result),
        },
    }
}

/// True when request `id` is still pending under `claim`.
fn still_ours(tx: &mut dyn WalletTx, id: &str, claim: i64) -> Result<bool> {
    Ok(tx
        .request(id)?
        .is_some_and(|s| s.state == RequestState::Pending && s.claim == claim))
}

impl Wallet {
    /// Verifies `req.code` with `verifier` at `now`, shown in the till's
    /// `context` (the verifier's observer hears the verdict), and pays
    /// `req.amount` to `req.org` from the insured person's wallet, then
    /// their personal account. With a request id, every try of the same
    /// request gets the first try's answer (see the module's text): a
    /// retry waits for a first try still running.
    ///
    /// # Errors
    ///
    /// The verifier's refusal (`expired`, `replayed`, `bad_signature`,
    /// ...); `invalid_amount`; `insufficient_funds` when wallet and personal
    /// account together hold less (the code is used up all the same: show a
    /// fresh one); `payment_pending` when the first try under the request
    /// id is still running at the end of the wait; `invalid_argument` for a
    /// bad organisation or request id, or a request id used for another
    /// request.
    pub fn pay(
        &self,
        verifier: &Verifier,
        req: &PayRequest,
        context: &TillContext,
        now: UnixTime,
    ) -> Result<Payment> {
        if req.amount == Fen::ZERO {
            return Err(Error::wallet(
                WalletRefusal::InvalidAmount,
                "the amount must be more than 0.00 yuan",
            ));
        }
        check_key("organisation id", &req.org)?;
        let Some(request_id) = req.request_id.as_deref() else {
            let verified = verifier.check(&req.code, context, now).into_result()?;
            return self.run(|tx| self.debit(tx, req, &verified, now));
        };
        check_key("request id", request_id)?;
        let params = format!("{} {} {}", req.org, req.amount.fen(), req.code);
        let started = Instant::now();
        loop {
            match self.run(|tx| self.claim(tx, request_id, &params, now))? {
                Step::Answer(answer) => return answer,
                Step::Claimed(claim) => {
                    if let Some(answer) =
                        self.pay_claimed(verifier, req, context, now, request_id, &claim)
                    {
                        return answer;
                    }
                    // Taken over: wait for the new owner's answer.
                }
                Step::Wait => {
                    if started.elapsed() >= self.policy.pending_payment_wait() {
                        return Err(Error::wallet(
                            WalletRefusal::PaymentPending,
                            format!(
                                "the first try of request {request_id:?} is still running: retry the same request later"
                            ),
                        ));
                    }
                    std::thread::sleep(POLL);
                }
            }
        }
    }

    /// Claims request `id` for this try, or finds its answer, or finds it
    /// claimed by a try still running.
    fn claim(&self, tx: &mut dyn WalletTx, id: &str, params: &str, now: UnixTime) -> Result<Step> {
        let Some(mut stored) = recall_stored(tx, Some(id), "pay", params)? else {
            let claim = StoredRequest {
                state: RequestState::Pending,
                result: String::new(),
                claim: 1,
                claimed_at: now,
                ..StoredRequest::done("pay", params, "")
            };
            tx.remember(id, &claim)?;
            return Ok(Step::Claimed(claim));
        };
        match stored.state {
            RequestState::Done => Ok(Step::Answer(tx.payment(&stored.result)?.ok_or_else(|| {
                Error::Storage {
                    why: "the payment of a stored request is missing".into(),
                }
            }))),
            RequestState::Refused => Ok(Step::Answer(Err(stored_refusal(&stored)))),
            RequestState::Pending => {
                let stale = stored
                    .claimed_at
                    .as_secs()
                    .saturating_add(self.policy.stale_payment_claim());
                if now.as_secs() < stale {
                    return Ok(Step::Wait);
                }
                stored.claim += 1;
                stored.claimed_at = now;
                tx.update_request(id, &stored)?;
                Ok(Step::Claimed(stored))
            }
        }
    }

    /// Pays request `id` under `claim`: its answer, or `None` when the
    /// claim was taken over before the payment could be written.
    fn pay_claimed(
        &self,
        verifier: &Verifier,
        req: &PayRequest,
        context: &TillContext,
        now: UnixTime,
        id: &str,
        claim: &StoredRequest,
    ) -> Option<Result<Payment>> {
        // Gives the claim back (nothing was paid), unless it was taken over
        // or finished: false when it was no longer ours. A claim that cannot
        // be given back goes stale (true: the answer is this try's own).
        let release = || {
            self.run(|tx| {
                let ours = still_ours(tx, id, claim.claim)?;
                if ours {
                    tx.forget_request(id)?;
                }
                Ok(ours)
            })
            .unwrap_or(true)
        };
        let verified = match verifier.check(&req.code, context, now).into_result() {
            Ok(v) => v,
            Err(e) => {
                // The code was not used: a retry is checked afresh. A claim
                // taken over meanwhile answers as its new owner does (the
                // refusal may be the new owner's use of the code: `replayed`).
                if !release() {
                    return None;
                }
                return Some(Err(e));
            }
        };
        let outcome = self.run(|tx| {
            if !still_ours(tx, id, claim.claim)? {
                return Ok(None);
            }
            let payment = self.debit(tx, req, &verified, now)?;
            let done = StoredRequest {
                state: RequestState::Done,
                result: payment.token_id.clone(),
                ..claim.clone()
            };
            tx.update_request(id, &done)?;
            Ok(Some(payment))
        });
        match outcome {
            Ok(Some(payment)) => Some(Ok(payment)),
            Ok(None) => None,
            Err(e) => {
                let Some((reason, detail)) = storable(&e) else {
                    let _ = release();
                    return Some(Err(e));
                };
                // Refused after the code was used (nothing was written):
                // the refusal is the request's answer, kept for its retries.
                let refused = StoredRequest {
                    state: RequestState::Refused,
                    result: reason.to_owned(),
                    detail,
                    ..claim.clone()
                };
                let kept = self.run(|tx| {
                    let ours = still_ours(tx, id, claim.claim)?;
                    if ours {
                        tx.update_request(id, &refused)?;
                    }
                    Ok(ours)
                });
                match kept {
                    Ok(false) => None,
                    Ok(true) | Err(_) => Some(Err(e)),
                }
            }
        }
    }

    /// The payment of a verified code, in `tx` (an error rolls it back).
    fn debit(
        &self,
        tx: &mut dyn WalletTx,
        req: &PayRequest,
        verified: &VerifiedToken,
        now: UnixTime,
    ) -> Result<Payment> {
        let token_id = verified.token_id().to_string();
        let insured = verified.insured().clone();
        let presenter = verified.presenter().map(|p| p.insured.clone());
        if tx.payment(&token_id)?.is_some() {
            return Err(Error::Replayed { token_id });
        }
        let wallet_account = Account::Wallet(insured.clone());
        let personal_account = Account::Personal(insured.clone());
        let wallet = tx.balance(&wallet_account)?;
        let personal = tx.balance(&personal_account)?;
        let from_wallet = wallet.min(req.amount);
        let from_personal = Fen::new(req.amount.fen() - from_wallet.fen());
        if personal < from_personal {
            return Err(Error::wallet(
                WalletRefusal::InsufficientFunds,
                format!(
                    "{} yuan asked, {insured} holds {wallet} yuan in the wallet and {personal} yuan in the personal account",
                    req.amount
                ),
            ));
        }
        let (amount, wallet_fen, personal_fen) =
            (req.amount.db()?, from_wallet.db()?, from_personal.db()?);
        let by = presenter
            .as_ref()
            .map(|p| format!(", code shown by {p}"))
            .unwrap_or_default();
        let seq = tx.audit(
            now,
            "pay",
            insured.as_str(),
            &format!(
                "{} yuan to {} ({from_wallet} from the wallet, {from_personal} from the personal account), token {token_id}{by}",
                req.amount, req.org
            ),
        )?;
        let mut entries = vec![(Account::Org(req.org.clone()), amount)];
        if from_wallet > Fen::ZERO {
            entries.push((wallet_account, -wallet_fen));
        }
        if from_personal > Fen::ZERO {
            entries.push((personal_account, -personal_fen));
        }
        movement(tx, seq, &entries)?;
        let payment = Payment {
            token_id,
            insured,
            presenter,
            org: req.org.clone(),
            amount: req.amount,
            from_wallet,
            from_personal,
            at: now,
        };
        tx.insert_payment(&payment, seq)?;
        Ok(payment)
    }
}
