//! Opaque random tokens: sessions, password-reset links, API tokens — and
//! CSRF tokens derived from the session. Référentiel 3.5.5 (issuance and
//! reset of authentication means).
//!
//! - 256 bits from the OS CSPRNG, URL-safe base64 without padding (43
//!   characters): unguessable, and safe in cookies, URLs and headers.
//! - Stored only as `SHA-256` hex ([`TokenHash`]): a database leak yields no
//!   usable token. A fast hash is right here: the token has 256 bits of
//!   entropy, so nothing can be searched, unlike a password (3.6.4).
//!   Looking a token up by its hash through a database index is safe even
//!   though the index is not constant-time: timing can at best reveal a
//!   prefix of a hash, and a hash prefix does not help build a token.
//! - API tokens start with [`API_TOKEN_PREFIX`] (`thq_`), so secret
//!   scanners (GitHub push protection, gitleaks…) can recognise a leaked one.
//! - `Debug` never shows a token.

use std::fmt;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{rng, CryptoError};

/// Prefix of every API token.
pub const API_TOKEN_PREFIX: &str = "thq_";
/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;
/// Length of the base64url text of [`TOKEN_BYTES`] bytes.
const TOKEN_CHARS: usize = 43;
/// Minimum length of a server key.
const MIN_KEY_BYTES: usize = 32;
/// Domain separation for CSRF derivation.
const CSRF_DOMAIN: &[u8] = b"thiqa-csrf-v1";

/// A freshly generated secret token. Give [`Token::expose`] to the client
/// once; persist only [`Token::hash`].
#[derive(Clone)]
pub struct Token(SecretString);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([REDACTED])")
    }
}

impl Token {
    /// A session, reset-link or other opaque token: 43 URL-safe characters.
    pub fn generate() -> Result<Self, CryptoError> {
        Self::with_prefix("")
    }

    /// An API token: `thq_` followed by 43 URL-safe characters.
    pub fn generate_api() -> Result<Self, CryptoError> {
        Self::with_prefix(API_TOKEN_PREFIX)
    }

    fn with_prefix(prefix: &str) -> Result<Self, CryptoError> {
        let random = rng::bytes::<TOKEN_BYTES>()?;
        let body =
            zeroize::Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(random.as_slice()));
        Ok(Self(SecretString::from(format!(
            "{prefix}{}",
            body.as_str()
        ))))
    }

    /// The token text, to send to the client (cookie, link, one-time display).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What to store: the SHA-256 of the token.
    pub fn hash(&self) -> TokenHash {
        token_hash(self.expose())
    }
}

/// SHA-256 of a token, lowercase hex (64 characters). Not secret: safe to
/// store, index and log.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison, for when a hash is checked in memory
    /// rather than through a database lookup.
    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        ct_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({})", self.0)
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hash of a token presented by a client, to look it up by its stored hash.
pub fn token_hash(presented: &str) -> TokenHash {
    TokenHash(data_encoding::HEXLOWER.encode(&Sha256::digest(presented.as_bytes())))
}

