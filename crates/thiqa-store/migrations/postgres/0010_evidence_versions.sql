-- Versions of file evidence: a new file for the same item (a renewed
-- certificate, next year's audit report) keeps every earlier one, with who
-- added it and when. The evidence row carries the current version.
ALTER TABLE evidence ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE evidence_versions (
    evidence_id BIGINT NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    -- The validity date given with this version (ISO date or empty).
    valid_until TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (evidence_id, version)
);

-- Files recorded before versioning become their item's version 1.
INSERT INTO evidence_versions (evidence_id, version, sha256, size, filename, media_type, valid_until, created_at, created_by)
SELECT id, 1, sha256, COALESCE(size, 0), COALESCE(filename, 'evidence'), COALESCE(media_type, 'application/octet-stream'), valid_until, created_at, created_by
FROM evidence WHERE kind = 'file' AND sha256 IS NOT NULL;
