-- Intake of security events from the provider's infrastructure (référentiel
-- 3.8.6, 3.8.7): registered event sources post NDJSON batches that become
-- journal leaves (journal_leaves.source = the source's name).

-- One row per source. The token is shown once at registration; only its
-- SHA-256 (hex) is kept. A revoked source keeps its row (its events stay in
-- the journal under its name), and its name stays taken.
CREATE TABLE intake_sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- Actor name of whoever registered it.
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    UNIQUE (provider_id, name)
);

-- The commanditaires (organisations) whose events a source may tag.
CREATE TABLE intake_source_organisations (
    source_id BIGINT NOT NULL REFERENCES intake_sources(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (source_id, organisation_id)
) WITHOUT ROWID;

-- Intake rows are not rows of security_events (their event_id is NULL):
-- keep them out of the event_id index, which a batch would otherwise grow
-- by one entry per event. Lookups by event_id = … still use it.
DROP INDEX journal_leaves_event;
CREATE INDEX journal_leaves_event ON journal_leaves(event_id) WHERE event_id IS NOT NULL;
