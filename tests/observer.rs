//! The verifier's observer hears every verdict exactly once, on every path
//! that checks a code (`verify`, `verify_batch`, `check`, `check_batch`,
//! `verify_token`, `verify_device_code`, `refuse_unread`), with the till
//! context of the check; and a context's till region is the one the
//! holder's cross-province switch is checked against.

mod fixtures;

use std::sync::{Arc, Mutex};

use fixtures::{t0, test_key, trusted};
use medcode::verify::{TillContext, Verdict, VerdictObserver};
use medcode::{
    Claims, DeviceEnrolment, DeviceHolder, Error, InsuredId, Issuer, Reason, Region, SigningKey,
    TrustList, UntrustedDeviceCode, UntrustedToken, Verifier,
};

/// What the observer heard of one verdict: the reason (`accepted` or the
/// refusal's), the insured person it names, and the context's operator.
type Heard = (String, Option<String>, Option<String>);

#[derive(Debug, Default)]
struct Ear(Mutex<Vec<Heard>>);

impl VerdictObserver for Ear {
    fn observe(&self, verdict: &Verdict, context: &TillContext, _now: medcode::UnixTime) {
        let reason = verdict
            .reason()
            .map_or_else(|| "accepted".to_owned(), |r| r.as_str().to_owned());
        let insured = verdict
            .signed_claims()
            .map(|c| c.insured.as_str().to_owned());
        let operator = context.operator_id().map(str::to_owned);
        self.0.lock().unwrap().push((reason, insured, operator));
    }
}

