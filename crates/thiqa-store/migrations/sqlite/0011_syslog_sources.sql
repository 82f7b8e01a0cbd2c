-- Syslog intake (RFC 5424 over TLS, RFC 5425): a source is recognised by its
-- TLS client certificate, kept as the SHA-256 (hex) of its DER encoding.
ALTER TABLE intake_sources ADD COLUMN tls_fingerprint TEXT;
CREATE UNIQUE INDEX intake_sources_tls_fingerprint ON intake_sources(tls_fingerprint)
    WHERE tls_fingerprint IS NOT NULL;
