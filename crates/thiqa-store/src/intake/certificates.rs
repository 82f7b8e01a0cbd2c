//! Sources recognised by their TLS client certificate, for syslog intake:
//! the certificate is pinned by the SHA-256 of its DER encoding, so no
//! certificate authority is needed and a revoked source's certificate stops
//! working at once.

use thiqa_domain::{SourceId, Tenant};

use super::IntakeSource;
use crate::connect::Store;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::ProviderScope;

/// Whether `fingerprint` is a SHA-256 in lower-case hex.
fn valid_fingerprint(fingerprint: &str) -> bool {
    fingerprint.len() == 64
        && fingerprint
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Store {
    /// The live source whose pinned certificate has this fingerprint.
    pub async fn intake_source_by_certificate(
        &self,
        fingerprint: &str,
    ) -> Result<Option<IntakeSource>, StoreError> {
        if !valid_fingerprint(fingerprint) {
            return Ok(None);
        }
        Ok(self
            .live_source_where("tls_fingerprint", fingerprint)
            .await?
            .map(|(source, _)| source))
    }
}

impl ProviderScope<'_> {
    /// Pins the TLS client certificate (SHA-256 of its DER, hex) of a live
    /// source of `provider`, replacing any earlier one. Journaled. A
    /// certificate already pinned to another source is a conflict.
    pub async fn set_intake_source_certificate(
        self,
        id: SourceId,
        fingerprint: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let id = id.0;
        let provider = self.provider;
        if !valid_fingerprint(fingerprint) {
            return Err(StoreError::Conflict(crate::Refusal::new(
                "refusal-certificate-fingerprint",
                "a certificate fingerprint is 64 lower-case hex digits",
            )));
        }
        let mut w = self.store.write().await?;
        let name: Option<String> = sqlx::query_scalar(
            "UPDATE intake_sources SET tls_fingerprint = $1 \
             WHERE id = $2 AND provider_id = $3 AND revoked_at IS NULL RETURNING name",
        )
        .bind(fingerprint)
        .bind(id)
        .bind(provider.0)
        .fetch_optional(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on(
                e,
                crate::Refusal::new(
                    "refusal-exists-certificate",
                    "a source with this certificate already exists",
                ),
            )
        })?;
        let name = name.ok_or(StoreError::NotFound)?;
        w.event(
            actor,
            &NewEvent::success("intake_source.certificate")
                .target(format!("intake_source:{id}"))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "source \"{name}\" certificate sha256 {fingerprint}"
                )),
        )
        .await?;
        w.commit().await
    }
}
