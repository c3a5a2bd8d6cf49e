//! What a code says about a person: validated claim types.
//!
//! Each type checks its own rules at construction, so a [`Claims`] value is
//! always encodable. None of them can hold a national ID number or a full
//! name: the identifier is the platform's opaque one, and the display name is
//! a short masked form such as `张*`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::error::{Error, Result};

/// Longest insured-person identifier, in characters.
pub const MAX_ID_CHARS: usize = 20;
/// Longest masked display name, in characters.
pub const MAX_NAME_CHARS: usize = 4;
/// Longest masked display name, in UTF-8 bytes.
pub const MAX_NAME_BYTES: usize = 12;
/// Default validity of an issued code, in seconds.
pub const DEFAULT_VALIDITY_SECS: u16 = 60;

/// The platform's opaque identifier of an insured person: 1 to 20 characters
/// of `0-9` and `A-Z`. All-digit identifiers pack into fewer bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InsuredId(String);

impl InsuredId {
    /// Validates an identifier.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when `text` is empty, longer than
    /// [`MAX_ID_CHARS`] characters, or holds anything but `0-9` and `A-Z`.
    pub fn new(text: &str) -> Result<Self> {
        if text.is_empty() {
            return Err(Error::claims("insured identifier", "must not be empty"));
        }
        if text.len() > MAX_ID_CHARS {
            return Err(Error::claims(
                "insured identifier",
                format!("{} characters, at most {MAX_ID_CHARS} allowed", text.len()),
            ));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(Error::claims(
                "insured identifier",
                "only digits 0-9 and upper-case letters A-Z are allowed",
            ));
        }
        Ok(InsuredId(text.to_owned()))
    }

    /// The identifier text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when every character is a digit (the compact packing applies).
    pub fn is_numeric(&self) -> bool {
        self.0.bytes().all(|b| b.is_ascii_digit())
    }
}

impl fmt::Display for InsuredId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for InsuredId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InsuredId({})", self.0)
    }
}

impl FromStr for InsuredId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        InsuredId::new(s)
    }
}

impl Serialize for InsuredId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The province-level division codes (GB/T 2260): the first two digits of
/// every valid [`Region`].
pub const PROVINCES: [std::ops::RangeInclusive<u32>; 9] = [
    11..=15,
    21..=23,
    31..=37,
    41..=46,
    50..=54,
    61..=65,
    71..=71,
    81..=81,
    82..=82,
];

/// Region of enrolment (参保地): a 6-digit administrative division code such
/// as `110000` (Beijing). It travels with the code; it never restricts where
/// the code is accepted, except through [`Claims::cross_province`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(u32);

impl Region {
    /// Validates a region code: exactly six digits whose first two name a
    /// province-level division ([`PROVINCES`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when `text` is not six ASCII
    /// digits, starts with `0`, or its province part is not in [`PROVINCES`].
    pub fn new(text: &str) -> Result<Self> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::claims(
                "region",
                format!("{text:?} is not a 6-digit administrative division code"),
            ));
        }
        if text.starts_with('0') {
            return Err(Error::claims(
                "region",
                format!("{text:?}: division codes do not start with 0"),
            ));
        }
        let value = text
            .parse::<u32>()
            .map_err(|_| Error::claims("region", "not a number"))?;
        Region::from_code(value)
    }

    /// Builds a region from its numeric value (100000..=999999, province
    /// part in [`PROVINCES`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when `code` is outside
    /// 100000..=999999 or its first two digits are not a province-level code.
    pub fn from_code(code: u32) -> Result<Self> {
        if (100_000..=999_999).contains(&code) {
            let province = code / 10_000;
            if !PROVINCES.iter().any(|r| r.contains(&province)) {
                return Err(Error::claims(
                    "region",
                    format!(
                        "{code}: {province} is not a province-level division code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82)"
                    ),
                ));
            }
            Ok(Region(code))
        } else {
            Err(Error::claims(
                "region",
                format!("{code} is not a 6-digit administrative division code"),
            ))
        }
    }

    /// The numeric code.
    pub const fn code(self) -> u32 {
        self.0
    }

    /// The province part: the first two digits (e.g. 11 for Beijing).
    pub const fn province(self) -> u32 {
        self.0 / 10_000
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({:06})", self.0)
    }
}

