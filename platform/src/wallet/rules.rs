//! The wallet's rules over a [`WalletStore`]: every operation one store
//! transaction, with no SQL here (the backends hold it).
//!
//! Double entry in fen: money lives in [`Account`]s (the insurance fund, a
//! personal account, a wallet, a transfer not yet accepted, what an
//! institution was paid). Every movement is one audit row and entries on
//! two or more accounts that sum to zero, written in the same transaction
//! as the rule checks that allowed it; a refused operation writes nothing.
//! So, always: the personal accounts, wallets and pending transfers hold
//! exactly what the fund credited less what was paid.
//!
//! Request ids make an operation idempotent: the first success under an id
//! is remembered with its parameters, and the same id again returns that
//! result without doing anything (other parameters under the same id are
//! refused as `invalid_argument`). A refusal of `credit` or `transfer` is
//! not remembered: nothing was done, so a retry is checked afresh. A
//! payment claims its request id before the code is used, and keeps a
//! refusal given after that (see `payment`).

use std::sync::{Arc, Mutex};

use crate::family::{MutualAidRelations, not_close_relative};
use crate::wallet::model::{
    Account, Balance, Credit, HistoryEntry, OpenWallet, StoredRequest, Totals, WalletInfo,
};
use crate::wallet::store::{WalletStore, WalletTx, open_store};
use crate::wallet::{Fen, WalletPolicy};
use medcode::InsuredId;
use medcode::Region;
use medcode::Relation;
use medcode::error::{Error, Result, WalletRefusal};
use medcode::time::UnixTime;

