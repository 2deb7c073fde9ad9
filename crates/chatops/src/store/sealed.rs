//! Every value the engine keeps in a state store is sealed: encrypted and authenticated
//! (ChaCha20-Poly1305, `ring`) under a key derived from the action secret, bound to its
//! namespace and key. Whoever can write the store (a shared Redis, the redb file) cannot make
//! the engine trust a record it did not write — a pending reset rewritten to "the whole task",
//! a page state pointed at another task, a record moved to another key — and whoever can read
//! it sees no phone a user typed, also in pages the file has freed but not wiped.
//!
//! [`SealedStore`] wraps any [`StateStore`]; the engine wraps the store it is given, so every
//! part of it, and every transport reaching the store through the engine, reads and writes
//! sealed values. A value that fails to open is [`StoreError::Tampered`]: a read refuses it,
//! a listing leaves it out (with a log line), so one planted record cannot stop the sweeper.
//! The backends' atomic steps (`take` is `GETDEL`, `insert_new` is `SET NX`) are unchanged.
//!
//! A sealed value is `1 ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16)`; the associated
//! data is `namespace ‖ 0 ‖ key`. Replicas share the action secret, so they share the key.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use super::{Namespace, SharedStore, StateStore, StoreError};

/// The format's version, the first byte of every sealed value.
const VERSION: u8 = 1;
/// What the sealing key is derived for (so the action secret's other uses never share it).
const PURPOSE: &[u8] = b"agent-ops state seal v1";

/// A store whose values are sealed under a key derived from the action secret.
pub struct SealedStore {
    inner: SharedStore,
    key: LessSafeKey,
    random: SystemRandom,
}

impl fmt::Debug for SealedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedStore")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl SealedStore {
    /// `store`, sealed under a key derived from `secret`; a store that is sealed already is
    /// returned as it is.
    pub fn wrap(store: SharedStore, secret: &[u8]) -> SharedStore {
        if store.sealed() {
            return store;
        }
        Arc::new(Self::new(store, secret))
    }

    /// `store`, sealed under a key derived from `secret`.
    pub fn new(store: SharedStore, secret: &[u8]) -> Self {
        let derived = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            PURPOSE,
        );
        let key = UnboundKey::new(&CHACHA20_POLY1305, derived.as_ref())
            .map(LessSafeKey::new)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 gives the 32 bytes ChaCha20 takes"));
        Self {
            inner: store,
            key,
            random: SystemRandom::new(),
        }
    }

    fn aad(ns: Namespace, key: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(ns.name.len() + 1 + key.len());
        aad.extend_from_slice(ns.name.as_bytes());
        aad.push(0);
        aad.extend_from_slice(key.as_bytes());
        aad
    }

    fn seal(&self, ns: Namespace, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| StoreError::Backend {
                backend: "sealed",
                reason: "no system randomness".into(),
            })?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + value.len() + 16);
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        let mut body = value.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(ns, key)),
                &mut body,
            )
            .map_err(|_| StoreError::Backend {
                backend: "sealed",
                reason: "a value too large to seal".into(),
            })?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    fn open(&self, ns: Namespace, key: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let tampered = StoreError::Tampered(ns.name);
        let Some((&VERSION, rest)) = sealed.split_first() else {
            return Err(tampered);
        };
        if rest.len() < NONCE_LEN {
            return Err(tampered);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| tampered.clone())?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(Self::aad(ns, key)), &mut body)
            .map_err(|_| tampered)?;
        Ok(plain.to_vec())
    }

    fn opened(
        &self,
        ns: Namespace,
        key: &str,
        value: Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        value.map(|v| self.open(ns, key, &v)).transpose()
    }
}

