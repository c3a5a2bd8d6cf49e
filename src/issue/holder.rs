//! The holder side: the phone (or terminal) that shows a refreshing code.
//!
//! A [`Holder`] owns an issuer and one person's claims. Asked for the code
//! at a time `now`, it hands back the code it showed last, or signs a new
//! one (with a new random token id) once the refresh interval has passed.
//! A screenshot of an old picture therefore goes stale: each picture lives
//! for the issuer's validity, and the holder replaces it well before that.
//!
//! Like the rest of the library, the holder never reads the clock: the
//! caller passes `now`, so a test can step through a minute in one line.
//!
//! ```
//! use medcode::{Algorithm, Claims, Holder, InsuredId, Issuer, Region, SigningKey, UnixTime};
//!
//! let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519)?);
//! let claims = Claims::new(InsuredId::new("12345678901234567890")?, Region::new("110000")?);
//! let mut holder = Holder::new(issuer, claims)?; // refreshes every 20 s of a 60 s validity
//!
//! let t0 = UnixTime::parse_rfc3339("2026-11-23T08:00:00Z")?;
//! let first = holder.current(t0)?.token_id();
//! assert_eq!(holder.current(t0.plus(19))?.token_id(), first); // same picture
//! assert_ne!(holder.current(t0.plus(20))?.token_id(), first); // refreshed
//! # Ok::<(), medcode::Error>(())
//! ```

use crate::Claims;
use crate::IssuedToken;
use crate::Issuer;
use crate::error::{Error, Result};
use crate::time::UnixTime;

/// Shows one person's code and replaces it every `refresh` seconds.
#[derive(Debug)]
pub struct Holder {
    issuer: Issuer,
    claims: Claims,
    refresh_secs: u64,
    current: Option<IssuedToken>,
}

impl Holder {
    /// A holder for `claims`, signing with `issuer`, refreshing after a third
    /// of the issuer's validity (20 s of the default 60 s).
    ///
    /// The claims are checked at once by issuing nothing but a trial
    /// encoding, so a holder that was built always has a code to show.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when the insured identifier and
    /// masked name pack into more than
    /// [`MAX_ID_AND_NAME_BYTES`](crate::token::budget::MAX_ID_AND_NAME_BYTES) bytes.
    pub fn new(issuer: Issuer, claims: Claims) -> Result<Self> {
        let refresh_secs = default_refresh_secs(issuer.validity());
        let holder = Holder {
            issuer,
            claims,
            refresh_secs,
            current: None,
        };
        holder.issuer.check_claims(&holder.claims)?;
        Ok(holder)
    }

    /// Sets the refresh interval. It must be at least 1 s and shorter than
    /// the issuer's validity, or a code would be shown after it expired.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `secs` is 0 or not
    /// shorter than the issuer's validity.
    pub fn with_refresh(mut self, secs: u64) -> Result<Self> {
        let validity = u64::from(self.issuer.validity());
        if secs == 0 || secs >= validity {
            return Err(Error::InvalidArgument {
                what: "refresh interval",
                why: format!(
                    "{secs} s: it must be at least 1 s and shorter than the code's validity of {validity} s"
                ),
            });
        }
        self.refresh_secs = secs;
        Ok(self)
    }

    /// Replaces the claims (e.g. re-read from the registry: a changed
    /// status, an ended binding). When they differ, the code shown so far is
    /// dropped and the next [`Holder::current`] signs a new one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when changed claims break the size
    /// budget of [`Holder::new`]; the claims and code shown so far are kept.
    pub fn set_claims(&mut self, claims: Claims) -> Result<()> {
        if claims != self.claims {
            self.issuer.check_claims(&claims)?;
            self.claims = claims;
            self.current = None;
        }
        Ok(())
    }

    /// The refresh interval in seconds.
    pub fn refresh_secs(&self) -> u64 {
        self.refresh_secs
    }

    /// The claims shown.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The code to show at `now`: the current one while it is younger than
    /// the refresh interval, otherwise a freshly signed one. A clock that
    /// went backwards (before the current code's issue time) also gets a
    /// fresh code rather than one that would look not yet valid.
    ///
    /// # Errors
    ///
    /// Only when a new code is signed: [`Error::InvalidArgument`] (`invalid_argument`)
    /// for a `now` beyond 2106-02-07, the format's last second; [`Error::InvalidKey`]
    /// (`invalid_key`) if the system random generator or the signing fails.
    pub fn current(&mut self, now: UnixTime) -> Result<&IssuedToken> {
        let fresh = match &self.current {
            Some(t) => now >= t.issued_at() && now < self.refresh_at(t),
            None => false,
        };
        let kept = if fresh { self.current.take() } else { None };
        let token = match kept {
            Some(token) => token,
            None => self.issuer.issue(&self.claims, now)?,
        };
        Ok(self.current.insert(token))
    }

