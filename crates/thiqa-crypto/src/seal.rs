//! Sealing secrets under a wrapping key (AES-256-GCM), so that a secret can
//! live in a shared database and be of use only to whoever holds the key.
//!
//! Why: several `thiqa serve` on one PostgreSQL must sign with the same
//! journal and dossier keys without sharing files. The signing keys are kept
//! in the database sealed by a wrapping key that only the instances'
//! configuration holds (issue 13; the encryption issue later moves the
//! wrapping key into an HSM). A database dump alone then yields no key.
//!
//! Sealed form: `1 ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. The
//! leading version byte leaves room for another algorithm later. A label
//! (e.g. the key's name) is authenticated with the bytes, so a sealed value
//! moved to another name does not open.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use zeroize::Zeroizing;

use crate::CryptoError;

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// A 256-bit wrapping key. Never printed: `Debug` names only the algorithm.
pub struct WrappingKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for WrappingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WrappingKey(AES-256-GCM)")
    }
}

impl WrappingKey {
    /// The wrapping key made of these 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> WrappingKey {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).expect("AES-256 takes 32 bytes");
        WrappingKey {
            key: LessSafeKey::new(unbound),
        }
    }

    /// A fresh random wrapping key, as 32 bytes to write down.
    pub fn generate() -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        crate::rng::bytes::<32>()
    }

    /// `secret` sealed under this key, bound to `label`.
    pub fn seal(&self, label: &str, secret: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // A random 96-bit nonce per seal: a handful of keys are ever sealed,
        // far below the 2^32 seals a random nonce allows under one key.
        let nonce_bytes = crate::rng::bytes::<NONCE_LEN>()?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + secret.len() + TAG_LEN);
        sealed.push(VERSION);
        sealed.extend_from_slice(nonce_bytes.as_slice());
        let mut body = Zeroizing::new(secret.to_vec());
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(*nonce_bytes),
                Aad::from(label.as_bytes()),
                &mut *body,
            )
            .map_err(|_| CryptoError::Unsealing)?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// The secret in `sealed`, if this key sealed it under `label` and
    /// nothing was altered since.
    pub fn open(&self, label: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(CryptoError::Unsealing);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
        let mut body = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(label.as_bytes()),
                &mut body,
            )
            .map_err(|_| CryptoError::Unsealing)?
            .len();
        body.truncate(len);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_label() {
        let key = WrappingKey::from_bytes(&[7; 32]);
        let sealed = key.seal("journal", b"the seed").unwrap();
        assert!(!sealed.windows(8).any(|w| w == b"the seed"));
        assert_eq!(
            key.open("journal", &sealed).unwrap().as_slice(),
            b"the seed"
        );
        // Another label, another key, one flipped bit, a truncation: refused.
        assert_eq!(key.open("dossier", &sealed), Err(CryptoError::Unsealing));
        let other = WrappingKey::from_bytes(&[8; 32]);
        assert_eq!(other.open("journal", &sealed), Err(CryptoError::Unsealing));
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert_eq!(key.open("journal", &flipped), Err(CryptoError::Unsealing));
        assert_eq!(
            key.open("journal", &sealed[..10]),
            Err(CryptoError::Unsealing)
        );
        // Two seals of one secret differ (fresh nonce each time).
        assert_ne!(key.seal("journal", b"the seed").unwrap(), sealed);
    }
}