/// True when `s` has the shape of a Thiqa API token (prefix, length,
/// alphabet). Lets the API reject garbage early and scanners-to-be match.
pub fn is_api_token(s: &str) -> bool {
    s.strip_prefix(API_TOKEN_PREFIX).is_some_and(|body| {
        body.len() == TOKEN_CHARS
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Constant-time equality of two byte strings. Only the lengths may leak,
/// which is harmless for fixed-length tokens, codes and hashes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// Server key for CSRF tokens: `HMAC-SHA256(key, session id)`.
///
/// Why derive rather than store a random CSRF token per session: no extra
/// column or write; the CSRF token changes with every session, so rotating
/// the session at login also rotates it; it cannot be computed without the
/// server key; and, being one-way, the token embedded in pages reveals
/// nothing about the (HttpOnly) session cookie. Pass the session's stored
/// identifier, i.e. its [`TokenHash`], so the raw cookie need not be kept.
/// Rotating the key only invalidates forms already open.
#[derive(Clone)]
pub struct CsrfKey(SecretSlice<u8>);

impl fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfKey([REDACTED])")
    }
}

impl CsrfKey {
    /// A fresh 256-bit key from the OS CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(SecretSlice::from(
            rng::bytes::<MIN_KEY_BYTES>()?.to_vec(),
        )))
    }

    /// A key loaded from configuration; at least 32 bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        let key = SecretSlice::from(bytes);
        let actual = key.expose_secret().len();
        if actual < MIN_KEY_BYTES {
            return Err(CryptoError::KeyTooShort {
                minimum: MIN_KEY_BYTES,
                actual,
            });
        }
        Ok(Self(key))
    }

    fn mac(&self, session_id: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(CSRF_DOMAIN);
        mac.update(session_id.as_bytes());
        mac
    }

    /// The CSRF token for a session, URL-safe base64 (43 characters).
    pub fn token_for(&self, session_id: &str) -> String {
        data_encoding::BASE64URL_NOPAD.encode(&self.mac(session_id).finalize().into_bytes())
    }

    /// True when `presented` is this session's CSRF token (constant-time).
    pub fn verify(&self, session_id: &str, presented: &str) -> bool {
        data_encoding::BASE64URL_NOPAD
            .decode(presented.as_bytes())
            .is_ok_and(|tag| self.mac(session_id).verify_slice(&tag).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_url_safe_and_unique() {
        let (a, b) = (Token::generate().unwrap(), Token::generate().unwrap());
        assert_eq!(a.expose().len(), 43);
        assert!(a
            .expose()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a.expose(), b.expose());
        let decoded = data_encoding::BASE64URL_NOPAD
            .decode(a.expose().as_bytes())
            .unwrap();
        assert_eq!(decoded.len(), 32);
    }

    #[test]
    fn only_the_hash_is_stored_and_it_matches_the_presented_token() {
        let token = Token::generate().unwrap();
        let stored = token.hash();
        assert_eq!(stored.as_str().len(), 64);
        assert!(!stored.as_str().contains(token.expose()));
        assert!(token_hash(token.expose()).ct_eq(&stored));
        assert!(!token_hash("forged").ct_eq(&stored));
        // Known answer: SHA-256("abc").
        assert_eq!(
            token_hash("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn api_tokens_carry_the_scanner_prefix() {
        let token = Token::generate_api().unwrap();
        assert!(token.expose().starts_with("thq_"));
        assert_eq!(token.expose().len(), 47);
        assert!(is_api_token(token.expose()));
        assert!(!is_api_token(Token::generate().unwrap().expose()));
        assert!(!is_api_token("thq_short"));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let token = Token::generate().unwrap();
        assert_eq!(format!("{token:?}"), "Token([REDACTED])");
        assert_eq!(
            format!("{:?}", CsrfKey::generate().unwrap()),
            "CsrfKey([REDACTED])"
        );
    }

    #[test]
    fn csrf_token_is_bound_to_key_and_session() {
        let key = CsrfKey::from_bytes(vec![7; 32]).unwrap();
        let session = Token::generate().unwrap().hash();
        let csrf = key.token_for(session.as_str());
        assert_eq!(csrf.len(), 43);
        assert_eq!(
            csrf,
            key.token_for(session.as_str()),
            "stable within a session"
        );
        assert!(key.verify(session.as_str(), &csrf));
        let other_session = Token::generate().unwrap().hash();
        assert!(!key.verify(other_session.as_str(), &csrf));
        let other_key = CsrfKey::generate().unwrap();
        assert!(!other_key.verify(session.as_str(), &csrf));
        assert!(!key.verify(session.as_str(), "not base64!"));
        assert!(!key.verify(session.as_str(), ""));
    }

    #[test]
    fn short_csrf_keys_are_refused() {
        assert_eq!(
            CsrfKey::from_bytes(vec![1; 16]).unwrap_err(),
            CryptoError::KeyTooShort {
                minimum: 32,
                actual: 16
            }
        );
    }

    #[test]
    fn ct_eq_compares_bytes() {
        assert!(ct_eq(b"same", b"same"));
        assert!(!ct_eq(b"same", b"diff"));
        assert!(!ct_eq(b"same", b"same-longer"));
    }
}
