//! Property tests (proptest): round trips, damaged tokens, hostile input.
//!
//! A damaged token is not just refused: each test names the reasons its
//! kind of damage can give, from the layout of docs/FORMAT.md
//! worked out here independently of the library's decoder.

#[path = "support/token_text.rs"]
mod token_text;

use std::path::Path;
use std::sync::OnceLock;

use medcode::{
    Claims, InsuredId, Issuer, MaskedName, Presenter, Reason, Region, Relation, Scheme, SigningKey,
    Status, TrustList, TrustedKey, UnixTime, UntrustedToken, Verifier,
};
use proptest::prelude::*;
use token_text::token_text;

const NOW: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z

fn test_key(name: &str) -> SigningKey {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/keys")
        .join(format!("{name}.pk8"));
    SigningKey::from_pkcs8(&std::fs::read(path).unwrap()).unwrap()
}

fn trusted(key: &SigningKey) -> TrustedKey {
    TrustedKey {
        key: key.public_key().clone(),
        label: "k".into(),
        authority: "property tests".into(),
        not_before: UnixTime::from_secs(0),
        not_after: UnixTime::from_secs(u64::from(u32::MAX)),
    }
}

/// Issuer A (trusted), issuer B (same key id as A, not trusted), verifier.
fn fixture() -> &'static (Issuer, Issuer, Verifier) {
    static F: OnceLock<(Issuer, Issuer, Verifier)> = OnceLock::new();
    F.get_or_init(|| {
        let a = test_key("kid-collision-a");
        let b = test_key("kid-collision-b");
        let verifier = Verifier::new(TrustList::new(vec![trusted(&a)]).unwrap());
        (Issuer::new(a), Issuer::new(b), verifier)
    })
}

fn id_strategy() -> impl Strategy<Value = InsuredId> {
    prop_oneof!["[0-9]{1,20}", "[0-9A-Z]{1,20}"].prop_map(|s| InsuredId::new(&s).unwrap())
}

fn name_strategy() -> impl Strategy<Value = Option<MaskedName>> {
    let name = proptest::collection::vec(
        prop_oneof![Just('张'), Just('李'), Just('欧'), Just('A'), Just('王')],
        0..3,
    )
    .prop_flat_map(|chars| {
        let n = chars.len();
        (Just(chars), 0..=n)
    })
    .prop_map(|(mut chars, at)| {
        chars.insert(at, '*');
        MaskedName::new(&chars.into_iter().collect::<String>()).unwrap()
    });
    proptest::option::of(name)
}

fn claims_strategy() -> impl Strategy<Value = Claims> {
    let relation = proptest::sample::select(Relation::ALL.to_vec());
    let presenter = proptest::option::of((id_strategy(), relation, any::<bool>()).prop_map(
        |(insured, relation, mutual_aid)| Presenter {
            insured,
            relation,
            mutual_aid,
        },
    ));
    (
        id_strategy(),
        name_strategy(),
        (
            prop::sample::select(
                medcode::limits::PROVINCES
                    .iter()
                    .flat_map(|r| r.clone())
                    .collect::<Vec<u32>>(),
            ),
            0u32..10_000,
        )
            .prop_map(|(province, rest)| province * 10_000 + rest),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        presenter,
    )
        .prop_map(
            |(insured, name, region, lapsed, resident, cross, presenter)| Claims {
                insured,
                name,
                region: Region::from_code(region).unwrap(),
                status: if lapsed {
                    Status::Lapsed
                } else {
                    Status::Normal
                },
                scheme: if resident {
                    Scheme::Resident
                } else {
                    Scheme::Employee
                },
                cross_province: cross,
                presenter,
            },
        )
}

/// Issues `claims`, or None when they exceed the issuer's size budget.
fn issue(issuer: &Issuer, claims: &Claims, at: u64) -> Option<String> {
    match issuer.issue(claims, UnixTime::from_secs(at)) {
        Ok(t) => Some(t.text().to_owned()),
        Err(e) => {
            assert_eq!(e.reason(), Reason::InvalidClaims);
            None
        }
    }
}

const SIGNATURE_LEN: usize = 64;