    /// When the code shown at `now` will be replaced, or `None` when no code
    /// has been shown yet.
    pub fn next_refresh(&self) -> Option<UnixTime> {
        self.current.as_ref().map(|t| self.refresh_at(t))
    }

    fn refresh_at(&self, token: &IssuedToken) -> UnixTime {
        token.issued_at().plus(self.refresh_secs)
    }
}

/// A third of the validity, at least 1 s (and below the validity when the
/// validity is above 1 s).
fn default_refresh_secs(validity: u16) -> u64 {
    (u64::from(validity) / 3).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InsuredId;
    use crate::Region;
    use crate::keys::{Algorithm, SigningKey};

    fn holder(validity: u16) -> Holder {
        let issuer =
            Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap()).with_validity(validity);
        let claims = Claims::new(
            InsuredId::new("12345678901234567890").unwrap(),
            Region::new("110000").unwrap(),
        );
        Holder::new(issuer, claims).unwrap()
    }

    // 2026-11-23T08:00:00Z
    const T0: UnixTime = UnixTime::from_secs(1_795_420_800);

    #[test]
    fn refreshes_exactly_at_the_interval_with_a_new_token_id() {
        let mut h = holder(60);
        assert_eq!(h.refresh_secs(), 20);
        assert_eq!(h.next_refresh(), None);
        let a = h.current(T0).unwrap().clone();
        assert_eq!(a.issued_at(), T0);
        assert_eq!(a.expires_at(), T0.plus(60));
        assert_eq!(h.next_refresh(), Some(T0.plus(20)));
        assert_eq!(h.current(T0.plus(19)).unwrap(), &a);
        let b = h.current(T0.plus(20)).unwrap().clone();
        assert_ne!(b.token_id(), a.token_id());
        assert_ne!(b.text(), a.text());
        assert_eq!(b.issued_at(), T0.plus(20));
        assert_eq!(h.next_refresh(), Some(T0.plus(40)));
    }

    #[test]
    fn a_long_pause_gets_a_code_issued_at_the_new_time() {
        let mut h = holder(60);
        let a = h.current(T0).unwrap().token_id();
        let b = h.current(T0.plus(3600)).unwrap().clone();
        assert_ne!(b.token_id(), a);
        assert_eq!(b.issued_at(), T0.plus(3600));
    }

    #[test]
    fn a_clock_going_backwards_gets_a_new_code() {
        let mut h = holder(60);
        let a = h.current(T0).unwrap().token_id();
        let b = h.current(T0.minus(5)).unwrap().clone();
        assert_ne!(b.token_id(), a);
        assert_eq!(b.issued_at(), T0.minus(5));
    }

    #[test]
    fn changed_claims_get_a_new_code_at_once_and_unchanged_ones_do_not() {
        let mut h = holder(60);
        let a = h.current(T0).unwrap().token_id();
        h.set_claims(h.claims().clone()).unwrap();
        assert_eq!(h.current(T0.plus(1)).unwrap().token_id(), a);
        let mut lapsed = h.claims().clone();
        lapsed.status = crate::Status::Lapsed;
        h.set_claims(lapsed.clone()).unwrap();
        assert_eq!(h.next_refresh(), None);
        let b = h.current(T0.plus(2)).unwrap().clone();
        assert_ne!(b.token_id(), a);
        assert_eq!(b.issued_at(), T0.plus(2));
        assert_eq!(h.claims(), &lapsed);
    }

    #[test]
    fn refresh_must_be_shorter_than_the_validity() {
        let err = holder(60).with_refresh(60).unwrap_err();
        assert_eq!(err.reason(), crate::Reason::InvalidArgument);
        assert_eq!(
            err.to_string(),
            "invalid refresh interval: 60 s: it must be at least 1 s and shorter than the code's validity of 60 s"
        );
        assert_eq!(
            holder(60).with_refresh(0).unwrap_err().reason(),
            crate::Reason::InvalidArgument
        );
        assert_eq!(holder(60).with_refresh(59).unwrap().refresh_secs(), 59);
        assert_eq!(holder(2).refresh_secs(), 1);
    }

    #[test]
    fn claims_over_the_size_budget_are_refused_up_front() {
        let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
        let mut claims = Claims::new(
            InsuredId::new("ABCDEFGHIJKLMNOPQRST").unwrap(),
            Region::new("110000").unwrap(),
        );
        claims.name = Some(crate::MaskedName::new("欧阳*").unwrap());
        let err = Holder::new(issuer, claims).unwrap_err();
        assert_eq!(err.reason(), crate::Reason::InvalidClaims);
    }
}
