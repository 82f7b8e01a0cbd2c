//! Time-based one-time passwords (RFC 6238) — référentiel 3.5.5, "outils
//! d'authentification multi-facteurs".
//!
//! Choices, and why:
//! - HMAC-SHA1, 6 digits, 30-second steps: the RFC 6238 defaults, the only
//!   combination every authenticator app (Google Authenticator, Aegis,
//!   FreeOTP, Microsoft Authenticator…) honours. SHA-1's collision weakness
//!   does not affect HMAC.
//! - 160-bit secrets from the OS CSPRNG (RFC 4226 §4 recommends 160 bits),
//!   base32 without padding in the `otpauth://` URI, as apps expect.
//! - ±1 step of drift (±30 s) for phone clocks and typing time; no more, as
//!   each extra step multiplies a guesser's odds.
//! - Replay guard: [`Totp::verify`] returns the matched time step and
//!   refuses any step at or before the last one used, so an observed code
//!   can never be used twice, even within its 90-second window.
//! - Constant-time comparison of the code (`subtle`).
//! - The clock is a parameter: tests are exact, and the caller decides.
//!
//! The caller must also: store the returned step atomically with the login
//! (compare-and-set on `last_used_step`), lock the account after repeated
//! failures (3.5.5; 6 digits are guessable without a limit), and keep the
//! secret encrypted at rest.

use std::fmt;

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::{rng, CryptoError};

/// Bytes in a generated secret (160 bits).
const SECRET_LEN: usize = 20;
/// Shortest secret accepted when reading one back (128 bits, RFC 4226 §4).
const MIN_SECRET_LEN: usize = 16;

/// Everything but RFC 3986 unreserved characters is percent-encoded in the
/// label and issuer, so `:`, `@`, `&`, `?`, `#` and spaces cannot break the URI.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A TOTP shared secret. Wiped on drop; `Debug` shows nothing.
#[derive(Clone)]
pub struct TotpSecret(SecretSlice<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([REDACTED])")
    }
}

impl TotpSecret {
    /// A fresh 160-bit secret from the OS CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let bytes = rng::bytes::<SECRET_LEN>()?;
        Ok(Self(SecretSlice::from(bytes.to_vec())))
    }

    /// Raw key bytes (at least 16), e.g. the RFC test key.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        let secret = SecretSlice::from(bytes);
        if secret.expose_secret().len() < MIN_SECRET_LEN {
            return Err(CryptoError::InvalidTotpSecret);
        }
        Ok(Self(secret))
    }

    /// Reads a base32 secret as stored or typed: case, spaces, dashes and
    /// `=` padding are ignored.
    pub fn from_base32(encoded: &str) -> Result<Self, CryptoError> {
        let cleaned: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
            encoded
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let bytes = data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| CryptoError::InvalidTotpSecret)?;
        Self::from_bytes(bytes)
    }

    /// Base32 without padding: the form for storage and for manual entry.
    pub fn to_base32(&self) -> SecretString {
        SecretString::from(data_encoding::BASE32_NOPAD.encode(self.0.expose_secret()))
    }
}

/// TOTP settings: 30-second steps, ±1 step of drift, 6 digits by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totp {
    digits: u32,
}

impl Default for Totp {
    fn default() -> Self {
        Self { digits: 6 }
    }
}

impl Totp {
    /// Length of a time step, in seconds.
    pub const STEP_SECONDS: u64 = 30;
    /// Steps accepted on either side of the current one.
    pub const ALLOWED_DRIFT_STEPS: u64 = 1;

    /// TOTP with `digits` digits (6 to 8, RFC 4226 §5.3).
    pub fn with_digits(digits: u32) -> Result<Self, CryptoError> {
        if (6..=8).contains(&digits) {
            Ok(Self { digits })
        } else {
            Err(CryptoError::UnsupportedTotpDigits(digits))
        }
    }

    /// The time step containing `unix_seconds`.
    pub fn step_at(unix_seconds: u64) -> u64 {
        unix_seconds / Self::STEP_SECONDS
    }

    /// The code for one time step (RFC 4226 HOTP with the step as counter),
    /// zero-padded to the configured number of digits.
    pub fn code_for_step(&self, secret: &TotpSecret, step: u64) -> String {
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.0.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        // Dynamic truncation, RFC 4226 §5.3.
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        let code = binary % 10u32.pow(self.digits);
        format!("{code:0width$}", width = self.digits as usize)
    }

