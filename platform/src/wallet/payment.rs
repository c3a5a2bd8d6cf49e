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
//! guard that forgot, by the ledger itself. A retried request with the same
//! request id returns the first payment without verifying the code again.

use serde::Serialize;

use crate::wallet::model::Account;
use crate::wallet::rules::{check_key, movement, recall, remember};
use crate::wallet::{Fen, Wallet};
use medcode::InsuredId;
use medcode::Verifier;
use medcode::error::{Error, Result, WalletRefusal};
use medcode::time::UnixTime;
use medcode::verify::TillContext;

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

impl Wallet {
    /// Verifies `req.code` with `verifier` at `now`, shown in the till's
    /// `context` (the verifier's observer hears the verdict), and pays
    /// `req.amount` to `req.org` from the insured person's wallet, then
    /// their personal account. A retry of a request that paid is answered
    /// from the ledger without checking the code again.
    ///
    /// # Errors
    ///
    /// The verifier's refusal (`expired`, `replayed`, `bad_signature`,
    /// ...); `invalid_amount`; `insufficient_funds` when wallet and personal
    /// account together hold less (the code is used up all the same: show a
    /// fresh one); `invalid_argument` for a bad organisation or request id,
    /// or a request id used for another request.
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
        let params = format!("{} {} {}", req.org, req.amount.fen(), req.code);
        let request_id = req.request_id.as_deref();
        // A retry of a request that paid: its first result, without the code
        // being checked (and refused as replayed) again.
        let first = self.run(|tx| match recall(tx, request_id, "pay", &params)? {
            Some(token) => tx.payment(&token),
            None => Ok(None),
        })?;
        if let Some(payment) = first {
            return Ok(payment);
        }
        let verified = verifier.check(&req.code, context, now).into_result()?;
        let token_id = verified.token_id().to_string();
        let insured = verified.insured().clone();
        let presenter = verified.presenter().map(|p| p.insured.clone());
        self.run(|tx| {
            if let Some(token) = recall(tx, request_id, "pay", &params)? {
                return tx.payment(&token)?.ok_or_else(|| Error::Storage {
                    why: "the payment of a stored request is missing".into(),
                });
            }
            if tx.payment(&token_id)?.is_some() {
                return Err(Error::Replayed {
                    token_id: token_id.clone(),
                });
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
            let mut entries = vec![(Account::Org(req.org.clone()), req.amount.db()?)];
            if from_wallet > Fen::ZERO {
                entries.push((wallet_account.clone(), -from_wallet.db()?));
            }
            if from_personal > Fen::ZERO {
                entries.push((personal_account.clone(), -from_personal.db()?));
            }
            movement(tx, seq, &entries)?;
            let payment = Payment {
                token_id: token_id.clone(),
                insured: insured.clone(),
                presenter: presenter.clone(),
                org: req.org.clone(),
                amount: req.amount,
                from_wallet,
                from_personal,
                at: now,
            };
            tx.insert_payment(&payment, seq)?;
            remember(tx, request_id, "pay", &params, &token_id)?;
            Ok(payment)
        })
    }
}