impl FromStr for Region {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Region::new(s)
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The middle dot that separates the parts of a transliterated name
/// (U+00B7, as in `阿·*`), the one character besides letters and `*` that a
/// masked name may hold.
pub const NAME_MIDDLE_DOT: char = '\u{b7}';

/// True for the characters a masked name may hold: letters (Unicode general
/// categories Lu, Ll, Lt, Lm and Lo), the middle dot [`NAME_MIDDLE_DOT`] and
/// `*`. Everything else is refused, above all the control and format
/// characters (Cc, Cf: U+202E right-to-left override, U+200B zero-width
/// space, U+2066 left-to-right isolate) that would reorder or hide what a
/// till's display shows, and also digits, spaces, punctuation, symbols and
/// combining marks.
pub(crate) fn is_masked_name_char(c: char) -> bool {
    c == '*' || c == NAME_MIDDLE_DOT || c.general_category_group() == GeneralCategoryGroup::Letter
}

/// A masked display name such as `张*`: 1 to 4 characters, at most 12 bytes
/// of UTF-8, containing at least one `*` so that it can never be a full name,
/// and nothing but letters (general category L*), the middle dot U+00B7
/// and `*`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedName(String);

impl MaskedName {
    /// Validates a masked name.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when `text` is empty, longer than
    /// [`MAX_NAME_CHARS`] characters or [`MAX_NAME_BYTES`] bytes, has no `*`, or
    /// holds a character other than a letter (general category L*), the
    /// middle dot U+00B7 and `*`.
    pub fn new(text: &str) -> Result<Self> {
        let chars = text.chars().count();
        if chars == 0 {
            return Err(Error::claims("masked name", "must not be empty"));
        }
        if chars > MAX_NAME_CHARS || text.len() > MAX_NAME_BYTES {
            return Err(Error::claims(
                "masked name",
                format!(
                    "{text:?} is too long: at most {MAX_NAME_CHARS} characters and {MAX_NAME_BYTES} bytes"
                ),
            ));
        }
        if !text.contains('*') {
            return Err(Error::claims(
                "masked name",
                format!("{text:?} is not masked: it must hide at least one character with '*'"),
            ));
        }
        if let Some(bad) = text.chars().find(|&c| !is_masked_name_char(c)) {
            return Err(Error::claims(
                "masked name",
                format!(
                    "U+{:04X} is not allowed: only letters, the middle dot U+00B7 and '*'",
                    u32::from(bad)
                ),
            ));
        }
        Ok(MaskedName(text.to_owned()))
    }

    /// The masked name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MaskedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MaskedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedName({})", self.0)
    }
}

impl Serialize for MaskedName {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

text_enum!(
    /// Insurance status. A lapsed person (断缴) can still show and use the
    /// code but receives no benefits for the lapsed period: a verifier
    /// reports the status, it never rejects a code for it.
    Status, "status", Error::claims {
        /// Contributions are paid up.
        Normal => "normal",
        /// Contributions lapsed (断缴): the code works, no benefits for the lapsed period.
        Lapsed => "lapsed",
    }
);

text_enum!(
    /// Insurance scheme: employee (职工) or resident (城乡居民).
    Scheme, "scheme", Error::claims {
        /// Employee basic medical insurance (职工医保).
        Employee => "employee",
        /// Urban and rural resident insurance (城乡居民医保).
        Resident => "resident",
    }
);

text_enum!(
    /// How the presenter of a delegate code is related to the insured person
    /// whose code it is. For an owner showing their mother's code the
    /// relation is `Child`: the presenter is the insured person's child.
    Relation, "relation", Error::claims {
        /// The presenter is the insured person's parent.
        Parent => "parent",
        /// The presenter is the insured person's spouse.
        Spouse => "spouse",
        /// The presenter is the insured person's child.
        Child => "child",
        /// The presenter is the insured person's brother or sister.
        Sibling => "sibling",
        /// The presenter is the insured person's grandparent (either side).
        Grandparent => "grandparent",
        /// The presenter is the insured person's grandchild (either side).
        Grandchild => "grandchild",
        /// Another family member (not a close relative for mutual aid).
        OtherFamily => "other_family",
    }
);

impl Relation {
    /// The relation seen from the other side: if A is B's parent, B is A's
    /// child.
    pub const fn inverse(self) -> Relation {
        match self {
            Relation::Parent => Relation::Child,
            Relation::Child => Relation::Parent,
            Relation::Grandparent => Relation::Grandchild,
            Relation::Grandchild => Relation::Grandparent,
            Relation::Spouse => Relation::Spouse,
            Relation::Sibling => Relation::Sibling,
            Relation::OtherFamily => Relation::OtherFamily,
        }
    }

    /// Close relatives eligible for personal-account mutual aid (spouse,
    /// parents, children, siblings, grandparents, grandchildren).
    pub const fn is_close_relative(self) -> bool {
        !matches!(self, Relation::OtherFamily)
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            Relation::Parent => 1,
            Relation::Spouse => 2,
            Relation::Child => 3,
            Relation::Sibling => 4,
            Relation::Grandparent => 5,
            Relation::Grandchild => 6,
            Relation::OtherFamily => 7,
        }
    }

    pub(crate) const fn from_code(code: u8) -> Option<Relation> {
        match code {
            1 => Some(Relation::Parent),
            2 => Some(Relation::Spouse),
            3 => Some(Relation::Child),
            4 => Some(Relation::Sibling),
            5 => Some(Relation::Grandparent),
            6 => Some(Relation::Grandchild),
            7 => Some(Relation::OtherFamily),
            _ => None,
        }
    }
}

