//! The signing secret of one webhook endpoint: random bytes, shown once to
//! the customer as `whsec_<base64>`, kept by Thiqa to sign.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::DeliveryError;

/// Standard Webhooks asks for 24 to 64 bytes; new ones have 32, what
/// HMAC-SHA256 can use.
const MIN_BYTES: usize = 24;
const MAX_BYTES: usize = 64;
/// The longest text after the prefix: [`MAX_BYTES`] in padded base64.
const MAX_ENCODED: usize = MAX_BYTES.div_ceil(3) * 4;
const PREFIX: &str = "whsec_";

/// Standard base64, padded on output and either way on input (the reference
/// libraries accept both).
pub(super) const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// A webhook signing key. Its `Debug` shows nothing of it, and it has no
/// `Display`: the text form is asked for by name ([`WebhookSecret::as_text`]),
/// so that a `{}` in a log line cannot print it. Zeroed when dropped.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Zeroizing<Vec<u8>>,
}

/// Why a text is not a webhook secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretProblem {
    #[error("a webhook secret starts with whsec_")]
    Prefix,
    #[error("a webhook secret is base64 after whsec_")]
    Base64,
    #[error("a webhook secret holds {MIN_BYTES} to {MAX_BYTES} bytes, not {0}")]
    Length(usize),
}

impl WebhookSecret {
    /// A new secret of 32 bytes from the OS random source (thiqa-crypto's).
    pub fn generate() -> Result<WebhookSecret, DeliveryError> {
        let seed =
            thiqa_crypto::secret_seed().map_err(|e| DeliveryError::Unavailable(e.to_string()))?;
        Ok(WebhookSecret {
            key: Zeroizing::new(seed.to_vec()),
        })
    }

    /// Reads the `whsec_<base64>` form. A text too long to be a secret is
    /// refused before anything is decoded or allocated.
    pub fn parse(text: &str) -> Result<WebhookSecret, SecretProblem> {
        let encoded = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(SecretProblem::Prefix)?;
        let room = base64::decoded_len_estimate(encoded.len());
        if encoded.len() > MAX_ENCODED {
            return Err(SecretProblem::Length(room));
        }
        // Decoded into room reserved once, so that no byte of the key is
        // left behind unzeroed by a reallocation or a decoding error.
        let mut key = Zeroizing::new(Vec::with_capacity(room));
        BASE64
            .decode_vec(encoded, &mut key)
            .map_err(|_| SecretProblem::Base64)?;
        if !(MIN_BYTES..=MAX_BYTES).contains(&key.len()) {
            return Err(SecretProblem::Length(key.len()));
        }
        Ok(WebhookSecret { key })
    }

    /// The `whsec_<base64>` form, to show the customer once and to store.
    pub fn as_text(&self) -> String {
        format!("{PREFIX}{}", BASE64.encode(self.key.as_slice()))
    }

    pub(super) fn key(&self) -> &[u8] {
        &self.key
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_round_trip_and_differ() {
        let a = WebhookSecret::generate().expect("random");
        let b = WebhookSecret::generate().expect("random");
        assert_ne!(a.as_text(), b.as_text());
        assert!(a.as_text().starts_with("whsec_"));
        let again = WebhookSecret::parse(&a.as_text()).expect("parses");
        assert_eq!(again.as_text(), a.as_text());
        assert_eq!(again.key().len(), 32);
        assert_eq!(format!("{a:?}"), "WebhookSecret(..)");
    }

    #[test]
    fn bad_texts_are_named() {
        assert_eq!(
            WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").err(),
            Some(SecretProblem::Prefix)
        );
        assert_eq!(
            WebhookSecret::parse("whsec_not base64!").err(),
            Some(SecretProblem::Base64)
        );
        assert_eq!(
            WebhookSecret::parse("whsec_AAAA").err(),
            Some(SecretProblem::Length(3))
        );
        let too_long = format!("whsec_{}", BASE64.encode([7u8; 65]));
        assert_eq!(
            WebhookSecret::parse(&too_long).err(),
            Some(SecretProblem::Length(65))
        );
        // A megabyte is refused by its length alone, undecoded (its base64
        // would be fine).
        let huge = format!("whsec_{}", "A".repeat(1 << 20));
        assert!(matches!(
            WebhookSecret::parse(&huge).err(),
            Some(SecretProblem::Length(n)) if n > MAX_BYTES
        ));
        let huge_junk = format!("whsec_{}", "!".repeat(1 << 20));
        assert!(matches!(
            WebhookSecret::parse(&huge_junk).err(),
            Some(SecretProblem::Length(_))
        ));
        // Unpadded base64 is accepted, as the reference libraries do.
        assert!(WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").is_ok());
        let unpadded = format!("whsec_{}", BASE64.encode([1u8; 25]).trim_end_matches('='));
        assert!(WebhookSecret::parse(&unpadded).is_ok());
    }
}
