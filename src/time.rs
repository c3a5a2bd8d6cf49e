//! Time as an argument. The library never reads the clock: every check takes
//! the current time from its caller as a [`UnixTime`].

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

use serde::{Serialize, Serializer};

/// Whole seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The instant `secs` seconds after the Unix epoch.
    pub const fn from_secs(secs: u64) -> Self {
        UnixTime(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// This instant plus `secs` seconds, saturating at the far future.
    #[must_use]
    pub const fn plus(self, secs: u64) -> Self {
        UnixTime(self.0.saturating_add(secs))
    }

    /// This instant minus `secs` seconds, saturating at the epoch.
    #[must_use]
    pub const fn minus(self, secs: u64) -> Self {
        UnixTime(self.0.saturating_sub(secs))
    }

    /// Parses an RFC 3339 time such as `2026-11-22T08:00:00Z` or
    /// `2026-11-22T16:00:00+08:00`. Times before the epoch are refused.
    ///
    /// # Errors
    ///
    /// [`ParseTimeError`] (an `invalid_argument` once converted into
    /// [`crate::Error`]) when the text is not RFC 3339 or lies before 1970.
    pub fn parse_rfc3339(text: &str) -> Result<Self, ParseTimeError> {
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|e| ParseTimeError(format!("{text:?} is not an RFC 3339 time ({e})")))?;
        let secs = u64::try_from(parsed.timestamp())
            .map_err(|_| ParseTimeError(format!("{text:?} lies before 1970")))?;
        Ok(UnixTime(secs))
    }

    /// RFC 3339 form in UTC with a `Z` suffix, e.g. `2026-11-22T08:00:00Z`.
    pub fn to_rfc3339(self) -> String {
        match i64::try_from(self.0)
            .ok()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        {
            Some(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
            None => format!("@{}", self.0),
        }
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Serialised as its RFC 3339 form, as in every JSON document of medcode.
impl Serialize for UnixTime {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

/// A time that is not RFC 3339 or lies before the Unix epoch. Converts into
/// [`crate::Error::InvalidArgument`] (`what: "time"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTimeError(String);

impl fmt::Display for ParseTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseTimeError {}

/// A duration in words: `71 h 59 min`, `4 min 10 s`, `9 s`.
pub fn human_secs(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        // 2026-11-22T08:00:00Z
        let t = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z").unwrap();
        assert_eq!(t.as_secs(), 1_795_334_400);
        assert_eq!(t.to_rfc3339(), "2026-11-22T08:00:00Z");
        let beijing = UnixTime::parse_rfc3339("2026-11-22T16:00:00+08:00").unwrap();
        assert_eq!(beijing, t);
    }

    #[test]
    fn bad_times_are_refused() {
        for text in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            let err = UnixTime::parse_rfc3339(text).unwrap_err();
            assert!(err.to_string().starts_with(&format!("{text:?} ")), "{err}");
        }
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(human_secs(72 * 3600), "72 h 0 min");
        assert_eq!(human_secs(250), "4 min 10 s");
        assert_eq!(human_secs(9), "9 s");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixTime::from_secs(5).minus(10).as_secs(), 0);
        assert_eq!(UnixTime::from_secs(u64::MAX).plus(1).as_secs(), u64::MAX);
    }
}
