//! Property tests (proptest): round trips, damaged tokens, hostile input.

use std::path::Path;
use std::sync::OnceLock;

use medcode::{
    Claims, InsuredId, Issuer, MaskedName, Presenter, Reason, Region, Relation, Scheme, SigningKey,
    Status, TrustList, TrustedKey, UnixTime, Verifier,
};
use proptest::prelude::*;

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
        100_000u32..=999_999,
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
        prop_assert!(verifier.verify(&changed, UnixTime::from_secs(NOW)).is_err());
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
            prop_assert!(verifier.verify(&flipped, UnixTime::from_secs(NOW)).is_err());
        }
    }

    #[test]
    fn truncations_and_extensions_are_rejected(
        claims in claims_strategy(),
        cut in any::<prop::sample::Index>(),
        extra in "[0-9A-Za-z \\n]{1,64}",
    ) {
        let (issuer, _, verifier) = fixture();
        let Some(text) = issue(issuer, &claims, NOW) else { return Ok(()) };
        let now = UnixTime::from_secs(NOW);
        let short = &text[..cut.index(text.len())];
        prop_assert_eq!(verifier.verify(short, now).unwrap_err().reason(), Reason::Malformed);
        let long = format!("{text}{extra}");
        prop_assert_eq!(verifier.verify(&long, now).unwrap_err().reason(), Reason::Malformed);
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