impl Ear {
    fn take(&self) -> Vec<Heard> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn heard(reason: &str, insured: Option<&str>, operator: Option<&str>) -> Heard {
    (
        reason.to_owned(),
        insured.map(str::to_owned),
        operator.map(str::to_owned),
    )
}

struct Till {
    issuer: Issuer,
    verifier: Verifier,
    ear: Arc<Ear>,
}

fn till() -> Till {
    let key = test_key("vector-ed25519");
    let trust = TrustList::new(vec![trusted(&key)]).unwrap();
    let ear = Arc::new(Ear::default());
    Till {
        issuer: Issuer::new(key),
        verifier: Verifier::new(trust).with_observer(Arc::clone(&ear) as Arc<dyn VerdictObserver>),
        ear,
    }
}

const HOLDER: &str = "12345678901234567890";

fn claims() -> Claims {
    Claims::new(
        InsuredId::new(HOLDER).unwrap(),
        Region::new("110000").unwrap(),
    )
}

#[test]
fn every_path_tells_the_observer_once_per_verdict() {
    let t = till();
    let code = t.issuer.issue(&claims(), t0()).unwrap();
    let text = code.text();

    // verify: accepted, then replayed (signed: names the holder).
    t.verifier.verify(text, t0()).unwrap();
    assert_eq!(
        t.verifier.verify(text, t0()).unwrap_err().reason(),
        Reason::Replayed
    );
    assert_eq!(
        t.ear.take(),
        [
            heard("accepted", Some(HOLDER), None),
            heard("replayed", Some(HOLDER), None)
        ]
    );

    // check, in a context: the context reaches the observer.
    let counter = TillContext::new().with_operator_id("药师 01").unwrap();
    let fresh = t.issuer.issue(&claims(), t0()).unwrap();
    assert!(t.verifier.check(fresh.text(), &counter, t0()).is_accepted());
    assert_eq!(
        t.ear.take(),
        [heard("accepted", Some(HOLDER), Some("药师 01"))]
    );

    // verify_batch: one verdict each, junk and a duplicate included.
    let a = t.issuer.issue(&claims(), t0()).unwrap();
    let results = t.verifier.verify_batch(&[a.text(), "junk", a.text()], t0());
    assert_eq!(results.len(), 3);
    assert_eq!(
        t.ear.take(),
        [
            heard("accepted", Some(HOLDER), None),
            heard("malformed", None, None),
            heard("replayed", Some(HOLDER), None),
        ]
    );

    // check_batch: each code with its own context.
    let b = t.issuer.issue(&claims(), t0()).unwrap();
    let other = TillContext::new().with_operator_id("收银 02").unwrap();
    let verdicts = t
        .verifier
        .check_batch(&[(b.text(), &counter), (b.text(), &other)], t0());
    assert_eq!(verdicts.len(), 2);
    assert_eq!(
        t.ear.take(),
        [
            heard("accepted", Some(HOLDER), Some("药师 01")),
            heard("replayed", Some(HOLDER), Some("收银 02")),
        ]
    );

    // verify_token on a parsed token; a forged signature names nobody.
    let c = t.issuer.issue(&claims(), t0()).unwrap();
    let mut bytes = UntrustedToken::parse(c.text()).unwrap().as_bytes().to_vec();
    *bytes.last_mut().unwrap() ^= 1;
    let forged = UntrustedToken::from_bytes(&bytes).unwrap();
    assert_eq!(
        t.verifier.verify_token(&forged, t0()).unwrap_err().reason(),
        Reason::BadSignature
    );
    t.verifier
        .verify_token(&UntrustedToken::parse(c.text()).unwrap(), t0())
        .unwrap();
    assert_eq!(
        t.ear.take(),
        [
            heard("bad_signature", None, None),
            heard("accepted", Some(HOLDER), None)
        ]
    );

    // verify_device_code on a parsed code made offline on the phone.
    let device = SigningKey::generate(medcode::Algorithm::Ed25519).unwrap();
    let credential = t
        .issuer
        .enrol_device(
            &DeviceEnrolment::new(claims(), device.public_key().clone()),
            t0(),
        )
        .unwrap();
    let mut phone = DeviceHolder::new(device, credential, 0).unwrap();
    let made = phone.code(t0()).unwrap();
    let parsed = UntrustedDeviceCode::parse(made.text()).unwrap();
    t.verifier.verify_device_code(&parsed, t0()).unwrap();
    assert_eq!(t.ear.take(), [heard("accepted", Some(HOLDER), None)]);

    // Input refused before it was read as a code.
    let v = t
        .verifier
        .refuse_unread(Error::Malformed("longer than any token"), &counter, t0());
    assert_eq!(v.reason(), Some(Reason::Malformed));
    assert_eq!(t.ear.take(), [heard("malformed", None, Some("药师 01"))]);
}

#[test]
fn the_till_region_is_an_argument_of_the_check() {
    let t = till();
    let mut stay_home = claims();
    stay_home.cross_province = false;
    let shanghai = TillContext::new().with_till_region(Region::new("310000").unwrap());
    let beijing = TillContext::new().with_till_region(Region::new("110100").unwrap());

    let code = t.issuer.issue(&stay_home, t0()).unwrap();
    let v = t.verifier.check(code.text(), &shanghai, t0());
    assert_eq!(v.reason(), Some(Reason::CrossProvinceDisabled));
    // Refused before the replay guard: the same code is still good at home.
    let v = t.verifier.check(code.text(), &beijing, t0());
    assert!(v.is_accepted(), "{:?}", v.result());
    assert!(v.result().as_ref().unwrap().notices().is_empty());

    // Without a region anywhere, the switch is not checked and says so.
    let code = t.issuer.issue(&stay_home, t0()).unwrap();
    let v = t.verifier.check(code.text(), &TillContext::new(), t0());
    assert_eq!(
        v.result().as_ref().unwrap().notices(),
        [medcode::Notice::CrossProvinceNotChecked]
    );

    // The verifier's own region is the default a context's overrides.
    let regional = t
        .verifier
        .clone()
        .with_till_region(Region::new("310000").unwrap());
    let code = t.issuer.issue(&stay_home, t0()).unwrap();
    let v = regional.check(code.text(), &TillContext::new(), t0());
    assert_eq!(v.reason(), Some(Reason::CrossProvinceDisabled));
    assert!(regional.check(code.text(), &beijing, t0()).is_accepted());
}