    /// Checks `code` at time `now_unix`; returns the matched step, to be
    /// stored as the new `last_used_step`.
    ///
    /// Accepts the current step and one on either side, but never a step at
    /// or before `last_used_step`: a code is accepted at most once, and once
    /// a newer code was used, older ones are dead. Spaces inside the code
    /// are ignored ("123 456"); anything else that is not exactly the right
    /// number of digits is refused.
    pub fn verify(
        &self,
        secret: &TotpSecret,
        code: &str,
        now_unix: u64,
        last_used_step: Option<u64>,
    ) -> Option<u64> {
        let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if typed.len() != self.digits as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = Self::step_at(now_unix);
        let earliest = current.saturating_sub(Self::ALLOWED_DRIFT_STEPS);
        let latest = current.saturating_add(Self::ALLOWED_DRIFT_STEPS);
        let mut matched = None;
        // Every candidate step is computed and compared, matched or not.
        for step in earliest..=latest {
            let expected = self.code_for_step(secret, step);
            let equal = bool::from(expected.as_bytes().ct_eq(typed.as_bytes()));
            let fresh = last_used_step.is_none_or(|last| step > last);
            if equal && fresh && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }

    /// The `otpauth://` URI (Key Uri Format) to show as a QR code at
    /// enrolment. It contains the secret, hence a [`SecretString`].
    pub fn provisioning_uri(
        &self,
        secret: &TotpSecret,
        issuer: &str,
        account: &str,
    ) -> SecretString {
        let issuer = utf8_percent_encode(issuer, URI_COMPONENT).to_string();
        let account = utf8_percent_encode(account, URI_COMPONENT);
        let secret = secret.to_base32();
        SecretString::from(format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={}&period={}",
            secret.expose_secret(),
            self.digits,
            Self::STEP_SECONDS,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let totp = Totp::with_digits(8).unwrap();
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, expected) in vectors {
            let step = Totp::step_at(time);
            assert_eq!(
                totp.code_for_step(&rfc_secret(), step),
                expected,
                "T={time}"
            );
            assert_eq!(totp.verify(&rfc_secret(), expected, time, None), Some(step));
        }
    }

    #[test]
    fn six_digits_are_the_low_digits_of_the_vector() {
        let totp = Totp::default();
        assert_eq!(
            totp.code_for_step(&rfc_secret(), Totp::step_at(59)),
            "287082"
        );
        assert_eq!(totp.verify(&rfc_secret(), "287 082", 59, None), Some(1));
    }

    #[test]
    fn a_code_is_never_accepted_twice() {
        let (totp, secret, now) = (Totp::default(), rfc_secret(), 1_111_111_111);
        let code = totp.code_for_step(&secret, Totp::step_at(now));
        let used = totp.verify(&secret, &code, now, None).expect("first use");
        assert_eq!(totp.verify(&secret, &code, now, Some(used)), None);
        assert_eq!(totp.verify(&secret, &code, now + 10, Some(used)), None);
        // The next step's code still works, and is then spent too.
        let next = totp.code_for_step(&secret, used + 1);
        let later = now + Totp::STEP_SECONDS;
        assert_eq!(
            totp.verify(&secret, &next, later, Some(used)),
            Some(used + 1)
        );
        assert_eq!(totp.verify(&secret, &next, later, Some(used + 1)), None);
    }

    #[test]
    fn older_code_is_dead_once_a_newer_one_was_used() {
        let (totp, secret, now) = (Totp::default(), rfc_secret(), 1_234_567_890);
        let step = Totp::step_at(now);
        let ahead = totp.code_for_step(&secret, step + 1);
        let used = totp
            .verify(&secret, &ahead, now, None)
            .expect("drift +1 accepted");
        assert_eq!(used, step + 1);
        let current = totp.code_for_step(&secret, step);
        assert_eq!(totp.verify(&secret, &current, now, Some(used)), None);
    }

    #[test]
    fn one_step_of_drift_either_way_and_no_more() {
        let (totp, secret, now) = (Totp::default(), rfc_secret(), 2_000_000_000);
        let step = Totp::step_at(now);
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let s = step.checked_add_signed(offset).unwrap();
            let code = totp.code_for_step(&secret, s);
            assert_eq!(
                totp.verify(&secret, &code, now, None).is_some(),
                accepted,
                "{offset}"
            );
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        let totp = Totp::default();
        for code in ["", "28708", "2870822", "28708a", "28708\u{0662}", "-28708"] {
            assert_eq!(totp.verify(&rfc_secret(), code, 59, None), None, "{code:?}");
        }
    }

    #[test]
    fn generated_secret_is_160_bits_and_round_trips_through_base32() {
        let secret = TotpSecret::generate().unwrap();
        let encoded = secret.to_base32();
        assert_eq!(encoded.expose_secret().len(), 32);
        assert!(!encoded.expose_secret().contains('='));
        let back = TotpSecret::from_base32(&encoded.expose_secret().to_lowercase()).unwrap();
        assert_eq!(back.0.expose_secret(), secret.0.expose_secret());
        assert_ne!(
            TotpSecret::generate().unwrap().0.expose_secret(),
            secret.0.expose_secret()
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret([REDACTED])");
    }

    #[test]
    fn short_or_invalid_secrets_are_refused() {
        assert!(TotpSecret::from_bytes(vec![1; 10]).is_err());
        assert!(TotpSecret::from_base32("not base32!").is_err());
        assert!(Totp::with_digits(5).is_err());
        assert!(Totp::with_digits(9).is_err());
    }

    #[test]
    fn provisioning_uri_follows_key_uri_format() {
        let secret = rfc_secret();
        let uri = Totp::default().provisioning_uri(&secret, "Thiqa Cloud", "karim@example.ma");
        assert_eq!(
            uri.expose_secret(),
            "otpauth://totp/Thiqa%20Cloud:karim%40example.ma\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Thiqa%20Cloud\
             &algorithm=SHA1&digits=6&period=30"
        );
        let tricky = Totp::default().provisioning_uri(&secret, "A:B&C", "x?y#z");
        assert!(tricky
            .expose_secret()
            .starts_with("otpauth://totp/A%3AB%26C:x%3Fy%23z?secret="));
    }
}
