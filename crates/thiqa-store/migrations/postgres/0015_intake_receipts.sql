-- Receipts of intake batches sent with an Idempotency-Key (issue 12): a
-- source that retries after a lost acknowledgement gets the original
-- receipt instead of appending the batch twice. Kept 7 days.
CREATE TABLE intake_receipts (
    source_id BIGINT NOT NULL REFERENCES intake_sources(id),
    idempotency_key TEXT NOT NULL,
    batch_sha256 TEXT NOT NULL,
    first_index BIGINT NOT NULL,
    last_index BIGINT NOT NULL,
    event_count BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (source_id, idempotency_key)
);
CREATE INDEX intake_receipts_created ON intake_receipts (created_at_ms);
