//! The credentials a till has verified: a repeat presentation from the same
//! phone costs one signature check (the device's), not two.
//!
//! Keyed by the credential's exact bytes (issuer signature included), so an
//! entry stands only for those bytes. An entry remembers the issuer key that
//! verified the credential and the decompressed device key (with its
//! verification table); the verifier still checks, at every presentation,
//! that this issuer key is trusted and in its window now, so a trust list
//! installed later is honoured. Bounded: a full cache drops an entry to
//! make room (only credentials whose issuer signature verified get in).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::keys::PublicKey;

/// Credentials one verifier (and its clones) remembers by default.
pub const DEFAULT_CREDENTIAL_CACHE: usize = 10_000;

/// What a verified credential leaves behind.
#[derive(Clone, Debug)]
pub(crate) struct CachedCredential {
    /// The trusted issuer key whose signature on the credential verified.
    pub issuer_key: PublicKey,
    /// The device key the credential certifies.
    pub device_key: PublicKey,
}

/// A bounded map from credential bytes to what their verification found.
#[derive(Debug)]
pub(crate) struct CredentialCache {
    capacity: usize,
    entries: Mutex<HashMap<Box<[u8]>, Arc<CachedCredential>>>,
}

impl CredentialCache {
    pub(crate) fn new(capacity: usize) -> Self {
        CredentialCache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, credential: &[u8]) -> Option<Arc<CachedCredential>> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(credential).cloned()
    }

    pub(crate) fn insert(
        &self,
        credential: &[u8],
        found: CachedCredential,
    ) -> Arc<CachedCredential> {
        let found = Arc::new(found);
        if self.capacity == 0 {
            return found;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(credential) {
            // Any entry: the hash order is not chosen by whoever presents codes.
            if let Some(victim) = entries.keys().next().cloned() {
                entries.remove(&victim);
            }
        }
        entries.insert(credential.into(), Arc::clone(&found));
        found
    }

    /// Credentials held now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, SigningKey};

    #[test]
    fn the_cache_is_bounded() {
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let entry = || CachedCredential {
            issuer_key: key.public_key().clone(),
            device_key: key.public_key().clone(),
        };
        let cache = CredentialCache::new(3);
        for i in 0u8..10 {
            cache.insert(&[i], entry());
            assert!(cache.get(&[i]).is_some());
        }
        assert_eq!(cache.len(), 3);
        let off = CredentialCache::new(0);
        off.insert(&[1], entry());
        assert!(off.get(&[1]).is_none());
        assert_eq!(off.len(), 0);
    }
}
