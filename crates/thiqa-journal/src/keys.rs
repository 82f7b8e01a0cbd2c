//! Ed25519 note keys in the text encodings of Go's `golang.org/x/mod/sumdb/note`
//! (also C2SP signed-note's): verifier keys `<name>+<hex key id>+<base64(0x01
//! || public key)>` and signer keys `PRIVATE+KEY+<name>+<hex key id>+<base64(
//! 0x01 || seed)>`.
//!
//! Using these encodings means an auditor can check our checkpoints with Go's
//! `note.Open`, `litetlog`/`tlog` tools or any C2SP-compatible witness by
//! pasting the verifier key we publish. Randomness is not our business here:
//! callers pass a 32-byte seed they drew from the OS, so tests stay
//! deterministic.

use std::fmt;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type byte of Ed25519 in C2SP signed notes.
pub const ALG_ED25519: u8 = 0x01;

/// Why a key string or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not of the form `name+keyid+base64` (or `PRIVATE+KEY+…`).
    #[error("malformed note key")]
    Malformed,
    /// The key name is empty or holds a space or a plus.
    #[error("invalid key name")]
    InvalidName,
    /// The key is not an Ed25519 key (first byte is not 0x01).
    #[error("unsupported note key algorithm")]
    UnknownAlgorithm,
    /// The key id in the string is not the one the name and key give.
    #[error("key id does not match the key")]
    KeyIdMismatch,
    /// The bytes are not a valid Ed25519 public key.
    #[error("invalid Ed25519 public key")]
    InvalidPublicKey,
}

/// Key names must be non-empty and hold neither Unicode spaces nor `+`,
/// which would break the signature-line and key-string syntax.
#[must_use]
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Key id: the first four bytes, big-endian, of
/// `SHA-256(name || 0x0A || algorithm byte || public key)`.
#[must_use]
pub fn key_id(name: &str, alg_and_public_key: &[u8]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n'])
        .chain_update(alg_and_public_key)
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn ed25519_key_id(name: &str, public: &VerifyingKey) -> u32 {
    let mut bytes = [0u8; 33];
    bytes[0] = ALG_ED25519;
    bytes[1..].copy_from_slice(public.as_bytes());
    key_id(name, &bytes)
}

/// Parses `hex8+base64` into (key id, 32 key bytes after the 0x01 byte).
fn parse_id_and_key(id_hex: &str, key_b64: &str) -> Result<(u32, [u8; 32]), KeyError> {
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::Malformed);
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| KeyError::Malformed)?;
    let raw = B64.decode(key_b64).map_err(|_| KeyError::Malformed)?;
    let (&alg, key) = raw.split_first().ok_or(KeyError::Malformed)?;
    if alg != ALG_ED25519 {
        return Err(KeyError::UnknownAlgorithm);
    }
    let key: [u8; 32] = key.try_into().map_err(|_| KeyError::Malformed)?;
    Ok((id, key))
}

/// A public key that checks note signatures, with its name and key id.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// A verifier for an Ed25519 public key under `name`.
    pub fn new(name: &str, public_key: &[u8; 32]) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(Self {
            name: name.to_owned(),
            id: ed25519_key_id(name, &key),
            key,
        })
    }

    /// Parses a verifier key string `<name>+<hex id>+<base64(0x01 || key)>`.
    pub fn parse(vkey: &str) -> Result<Self, KeyError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Malformed);
        };
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        let (id, key) = parse_id_and_key(id_hex, key_b64)?;
        let verifier = Self::new(name, &key)?;
        if verifier.id != id {
            return Err(KeyError::KeyIdMismatch);
        }
        Ok(verifier)
    }

    /// The key name, e.g. the log origin.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key id that prefixes each signature.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The raw Ed25519 public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Whether `signature` (without the key id) is this key's signature of
    /// `message`. Uses strict RFC 8032 verification (no malleable or
    /// small-order encodings).
    #[must_use]
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        Signature::from_slice(signature)
            .map(|sig| self.key.verify_strict(message, &sig).is_ok())
            .unwrap_or(false)
    }
}

impl fmt::Display for NoteVerifier {
    /// The verifier key string, to publish for auditors and witnesses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({self})")
    }
}

impl std::str::FromStr for NoteVerifier {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A private key that signs notes. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed (drawn by the caller from the OS
    /// random source).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        let key = SigningKey::from_bytes(seed);
        let id = ed25519_key_id(name, &key.verifying_key());
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// Parses a signer key string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ||
    /// seed)>`, checking that the id matches the derived public key.
    pub fn parse(skey: &str) -> Result<Self, KeyError> {
        let mut parts = skey.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(id_hex), Some(key_b64)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(KeyError::Malformed);
        };
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        let (id, seed) = parse_id_and_key(id_hex, key_b64)?;
        let signer = Self::from_seed(name, &seed)?;
        if signer.id != id {
            return Err(KeyError::KeyIdMismatch);
        }
        Ok(signer)
    }

    /// The signer key string. It is the secret: store it like a password.
    #[must_use]
    pub fn expose_secret_key_string(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(raw)
        )
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key id.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The matching verifier, to publish.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Ed25519 signature of `message` (deterministic, RFC 8032).
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteSigner({}+{:08x}, <redacted>)", self.name, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Keys published in golang.org/x/mod/sumdb/note (note_test.go,
    // TestNewVerifier / TestNewSigner / TestVerifierList).
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

    #[test]
    fn published_keys_parse_and_round_trip() {
        let v = NoteVerifier::parse(PETER_VKEY).unwrap();
        assert_eq!(v.name(), "PeterNeumann");
        assert_eq!(v.key_id(), 0xc74f20a3);
        assert_eq!(v.to_string(), PETER_VKEY);
        let s = NoteSigner::parse(PETER_SKEY).unwrap();
        assert_eq!(s.verifier(), v);
        assert_eq!(s.expose_secret_key_string(), PETER_SKEY);
        assert_eq!(
            NoteVerifier::parse(ENOCH_VKEY).unwrap().key_id(),
            0xaf0cfe78
        );
    }

    #[test]
    fn mangled_keys_are_refused() {
        // Every strict substring and every single-byte change, as Go's test does.
        let b = PETER_VKEY.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    let s = String::from_utf8_lossy(&b[i..j]);
                    assert!(NoteVerifier::parse(&s).is_err(), "{s}");
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            let s = String::from_utf8_lossy(&m);
            assert!(NoteVerifier::parse(&s).is_err(), "{s}");
        }
        let b = PETER_SKEY.as_bytes();
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            let s = String::from_utf8_lossy(&m);
            assert!(NoteSigner::parse(&s).is_err(), "{s}");
        }
        // Wrong key length and unknown algorithm, with adjusted key ids (Go vectors).
        assert!(NoteVerifier::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err());
        assert_eq!(
            NoteVerifier::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(KeyError::UnknownAlgorithm)
        );
    }

    #[test]
    fn names_with_spaces_or_plus_are_refused() {
        assert!(NoteSigner::from_seed("a b", &[7; 32]).is_err());
        assert!(NoteSigner::from_seed("a+b", &[7; 32]).is_err());
        assert!(NoteSigner::from_seed("", &[7; 32]).is_err());
        assert!(NoteSigner::from_seed("a\u{a0}b", &[7; 32]).is_err());
        assert!(NoteSigner::from_seed("thiqa.example/journal", &[7; 32]).is_ok());
    }

    #[test]
    fn debug_does_not_leak_the_secret() {
        let s = NoteSigner::parse(PETER_SKEY).unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("AYEKFAL"));
        assert!(shown.contains("redacted"));
    }
}
