//! Syslog intake (référentiel 3.8.6–3.8.7): RFC 5424 messages over TLS with
//! octet-counting framing (RFC 5425, RFC 6587), the path rsyslog, syslog-ng
//! and most network equipment already speak.
//!
//! Every sender presents a TLS client certificate; the handshake proves it
//! holds the certificate's key, and the certificate's SHA-256 must be the
//! one pinned to a live event source (`thiqa journal source create
//! --tls-client-cert`). Messages become journal events of that source,
//! appended in batches (up to `syslog.batch_messages`, or what arrived in
//! 200 ms) in one transaction each. A message that does not parse is not
//! stored; the refusals are journaled with the first reason. A connection
//! from an unknown certificate is closed and journaled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use sha2::{Digest, Sha256};
use thiqa_store::{Actor, IntakeError, IntakeSource, NewEvent};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::serve::ServeError;
use crate::state::AppState;

/// A batch is written when no message came for this long.
const FLUSH_AFTER: Duration = Duration::from_millis(200);
/// A TLS handshake must finish within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts any client certificate whose holder proves it has the key; the
/// identity check (is this certificate pinned to a source?) follows the
/// handshake, against the database.
#[derive(Debug)]
pub struct PinnedClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertificate {
    pub fn new(provider: &CryptoProvider) -> Self {
        PinnedClientCertificate {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// SHA-256 of a DER certificate, lower-case hex: what sources are pinned by.
pub fn certificate_fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What ends a connection early: a message for the log (no secret in it).
type Outcome<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Accepts connections until the process ends.
pub async fn run(app: AppState, listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "syslog: accept");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (app, acceptor) = (app.clone(), acceptor.clone());
        tokio::spawn(async move {
            if let Err(e) = connection(&app, acceptor, tcp, peer).await {
                tracing::warn!(%peer, error = %e, "syslog connection ended");
            }
        });
    }
}

async fn connection(
    app: &AppState,
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
) -> Outcome<()> {
    let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
        .await
        .map_err(|_| "TLS handshake timed out".to_string())?
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let fingerprint = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| certificate_fingerprint(c))
        .ok_or("no client certificate")?;
    let Some(source) = app.store.intake_source_by_certificate(&fingerprint).await? else {
        app.store
            .record_event(
                &Actor {
                    source_ip: Some(peer.ip().to_string()),
                    ..Actor::system()
                },
                NewEvent::failure("journal.syslog.refused")
                    .details(format!("unknown client certificate sha256 {fingerprint}")),
            )
            .await?;
        return Err(format!("client certificate {fingerprint} is pinned to no live source").into());
    };
    tracing::info!(%peer, source = %source.name, "syslog source connected");
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(1024);
    let max = app.config.syslog.max_message_bytes as usize;
    // Frames are read on their own task: reading is not cancel-safe, and
    // the batching below waits on the channel with a timeout.
    let reader = tokio::spawn(async move {
        let mut reader = BufReader::new(tls);
        loop {
            match read_frame(&mut reader, max).await {
                Ok(Some(frame)) => {
                    if tx.send(frame).await.is_err() {
                        return Ok(());
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    });
    let batch_max = app.config.syslog.batch_messages as usize;
    let actor = source.actor(Some(peer.ip().to_string()));
    let mut frames = Vec::new();
    loop {
        let (ended, quiet) = match tokio::time::timeout(FLUSH_AFTER, rx.recv()).await {
            Ok(Some(frame)) => {
                frames.push(frame);
                (false, false)
            }
            Ok(None) => (true, false),
            Err(_) => (false, true),
        };
        if !frames.is_empty() && (ended || quiet || frames.len() >= batch_max) {
            append(app, &source, &actor, std::mem::take(&mut frames)).await?;
        }
        if ended {
            break;
        }
    }
    reader.await.map_err(|e| e.to_string())??;
    Ok(())
}

/// Parses and appends one batch; refused messages are journaled.
async fn append(
    app: &AppState,
    source: &IntakeSource,
    actor: &Actor,
    frames: Vec<Vec<u8>>,
) -> Outcome<()> {
    let ctx = app
        .store
        .intake_context(source, app.config.journal.retention_days)?;
    let mut events = Vec::with_capacity(frames.len());
    let (mut refused, mut first_reason) = (0usize, None);
    for frame in &frames {
        match thiqa_store::parse_syslog(frame, &ctx) {
            Ok(e) => events.push(e),
            Err(reason) => {
                refused += 1;
                first_reason.get_or_insert(reason);
            }
        }
    }
    if !events.is_empty() {
        match app.store.journal_append_batch(source, &events, actor).await {
            Ok(_) => {}
            Err(IntakeError::Revoked) => return Err("the event source was revoked".into()),
            Err(e) => return Err(e.to_string().into()),
        }
    }
    if let Some(reason) = first_reason {
        tracing::warn!(source = %source.name, refused, %reason, "syslog messages refused");
        app.store
            .record_event(
                actor,
                NewEvent::failure("journal.syslog.rejected")
                    .details(format!("{refused} message(s) refused; first: {reason}")),
            )
            .await?;
    }
    Ok(())
}

/// One octet-counted frame (`MSG-LEN SP SYSLOG-MSG`); `None` at a clean end.
async fn read_frame<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Outcome<Option<Vec<u8>>> {
    // MSG-LEN is at most 7 digits and its space: a sender that sends no
    // space never makes this buffer grow past 8 bytes.
    let mut length = Vec::with_capacity(8);
    let n = (&mut *reader).take(8).read_until(b' ', &mut length).await?;
    if n == 0 {
        return Ok(None);
    }
    const FRAMING: &str = "not octet-counted framing (RFC 5425: MSG-LEN SP SYSLOG-MSG)";
    let digits = match length.strip_suffix(b" ") {
        Some(digits) => digits,
        None if length.len() < 8 => return Err("connection cut inside MSG-LEN".into()),
        None => return Err(FRAMING.into()),
    };
    let len: usize = std::str::from_utf8(digits)
        .ok()
        .filter(|d| !d.is_empty() && d.len() <= 7 && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .ok_or(FRAMING)?;
    if len > max {
        return Err(format!("message of {len} bytes over the limit of {max}").into());
    }
    let mut frame = vec![0; len];
    reader.read_exact(&mut frame).await?;
    Ok(Some(frame))
}

/// Starts the listener when `syslog.listen` is set; returns the bound
/// address (for the start-up message).
pub async fn start(app: &AppState) -> Result<Option<SocketAddr>, String> {
    let c = &app.config.syslog;
    let (Some(addr), Some(cert), Some(key)) = (c.listen, &c.tls_cert, &c.tls_key) else {
        return Ok(None);
    };
    let tls = syslog_tls_config(cert, key).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("syslog listener {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    tokio::spawn(run(app.clone(), listener, acceptor));
    Ok(Some(bound))
}

/// The syslog listener's TLS: the same versions and suites, and a client
/// certificate required from every sender (it names the event source).
fn syslog_tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<rustls::ServerConfig, ServeError> {
    let (certs, key_der) = crate::serve::identity(cert, key)?;
    let provider = Arc::new(crate::serve::provider());
    let verifier = Arc::new(PinnedClientCertificate::new(&provider));
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key_der)?)
}

/// The fingerprint of the first certificate of a PEM file, to pin it to a
/// source.
pub fn pem_certificate_fingerprint(path: &std::path::Path) -> Result<String, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    use rustls::pki_types::pem::PemObject;
    let cert = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .next()
        .ok_or_else(|| format!("{}: no PEM certificate", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(certificate_fingerprint(&cert))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sender that never sends the space after MSG-LEN is cut off at once,
    /// not buffered until memory runs out.
    #[tokio::test]
    async fn a_length_without_its_space_is_refused_within_eight_bytes() {
        let endless = tokio::io::repeat(b'7').take(64 << 20);
        let mut reader = BufReader::new(endless);
        let err = read_frame(&mut reader, 65_536).await.unwrap_err();
        assert!(err.to_string().contains("not octet-counted"), "{err}");
        let mut rest = [0u8; 8];
        reader.read_exact(&mut rest).await.unwrap();
    }

    #[tokio::test]
    async fn frames_are_read_and_lengths_over_the_limit_refused() {
        let mut ok = BufReader::new(&b"5 hello3 abc"[..]);
        assert_eq!(read_frame(&mut ok, 10).await.unwrap().unwrap(), b"hello");
        assert_eq!(read_frame(&mut ok, 10).await.unwrap().unwrap(), b"abc");
        assert!(read_frame(&mut ok, 10).await.unwrap().is_none());
        let mut big = BufReader::new(&b"9999999 x"[..]);
        let err = read_frame(&mut big, 65_536).await.unwrap_err();
        assert!(err.to_string().contains("over the limit of 65536"), "{err}");
    }
}
