//! Signing and verifying per Standard Webhooks. Verification is here for
//! Thiqa's own tests and for any Thiqa component that receives webhooks; it
//! compares in constant time and refuses timestamps outside a tolerance, so
//! that a captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::secret::{WebhookSecret, BASE64};
use base64::Engine as _;

/// The tolerance of the reference libraries: five minutes either way.
pub const DEFAULT_TOLERANCE_S: i64 = 300;

/// Why a webhook does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the webhook-timestamp header is not a number of seconds")]
    BadTimestamp,
    #[error("the webhook timestamp is too old")]
    TooOld,
    #[error("the webhook timestamp is in the future")]
    TooNew,
    #[error("the webhook-signature header holds no v1 signature")]
    NoSignature,
    #[error("no signature matches")]
    Mismatch,
}

/// The HMAC-SHA256 of `{msg_id}.{timestamp_s}.{body}` under `secret`.
fn tag(secret: &WebhookSecret, msg_id: &str, timestamp_s: i64, body: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: `new_from_slice` cannot fail here.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.key()).expect("HMAC accepts any key length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// `v1,<base64 signature>` of one message under one secret.
pub fn sign(secret: &WebhookSecret, msg_id: &str, timestamp_s: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        BASE64.encode(tag(secret, msg_id, timestamp_s, body))
    )
}

/// The `webhook-signature` header: one signature per secret, separated by
/// spaces (the new and the old secret during a rotation).
pub fn signature_header(
    secrets: &[WebhookSecret],
    msg_id: &str,
    timestamp_s: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| sign(secret, msg_id, timestamp_s, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a received webhook: the timestamp within `tolerance_s` of `now_s`,
/// and one `v1` signature of the header made by one of `secrets`.
pub fn verify(
    secrets: &[WebhookSecret],
    msg_id: &str,
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now_s: i64,
    tolerance_s: i64,
) -> Result<(), VerifyError> {
    let timestamp_s: i64 = timestamp_header
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    if timestamp_s < now_s.saturating_sub(tolerance_s) {
        return Err(VerifyError::TooOld);
    }
    if timestamp_s > now_s.saturating_add(tolerance_s) {
        return Err(VerifyError::TooNew);
    }
    let given: Vec<Vec<u8>> = signature_header
        .split(' ')
        .filter_map(|item| item.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, encoded)| BASE64.decode(encoded).ok())
        .collect();
    if given.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    let mut matched = subtle::Choice::from(0);
    for secret in secrets {
        let expected = tag(secret, msg_id, timestamp_s, body);
        for signature in &given {
            // Every pair is compared, match or not: the time taken says
            // nothing about which byte differed nor which secret matched.
            matched |= expected.as_slice().ct_eq(signature.as_slice());
        }
    }
    if bool::from(matched) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> WebhookSecret {
        WebhookSecret::parse(text).expect("valid secret")
    }

    /// Vectors published with the Standard Webhooks reference libraries (the
    /// Rust library's `test_sign`, and the example of the Svix libraries the
    /// specification grew from): a customer's library must accept ours.
    #[test]
    fn signatures_match_the_published_test_vectors() {
        assert_eq!(
            sign(
                &secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user"}"#,
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        assert_eq!(
            sign(
                &secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#,
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn verify_accepts_any_listed_secret_and_refuses_the_rest() {
        let old = WebhookSecret::generate().expect("random");
        let new = WebhookSecret::generate().expect("random");
        let other = WebhookSecret::generate().expect("random");
        let body = br#"{"event":"incident.opened"}"#;
        let now = 1_700_000_000;
        let header = signature_header(&[new.clone(), old.clone()], "msg_1", now, body);
        assert_eq!(header.split(' ').count(), 2);
        let ts = now.to_string();
        assert_eq!(
            verify(
                std::slice::from_ref(&new),
                "msg_1",
                &ts,
                &header,
                body,
                now,
                300
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                std::slice::from_ref(&old),
                "msg_1",
                &ts,
                &header,
                body,
                now,
                300
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                std::slice::from_ref(&other),
                "msg_1",
                &ts,
                &header,
                body,
                now,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        // Any change to the signed parts breaks it.
        assert_eq!(
            verify(
                std::slice::from_ref(&new),
                "msg_2",
                &ts,
                &header,
                body,
                now,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(
                std::slice::from_ref(&new),
                "msg_1",
                &ts,
                &header,
                b"{}",
                now,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        let later = (now + 1).to_string();
        assert_eq!(
            verify(
                std::slice::from_ref(&new),
                "msg_1",
                &later,
                &header,
                body,
                now,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        // Other versions and junk are skipped, not errors.
        let mixed = format!("v2,abc v1,!!! {header}");
        assert_eq!(
            verify(
                std::slice::from_ref(&new),
                "msg_1",
                &ts,
                &mixed,
                body,
                now,
                300
            ),
            Ok(())
        );
        assert_eq!(
            verify(&[new], "msg_1", &ts, "v2,abc", body, now, 300),
            Err(VerifyError::NoSignature)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_refused() {
        let s = WebhookSecret::generate().expect("random");
        let now = 1_700_000_000;
        let at = |ts: i64| {
            verify(
                std::slice::from_ref(&s),
                "m",
                &ts.to_string(),
                &sign(&s, "m", ts, b"x"),
                b"x",
                now,
                300,
            )
        };
        assert_eq!(at(now - 300), Ok(()));
        assert_eq!(at(now + 300), Ok(()));
        assert_eq!(at(now - 301), Err(VerifyError::TooOld));
        assert_eq!(at(now + 301), Err(VerifyError::TooNew));
        assert_eq!(at(i64::MIN), Err(VerifyError::TooOld));
        assert_eq!(at(i64::MAX), Err(VerifyError::TooNew));
        for bad in ["", "12.5", "abc", "99999999999999999999"] {
            assert_eq!(
                verify(
                    std::slice::from_ref(&s),
                    "m",
                    bad,
                    "v1,AAAA",
                    b"x",
                    now,
                    300
                ),
                Err(VerifyError::BadTimestamp)
            );
        }
    }
}
