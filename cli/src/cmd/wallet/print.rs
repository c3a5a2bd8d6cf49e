//! The wallet's results in words (and JSON).

use medcode::Error;
use medcode_platform::wallet::{Balance, HistoryEntry, WalletInfo};

use crate::output::escape::shown;

pub(crate) fn wallet_line(w: &WalletInfo) -> String {
    let by = if w.opened_by == w.insured {
        String::new()
    } else {
        format!(", opened by {} on their behalf", w.opened_by)
    };
    format!(
        "wallet of {} open: usage location {}, {} scheme{by}",
        w.insured, w.region, w.scheme
    )
}

pub(crate) fn balance_line(b: &Balance) -> String {
    format!(
        "{}: personal account {} yuan, wallet {} yuan{}; pending: {} yuan sent, {} yuan to accept",
        b.insured,
        b.personal,
        b.wallet,
        if b.has_wallet {
            ""
        } else {
            " (no wallet opened)"
        },
        b.pending_out,
        b.pending_in
    )
}

/// Fen as signed yuan: `+500.00`, `-120.50`.
fn signed_yuan(fen: i64) -> String {
    let sign = if fen < 0 { '-' } else { '+' };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

pub(crate) fn history_line(e: &HistoryEntry) -> String {
    let mut money = String::new();
    if e.personal != 0 {
        money.push_str(&format!(" personal {}", signed_yuan(e.personal)));
    }
    if e.wallet != 0 {
        money.push_str(&format!(" wallet {}", signed_yuan(e.wallet)));
    }
    format!(
        "{} {} {}{money}: {}",
        e.seq,
        e.at,
        e.action,
        shown(&e.detail)
    )
}

pub(crate) fn json(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::InvalidArgument {
        what: "output",
        why: e.to_string(),
    })
}
