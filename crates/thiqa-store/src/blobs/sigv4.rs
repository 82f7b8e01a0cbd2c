//! AWS Signature Version 4 for S3-compatible object stores (AWS S3, MinIO,
//! Ceph RGW, OVHcloud, Scaleway…): every request is signed with the secret
//! key, which never travels. The payload hash is signed too: for an upload
//! it is the object's SHA-256, so the store refuses bytes altered in transit.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
pub use thiqa_domain::text::hex;

/// SHA-256 of the empty payload (GET and HEAD requests).
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// An access key pair; the secret is never shown by `Debug`.
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"[redacted]")
            .finish()
    }
}

/// One request to sign. `path` is already URI-encoded (object keys here
/// only hold unreserved characters and `/`); `headers` must include `host`,
/// `x-amz-date` and `x-amz-content-sha256`, every one of them is signed.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub payload_sha256: &'a str,
    /// `YYYYMMDDTHHMMSSZ`, the value of `x-amz-date`.
    pub amz_date: &'a str,
    pub region: &'a str,
}

/// The `Authorization` header value for `req`.
pub fn authorization(creds: &Credentials, req: &Request<'_>) -> String {
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        req.method, req.path, req.payload_sha256
    );
    let date = &req.amz_date[..8.min(req.amz_date.len())];
    let scope = format!("{date}/{}/s3/aws4_request", req.region);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        req.amz_date,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", creds.secret_key).as_bytes(),
        date.as_bytes(),
    );
    for part in [req.region, "s3", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key
    )
}

/// `x-amz-date` for a Unix time (UTC).
pub fn amz_date(unix_s: i64) -> String {
    let (y, m, d, hh, mm, ss) =
        thiqa_journal::Timestamp::from_unix_seconds_clamped(unix_s).utc_fields();
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "GET Object" example of AWS's S3 documentation ("Signature
    /// Calculations for the Authorization Header: Transferring Payload in a
    /// Single Chunk"), with its published signature.
    #[test]
    fn matches_the_published_get_object_example() {
        let creds = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        };
        let auth = authorization(
            &creds,
            &Request {
                method: "GET",
                path: "/test.txt",
                headers: &[
                    ("Host", "examplebucket.s3.amazonaws.com"),
                    ("Range", "bytes=0-9"),
                    ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
                    ("x-amz-date", "20130524T000000Z"),
                ],
                payload_sha256: EMPTY_PAYLOAD_SHA256,
                amz_date: "20130524T000000Z",
                region: "us-east-1",
            },
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn secret_is_not_debug_printed() {
        let creds = Credentials {
            access_key: "AK".into(),
            secret_key: "very-secret".into(),
        };
        assert!(!format!("{creds:?}").contains("very-secret"));
    }

    #[test]
    fn dates_are_utc_basic_format() {
        assert_eq!(amz_date(1_369_353_600), "20130524T000000Z");
        assert_eq!(amz_date(951_782_400 + 3_661), "20000229T010101Z");
    }
}
