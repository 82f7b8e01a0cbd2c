-- Evidence: files (content-addressed by SHA-256 in the blob store), links
-- and notes; one item may support many obligations.
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    -- file | url | note
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    sha256 TEXT,
    size BIGINT,
    filename TEXT,
    media_type TEXT,
    url TEXT,
    note TEXT,
    -- ISO date (YYYY-MM-DD) after which the evidence must be renewed, or empty.
    valid_until TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX evidence_service ON evidence(service_id);

CREATE TABLE evidence_links (
    evidence_id BIGINT NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
    obligation_id TEXT NOT NULL,
    PRIMARY KEY (evidence_id, obligation_id)
);
CREATE INDEX evidence_links_obligation ON evidence_links(obligation_id);
