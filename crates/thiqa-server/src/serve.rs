//! Binding the two listeners, with TLS when configured (3.6.2: TLS 1.2
//! minimum, 1.3 preferred, AEAD suites only).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use rustls::crypto::ring::{cipher_suite, default_provider};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{Error as PemError, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::config::TlsConfig;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Pem { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Only AEAD suites with forward secrecy; TLS 1.3 first.
pub(crate) fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..default_provider()
    }
}

/// The certificate chain and private key of a listener (PEM files).
pub(crate) type Identity = (
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

pub(crate) fn identity(cert: &Path, key: &Path) -> Result<Identity, ServeError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| ServeError::Read {
            path: p.display().to_string(),
            source,
        })
    };
    let pem_err = |p: &Path, message: String| ServeError::Pem {
        path: p.display().to_string(),
        message,
    };
    let cert_pem = read(cert)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_err(cert, "no certificate found (PEM expected)".into()));
    }
    let key_pem = read(key)?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        PemError::NoItemsFound => pem_err(key, "no private key found (PEM expected)".into()),
        other => pem_err(key, other.to_string()),
    })?;
    Ok((certs, key_der))
}

pub fn tls_config(cert: &Path, key: &Path) -> Result<ServerConfig, ServeError> {
    let (certs, key_der) = identity(cert, key)?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A listener whose address is bound and whose TLS material is loaded:
/// made before anything is served, so a taken port or an unreadable
/// certificate stops the start with a message naming it, instead of a
/// server running on one listener only or hanging in silence.
pub struct BoundListener {
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    pub addr: SocketAddr,
}

impl BoundListener {
    pub fn bind(addr: SocketAddr, tls: &TlsConfig) -> Result<BoundListener, ServeError> {
        let tls = match (&tls.cert, &tls.key) {
            (Some(cert), Some(key)) => {
                Some(RustlsConfig::from_config(Arc::new(tls_config(cert, key)?)))
            }
            _ => None,
        };
        let bind_err = |source| ServeError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        Ok(BoundListener {
            listener,
            tls,
            addr,
        })
    }

    /// Serves `router` until `handle` is told to stop.
    pub async fn serve(self, router: Router, handle: Handle<SocketAddr>) -> Result<(), ServeError> {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let addr = self.addr;
        let bind_err = |source| ServeError::Bind { addr, source };
        match self.tls {
            Some(config) => {
                axum_server::from_tcp_rustls(self.listener, config)
                    .map_err(bind_err)?
                    .handle(handle)
                    .serve(service)
                    .await
            }
            None => {
                axum_server::from_tcp(self.listener)
                    .map_err(bind_err)?
                    .handle(handle)
                    .serve(service)
                    .await
            }
        }
        .map_err(bind_err)
    }
}
