//! Signing and verifying per Standard Webhooks. Verification is here for
//! Thiqa's own tests and for any Thiqa component that receives webhooks; it
//! compares in constant time and refuses timestamps outside a tolerance, so
//! that a captured request cannot be replayed later.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiqa_crypto::token::ct_eq;

use super::secret::{WebhookSecret, BASE64};

/// The tolerance of the reference libraries: five minutes either way.
pub const DEFAULT_TOLERANCE_S: i64 = 300;

/// Bytes of one signature (HMAC-SHA256).
const TAG_BYTES: usize = 32;
/// `v1,` and the padded base64 of one signature.
const SIGNATURE_CHARS: usize = 3 + TAG_BYTES.div_ceil(3) * 4;

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
fn tag(secret: &WebhookSecret, msg_id: &str, timestamp_s: i64, body: &[u8]) -> [u8; TAG_BYTES] {
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

/// Appends `v1,<base64 signature>` to `out`.
fn push_signature(
    out: &mut String,
    secret: &WebhookSecret,
    msg_id: &str,
    timestamp_s: i64,
    body: &[u8],
) {
    out.push_str("v1,");
    BASE64.encode_string(tag(secret, msg_id, timestamp_s, body), out);
}

/// `v1,<base64 signature>` of one message under one secret.
pub fn sign(secret: &WebhookSecret, msg_id: &str, timestamp_s: i64, body: &[u8]) -> String {
    let mut out = String::with_capacity(SIGNATURE_CHARS);
    push_signature(&mut out, secret, msg_id, timestamp_s, body);
    out
}

/// The `webhook-signature` header: one signature per secret, separated by
/// spaces (the new and the old secret during a rotation).
pub fn signature_header(
    secrets: &[WebhookSecret],
    msg_id: &str,
    timestamp_s: i64,
    body: &[u8],
) -> String {
    let mut header = String::with_capacity(secrets.len() * (SIGNATURE_CHARS + 1));
    for secret in secrets {
        if !header.is_empty() {
            header.push(' ');
        }
        push_signature(&mut header, secret, msg_id, timestamp_s, body);
    }
    header
}

/// Checks a received webhook: the timestamp within `tolerance_s` of `now_s`,
/// and one `v1` signature of the header made by one of `secrets`. The
/// header is read in place: an item that is not a 32-byte `v1` signature
/// (another version, junk, a text of any other length) is skipped without
/// being decoded, so a long header costs no allocation.
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
    let expected: Vec<[u8; TAG_BYTES]> = secrets
        .iter()
        .map(|secret| tag(secret, msg_id, timestamp_s, body))
        .collect();
    let mut found = false;
    let mut matched = false;
    for encoded in signature_header
        .split(' ')
        .filter_map(|item| item.strip_prefix("v1,"))
        .filter(|encoded| encoded.len() <= SIGNATURE_CHARS - 3)
    {
        let mut given = [0u8; TAG_BYTES];
        if BASE64.decode_slice(encoded, &mut given) != Ok(TAG_BYTES) {
            continue;
        }
        found = true;
        for tag in &expected {
            // Every pair is compared, match or not (`|` does not stop at
            // the first): the time taken says nothing about which byte
            // differed nor which secret matched.
            matched |= ct_eq(tag, &given);
        }
    }
    match (found, matched) {
        (_, true) => Ok(()),
        (true, false) => Err(VerifyError::Mismatch),
        (false, false) => Err(VerifyError::NoSignature),
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
        // The parts a receiver gets: secret, id, timestamp, header, body.
        let check = |secret: &WebhookSecret, id: &str, ts: &str, header: &str, body: &[u8]| {
            verify(
                std::slice::from_ref(secret),
                id,
                ts,
                header,
                body,
                now,
                DEFAULT_TOLERANCE_S,
            )
        };
        assert_eq!(check(&new, "msg_1", &ts, &header, body), Ok(()));
        assert_eq!(check(&old, "msg_1", &ts, &header, body), Ok(()));
        assert_eq!(
            check(&other, "msg_1", &ts, &header, body),
            Err(VerifyError::Mismatch)
        );
        // Any change to the signed parts breaks it.
        assert_eq!(
            check(&new, "msg_2", &ts, &header, body),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check(&new, "msg_1", &ts, &header, b"{}"),
            Err(VerifyError::Mismatch)
        );
        let later = (now + 1).to_string();
        assert_eq!(
            check(&new, "msg_1", &later, &header, body),
            Err(VerifyError::Mismatch)
        );
        // Other versions and junk are skipped, not errors.
        let mixed = format!("v2,abc v1,!!! {header}");
        assert_eq!(check(&new, "msg_1", &ts, &mixed, body), Ok(()));
        assert_eq!(
            check(&new, "msg_1", &ts, "v2,abc", body),
            Err(VerifyError::NoSignature)
        );
        // Nor is a v1 item of another length than a signature's, however
        // long: it is skipped unread.
        let padded = format!("v1,AAAA v1,{} {header}", "A".repeat(1 << 20));
        assert_eq!(check(&new, "msg_1", &ts, &padded, body), Ok(()));
        assert_eq!(
            check(&new, "msg_1", &ts, "v1,AAAA", body),
            Err(VerifyError::NoSignature)
        );
        // Unpadded base64, as some libraries send it, verifies too.
        let unpadded = sign(&new, "msg_1", now, body)
            .trim_end_matches('=')
            .to_owned();
        assert_eq!(check(&new, "msg_1", &ts, &unpadded, body), Ok(()));
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
