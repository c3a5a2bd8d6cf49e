//! The reason codes, written once.
//!
//! `medcode::reason_table!` holds every reason: its variant
//! name, stable number, stable string, documentation and whether it is a
//! rejection. [`Reason`] is defined from it here, and the C ABI's
//! `MedcodeReason` from the same table, so the two cannot drift.

use std::fmt;

/// The table of reason codes, handed to a callback macro.
///
/// `medcode::reason_table!(my_macro)` expands to `my_macro! { .. }` with one
/// entry per reason, in the order of their numeric codes:
///
/// ```text
/// /// Documentation.
/// Variant = 5, "string_form", rejection;
/// ```
///
/// where `rejection` is `true` for a refusal of a presented code or of a
/// registry request and `false` for a problem with the caller's setup,
/// arguments or files. A callback matches the entries with
/// `$( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $text:literal, $rejection:literal; )*`.
/// Numbers and strings never change once released; new reasons are added at
/// the end.
///
/// ```
/// macro_rules! count {
///     ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $text:literal, $rejection:literal; )*) => {
///         [$($text),*].len()
///     };
/// }
/// assert_eq!(medcode::reason_table!(count), medcode::Reason::ALL.len());
/// ```
#[macro_export]
macro_rules! reason_table {
    ($callback:ident) => {
        $callback! {
            /// The token text or binary layout is not a well-formed medcode
            /// token (also: token text that is not UTF-8).
            Malformed = 1, "malformed", true;
            /// The token is of a format version this build does not know.
            UnsupportedVersion = 2, "unsupported_version", true;
            /// No trusted key with the token's key id is valid at this time.
            UnknownKey = 3, "unknown_key", true;
            /// The signature does not verify under any trusted key with that
            /// key id.
            BadSignature = 4, "bad_signature", true;
            /// The token's validity (plus leeway) has passed.
            Expired = 5, "expired", true;
            /// The token's issued-at lies in the future (beyond the leeway).
            NotYetValid = 6, "not_yet_valid", true;
            /// The token claims a validity longer than the verifier's policy
            /// allows.
            ValidityTooLong = 7, "validity_too_long", true;
            /// The holder switched off use outside their home province and the
            /// till is in another province.
            CrossProvinceDisabled = 8, "cross_province_disabled", true;
            /// The token id was already accepted within its validity.
            Replayed = 9, "replayed", true;
            /// The issuing key, the insured person or the presenter is on the
            /// revocation list.
            Revoked = 10, "revoked", true;
            /// The replay guard is at its hard capacity and cannot record the
            /// token.
            ReplayGuardFull = 11, "replay_guard_full", true;
            /// The replay guard (e.g. a shared Redis) cannot be reached.
            ReplayGuardUnavailable = 12, "replay_guard_unavailable", true;
            /// The signed trust or revocation list is past its next-update time
            /// beyond the staleness grace.
            TrustListStale = 13, "trust_list_stale", true;
            /// An image holds no QR code, several, or one that cannot be
            /// decoded.
            Unreadable = 14, "unreadable", true;
            /// Family registry: the owner already has the maximum number of
            /// bound family members.
            LimitMembers = 15, "limit_members", true;
            /// Family registry: the member is already bound by the maximum
            /// number of owners.
            LimitOwners = 16, "limit_owners", true;
            /// Family registry: the member's name or national ID number given
            /// at binding does not match.
            IdentityMismatch = 17, "identity_mismatch", true;
            /// Family registry: the person has not activated their own code.
            NotActivated = 18, "not_activated", true;
            /// Family registry: an owner tried to bind themselves.
            SelfBinding = 19, "self_binding", true;
            /// Family registry: the binding (or filing) already exists.
            AlreadyBound = 20, "already_bound", true;
            /// Family registry: no active binding (or filing) exists between
            /// owner and member.
            NotBound = 21, "not_bound", true;
            /// Mutual aid is only for close relatives.
            NotCloseRelative = 22, "not_close_relative", true;
            /// Mutual aid can only be filed by an owner in the employee scheme.
            NotEmployeeScheme = 23, "not_employee_scheme", true;
            /// The registry holds no person with this identifier.
            UnknownPerson = 24, "unknown_person", true;
            /// Claims given to the issuer are out of bounds.
            InvalidClaims = 25, "invalid_claims", false;
            /// A key file or key material is unusable.
            InvalidKey = 26, "invalid_key", false;
            /// A trust or revocation list is unusable (bad JSON, wrong kid,
            /// bad signature, rolled back, too large).
            InvalidTrustList = 27, "invalid_trust_list", false;
            /// An embedded or server store failed (database error, corrupt
            /// file).
            Storage = 28, "storage", false;
            /// A file could not be read or written.
            Io = 29, "io", false;
            /// A caller-supplied argument is out of range (for the C ABI also:
            /// a null pointer, a path that is not UTF-8, an options struct of
            /// an unknown size).
            InvalidArgument = 30, "invalid_argument", false;
            /// Wallet: the sender has not opened a medical-insurance wallet.
            SenderNoWallet = 31, "sender_no_wallet", true;
            /// Wallet: the receiver has not opened a medical-insurance wallet.
            ReceiverNoWallet = 32, "receiver_no_wallet", true;
            /// Wallet: the region of a wallet has not opened the wallet
            /// service; it can neither send nor receive.
            RegionNotOpened = 33, "region_not_opened", true;
            /// Wallet: the sending wallet made its most transfers of the
            /// (Beijing) day.
            LimitDailyTransfers = 34, "limit_daily_transfers", true;
            /// Wallet: the amount is above the most one transfer may move.
            LimitAmount = 35, "limit_amount", true;
            /// Wallet: no transfers in the quiet hours (22:00 to 06:00
            /// Beijing time by default).
            QuietHours = 36, "quiet_hours", true;
            /// Wallet: a transfer to this receiver is not yet accepted.
            PendingTransfer = 37, "pending_transfer", true;
            /// Wallet: not enough money in the account that pays.
            InsufficientFunds = 38, "insufficient_funds", true;
            /// Wallet: not an amount of yuan with at most two decimals, zero,
            /// or too large.
            InvalidAmount = 39, "invalid_amount", true;
            /// Wallet: no transfer with this id.
            UnknownTransfer = 40, "unknown_transfer", true;
            /// Wallet: the transfer was already accepted or returned, or is
            /// due back to its sender.
            TransferNotPending = 41, "transfer_not_pending", true;
            /// Device code: the credential that certifies the phone's key
            /// has expired (or the code was made after it); the phone must go
            /// online once to renew it.
            CredentialExpired = 42, "credential_expired", true;
            /// Device code: its counter is not below the credential's offline
            /// quota; the phone must go online once to renew the credential.
            QuotaExceeded = 43, "quota_exceeded", true;
            /// Wallet: the first try of a payment under this request id is
            /// still running; retry the same request later for its answer.
            PaymentPending = 44, "payment_pending", true;
        }
    };
}

