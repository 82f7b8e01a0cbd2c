//! The one TLS client configuration of this crate, for webhooks and for
//! SMTP over implicit TLS: rustls with ring, TLS 1.3 and 1.2 only (the
//! référentiel's TLS 1.2 minimum), the public web roots, as every other TLS
//! client of Thiqa.
//!
//! thiqa-blobs builds the same configuration (`s3/tls.rs`, plus a CA file);
//! it cannot be called from here (thiqa-blobs depends on the store), so the
//! two stay twins until a crate both may use exposes one.

use std::sync::Arc;

pub(crate) fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
    .with_root_certificates(roots)
    .with_no_client_auth())
}
