//! Setup shared by the benches: our codes and verifiers, the peers (a JWT
//! verified by jsonwebtoken with its aws-lc-rs backend, a PASETO v4.public
//! token verified by pasetors) carrying the same claims, and the bare
//! signature reference through ring on the same bytes with the same key
//! (for SM2, which ring lacks, the `sm2` crate's own check).
#![allow(dead_code)] // each bench uses a part

use std::sync::Arc;

use medcode::replay::MemoryReplayGuard;
use medcode::{
    Algorithm, Claims, InsuredId, Issuer, MaskedName, Presenter, Region, Relation, SigningKey,
    TrustList, TrustedKey, UnixTime, UntrustedToken, VerifiedToken, Verifier,
};
use ring::signature;
use serde::{Deserialize, Serialize};

/// Distinct codes issued per setup; benches cycle through them.
pub const POOL: usize = 4096;
/// The domain-separation tag our signatures cover before the token bytes
/// (docs/FORMAT.md).
const SIGNING_CONTEXT: &[u8] = b"medcode/1";

/// 2026-11-22T08:00:00Z: codes are issued and checked at this time.
pub fn now() -> UnixTime {
    UnixTime::from_secs(1_795_334_400)
}

pub const INSURED: &str = "12345678901234567890";
pub const REGION: &str = "110000";
pub const NAME: &str = "张*";

/// The self code's claims, as in the README.
pub fn self_claims() -> Claims {
    let mut c = Claims::new(
        InsuredId::new(INSURED).unwrap(),
        Region::new(REGION).unwrap(),
    );
    c.name = Some(MaskedName::new(NAME).unwrap());
    c
}

/// A delegate code's claims: a parent's code shown by their child.
pub fn delegate_claims() -> Claims {
    let mut c = self_claims();
    c.presenter = Some(Presenter {
        insured: InsuredId::new("99999999999999999999").unwrap(),
        relation: Relation::Parent,
        mutual_aid: false,
    });
    c
}

/// Our side for one algorithm: a key, an issuer, a bare verifier and
/// distinct codes.
pub struct Ours {
    pub alg: Algorithm,
    pub pkcs8: Vec<u8>,
    pub public: Vec<u8>,
    pub issuer: Issuer,
    /// The verifier with its replay guard turned off: the benches that cycle
    /// through the pool (each code verified many times) measure the checks
    /// without the guard, and say so in their names ("no guard");
    /// [`Ours::guarded`] gives the default, guarded verifier.
    pub bare: Verifier,
    pub texts: Vec<String>,
}

impl Ours {
    pub fn new(alg: Algorithm, pool: usize) -> Self {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = match alg {
            Algorithm::Ed25519 => signature::Ed25519KeyPair::generate_pkcs8(&rng)
                .unwrap()
                .as_ref()
                .to_vec(),
            Algorithm::P256 => signature::EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            )
            .unwrap()
            .as_ref()
            .to_vec(),
            // No peer takes SM2 keys: medcode makes the key, no PKCS#8 kept.
            Algorithm::Sm2 => Vec::new(),
        };
        let key = match alg {
            Algorithm::Sm2 => SigningKey::generate(alg).unwrap(),
            _ => SigningKey::from_pkcs8(&pkcs8).unwrap(),
        };
        assert_eq!(key.algorithm(), alg);
        let public = key.public_key().as_bytes().to_vec();
        let trust = TrustList::new(vec![TrustedKey {
            key: key.public_key().clone(),
            label: "bench".into(),
            authority: "bench".into(),
            not_before: now().minus(86_400),
            not_after: now().plus(86_400),
        }])
        .unwrap();
        let issuer = Issuer::new(key);
        let texts = (0..pool)
            .map(|_| {
                issuer
                    .issue(&self_claims(), now())
                    .unwrap()
                    .text()
                    .to_owned()
            })
            .collect();
        Ours {
            alg,
            pkcs8,
            public,
            issuer,
            bare: Verifier::new(trust).without_replay_guard(),
            texts,
        }
    }

    /// A verifier sharing this one's trust list, with a fresh in-memory
    /// replay guard: what `Verifier::new` gives a till by default.
    pub fn guarded(&self) -> Verifier {
        self.bare
            .clone()
            .with_replay_guard(Arc::new(MemoryReplayGuard::new()))
    }

    /// Verifies the `i`-th code of the pool with the bare verifier.
    pub fn verify_bare(&self, i: usize) -> VerifiedToken {
        self.bare
            .verify(&self.texts[i % self.texts.len()], now())
            .unwrap()
    }

    /// The exact bytes a code's signature covers, and the signature.
    pub fn signed(&self, i: usize) -> (Vec<u8>, Vec<u8>) {
        let token = UntrustedToken::parse(&self.texts[i % self.texts.len()]).unwrap();
        let bytes = token.as_bytes();
        let (body, sig) = bytes.split_at(bytes.len() - medcode::limits::SIGNATURE_LEN);
        let mut message = SIGNING_CONTEXT.to_vec();
        message.extend_from_slice(body);
        (message, sig.to_vec())
    }

    /// A delegate code's text.
    pub fn delegate_text(&self) -> String {
        self.issuer
            .issue(&delegate_claims(), now())
            .unwrap()
            .text()
            .to_owned()
    }
}

