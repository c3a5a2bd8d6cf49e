//! The till's context of one check ([`TillContext`]): where and for what a
//! code is shown, with the rules each field follows; and the observer a
//! till setup attaches to hear every verdict ([`VerdictObserver`]).

use std::fmt;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::Region;
use crate::error::{Error, Result};
use crate::time::UnixTime;
use crate::verify::Verdict;

/// Where and for what a code is checked: the till's region (for the
/// holder's cross-province switch) and the fields of the platform's decode
/// interface (institution, business type, operator, office). Every field
/// is optional; the setters refuse a value that breaks its rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TillContext {
    till_region: Option<Region>,
    org_id: Option<String>,
    business_type: Option<String>,
    operator_id: Option<String>,
    office_id: Option<String>,
}

impl TillContext {
    /// A context with no field set: the verifier's own till region, if
    /// any, applies.
    pub fn new() -> Self {
        TillContext::default()
    }

    /// The till's region, which enables the holder's cross-province
    /// switch (it overrides the verifier's policy for this check).
    #[must_use = "with_till_region returns the changed context"]
    pub fn with_till_region(mut self, region: Region) -> Self {
        self.till_region = Some(region);
        self
    }

    /// The institution: 1-64 letters, digits, `-`, `_` or `.`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`, what `org_id`).
    pub fn with_org_id(mut self, org_id: &str) -> Result<Self> {
        let ok = (1..=64).contains(&org_id.len())
            && org_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        self.org_id = Some(checked(
            "org_id",
            org_id,
            ok,
            "1-64 letters, digits, '-', '_' or '.'",
        )?);
        Ok(self)
    }

    /// The business type: 5 digits (01101 registration, 01301 outpatient
    /// settlement, 02121 pharmacy purchase, ...).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`, what `business_type`).
    pub fn with_business_type(mut self, business_type: &str) -> Result<Self> {
        let ok = business_type.len() == 5 && business_type.bytes().all(|b| b.is_ascii_digit());
        self.business_type = Some(checked("business_type", business_type, ok, "5 digits")?);
        Ok(self)
    }

    /// The operator at the till: 1-64 printable characters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`, what `operator_id`).
    pub fn with_operator_id(mut self, operator_id: &str) -> Result<Self> {
        let ok = printable(operator_id);
        self.operator_id = Some(checked("operator_id", operator_id, ok, PRINTABLE)?);
        Ok(self)
    }

    /// The office of the till: 1-64 printable characters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`, what `office_id`).
    pub fn with_office_id(mut self, office_id: &str) -> Result<Self> {
        let ok = printable(office_id);
        self.office_id = Some(checked("office_id", office_id, ok, PRINTABLE)?);
        Ok(self)
    }

    /// The till's region, if set.
    pub fn till_region(&self) -> Option<Region> {
        self.till_region
    }

    /// The institution, if set.
    pub fn org_id(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    /// The business type, if set.
    pub fn business_type(&self) -> Option<&str> {
        self.business_type.as_deref()
    }

    /// The operator, if set.
    pub fn operator_id(&self) -> Option<&str> {
        self.operator_id.as_deref()
    }

    /// The office, if set.
    pub fn office_id(&self) -> Option<&str> {
        self.office_id.as_deref()
    }
}

const PRINTABLE: &str = "1-64 printable characters";

/// 1 to 64 characters, none of them a control or format character (Cc,
/// Cf: U+202E right-to-left override, U+200B zero-width space, U+2066
/// left-to-right isolate, ...), a line or paragraph separator, a surrogate,
/// private-use or unassigned: nothing that would reorder or hide what a
/// record or a log line shows.
fn printable(v: &str) -> bool {
    (1..=64).contains(&v.chars().count())
        && v.chars().all(|c| {
            !matches!(
                c.general_category(),
                GeneralCategory::Control
                    | GeneralCategory::Format
                    | GeneralCategory::LineSeparator
                    | GeneralCategory::ParagraphSeparator
                    | GeneralCategory::Surrogate
                    | GeneralCategory::PrivateUse
                    | GeneralCategory::Unassigned
            )
        })
}

fn checked(what: &'static str, value: &str, ok: bool, rule: &str) -> Result<String> {
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Error::argument(what, format!("must be {rule}")))
    }
}

/// Hears every verdict a verifier gives: attached with
/// [`Verifier::with_observer`] or a till setup's
/// [`TillConfig::observer`], called once per code by every path that
/// checks one (`verify`, `verify_batch`, `check`, `check_batch`, and the
/// paths built on them, such as a payment). It runs on the verifying
/// thread: `observe` must be quick and must not block (queue the work).
///
/// [`Verifier::with_observer`]: crate::Verifier::with_observer
/// [`TillConfig::observer`]: crate::TillConfig::observer
pub trait VerdictObserver: Send + Sync + fmt::Debug {
    /// One verdict, given at `now` in `context`.
    fn observe(&self, verdict: &Verdict, context: &TillContext, now: UnixTime);

    /// Called before the verifier consumes codes (records them in its
    /// replay guard, or would with one): `count` verdicts that name a code
    /// whose signature held follow. An observer that must not lose their
    /// records waits here until it has room for them: the back-pressure
    /// falls on the verdicts to come, never on a code already used. The
    /// default returns at once.
    fn admit(&self, count: usize) {
        let _ = count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_fields_refuse_what_reorders_or_hides_text() {
        for bad in [
            "op\u{202e}1",
            "op\u{200b}1",
            "\u{2066}op",
            "op\u{feff}",
            "op\u{2028}1",
            "op\n1",
            "",
        ] {
            let e = TillContext::new().with_operator_id(bad).unwrap_err();
            assert_eq!(e.reason().as_str(), "invalid_argument", "{bad:?}");
            let e = TillContext::new().with_office_id(bad).unwrap_err();
            assert_eq!(e.reason().as_str(), "invalid_argument", "{bad:?}");
        }
        let c = TillContext::new()
            .with_operator_id("药师 01")
            .and_then(|c| c.with_office_id("门诊-2"))
            .unwrap();
        assert_eq!(
            (c.operator_id(), c.office_id()),
            (Some("药师 01"), Some("门诊-2"))
        );
    }

    #[test]
    fn each_field_keeps_its_rule() {
        let c = TillContext::new()
            .with_org_id("P-1.a_b")
            .and_then(|c| c.with_business_type("02121"))
            .and_then(|c| c.with_operator_id("药师 01"))
            .and_then(|c| c.with_office_id("门诊"))
            .unwrap();
        assert_eq!(
            (
                c.org_id(),
                c.business_type(),
                c.operator_id(),
                c.office_id()
            ),
            (
                Some("P-1.a_b"),
                Some("02121"),
                Some("药师 01"),
                Some("门诊")
            )
        );
        let refused = |r: Result<TillContext>| match r {
            Err(Error::InvalidArgument { what, why }) => format!("{what} {why}"),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(TillContext::new().with_org_id("a b")),
            "org_id must be 1-64 letters, digits, '-', '_' or '.'"
        );
        assert_eq!(
            refused(TillContext::new().with_business_type("2121")),
            "business_type must be 5 digits"
        );
        assert_eq!(
            refused(TillContext::new().with_operator_id("")),
            "operator_id must be 1-64 printable characters"
        );
        assert_eq!(
            refused(TillContext::new().with_office_id("a\u{7}")),
            "office_id must be 1-64 printable characters"
        );
        assert_eq!(
            refused(TillContext::new().with_office_id(&"x".repeat(65))),
            "office_id must be 1-64 printable characters"
        );
    }
}