/// A hook called at named steps inside a transaction (crash tests only:
/// feature `test-hooks`).
#[cfg(feature = "test-hooks")]
pub type StepHook = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The medical-insurance wallet: the rules over one store, reading the
/// mutual-aid relations from the family registry.
pub struct Wallet {
    store: Mutex<Box<dyn WalletStore>>,
    relations: Option<Arc<dyn MutualAidRelations>>,
    pub(crate) policy: WalletPolicy,
    #[cfg(feature = "test-hooks")]
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

pub(crate) fn positive(amount: Fen) -> Result<()> {
    if amount == Fen::ZERO {
        return Err(Error::wallet(
            WalletRefusal::InvalidAmount,
            "the amount must be more than 0.00 yuan",
        ));
    }
    Ok(())
}

/// Writes one movement: entries that sum to zero, under audit row `seq`.
/// Only the fund may go below zero.
pub(crate) fn movement(tx: &mut dyn WalletTx, seq: i64, entries: &[(Account, i64)]) -> Result<()> {
    let sum: i128 = entries.iter().map(|(_, f)| i128::from(*f)).sum();
    if sum != 0 {
        return Err(Error::Storage {
            why: format!("an unbalanced movement ({sum} fen): refused"),
        });
    }
    tx.post(seq, entries)?;
    for (account, _) in entries {
        if *account != Account::Fund && tx.balance(account).is_err() {
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
    Ok(recall_stored(tx, id, operation, params)?.map(|stored| stored.result))
}

/// What is stored of request `id`, if it was made before with the same
/// operation and parameters.
pub(crate) fn recall_stored(
    tx: &mut dyn WalletTx,
    id: Option<&str>,
    operation: &str,
    params: &str,
) -> Result<Option<StoredRequest>> {
    let Some(id) = id else { return Ok(None) };
    check_key("request id", id)?;
    let Some(stored) = tx.request(id)? else {
        return Ok(None);
    };
    if stored.operation != operation || stored.params != params {
        return Err(Error::argument(
            "request id",
            format!("{id:?} was already used for another request"),
        ));
    }
    Ok(Some(stored))
}

pub(crate) fn remember(
    tx: &mut dyn WalletTx,
    id: Option<&str>,
    operation: &str,
    params: &str,
    result: &str,
) -> Result<()> {
    match id {
        Some(id) => tx.remember(id, &StoredRequest::done(operation, params, result)),
        None => Ok(()),
    }
}

impl Wallet {
    /// The wallet on `store`, with the default policy.
    pub fn new(store: Box<dyn WalletStore>) -> Wallet {
        Wallet {
            store: Mutex::new(store),
            relations: None,
            policy: WalletPolicy::default(),
            #[cfg(feature = "test-hooks")]
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

    /// Reads the mutual-aid relations from `relations`: the family
    /// registry's filings in force (a [`crate::registry::Registry`], or an
    /// [`crate::registry::SqliteRegistry`] opened read-only). Without them,
    /// what needs a relation (a transfer, a wallet opened by a relative) is
    /// refused as `invalid_argument`: the wallet keeps no relations of its
    /// own.
    #[must_use]
    pub fn with_relations(mut self, relations: Arc<dyn MutualAidRelations>) -> Self {
        self.relations = Some(relations);
        self
    }

    /// Who `b` is to `a` by a mutual-aid filing in force, if any.
    pub(crate) fn related(&self, a: &InsuredId, b: &InsuredId) -> Result<Option<Relation>> {
        match &self.relations {
            Some(relations) => relations.mutual_aid(a, b),
            None => Err(Error::argument(
                "relations",
                "this wallet reads mutual-aid relations from a family registry, and none is attached",
            )),
        }
    }

    /// Replaces the rule settings.
    #[must_use]
    pub fn with_policy(mut self, policy: WalletPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Calls `hook` with a step name (`transfer`) inside the transaction,
    /// after the movement is written and before the commit: for crash
    /// tests, which kill the process there (feature `test-hooks`).
    #[cfg(feature = "test-hooks")]
    #[must_use]
    pub fn with_step_hook(mut self, hook: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.hook = Some(std::sync::Arc::new(hook));
        self
    }

    /// With the feature `test-hooks` (the crash tests' builds only): when
    /// the variable `MEDCODE_WALLET_TEST_PAUSE` names a step (`transfer`),
    /// that step prints `medcode: test pause inside STEP` on standard error
    /// and stops inside its transaction until the process is killed.
    /// Without the feature, as in every build that ships, the wallet is
    /// returned unchanged.
    #[must_use]
    pub fn with_test_pause_from_env(self) -> Self {
        #[cfg(feature = "test-hooks")]
        if let Ok(step) = std::env::var("MEDCODE_WALLET_TEST_PAUSE") {
            return self.with_step_hook(move |name| {
                if name == step {
                    use std::io::Write;
                    let _ = writeln!(std::io::stderr(), "medcode: test pause inside {name}");
                    let _ = std::io::stderr().flush();
                    std::thread::sleep(std::time::Duration::from_secs(600));
                }
            });
        }
        self
    }

    /// The rule settings.
    pub fn policy(&self) -> &WalletPolicy {
        &self.policy
    }

    #[cfg_attr(not(feature = "test-hooks"), allow(clippy::unused_self))]
    pub(crate) fn step(&self, _name: &str) {
        #[cfg(feature = "test-hooks")]
        if let Some(hook) = &self.hook {
            hook(_name);
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
            let new = tx.open_region(region)?;
            if new {
                tx.audit(now, "region_open", "platform", &format!("region {region}"))?;
            }
            Ok(new)
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
            let was = tx.close_region(region)?;
            if was {
                tx.audit(now, "region_close", "platform", &format!("region {region}"))?;
            }
            Ok(was)
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
            if let Some(existing) = tx.wallet(&req.insured)? {
                return Ok(existing);
            }
            let by = req.by.clone().unwrap_or_else(|| req.insured.clone());
            if by != req.insured && self.related(&by, &req.insured)?.is_none() {
                return Err(not_close_relative(format!(
                    "{by} has no filed mutual-aid relation with {}, so cannot open their wallet",
                    req.insured
                )));
            }
            let wallet = WalletInfo {
                insured: req.insured.clone(),
                region: req.region,
                scheme: req.scheme,
                opened_by: by.clone(),
                opened_at: now,
            };
            tx.insert_wallet(&wallet)?;
            tx.audit(
                now,
                "open",
                req.insured.as_str(),
                &format!(
                    "region {}, {} scheme, opened by {by}",
                    req.region, req.scheme
                ),
            )?;
            Ok(wallet)
        })
    }

    /// The holder's wallet, if opened.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn wallet(&self, id: &InsuredId) -> Result<Option<WalletInfo>> {
        self.run(|tx| tx.wallet(id))
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
            let Some(mut w) = tx.wallet(id)? else {
                return Err(Error::wallet(
                    WalletRefusal::SenderNoWallet,
                    format!("{id} has not opened a wallet"),
                ));
            };
            tx.set_location(id, region)?;
            tx.audit(
                now,
                "set_location",
                id.as_str(),
                &format!("usage location {} -> {region}", w.region),
            )?;
            w.region = region;
            Ok(w)
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
            let account = Account::Personal(id.clone());
            tx.balance(&account)?.checked_add(amount)?;
            let seq = tx.audit(
                now,
                "credit",
                id.as_str(),
                &format!("{amount} yuan to the personal account"),
            )?;
            let fen = amount.db()?;
            movement(tx, seq, &[(Account::Fund, -fen), (account, fen)])?;
            remember(tx, request_id, "credit", &params, &seq.to_string())?;
            Ok(Credit {
                seq,
                insured: id.clone(),
                amount,
            })
        })
    }

    /// What a person holds.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn balance(&self, id: &InsuredId) -> Result<Balance> {
        self.run(|tx| {
            let has_wallet = tx.wallet(id)?.is_some();
            let personal = tx.balance(&Account::Personal(id.clone()))?;
            let wallet = tx.balance(&Account::Wallet(id.clone()))?;
            let (pending_out, pending_in) = tx.pending_sums(id)?;
            Ok(Balance {
                insured: id.clone(),
                has_wallet,
                personal,
                wallet,
                pending_out,
                pending_in,
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
        self.run(|tx| tx.history(id))
    }

    /// The books added up: what a conservation check compares.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn totals(&self) -> Result<Totals> {
        self.run(|tx| tx.totals())
    }

    /// Every row of every wallet table, as text lines in a fixed order: two
    /// dumps are equal exactly when nothing changed.
    ///
    /// # Errors
    ///
    /// `storage`.
    pub fn dump(&self) -> Result<Vec<String>> {
        self.run(|tx| tx.dump())
    }
}
