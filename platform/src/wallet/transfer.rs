//! Transfers between close relatives: sending, accepting, and the return
//! of what was not accepted in time. Rules only; the store holds the SQL.

use crate::family::{not_close_relative, not_employee_scheme};
use crate::wallet::Wallet;
use crate::wallet::model::{Account, Source, Transfer, TransferRequest, TransferState};
use crate::wallet::rules::{check_key, movement, positive, recall, remember};
use crate::wallet::store::WalletTx;
use medcode::Scheme;
use medcode::error::{Error, Result, WalletRefusal};
use medcode::time::UnixTime;

fn refuse(refusal: WalletRefusal, detail: String) -> Result<()> {
    Err(Error::wallet(refusal, detail))
}

impl Wallet {
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
        let request_id = req.request_id.as_deref();
        self.run(|tx| {
            if let Some(id) = recall(tx, request_id, "transfer", &params)? {
                return tx.transfer(&id)?.ok_or_else(|| Error::Storage {
                    why: format!("transfer {id} of a stored request is missing"),
                });
            }
            self.may_transfer(tx, req, now)?;
            let seq = tx.audit(
                now,
                "transfer",
                req.from.as_str(),
                &format!("{} yuan from the {} to {}", req.amount, req.source, req.to),
            )?;
            let transfer = Transfer {
                id: format!("T{seq:08}"),
                sender: req.from.clone(),
                receiver: req.to.clone(),
                amount: req.amount,
                source: req.source,
                created_at: now,
                due_at: self.policy.return_due(now),
                state: TransferState::Pending,
            };
            tx.insert_transfer(&transfer, self.policy.local_day(now))?;
            let fen = req.amount.db()?;
            let from = Account::of_source(req.source, &req.from);
            let pending = Account::Transfer(transfer.id.clone());
            movement(tx, seq, &[(from, -fen), (pending, fen)])?;
            remember(tx, request_id, "transfer", &params, &transfer.id)?;
            self.step("transfer");
            Ok(transfer)
        })
    }

    /// The rules of [`Wallet::transfer`] after the amount, in order: the
    /// refusal of the first one broken.
    fn may_transfer(
        &self,
        tx: &mut dyn WalletTx,
        req: &TransferRequest,
        now: UnixTime,
    ) -> Result<()> {
        let p = &self.policy;
        let Some(sender) = tx.wallet(&req.from)? else {
            return refuse(
                WalletRefusal::SenderNoWallet,
                format!("{} has not opened a wallet", req.from),
            );
        };
        let Some(receiver) = tx.wallet(&req.to)? else {
            return refuse(
                WalletRefusal::ReceiverNoWallet,
                format!("{} has not opened a wallet", req.to),
            );
        };
        for w in [&sender, &receiver] {
            if !tx.region_open(w.region)? {
                return refuse(
                    WalletRefusal::RegionNotOpened,
                    format!(
                        "the wallet service is not open in region {} ({}'s usage location)",
                        w.region, w.insured
                    ),
                );
            }
        }
        if req.from == req.to || self.related(&req.from, &req.to)?.is_none() {
            return Err(not_close_relative(format!(
                "{} has no filed mutual-aid relation with {}",
                req.from, req.to
            )));
        }
        if req.source == Source::Personal && sender.scheme != Scheme::Employee {
            return Err(not_employee_scheme(format!(
                "{} is in the {} scheme: personal-account money can only be sent from the employee scheme (money in the wallet can: --source wallet)",
                req.from, sender.scheme
            )));
        }
        let sent = tx.transfers_sent_on(&req.from, p.local_day(now))?;
        if sent >= u64::from(p.max_transfers_per_day()) {
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
                format!(
                    "no transfers {}; it is {} there ({})",
                    p.quiet_text(),
                    p.local_clock(now),
                    now.to_rfc3339()
                ),
            );
        }
        if let Some(id) = tx.pending_transfer(&req.from, &req.to, now)? {
            return refuse(
                WalletRefusal::PendingTransfer,
                format!("transfer {id} to {} is not yet accepted", req.to),
            );
        }
        let have = tx.balance(&Account::of_source(req.source, &req.from))?;
        if have < req.amount {
            let account = match req.source {
                Source::Personal => "personal account",
                Source::Wallet => "wallet",
            };
            return refuse(
                WalletRefusal::InsufficientFunds,
                format!(
                    "{} yuan asked, {have} yuan in {}'s {account}",
                    req.amount, req.from
                ),
            );
        }
        Ok(())
    }

    /// The receiver accepts a pending transfer into their wallet.
    ///
    /// # Errors
    ///
    /// `unknown_transfer`; `transfer_not_pending` when it was accepted or
    /// returned already, or is due back to the sender (then the next sweep
    /// returns it); `region_not_opened` when the receiver's or the sender's
    /// wallet is in a region where the service is not open (closed since,
    /// or the receiver moved there): the transfer stays pending and the
    /// sweep at its due time returns it to the sender.
    pub fn accept(&self, id: &str, now: UnixTime) -> Result<Transfer> {
        check_key("transfer id", id)?;
        self.run(|tx| {
            let Some(mut t) = tx.transfer(id)? else {
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
            // A closed region can neither send nor receive: a transfer sent
            // before a side's region closed (or before the receiver moved
            // to a region not open) waits for the return sweep.
            for (who, none) in [
                (&t.receiver, WalletRefusal::ReceiverNoWallet),
                (&t.sender, WalletRefusal::SenderNoWallet),
            ] {
                let Some(w) = tx.wallet(who)? else {
                    return Err(Error::wallet(none, format!("{who} has no wallet")));
                };
                if !tx.region_open(w.region)? {
                    return Err(Error::wallet(
                        WalletRefusal::RegionNotOpened,
                        format!(
                            "the wallet service is not open in region {} ({}'s usage location): transfer {id} goes back to {} at {}",
                            w.region,
                            w.insured,
                            t.sender,
                            t.due_at.to_rfc3339()
                        ),
                    ));
                }
            }
            let seq = tx.audit(
                now,
                "accept",
                t.receiver.as_str(),
                &format!("{} yuan from {} (transfer {id})", t.amount, t.sender),
            )?;
            let fen = t.amount.db()?;
            let pending = Account::Transfer(id.to_owned());
            let into = Account::Wallet(t.receiver.clone());
            movement(tx, seq, &[(pending, -fen), (into, fen)])?;
            tx.close_transfer(id, TransferState::Accepted, now)?;
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
            let mut returned = tx.due_transfers(now)?;
            for t in &mut returned {
                let seq = tx.audit(
                    now,
                    "return",
                    t.sender.as_str(),
                    &format!(
                        "{} yuan back to the {}: transfer {} to {} not accepted",
                        t.amount, t.source, t.id, t.receiver
                    ),
                )?;
                let fen = t.amount.db()?;
                let pending = Account::Transfer(t.id.clone());
                let back = Account::of_source(t.source, &t.sender);
                movement(tx, seq, &[(pending, -fen), (back, fen)])?;
                tx.close_transfer(&t.id, TransferState::Returned, now)?;
                t.state = TransferState::Returned;
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
        self.run(|tx| tx.transfer(id))
    }
}
