//! Why the medical-insurance wallet refused a request: a closed set, so
//! that a wallet refusal can only carry one of the wallet's own reasons.

use std::fmt;

use super::Reason;

/// A rule of the wallet (医保钱包) that refused a request (see
/// [`Error::WalletRefused`](super::Error::WalletRefused)). Each maps to one
/// [`Reason`] through [`WalletRefusal::reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WalletRefusal {
    /// The sender (or the person named) has no wallet (`sender_no_wallet`).
    SenderNoWallet,
    /// The receiver has no wallet (`receiver_no_wallet`).
    ReceiverNoWallet,
    /// A wallet's region has not opened the service (`region_not_opened`).
    RegionNotOpened,
    /// No filed close-relative relation (`not_close_relative`).
    NotCloseRelative,
    /// Personal-account money only from the employee scheme
    /// (`not_employee_scheme`).
    NotEmployeeScheme,
    /// The day's transfers are used up (`limit_daily_transfers`).
    LimitDailyTransfers,
    /// Above the most one transfer may move (`limit_amount`).
    LimitAmount,
    /// Inside the quiet hours (`quiet_hours`).
    QuietHours,
    /// A transfer to this receiver is not yet accepted (`pending_transfer`).
    PendingTransfer,
    /// Not enough money (`insufficient_funds`).
    InsufficientFunds,
    /// Not a valid amount (`invalid_amount`).
    InvalidAmount,
    /// No such transfer (`unknown_transfer`).
    UnknownTransfer,
    /// The transfer is no longer pending (`transfer_not_pending`).
    TransferNotPending,
    /// The first try of a payment under the same request id is still
    /// running (`payment_pending`): retry later for its answer.
    PaymentPending,
}

impl WalletRefusal {
    /// Every refusal.
    pub const ALL: [WalletRefusal; 14] = [
        WalletRefusal::SenderNoWallet,
        WalletRefusal::ReceiverNoWallet,
        WalletRefusal::RegionNotOpened,
        WalletRefusal::NotCloseRelative,
        WalletRefusal::NotEmployeeScheme,
        WalletRefusal::LimitDailyTransfers,
        WalletRefusal::LimitAmount,
        WalletRefusal::QuietHours,
        WalletRefusal::PendingTransfer,
        WalletRefusal::InsufficientFunds,
        WalletRefusal::InvalidAmount,
        WalletRefusal::UnknownTransfer,
        WalletRefusal::TransferNotPending,
        WalletRefusal::PaymentPending,
    ];

    /// The stable reason code of this refusal.
    pub const fn reason(self) -> Reason {
        match self {
            WalletRefusal::SenderNoWallet => Reason::SenderNoWallet,
            WalletRefusal::ReceiverNoWallet => Reason::ReceiverNoWallet,
            WalletRefusal::RegionNotOpened => Reason::RegionNotOpened,
            WalletRefusal::NotCloseRelative => Reason::NotCloseRelative,
            WalletRefusal::NotEmployeeScheme => Reason::NotEmployeeScheme,
            WalletRefusal::LimitDailyTransfers => Reason::LimitDailyTransfers,
            WalletRefusal::LimitAmount => Reason::LimitAmount,
            WalletRefusal::QuietHours => Reason::QuietHours,
            WalletRefusal::PendingTransfer => Reason::PendingTransfer,
            WalletRefusal::InsufficientFunds => Reason::InsufficientFunds,
            WalletRefusal::InvalidAmount => Reason::InvalidAmount,
            WalletRefusal::UnknownTransfer => Reason::UnknownTransfer,
            WalletRefusal::TransferNotPending => Reason::TransferNotPending,
            WalletRefusal::PaymentPending => Reason::PaymentPending,
        }
    }

    /// The stable string form: that of its [`Reason`].
    pub const fn as_str(self) -> &'static str {
        self.reason().as_str()
    }
}

/// Written as its [`Reason`] is.
impl fmt::Display for WalletRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.reason(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_refusals_are_rejections_written_as_their_reasons() {
        // The strings themselves are pinned once, in the reason table's test.
        assert_eq!(WalletRefusal::ALL.len(), 14);
        for r in WalletRefusal::ALL {
            assert!(r.reason().is_rejection());
            assert_eq!(r.as_str(), r.reason().as_str());
            assert_eq!(r.to_string(), r.reason().as_str());
        }
        assert_eq!(
            WalletRefusal::ALL.last().map(|r| r.reason()),
            Some(Reason::PaymentPending)
        );
    }
}
