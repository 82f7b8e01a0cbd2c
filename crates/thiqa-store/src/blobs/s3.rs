//! A small S3 client: the four calls the blob store needs (HEAD bucket,
//! HEAD, PUT and GET object), path-style addressing so that any
//! S3-compatible service works, SigV4-signed, over HTTPS (rustls, TLS 1.2
//! minimum) or, on loopback or when explicitly allowed, plain HTTP.
//! One connection per call: evidence objects are large and rare, a pool
//! would buy nothing.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{combinators::BoxBody, BodyDataStream, BodyExt, Empty, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncRead;
use tokio::net::TcpStream;

use super::sigv4::{self, Credentials, EMPTY_PAYLOAD_SHA256};

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `https://s3.example.ma` or `http://127.0.0.1:9000`; no path.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub credentials: Credentials,
    /// Extra CA certificates (PEM) for a private endpoint, beside the
    /// public web roots.
    pub ca_file: Option<PathBuf>,
    /// Plain HTTP to a non-loopback endpoint (the server's `insecure_http`).
    pub allow_http: bool,
}

/// A checked S3 endpoint (opaque outside the blob store).
#[derive(Clone)]
pub struct S3Client {
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
    /// `host[:port]` as sent in `Host`.
    authority: String,
    /// `host:port` to connect to.
    address: String,
    bucket: String,
    region: String,
    credentials: Credentials,
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3Client({}/{})", self.authority, self.bucket)
    }
}

type Body = BoxBody<Bytes, std::io::Error>;

fn io_error(message: impl Into<String>) -> std::io::Error {
    std::io::Error::other(message.into())
}

impl S3Client {
    /// Checks the settings (no network yet); the message names the problem.
    pub fn new(s: &S3Settings) -> Result<S3Client, String> {
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
        let (host, port) = split_host_port(authority)?;
        let port = port.unwrap_or(if https { 443 } else { 80 });
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
        let tls = if https {
            let name = rustls::pki_types::ServerName::try_from(host.to_string())
                .map_err(|_| format!("{host} is not a valid TLS server name"))?;
            Some((tls_connector(s.ca_file.as_ref())?, name))
        } else {
            None
        };
        let address = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(S3Client {
            tls,
            authority: authority.to_string(),
            address,
            bucket: s.bucket.clone(),
            region: s.region.clone(),
            credentials: s.credentials.clone(),
        })
    }

    /// Start-up check: the bucket exists and the keys may use it.
    pub async fn check_bucket(&self) -> std::io::Result<()> {
        let response = self
            .send(
                "HEAD",
                &format!("/{}", self.bucket),
                EMPTY_PAYLOAD_SHA256,
                None,
                empty(),
            )
            .await?;
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => {
                Err(io_error(format!("bucket {} does not exist", self.bucket)))
            }
            StatusCode::FORBIDDEN => Err(io_error(format!(
                "access to bucket {} refused (check the access key, the secret key and the region)",
                self.bucket
            ))),
            other => Err(io_error(format!("bucket {}: HTTP {other}", self.bucket))),
        }
    }

    /// The object's size, or `None` when it does not exist.
    pub async fn head(&self, key: &str) -> std::io::Result<Option<u64>> {
        let response = self
            .send("HEAD", &self.path(key), EMPTY_PAYLOAD_SHA256, None, empty())
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(content_length(&response))),
            _ => Err(failure("HEAD", key, response).await),
        }
    }

    /// Uploads `path` (`size` bytes whose SHA-256 is `sha256_hex`) as `key`;
    /// the store checks the signed hash against what it received.
    pub async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        size: u64,
        sha256_hex: &str,
    ) -> std::io::Result<()> {
        let file = tokio::fs::File::open(path).await?;
        let frames =
            tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).map_ok(Frame::data);
        let body = BodyExt::boxed(StreamBody::new(frames));
        let response = self
            .send("PUT", &self.path(key), sha256_hex, Some(size), body)
            .await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(failure("PUT", key, response).await)
        }
    }

    /// The object as a stream with its size, or `None` when it does not exist.
    pub async fn get(
        &self,
        key: &str,
    ) -> std::io::Result<Option<(u64, Pin<Box<dyn AsyncRead + Send>>)>> {
        let response = self
            .send("GET", &self.path(key), EMPTY_PAYLOAD_SHA256, None, empty())
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let size = content_length(&response);
                let stream = BodyDataStream::new(response.into_body()).map_err(io_error_of);
                Ok(Some((
                    size,
                    Box::pin(tokio_util::io::StreamReader::new(stream)),
                )))
            }
            _ => Err(failure("GET", key, response).await),
        }
    }

    fn path(&self, key: &str) -> String {
        format!("/{}/{key}", self.bucket)
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        payload_sha256: &str,
        length: Option<u64>,
        body: Body,
    ) -> std::io::Result<Response<Incoming>> {
        let date = sigv4::amz_date(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        );
        let authorization = sigv4::authorization(
            &self.credentials,
            &sigv4::Request {
                method,
                path,
                headers: &[
                    ("host", &self.authority),
                    ("x-amz-content-sha256", payload_sha256),
                    ("x-amz-date", &date),
                ],
                payload_sha256,
                amz_date: &date,
                region: &self.region,
            },
        );
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.authority)
            .header("x-amz-content-sha256", payload_sha256)
            .header("x-amz-date", &date)
            .header("authorization", authorization);
        if let Some(n) = length {
            request = request.header("content-length", n);
        }
        let request = request.body(body).map_err(|e| io_error(e.to_string()))?;
        let tcp = TcpStream::connect(&self.address)
            .await
            .map_err(|e| io_error(format!("object store {}: {e}", self.address)))?;
        match &self.tls {
            Some((connector, name)) => {
                let tls = connector.connect(name.clone(), tcp).await?;
                exchange(tls, request).await
            }
            None => exchange(tcp, request).await,
        }
    }
}

