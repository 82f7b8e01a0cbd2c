//! The HTTP client under object_store: reqwest with a rustls configuration
//! of ours (ring, TLS 1.2 minimum, the public web roots plus the configured
//! CA file) and the timeouts of [`S3Tuning`]. Given to object_store as its
//! connector, so that no process-wide TLS provider has to be installed and
//! the trust is the same as every other TLS client of Thiqa.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::client::{HttpClient, HttpConnector};
use object_store::ClientOptions;

use super::S3Tuning;

/// TLS to the bucket's endpoint; the message names a bad `ca_file`.
pub(super) fn client_config(ca_file: Option<&PathBuf>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let named = |e: &dyn std::fmt::Display| format!("ca_file {}: {e}", path.display());
        let pem = std::fs::read(path).map_err(|e| named(&e))?;
        let mut added = 0;
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots
                .add(cert.map_err(|e| named(&e))?)
                .map_err(|e| named(&e))?;
            added += 1;
        }
        if added == 0 {
            return Err(named(&"no PEM certificate found"));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(config)
}

/// Makes object_store's HTTP client.
#[derive(Debug)]
pub(super) struct Connector {
    pub tls: Arc<rustls::ClientConfig>,
    pub tuning: S3Tuning,
}

impl HttpConnector for Connector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(rustls::ClientConfig::clone(&self.tls))
            .connect_timeout(self.tuning.connect_timeout)
            .read_timeout(self.tuning.read_timeout)
            .user_agent(concat!("thiqa/", env!("CARGO_PKG_VERSION")))
            // Straight to the endpoint, as the configuration names it: a
            // proxy of the environment (HTTPS_PROXY) would see the evidence.
            .no_proxy()
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(client))
    }
}
