//! Money as integer fen (分, a hundredth of a yuan): never a float.
//!
//! [`Fen::parse_yuan`] reads what a person types: `500`, `2000.00`, `0.5`.
//! Anything else, a third decimal, a sign, an exponent, a space, a bare
//! point, zero digits, or more than [`MAX_YUAN_DIGITS`] digits of yuan, is
//! refused as `invalid_amount`.

use std::fmt;

use serde::{Serialize, Serializer};

use medcode::error::{Error, Result, WalletRefusal};

/// Most digits before the decimal point (a trillion yuan less a fen): every
/// amount fits an `i64` of fen, about 92,000 of the largest together do
/// (`i64::MAX` is 9.2 x 10^18 fen, the largest amount 10^14), a million of
/// them do not. So balances and sums are never trusted to fit: the ledger
/// adds with checked arithmetic and refuses, as `invalid_amount`, an
/// operation that would take a balance past `i64::MAX` fen.
pub const MAX_YUAN_DIGITS: usize = 12;

/// An amount of money in fen (1 yuan = 100 fen), never negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(u64);

impl Fen {
    /// Zero.
    pub const ZERO: Fen = Fen(0);

    /// An amount of `fen` fen.
    pub const fn new(fen: u64) -> Fen {
        Fen(fen)
    }

    /// An amount of whole yuan.
    pub const fn yuan(yuan: u64) -> Fen {
        Fen(yuan * 100)
    }

    /// The amount in fen.
    pub const fn fen(self) -> u64 {
        self.0
    }

    /// Parses yuan with at most two decimals (`500`, `2000.00`, `0.5`).
    ///
    /// # Errors
    ///
    /// [`Error::WalletRefused`] with [`WalletRefusal::InvalidAmount`]
    /// (`invalid_amount`) for anything else: a sign, an exponent, spaces, a
    /// third decimal, a bare point, or more than [`MAX_YUAN_DIGITS`] digits
    /// of yuan. Zero parses (as [`Fen::ZERO`]); the operations refuse it.
    pub fn parse_yuan(text: &str) -> Result<Fen> {
        let bad = |why: &str| {
            Error::wallet(
                WalletRefusal::InvalidAmount,
                format!(
                    "{text:?} {why}: give yuan with at most two decimals, such as 500 or 2000.00"
                ),
            )
        };
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("is not an amount"));
        }
        if whole.len() > MAX_YUAN_DIGITS {
            return Err(bad("is too large"));
        }
        let mut fen: u64 = 0;
        for b in whole.bytes() {
            fen = fen * 10 + u64::from(b - b'0');
        }
        fen *= 100;
        if let Some(frac) = frac {
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("is not an amount"));
            }
            if frac.len() > 2 {
                return Err(bad("has more than two decimals"));
            }
            let mut digits = frac.bytes().map(|b| u64::from(b - b'0'));
            fen += digits.next().unwrap_or(0) * 10 + digits.next().unwrap_or(0);
        }
        Ok(Fen(fen))
    }

    /// `self + other`, or `invalid_amount` past `i64::MAX` fen.
    ///
    /// # Errors
    ///
    /// `invalid_amount` when the sum does not fit.
    pub fn checked_add(self, other: Fen) -> Result<Fen> {
        self.0
            .checked_add(other.0)
            .filter(|v| i64::try_from(*v).is_ok())
            .map(Fen)
            .ok_or_else(|| Error::wallet(WalletRefusal::InvalidAmount, "the sum is too large"))
    }

    /// The amount as the database's signed integer.
    pub(crate) fn db(self) -> Result<i64> {
        i64::try_from(self.0)
            .map_err(|_| Error::wallet(WalletRefusal::InvalidAmount, "the amount is too large"))
    }

    /// An amount read from the database.
    pub(crate) fn from_db(fen: i64) -> Result<Fen> {
        u64::try_from(fen).map(Fen).map_err(|_| Error::Storage {
            why: format!("a negative balance of {fen} fen in the wallet store"),
        })
    }
}

impl fmt::Display for Fen {
    /// Yuan with two decimals: `500.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Fen {
    /// The amount in fen, a JSON integer.
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medcode::Reason;

    #[test]
    fn yuan_with_up_to_two_decimals_parse_to_fen() {
        for (text, fen) in [
            ("500", 50_000),
            ("2000.00", 200_000),
            ("2000.01", 200_001),
            ("0.5", 50),
            ("0.05", 5),
            ("0", 0),
            ("999999999999.99", 99_999_999_999_999),
        ] {
            assert_eq!(Fen::parse_yuan(text).unwrap(), Fen::new(fen), "{text}");
        }
        assert_eq!(Fen::new(200_001).to_string(), "2000.01");
        assert_eq!(Fen::new(5).to_string(), "0.05");
    }

    #[test]
    fn anything_else_is_an_invalid_amount() {
        for text in [
            "",
            "-1",
            "+1",
            "1e3",
            "1E3",
            "0x10",
            ".5",
            "5.",
            "1.234",
            " 5",
            "5 ",
            "1,000",
            "inf",
            "NaN",
            "1.2.3",
            "１",
            "1000000000000",
            "99999999999999999999",
        ] {
            let e = Fen::parse_yuan(text).unwrap_err();
            assert_eq!(e.reason(), Reason::InvalidAmount, "{text:?}");
        }
    }
}