async fn exchange<S>(io: S, request: Request<Body>) -> std::io::Result<Response<Incoming>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(io_error_of)?;
    // The connection task drives the exchange, including a GET body read
    // after this function returns; it ends with the body.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender.send_request(request).await.map_err(io_error_of)
}

fn empty() -> Body {
    BodyExt::boxed(Empty::<Bytes>::new().map_err(|never| match never {}))
}

fn io_error_of(e: hyper::Error) -> std::io::Error {
    io_error(format!("object store: {e}"))
}

fn content_length(response: &Response<Incoming>) -> u64 {
    response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// An error naming the call, the status and S3's own error code.
async fn failure(call: &str, key: &str, response: Response<Incoming>) -> std::io::Error {
    let status = response.status();
    let body = http_body_util::Limited::new(response.into_body(), 16 * 1024)
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    let code = between(&body, "<Code>", "</Code>").unwrap_or("");
    let message = between(&body, "<Message>", "</Message>").unwrap_or("");
    io_error(
        format!("object store {call} {key}: HTTP {status} {code} {message}")
            .trim_end()
            .to_string(),
    )
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    let bad_port = || format!("the endpoint's port in {authority} is not a number");
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in {authority}"))?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(p.parse().map_err(|_| bad_port())?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(bad_port()),
        };
    }
    match authority.split_once(':') {
        Some((host, p)) => Ok((host, Some(p.parse().map_err(|_| bad_port())?))),
        None => Ok((authority, None)),
    }
}

fn tls_connector(ca_file: Option<&PathBuf>) -> Result<tokio_rustls::TlsConnector, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
        let mut added = 0;
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!(
                "ca_file {}: no PEM certificate found",
                path.display()
            ));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoint: &str) -> S3Settings {
        S3Settings {
            endpoint: endpoint.into(),
            bucket: "thiqa-evidence".into(),
            region: "eu-west-3".into(),
            credentials: Credentials {
                access_key: "AK".into(),
                secret_key: "SK".into(),
            },
            ca_file: None,
            allow_http: false,
        }
    }

    #[test]
    fn endpoints_are_checked_with_a_reason() {
        assert!(S3Client::new(&settings("https://s3.example.ma")).is_ok());
        assert!(S3Client::new(&settings("http://127.0.0.1:9000/")).is_ok());
        assert!(S3Client::new(&settings("http://[::1]:9000")).is_ok());
        let err = S3Client::new(&settings("http://s3.example.ma")).unwrap_err();
        assert!(err.contains("unencrypted"), "{err}");
        let err = S3Client::new(&settings("s3.example.ma")).unwrap_err();
        assert!(err.contains("https://"), "{err}");
        let err = S3Client::new(&settings("https://s3.example.ma/bucket")).unwrap_err();
        assert!(err.contains("without path"), "{err}");
        let err = S3Client::new(&settings("https://s3.example.ma:http")).unwrap_err();
        assert!(err.contains("port"), "{err}");
        let mut bad = settings("https://s3.example.ma");
        bad.bucket = "Evidence_Bucket".into();
        assert!(S3Client::new(&bad).unwrap_err().contains("bucket"));
    }

    #[test]
    fn s3_error_codes_are_read_from_the_body() {
        let body = "<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error>";
        assert_eq!(
            between(body, "<Code>", "</Code>"),
            Some("SignatureDoesNotMatch")
        );
    }
}