#[async_trait::async_trait]
impl StateStore for SealedStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn persistent(&self) -> bool {
        self.inner.persistent()
    }

    fn shared(&self) -> bool {
        self.inner.shared()
    }

    fn sealed(&self) -> bool {
        true
    }

    async fn put(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let sealed = self.seal(ns, key, value)?;
        self.inner.put(ns, key, &sealed, ttl).await
    }

    async fn get(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.inner.get(ns, key).await?;
        self.opened(ns, key, value)
    }

    async fn take(&self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.inner.take(ns, key).await?;
        self.opened(ns, key, value)
    }

    async fn insert_new(
        &self,
        ns: Namespace,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let sealed = self.seal(ns, key, value)?;
        self.inner.insert_new(ns, key, &sealed, ttl).await
    }

    async fn remove(&self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        self.inner.remove(ns, key).await
    }

    async fn list(&self, ns: Namespace) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(self
            .inner
            .list(ns)
            .await?
            .into_iter()
            .filter_map(|(key, value)| match self.open(ns, &key, &value) {
                Ok(value) => Some((key, value)),
                Err(_) => {
                    tracing::warn!(namespace = ns.name, %key, "a stored entry failed its seal check: left out");
                    None
                }
            })
            .collect())
    }

    fn held(&self, ns: Namespace) -> Option<usize> {
        self.inner.held(ns)
    }

    async fn purge_expired(&self) -> Result<usize, StoreError> {
        self.inner.purge_expired().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    const NS: Namespace = Namespace::listed("test");
    const HOUR: Duration = Duration::from_secs(3600);

    fn stores() -> (SharedStore, SharedStore) {
        let raw: SharedStore = Arc::new(MemoryStore::new(Arc::new(jiff::Timestamp::now)));
        let sealed = SealedStore::wrap(raw.clone(), b"test-secret-0123456789");
        (raw, sealed)
    }

    #[tokio::test]
    async fn values_are_sealed_and_read_back() {
        let (raw, sealed) = stores();
        sealed
            .put(NS, "k", b"phones 13812345678", HOUR)
            .await
            .unwrap();
        let stored = raw.get(NS, "k").await.unwrap().unwrap();
        assert!(
            !stored.windows(11).any(|w| w == b"13812345678".as_slice()),
            "no value in clear"
        );
        assert_eq!(
            sealed.get(NS, "k").await.unwrap().as_deref(),
            Some(&b"phones 13812345678"[..])
        );
        assert!(sealed.insert_new(NS, "n", b"x", HOUR).await.unwrap());
        assert_eq!(sealed.list(NS).await.unwrap().len(), 2, "listed and opened");
        assert_eq!(
            sealed.take(NS, "n").await.unwrap().as_deref(),
            Some(&b"x"[..])
        );
        // Wrapping twice seals once.
        let again = SealedStore::wrap(sealed.clone(), b"test-secret-0123456789");
        assert_eq!(
            again.get(NS, "k").await.unwrap().as_deref(),
            Some(&b"phones 13812345678"[..])
        );
    }

    #[tokio::test]
    async fn a_changed_moved_or_foreign_value_is_refused() {
        let (raw, sealed) = stores();
        sealed.put(NS, "k", b"{\"all\":false}", HOUR).await.unwrap();
        let stored = raw.get(NS, "k").await.unwrap().unwrap();
        // Any byte changed.
        for at in 0..stored.len() {
            let mut changed = stored.clone();
            changed[at] ^= 1;
            raw.put(NS, "k", &changed, HOUR).await.unwrap();
            assert_eq!(
                sealed.get(NS, "k").await,
                Err(StoreError::Tampered("test")),
                "byte {at}"
            );
        }
        // Moved to another key or namespace.
        raw.put(NS, "other", &stored, HOUR).await.unwrap();
        assert_eq!(
            sealed.take(NS, "other").await,
            Err(StoreError::Tampered("test"))
        );
        // Written in clear, or sealed under another secret.
        raw.put(NS, "k", b"{\"all\":true}", HOUR).await.unwrap();
        assert!(sealed.get(NS, "k").await.is_err());
        let foreign = SealedStore::new(raw.clone(), b"another-secret-0123456789");
        foreign.put(NS, "k", b"{\"all\":true}", HOUR).await.unwrap();
        assert!(sealed.get(NS, "k").await.is_err());
        // Cut short, empty.
        raw.put(NS, "k", &stored[..10], HOUR).await.unwrap();
        assert!(sealed.get(NS, "k").await.is_err());
        raw.put(NS, "k", b"", HOUR).await.unwrap();
        assert!(sealed.get(NS, "k").await.is_err());
        // A listing leaves the bad ones out and keeps the good.
        sealed.put(NS, "good", b"fine", HOUR).await.unwrap();
        let listed = sealed.list(NS).await.unwrap();
        assert_eq!(listed, vec![("good".to_string(), b"fine".to_vec())]);
    }
}
