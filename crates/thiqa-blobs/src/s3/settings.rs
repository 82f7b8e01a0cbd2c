//! The S3 settings as the configuration gives them, and their check: every
//! problem is found before any request, and the message names it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `https://s3.example.ma` or `http://127.0.0.1:9000`; no path.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub credentials: S3Credentials,
    /// Extra CA certificates (PEM) for a private endpoint, beside the
    /// public web roots.
    pub ca_file: Option<PathBuf>,
    /// Plain HTTP to a non-loopback endpoint (the server's `insecure_http`).
    pub allow_http: bool,
}

/// An access key pair; the secret is never shown by `Debug`.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"[redacted]")
            .finish()
    }
}

/// How requests to the bucket are bounded. The defaults suit a server;
/// tests shrink them (a 5 MiB part, a short read timeout).
#[derive(Debug, Clone)]
pub struct S3Tuning {
    /// An object larger than this is uploaded in parts of (at least) this
    /// size; S3 takes parts of 5 MiB to 5 GiB, 10,000 at most, and a
    /// single PUT of 5 GB at most.
    pub part_size: usize,
    /// Parts sent at once by one upload (each holds `part_size` in memory).
    pub parallel_parts: usize,
    /// A connection not made within this is an error (then retried).
    pub connect_timeout: Duration,
    /// No byte for this long, once connected, is an error (then retried).
    /// No bound on a whole request: reading a large object may take long
    /// and is fine as long as bytes keep coming.
    pub read_timeout: Duration,
    /// Retries of a failed request (connection refused, timeout, 5xx),
    /// with exponential backoff; S3 answers such as 403 or 404 are final.
    pub max_retries: usize,
    /// No retry is started after this long from the first attempt.
    pub retry_timeout: Duration,
}

impl Default for S3Tuning {
    fn default() -> Self {
        S3Tuning {
            part_size: 16 << 20,
            parallel_parts: 3,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_retries: 4,
            retry_timeout: Duration::from_secs(120),
        }
    }
}

/// Settings that passed the check.
pub(super) struct Checked {
    /// The endpoint without a trailing `/`.
    pub endpoint: String,
    pub https: bool,
    pub tls: Arc<rustls::ClientConfig>,
}

/// Checks the settings without any I/O but reading `ca_file`.
pub(super) fn check(s: &S3Settings) -> Result<Checked, String> {
    let (https, rest) = if let Some(r) = s.endpoint.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = s.endpoint.strip_prefix("http://") {
        (false, r)
    } else {
        return Err("the endpoint must start with https:// (or http:// on loopback)".into());
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err("the endpoint must be a scheme and a host[:port], without path".into());
    }
    let host = split_host_port(authority)?;
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !https && !loopback && !s.allow_http {
        return Err(format!(
            "plain http:// to {host} would send evidence unencrypted; use https:// (or insecure_http = true)"
        ));
    }
    let valid_bucket = (3..=63).contains(&s.bucket.len())
        && s.bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid_bucket {
        return Err(format!(
            "bucket {:?}: 3 to 63 lower-case letters, digits, '-' or '.'",
            s.bucket
        ));
    }
    if s.region.is_empty()
        || !s
            .region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!("region {:?} is not a region name", s.region));
    }
    if s.credentials.access_key.is_empty() || s.credentials.secret_key.is_empty() {
        return Err("the access key and the secret key are both required".into());
    }
    if https {
        rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|_| format!("{host} is not a valid TLS server name"))?;
    }
    Ok(Checked {
        endpoint: format!("{}://{authority}", if https { "https" } else { "http" }),
        https,
        tls: Arc::new(super::tls::client_config(s.ca_file.as_ref())?),
    })
}

/// Object names are `<prefix>sha256/<ab>/<hash>`, exactly as before the
/// move to object_store (existing buckets stay readable); a prefix whose
/// segments object_store would rewrite (empty, `.`, `..`) is refused.
pub(super) fn check_prefix(prefix: &str) -> Result<(), String> {
    let allowed = prefix.is_empty()
        || (prefix.ends_with('/')
            && !prefix.starts_with('/')
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)));
    if !allowed {
        return Err(format!(
            "prefix {prefix:?}: letters, digits, '-', '_', '.', '/', ending with '/'"
        ));
    }
    let segments = prefix.strip_suffix('/').unwrap_or(prefix);
    if !prefix.is_empty()
        && segments
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(format!(
            "prefix {prefix:?}: no empty, '.' or '..' part between the '/'"
        ));
    }
    Ok(())
}

/// The host of `host`, `host:port`, `[v6]` or `[v6]:port`; the port must
/// be a number.
fn split_host_port(authority: &str) -> Result<&str, String> {
    let bad_port = || format!("the endpoint's port in {authority} is not a number");
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in {authority}"))?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err(bad_port()),
        }
    } else {
        match authority.split_once(':') {
            Some((host, p)) => (host, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(p) = port {
        p.parse::<u16>().map_err(|_| bad_port())?;
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoint: &str) -> S3Settings {
        S3Settings {
            endpoint: endpoint.into(),
            bucket: "thiqa-evidence".into(),
            region: "eu-west-3".into(),
            credentials: S3Credentials {
                access_key: "AK".into(),
                secret_key: "SK".into(),
            },
            ca_file: None,
            allow_http: false,
        }
    }

    fn problem(s: &S3Settings) -> String {
        check(s).err().unwrap_or_default()
    }

    #[test]
    fn endpoints_are_checked_with_a_reason() {
        assert!(check(&settings("https://s3.example.ma")).is_ok());
        assert!(check(&settings("http://127.0.0.1:9000/")).is_ok());
        assert!(check(&settings("http://[::1]:9000")).is_ok());
        let err = problem(&settings("http://s3.example.ma"));
        assert!(err.contains("unencrypted"), "{err}");
        let mut allowed = settings("http://s3.example.ma");
        allowed.allow_http = true;
        assert!(check(&allowed).is_ok());
        let err = problem(&settings("s3.example.ma"));
        assert!(err.contains("https://"), "{err}");
        let err = problem(&settings("https://s3.example.ma/bucket"));
        assert!(err.contains("without path"), "{err}");
        let err = problem(&settings("https://s3.example.ma:http"));
        assert!(err.contains("port"), "{err}");
        let mut bad = settings("https://s3.example.ma");
        bad.bucket = "Evidence_Bucket".into();
        assert!(problem(&bad).contains("bucket"));
        let mut bad = settings("https://s3.example.ma");
        bad.credentials.secret_key.clear();
        assert!(problem(&bad).contains("secret key"));
        let mut bad = settings("https://s3.example.ma");
        bad.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(problem(&bad).contains("/nonexistent/ca.pem"));
    }

    #[test]
    fn prefixes_keep_object_names_as_they_were() {
        for good in ["", "thiqa/", "a/b-c_d.e/"] {
            assert!(check_prefix(good).is_ok(), "{good}");
        }
        for bad in ["thiqa", "/thiqa/", "a//b/", "./", "a/../", "é/"] {
            assert!(check_prefix(bad).unwrap_err().contains("prefix"), "{bad}");
        }
    }

    #[test]
    fn the_secret_key_is_never_shown() {
        let shown = format!("{:?}", settings("https://s3.example.ma"));
        assert!(shown.contains("AK") && !shown.contains("\"SK\""), "{shown}");
    }
}