/// Bytes a packed identifier takes (docs/FORMAT.md): the fewest that hold
/// radix^length.
fn packed_len(id: &InsuredId) -> usize {
    let radix: u128 = if id.is_numeric() { 10 } else { 36 };
    let max = radix.pow(u32::try_from(id.as_str().len()).unwrap());
    (1..16).find(|&b| max <= 1u128 << (8 * b)).unwrap()
}

/// Where the fields of a token with `claims` lie (docs/FORMAT.md).
struct Layout {
    delegate: bool,
    /// First byte after the signed part: the signature's offset.
    signature_at: usize,
}

impl Layout {
    fn of(claims: &Claims, binary_len: usize) -> Self {
        let name = claims.name.as_ref().map_or(0, |n| n.as_str().len());
        let presenter = claims
            .presenter
            .as_ref()
            .map_or(0, |p| 1 + packed_len(&p.insured) + 1);
        let signature_at = 23 + packed_len(&claims.insured) + name + presenter;
        assert_eq!(
            signature_at + SIGNATURE_LEN,
            binary_len,
            "layout of {claims:?}"
        );
        Layout {
            delegate: claims.presenter.is_some(),
            signature_at,
        }
    }

    /// The reasons a verifier (trusting only the original key, no replay
    /// guard involved) can give for `changed`, a copy of the token
    /// `original` with some bytes changed, in the order it checks: the
    /// decoder's `malformed`, then `unknown_key` for another key id, then
    /// `bad_signature`.
    fn possible(&self, original: &[u8], changed: &[u8]) -> Vec<Reason> {
        assert_eq!(original.len(), changed.len());
        let diff: Vec<usize> = (0..original.len())
            .filter(|&i| original[i] != changed[i])
            .collect();
        assert!(!diff.is_empty());
        let validity = u16::from_be_bytes([changed[9], changed[10]]);
        let packed = u32::from_be_bytes([0, changed[19], changed[20], changed[21]]);
        let region = packed >> 4;
        let name_len_changed = (original[21] ^ changed[21]) & 0x0F != 0;
        // Changes the decoder always refuses: the version nibble, the
        // delegate flag (the presenter block appears or vanishes and the
        // signature no longer ends the token), a zero validity, a region
        // outside 100000-999999 or of no province, a name longer than 12 bytes, and a new
        // name length in a self code (the signature no longer ends the
        // token either).
        let forced = changed[0] >> 4 != 1
            || (original[0] ^ changed[0]) & 0x08 != 0
            || validity == 0
            || Region::from_code(region).is_err()
            || packed & 0x0F > 12
            || (name_len_changed && !self.delegate);
        if forced {
            return vec![Reason::Malformed];
        }
        // Changes it may refuse or not: a new name length in a delegate
        // code (the presenter block is read elsewhere), the identifiers'
        // descriptors and values (out of range or not), the name's bytes
        // (valid UTF-8 and masked-name rules or not), the relation byte.
        let mut reasons = Vec::new();
        if name_len_changed || diff.iter().any(|&i| (22..self.signature_at).contains(&i)) {
            reasons.push(Reason::Malformed);
        }
        // Flags, issued-at, validity, token id, region, and whatever
        // decodes: the key id is looked up first, then the signature.
        if diff.iter().any(|&i| (1..5).contains(&i)) {
            reasons.push(Reason::UnknownKey);
        } else {
            reasons.push(Reason::BadSignature);
        }
        reasons
    }

    /// The reasons for `changed`, token text differing from `original`.
    fn possible_for_text(&self, original: &str, changed: &str) -> Vec<Reason> {
        let Some(head) = changed.get(..3) else {
            return vec![Reason::Malformed];
        };
        if head.eq_ignore_ascii_case("MC2") {
            // A device code's prefix: the token's version byte (high
            // nibble 1) disagrees with it.
            return vec![Reason::Malformed];
        }
        if !head.eq_ignore_ascii_case("MC1") {
            let b = changed.as_bytes();
            return if b[..2].eq_ignore_ascii_case(b"MC") && b[2].is_ascii_digit() {
                vec![Reason::UnsupportedVersion]
            } else {
                vec![Reason::Malformed]
            };
        }
        let digits = &changed[3..];
        if digits.len() != original.len() - 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return vec![Reason::Malformed];
        }
        let before = from_digits(&original[3..], original_len(original)).unwrap();
        match from_digits(digits, before.len()) {
            // A number too large for the token's length.
            None => vec![Reason::Malformed],
            Some(after) if after == before => unreachable!("the text changed"),
            Some(after) => self.possible(&before, &after),
        }
    }
}