/// The bare signature check through ring of exactly the bytes our codes'
/// signatures cover, key bytes wrapped once (ring decodes the key inside
/// every `verify`; it has no parsed-key API).
pub struct RingBare {
    key: signature::UnparsedPublicKey<Vec<u8>>,
    /// (message, signature) of every code of the pool, in pool order.
    pub signed: Vec<(Vec<u8>, Vec<u8>)>,
}

impl RingBare {
    pub fn new(ours: &Ours) -> Self {
        let alg: &'static dyn signature::VerificationAlgorithm = match ours.alg {
            Algorithm::Ed25519 => &signature::ED25519,
            _ => &signature::ECDSA_P256_SHA256_FIXED,
        };
        let bare = RingBare {
            key: signature::UnparsedPublicKey::new(alg, ours.public.clone()),
            signed: (0..ours.texts.len()).map(|i| ours.signed(i)).collect(),
        };
        assert!(bare.verify(0), "the reference must check our own signature");
        bare
    }

    /// Checks the signature of code `i` (modulo the pool).
    pub fn verify(&self, i: usize) -> bool {
        let (message, sig) = &self.signed[i % self.signed.len()];
        self.key.verify(message, sig).is_ok()
    }
}

/// The bare SM2 check of exactly the bytes our codes' signatures cover, by
/// the `sm2` crate itself (SM2DSA with SM3, the key parsed and its `Z`
/// hashed once; each call parses the signature, as ring's does): the
/// reference of the SM2 rows, as ring's bare check is for the others.
pub struct Sm2Bare {
    key: sm2::dsa::VerifyingKey,
    /// (message, signature) of every code of the pool, in pool order.
    pub signed: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Sm2Bare {
    pub fn new(ours: &Ours) -> Self {
        assert_eq!(ours.alg, Algorithm::Sm2);
        let bare = Sm2Bare {
            key: sm2::dsa::VerifyingKey::from_sec1_bytes(
                medcode::limits::SM2_USER_ID,
                &ours.public,
            )
            .unwrap(),
            signed: (0..ours.texts.len()).map(|i| ours.signed(i)).collect(),
        };
        assert!(bare.verify(0), "the reference must check our own signature");
        bare
    }

    /// Checks the signature of code `i` (modulo the pool).
    pub fn verify(&self, i: usize) -> bool {
        use sm2::dsa::signature::Verifier as _;
        let (message, sig) = &self.signed[i % self.signed.len()];
        sm2::dsa::Signature::from_slice(sig).is_ok_and(|sig| self.key.verify(message, &sig).is_ok())
    }
}

/// The same claims as a JWT or PASETO payload.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct PeerClaims {
    pub sub: String,
    pub region: String,
    pub name: String,
    pub status: String,
    pub scheme: String,
    pub cross_province: bool,
    pub jti: String,
    pub iat: u64,
    pub exp: u64,
}

/// The peers read the system clock for expiry, so their codes are valid
/// from the real present for an hour (the claims' length is what a 60 s
/// code's would be).
fn wall_clock_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Distinct tokens each peer issues; benches cycle through them as through
/// our pool, so no contender checks one signature over and over.
pub const PEER_POOL: usize = 256;

