//! The wallet's rules as settings, each defaulting to the official figure:
//! 3 transfers per sending wallet per day, at most 2,000 yuan each, none
//! from 22:00 to 06:00, and what the receiver has not accepted goes back
//! at 06:00 the next day; days and hours in Beijing time (UTC+8, no
//! daylight saving).

use std::time::Duration;

use crate::wallet::Fen;
use medcode::error::{Error, Result};
use medcode::time::UnixTime;

/// Default most transfers per sending wallet per day.
pub const DEFAULT_MAX_TRANSFERS_PER_DAY: u32 = 3;
/// Default most one transfer may move: 2,000 yuan.
pub const DEFAULT_MAX_TRANSFER: Fen = Fen::yuan(2_000);
/// Beijing time: UTC+8, in seconds.
pub const BEIJING_OFFSET_SECS: u64 = 8 * 3600;
/// Default longest a retried payment waits for the first try under its
/// request id to finish before it is refused as `payment_pending`.
pub const DEFAULT_PENDING_PAYMENT_WAIT: Duration = Duration::from_secs(10);
/// Default age, in seconds of the operations' times, after which the claim
/// of a payment that never finished (its process died) is taken over by a
/// retry.
pub const DEFAULT_STALE_PAYMENT_CLAIM_SECS: u64 = 60;

const DAY: u64 = 86_400;

/// The wallet's rule settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletPolicy {
    max_transfers_per_day: u32,
    max_transfer: Fen,
    quiet_start: u64,
    quiet_end: u64,
    return_at: u64,
    utc_offset: u64,
    pending_payment_wait: Duration,
    stale_payment_claim: u64,
}

impl Default for WalletPolicy {
    fn default() -> Self {
        WalletPolicy {
            max_transfers_per_day: DEFAULT_MAX_TRANSFERS_PER_DAY,
            max_transfer: DEFAULT_MAX_TRANSFER,
            quiet_start: 22 * 3600,
            quiet_end: 6 * 3600,
            return_at: 6 * 3600,
            utc_offset: BEIJING_OFFSET_SECS,
            pending_payment_wait: DEFAULT_PENDING_PAYMENT_WAIT,
            stale_payment_claim: DEFAULT_STALE_PAYMENT_CLAIM_SECS,
        }
    }
}

impl WalletPolicy {
    /// Sets the most transfers per sending wallet per local day (at least 1).
    ///
    /// # Errors
    ///
    /// `invalid_argument` for 0.
    pub fn with_max_transfers_per_day(mut self, n: u32) -> Result<Self> {
        if n == 0 {
            return Err(Error::argument(
                "max transfers per day",
                "must be at least 1",
            ));
        }
        self.max_transfers_per_day = n;
        Ok(self)
    }

    /// Sets the most one transfer may move (more than zero).
    ///
    /// # Errors
    ///
    /// `invalid_argument` for zero.
    pub fn with_max_transfer(mut self, max: Fen) -> Result<Self> {
        if max == Fen::ZERO {
            return Err(Error::argument("max transfer", "must be more than 0"));
        }
        self.max_transfer = max;
        Ok(self)
    }

    /// Sets the quiet hours, as seconds after local midnight: no transfer at
    /// `start <= t < end` (wrapping midnight when `start > end`; none when
    /// equal).
    ///
    /// # Errors
    ///
    /// `invalid_argument` for a second past the day.
    pub fn with_quiet_hours(mut self, start: u64, end: u64) -> Result<Self> {
        if start >= DAY || end >= DAY {
            return Err(Error::argument(
                "quiet hours",
                "seconds after midnight, below 86400",
            ));
        }
        self.quiet_start = start;
        self.quiet_end = end;
        Ok(self)
    }

    /// Sets how long a retried payment waits (polling the store) for the
    /// first try under its request id to finish before it is refused as
    /// `payment_pending`; zero refuses at once.
    #[must_use]
    pub fn with_pending_payment_wait(mut self, wait: Duration) -> Self {
        self.pending_payment_wait = wait;
        self
    }