fn original_len(text: &str) -> usize {
    UntrustedToken::parse(text).unwrap().binary_len()
}

/// The binary of `digits` as `len` big-endian bytes, None when the number
/// does not fit. Schoolbook arithmetic, independent of the library's.
fn from_digits(digits: &str, len: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; len];
    for d in digits.bytes() {
        let mut carry = u32::from(d - b'0');
        for b in out.iter_mut().rev() {
            let cur = u32::from(*b) * 10 + carry;
            *b = (cur & 0xFF) as u8;
            carry = cur >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn issue_then_verify_round_trips_exactly(claims in claims_strategy(), age in 0u64..=75) {
        let (issuer, _, verifier) = fixture();
        let Some(text) = issue(issuer, &claims, NOW) else { return Ok(()) };
        let v = verifier.verify(&text, UnixTime::from_secs(NOW + age)).unwrap();
        prop_assert_eq!(v.claims(), &claims);
        prop_assert_eq!(v.issued_at(), UnixTime::from_secs(NOW));
        let late = verifier.verify(&text, UnixTime::from_secs(NOW + 76)).unwrap_err();
        prop_assert_eq!(late.reason(), Reason::Expired);
    }

    #[test]
    fn any_single_character_change_is_rejected(
        claims in claims_strategy(),
        pos in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let (issuer, _, verifier) = fixture();
        let Some(text) = issue(issuer, &claims, NOW) else { return Ok(()) };
        let mut chars: Vec<char> = text.chars().collect();
        let i = pos.index(chars.len());
        prop_assume!(!chars[i].eq_ignore_ascii_case(&replacement));
        chars[i] = replacement;
        let changed: String = chars.into_iter().collect();
        let reason = verifier.verify(&changed, UnixTime::from_secs(NOW)).unwrap_err().reason();
        let binary = UntrustedToken::parse(&text).unwrap().as_bytes().to_vec();
        let possible = Layout::of(&claims, binary.len()).possible_for_text(&text, &changed);
        prop_assert!(possible.contains(&reason), "{:?} not in {:?} (position {})", reason, possible, i);
        // A non-digit after the prefix is always malformed.
        if i >= 3 && !replacement.is_ascii_digit() {
            prop_assert_eq!(reason, Reason::Malformed);
        }
        // A version digit other than 1 and 2 (device codes) is
        // unsupported_version; a token's digits behind MC2 are no device code.
        if i == 2 && replacement.is_ascii_digit() {
            let expected = if replacement == '2' { Reason::Malformed } else { Reason::UnsupportedVersion };
            prop_assert_eq!(reason, expected);
        }
    }

    #[test]
    fn any_changed_byte_names_the_reasons_of_its_field(
        claims in claims_strategy(),
        pos in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let (issuer, _, verifier) = fixture();
        let Some(text) = issue(issuer, &claims, NOW) else { return Ok(()) };
        let binary = UntrustedToken::parse(&text).unwrap().as_bytes().to_vec();
        prop_assert_eq!(token_text(&binary), text.clone());
        let layout = Layout::of(&claims, binary.len());
        let i = pos.index(binary.len());
        let mut changed = binary.clone();
        changed[i] ^= mask;
        let reason = verifier.verify(&token_text(&changed), UnixTime::from_secs(NOW)).unwrap_err().reason();
        let possible = layout.possible(&binary, &changed);
        prop_assert!(possible.contains(&reason), "{:?} not in {:?} (byte {}, mask {:#04x})", reason, possible, i, mask);
        // The exact reason where one field decides it.
        let exact = match i {
            _ if i >= layout.signature_at => Some(Reason::BadSignature),
            1..=4 => Some(Reason::UnknownKey),
            5..=8 | 11..=18 => Some(Reason::BadSignature),
            0 if mask & 0xF8 != 0 => Some(Reason::Malformed),
            0 => Some(Reason::BadSignature),
            _ => None,
        };
        if let Some(exact) = exact {
            prop_assert_eq!(reason, exact, "byte {}", i);
        }
    }

    #[test]
    fn any_single_bit_flip_is_rejected(
        claims in claims_strategy(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let (issuer, _, verifier) = fixture();
        let Some(text) = issue(issuer, &claims, NOW) else { return Ok(()) };
        let mut bytes = text.clone().into_bytes();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(flipped) = String::from_utf8(bytes) {
            prop_assume!(!flipped.eq_ignore_ascii_case(&text));
            let reason = verifier.verify(&flipped, UnixTime::from_secs(NOW)).unwrap_err().reason();
            let binary_len = UntrustedToken::parse(&text).unwrap().binary_len();
            let possible = Layout::of(&claims, binary_len).possible_for_text(&text, &flipped);
            prop_assert!(possible.contains(&reason), "{:?} not in {:?} (byte {})", reason, possible, i);
        }
    }

    #[test]
    fn truncations_and_extensions_are_rejected(
        claims in claims_strategy(),
        cut in any::<prop::sample::Index>(),
        // Ends in a non-space: whitespace only around the text is ignored.
        extra in "[0-9A-Za-z \\n]{0,63}[0-9A-Za-z]",
    ) {
        let (issuer, _, verifier) = fixture();
        let Some(text) = issue(issuer, &claims, NOW) else { return Ok(()) };
        let now = UnixTime::from_secs(NOW);
        let short = &text[..cut.index(text.len())];
        prop_assert_eq!(verifier.verify(short, now).unwrap_err().reason(), Reason::Malformed);
        let long = format!("{text}{extra}");
        prop_assert_eq!(verifier.verify(&long, now).unwrap_err().reason(), Reason::Malformed);
        // One more digit: no token length has that many digits.
        let digit = format!("{text}{}", cut.index(10));
        prop_assert_eq!(verifier.verify(&digit, now).unwrap_err().reason(), Reason::Malformed);
    }

    #[test]
    fn arbitrary_strings_never_verify_and_never_panic(s in "\\PC{0,4096}") {
        let (_, _, verifier) = fixture();
        prop_assert!(verifier.verify(&s, UnixTime::from_secs(NOW)).is_err());
    }

    #[test]
    fn arbitrary_digit_strings_never_verify(digits in "[0-9]{0,700}", lower in any::<bool>()) {
        let (_, _, verifier) = fixture();
        let text = format!("{}{digits}", if lower { "mc1" } else { "MC1" });
        let r = verifier.verify(&text, UnixTime::from_secs(NOW));
        prop_assert!(r.is_err());
    }

    #[test]
    fn a_key_with_a_trusted_key_id_but_not_trusted_is_a_bad_signature(claims in claims_strategy()) {
        let (trusted_issuer, impostor, verifier) = fixture();
        prop_assert_eq!(trusted_issuer.key_id(), impostor.key_id());
        let Some(text) = issue(impostor, &claims, NOW) else { return Ok(()) };
        let err = verifier.verify(&text, UnixTime::from_secs(NOW)).unwrap_err();
        prop_assert_eq!(err.reason(), Reason::BadSignature);
    }
}

/// The case proptest found once device codes took the prefix `MC2`: a
/// token's digits behind the device prefix are `malformed` (its version
/// byte disagrees with the prefix), never `unsupported_version`.
#[test]
fn a_tokens_digits_behind_the_device_prefix_are_malformed() {
    let (issuer, _, verifier) = fixture();
    let claims = Claims {
        insured: InsuredId::new("0").unwrap(),
        name: None,
        region: Region::from_code(110_000).unwrap(),
        status: Status::Normal,
        scheme: Scheme::Employee,
        cross_province: false,
        presenter: None,
    };
    let text = issue(issuer, &claims, NOW).unwrap();
    let changed = format!("MC2{}", &text[3..]);
    let err = verifier
        .verify(&changed, UnixTime::from_secs(NOW))
        .unwrap_err();
    assert_eq!(err.reason(), Reason::Malformed);
    assert_eq!(
        err.to_string(),
        "malformed token: the version byte disagrees with the prefix"
    );
}
