//! Helpers shared by the platform's tests: a real PostgreSQL server.
#![allow(dead_code)]

pub mod postgres_server;

use postgres_server::{PostgresServer, skip};

/// A PostgreSQL server for `test`, or `None` after a loud SKIPPED line when
/// the platform is built without its feature `postgres`, or PostgreSQL is
/// absent outside CI.
pub fn postgres_or_skip(test: &str) -> Option<PostgresServer> {
    if !cfg!(feature = "postgres") {
        skip(test, "built without the feature postgres");
        return None;
    }
    PostgresServer::start(test)
}

/// An issuer with a fresh Ed25519 key, and a verifier trusting that key
/// from 2026 to 2030 (with its own in-memory replay guard).
pub fn issuer_and_verifier() -> (medcode::Issuer, medcode::Verifier) {
    use medcode::{Algorithm, Issuer, SigningKey, TrustList, TrustedKey, UnixTime, Verifier};
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trusted = TrustedKey {
        key: key.public_key().clone(),
        label: "test".into(),
        authority: "test".into(),
        not_before: UnixTime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
        not_after: UnixTime::parse_rfc3339("2030-01-01T00:00:00Z").unwrap(),
    };
    (
        Issuer::new(key),
        Verifier::new(TrustList::new(vec![trusted]).unwrap()),
    )
}