    /// Sets the age, in seconds of the operations' times (`now`), after
    /// which a retry takes over the claim of a payment that never finished.
    ///
    /// # Errors
    ///
    /// `invalid_argument` for 0 (every claim would be taken over at once).
    pub fn with_stale_payment_claim(mut self, secs: u64) -> Result<Self> {
        if secs == 0 {
            return Err(Error::argument(
                "stale payment claim",
                "must be at least 1 second",
            ));
        }
        self.stale_payment_claim = secs;
        Ok(self)
    }

    /// How long a retried payment waits for the first try to finish.
    pub fn pending_payment_wait(&self) -> Duration {
        self.pending_payment_wait
    }

    /// The age in seconds after which a payment's claim may be taken over.
    pub fn stale_payment_claim(&self) -> u64 {
        self.stale_payment_claim
    }

    /// The most transfers per sending wallet per local day.
    pub fn max_transfers_per_day(&self) -> u32 {
        self.max_transfers_per_day
    }

    /// The most one transfer may move.
    pub fn max_transfer(&self) -> Fen {
        self.max_transfer
    }

    /// The local day number of `t` (days since 1970-01-01 in local time).
    pub fn local_day(&self, t: UnixTime) -> u64 {
        (t.as_secs() + self.utc_offset) / DAY
    }

    /// The first second of the local day of `t`.
    pub fn day_start(&self, t: UnixTime) -> UnixTime {
        UnixTime::from_secs((self.local_day(t) * DAY).saturating_sub(self.utc_offset))
    }

    /// True inside the quiet hours.
    pub fn is_quiet(&self, t: UnixTime) -> bool {
        let s = (t.as_secs() + self.utc_offset) % DAY;
        match self.quiet_start.cmp(&self.quiet_end) {
            std::cmp::Ordering::Greater => s >= self.quiet_start || s < self.quiet_end,
            std::cmp::Ordering::Less => s >= self.quiet_start && s < self.quiet_end,
            std::cmp::Ordering::Equal => false,
        }
    }

    /// When a transfer made at `t` and not accepted goes back: the next
    /// local day at the return hour (06:00).
    pub fn return_due(&self, t: UnixTime) -> UnixTime {
        UnixTime::from_secs(
            ((self.local_day(t) + 1) * DAY + self.return_at).saturating_sub(self.utc_offset),
        )
    }

    /// `HH:MM` of a second of the day, for messages.
    pub(crate) fn clock(secs: u64) -> String {
        format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
    }

    /// `HH:MM` of `now` in the wallet's time zone (Beijing time), for
    /// messages.
    pub(crate) fn local_clock(&self, now: UnixTime) -> String {
        Self::clock((now.as_secs() + self.utc_offset) % 86_400)
    }

    /// The quiet hours as `22:00-06:00` Beijing time.
    pub(crate) fn quiet_text(&self) -> String {
        format!(
            "{}-{} (UTC+{})",
            Self::clock(self.quiet_start),
            Self::clock(self.quiet_end),
            self.utc_offset / 3600
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> UnixTime {
        UnixTime::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn quiet_hours_are_22_to_06_beijing_time() {
        let p = WalletPolicy::default();
        // 21:59:59 Beijing = 13:59:59 UTC.
        assert!(!p.is_quiet(t("2026-12-01T13:59:59Z")));
        assert!(p.is_quiet(t("2026-12-01T14:00:00Z")));
        assert!(p.is_quiet(t("2026-12-01T21:59:59Z")));
        assert!(!p.is_quiet(t("2026-12-01T22:00:00Z")));
    }

    #[test]
    fn days_and_returns_follow_beijing_midnight() {
        let p = WalletPolicy::default();
        // 23:59:59 and 00:00:00 Beijing time are two days.
        assert_eq!(
            p.local_day(t("2026-12-01T15:59:59Z")) + 1,
            p.local_day(t("2026-12-01T16:00:00Z"))
        );
        assert_eq!(
            p.day_start(t("2026-12-02T01:00:00Z")),
            t("2026-12-01T16:00:00Z")
        );
        // Sent at 10:00 Beijing on 2 December: back at 06:00 on 3 December.
        assert_eq!(
            p.return_due(t("2026-12-02T02:00:00Z")),
            t("2026-12-02T22:00:00Z")
        );
    }
}