macro_rules! define_reason {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $text:literal, $rejection:literal; )*) => {
        /// Stable reason codes. The string form (see [`Reason::as_str`]) is
        /// part of the public contract: it never changes once released.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(u32)]
        pub enum Reason {
            $( $(#[doc = $doc])* $variant = $code, )*
        }

        impl Reason {
            /// Every reason, in the order of their numeric codes.
            pub const ALL: [Reason; [$($text),*].len()] = [$(Reason::$variant),*];

            /// The stable string form of the reason code.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $text,)*
                }
            }

            /// True when the reason is a refusal (of a presented code, or of a
            /// registry request by its rules), as opposed to a problem with the
            /// caller's setup, arguments or files. The CLI exits 1 for
            /// refusals and 2 for everything else.
            pub const fn is_rejection(self) -> bool {
                match self {
                    $(Reason::$variant => $rejection,)*
                }
            }
        }
    };
}

reason_table!(define_reason);

impl Reason {
    /// The stable numeric form of the reason code (used by the C ABI);
    /// 0 is reserved for "accepted".
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// Parses the stable string form.
    pub fn from_code_str(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_strings_and_codes_are_stable() {
        let expected = [
            "malformed",
            "unsupported_version",
            "unknown_key",
            "bad_signature",
            "expired",
            "not_yet_valid",
            "validity_too_long",
            "cross_province_disabled",
            "replayed",
            "revoked",
            "replay_guard_full",
            "replay_guard_unavailable",
            "trust_list_stale",
            "unreadable",
            "limit_members",
            "limit_owners",
            "identity_mismatch",
            "not_activated",
            "self_binding",
            "already_bound",
            "not_bound",
            "not_close_relative",
            "not_employee_scheme",
            "unknown_person",
            "invalid_claims",
            "invalid_key",
            "invalid_trust_list",
            "storage",
            "io",
            "invalid_argument",
            "sender_no_wallet",
            "receiver_no_wallet",
            "region_not_opened",
            "limit_daily_transfers",
            "limit_amount",
            "quiet_hours",
            "pending_transfer",
            "insufficient_funds",
            "invalid_amount",
            "unknown_transfer",
            "transfer_not_pending",
            "credential_expired",
            "quota_exceeded",
            "payment_pending",
        ];
        assert_eq!(Reason::ALL.len(), expected.len());
        for (i, (reason, text)) in Reason::ALL.iter().zip(expected).enumerate() {
            assert_eq!(reason.as_str(), text);
            assert_eq!(reason.to_string(), text);
            assert_eq!(reason.code(), i as u32 + 1);
            assert_eq!(Reason::from_code_str(text), Some(*reason));
        }
        assert_eq!(Reason::from_code_str("nope"), None);
    }

    #[test]
    fn rejections_are_told_apart_from_setup_errors() {
        assert!(Reason::Expired.is_rejection());
        assert!(Reason::BadSignature.is_rejection());
        assert!(!Reason::Io.is_rejection());
        assert!(!Reason::InvalidTrustList.is_rejection());
        let setup: Vec<Reason> = Reason::ALL
            .into_iter()
            .filter(|r| !r.is_rejection())
            .collect();
        assert_eq!(
            setup,
            [
                Reason::InvalidClaims,
                Reason::InvalidKey,
                Reason::InvalidTrustList,
                Reason::Storage,
                Reason::Io,
                Reason::InvalidArgument,
            ]
        );
    }
}
