-- Self-assessment: one row per service and obligation, and every change to
-- it (who, when, old -> new), kept for the auditor.
CREATE TABLE assessments (
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    obligation_id TEXT NOT NULL,
    -- not_assessed | compliant | partially_compliant | non_compliant | not_applicable
    status TEXT NOT NULL,
    statement TEXT NOT NULL DEFAULT '',
    justification TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    -- ISO 8601 date (YYYY-MM-DD) or empty.
    next_review TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (service_id, obligation_id)
);

CREATE TABLE assessment_history (
    id BIGSERIAL PRIMARY KEY,
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    obligation_id TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX assessment_history_obligation ON assessment_history(service_id, obligation_id, id);