fn peer_claims(n: usize) -> PeerClaims {
    let iat = wall_clock_secs();
    PeerClaims {
        sub: INSURED.into(),
        region: REGION.into(),
        name: NAME.into(),
        status: "normal".into(),
        scheme: "employee".into(),
        cross_province: true,
        jti: format!("{:016x}", 0x0123_4567_89ab_0000 + n),
        iat,
        exp: iat + 3600,
    }
}

/// A JWT (EdDSA or ES256) with our claims and key, and jsonwebtoken's
/// verifier for it.
pub struct Jwt {
    pub texts: Vec<String>,
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

impl Jwt {
    pub fn new(ours: &Ours) -> Self {
        use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
        let (alg, encoding, decoding) = match ours.alg {
            Algorithm::Ed25519 => (
                jsonwebtoken::Algorithm::EdDSA,
                EncodingKey::from_ed_der(&ours.pkcs8),
                DecodingKey::from_ed_der(&ours.public),
            ),
            _ => (
                jsonwebtoken::Algorithm::ES256,
                EncodingKey::from_ec_der(&ours.pkcs8),
                DecodingKey::from_ec_der(&ours.public),
            ),
        };
        let mut header = Header::new(alg);
        header.kid = Some(ours.issuer.key_id().to_string());
        let texts = (0..PEER_POOL)
            .map(|n| jsonwebtoken::encode(&header, &peer_claims(n), &encoding).unwrap())
            .collect();
        let jwt = Jwt {
            texts,
            key: decoding,
            validation: Validation::new(alg),
        };
        assert_eq!(jwt.verify(0).sub, INSURED);
        jwt
    }

    /// Verifies token `i` (modulo the pool).
    pub fn verify(&self, i: usize) -> PeerClaims {
        let text = &self.texts[i % self.texts.len()];
        jsonwebtoken::decode::<PeerClaims>(text, &self.key, &self.validation)
            .unwrap()
            .claims
    }
}

/// A PASETO v4.public token with our claims, and pasetors' verifier.
pub struct Paseto {
    pub texts: Vec<String>,
    key: pasetors::keys::AsymmetricPublicKey<pasetors::version4::V4>,
    rules: pasetors::claims::ClaimsValidationRules,
}

impl Paseto {
    pub fn new() -> Self {
        use pasetors::claims::{Claims, ClaimsValidationRules};
        use pasetors::keys::{AsymmetricKeyPair, Generate};
        use pasetors::version4::V4;
        let pair = AsymmetricKeyPair::<V4>::generate().unwrap();
        let texts = (0..PEER_POOL)
            .map(|n| {
                let c = peer_claims(n);
                let mut claims =
                    Claims::new_expires_in(&std::time::Duration::from_secs(3600)).unwrap();
                claims.subject(&c.sub).unwrap();
                claims.token_identifier(&c.jti).unwrap();
                claims.add_additional("region", c.region).unwrap();
                claims.add_additional("name", c.name).unwrap();
                claims.add_additional("status", c.status).unwrap();
                claims.add_additional("scheme", c.scheme).unwrap();
                claims
                    .add_additional("cross_province", c.cross_province)
                    .unwrap();
                pasetors::public::sign(&pair.secret, &claims, None, None).unwrap()
            })
            .collect();
        let paseto = Paseto {
            texts,
            key: pair.public,
            rules: ClaimsValidationRules::new(),
        };
        assert!(paseto.verify(0));
        paseto
    }

    /// Verifies token `i` (modulo the pool).
    pub fn verify(&self, i: usize) -> bool {
        use pasetors::token::UntrustedToken;
        use pasetors::{Public, version4::V4};
        let text = self.texts[i % self.texts.len()].as_str();
        let untrusted = UntrustedToken::<Public, V4>::try_from(text).unwrap();
        let trusted =
            pasetors::public::verify(&self.key, &untrusted, &self.rules, None, None).unwrap();
        trusted.payload_claims().is_some()
    }
}

/// QR version of any text at level M, in the densest segmentation the
/// qrcode crate finds (ours through `medcode::qr::Qr`, which writes the same
/// segments the issuer's renderer does).
pub fn qr_version_m(text: &str) -> i16 {
    if let Ok(qr) = medcode::qr::Qr::encode(text, medcode::qr::Ecc::M) {
        return i16::from(qr.version());
    }
    match qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .unwrap()
        .version()
    {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    }
}