/// The delegate block of a family-account code (亲情账户): who shows the code
/// on the insured person's behalf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Presenter {
    /// The presenting owner's identifier.
    pub insured: InsuredId,
    /// The presenter's relation to the insured person.
    pub relation: Relation,
    /// Whether a personal-account mutual-aid filing (个人账户家庭共济) existed
    /// when the code was issued. A family binding alone never sets it.
    pub mutual_aid: bool,
}

/// Everything an issuer puts in a code, apart from the times, key id and
/// token id that the issuer adds itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The insured person whose insurance pays.
    pub insured: InsuredId,
    /// Optional masked display name.
    pub name: Option<MaskedName>,
    /// Region of enrolment.
    pub region: Region,
    /// Insurance status.
    pub status: Status,
    /// Insurance scheme.
    pub scheme: Scheme,
    /// False when the holder switched off use at tills outside their home
    /// province.
    pub cross_province: bool,
    /// Present on a delegate (family-account) code.
    pub presenter: Option<Presenter>,
}

impl Claims {
    /// Claims for a normal, employee-scheme self code with cross-province
    /// use on; adjust fields as needed.
    pub fn new(insured: InsuredId, region: Region) -> Self {
        Claims {
            insured,
            name: None,
            region,
            status: Status::Normal,
            scheme: Scheme::Employee,
            cross_province: true,
            presenter: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(InsuredId::new("12345678901234567890").unwrap().is_numeric());
        assert!(!InsuredId::new("A1B2").unwrap().is_numeric());
        for bad in ["", "123456789012345678901", "abc", "12 3", "１２"] {
            let err = InsuredId::new(bad).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_claims", "{bad:?}");
        }
    }

    #[test]
    fn regions() {
        let r = Region::new("440305").unwrap();
        assert_eq!(r.code(), 440_305);
        assert_eq!(r.province(), 44);
        assert_eq!(r.to_string(), "440305");
        for bad in [
            "", "11000", "1100000", "01000", "010000", "11000A", "999999", "100000", "160000",
            "720000", "830000",
        ] {
            assert!(Region::new(bad).is_err(), "{bad:?}");
        }
        assert!(Region::from_code(99_999).is_err());
        assert!(Region::from_code(1_000_000).is_err());
        assert!(Region::from_code(999_999).is_err());
        for good in ["110000", "150000", "650000", "710000", "810000", "820000"] {
            assert!(Region::new(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn masked_names() {
        assert_eq!(MaskedName::new("张*").unwrap().as_str(), "张*");
        assert!(MaskedName::new("欧阳**").is_ok());
        for bad in ["", "张三", "张三丰李*", "a b*", "\u{7}*", "𠀀𠀀𠀀*"] {
            assert!(MaskedName::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn masked_names_hold_only_letters_the_middle_dot_and_stars() {
        // Letters of every L* category, the middle dot and '*'.
        for good in [
            "张*",  // Lo
            "A*",   // Lu
            "é*",   // Ll
            "ǅ*",   // Lt
            "ー*",  // Lm (katakana prolonged sound mark)
            "阿·*", // the middle dot of transliterated names
            "**",
        ] {
            assert!(MaskedName::new(good).is_ok(), "{good:?}");
        }
        // Invisible characters (Cf), controls (Cc), and everything else
        // that is not a letter.
        for bad in [
            "\u{202e}*", // right-to-left override
            "\u{200b}*", // zero-width space
            "\u{2066}*", // left-to-right isolate
            "\u{200d}*", // zero-width joiner
            "\u{feff}*", // byte-order mark
            "\u{ad}*",   // soft hyphen
            "\u{1b}*",   // escape
            "\u{85}*",   // next line (C1 control)
            "\u{3000}*", // ideographic space
            "1*",        // digit
            "-*",        // punctuation
            ".*",        // full stop instead of the middle dot
            "\u{30fb}*", // katakana middle dot (punctuation)
            "$*",        // symbol
            "e\u{301}*", // combining acute accent (Mn)
            "\u{e000}*", // private use
            "\u{378}*",  // unassigned
        ] {
            let err = MaskedName::new(bad).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_claims", "{bad:?}");
        }
    }

    #[test]
    fn relations_invert_and_classify() {
        for r in &Relation::ALL {
            assert_eq!(r.inverse().inverse(), *r);
            assert_eq!(Relation::from_code(r.code()), Some(*r));
            assert_eq!(r.as_str().parse::<Relation>().unwrap(), *r);
        }
        assert!(!Relation::OtherFamily.is_close_relative());
        assert!(Relation::Grandchild.is_close_relative());
        assert_eq!(Relation::from_code(0), None);
        assert_eq!(Relation::from_code(8), None);
    }
}
