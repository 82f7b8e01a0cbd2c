-- External audits (PASSI): an auditor account is invited to one service for
-- a limited period (an engagement), reads it and records findings; the
-- provider responds and the auditor closes them.
CREATE TABLE audit_engagements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    auditor_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    -- The PASSI body the auditor works for, as printed on reports.
    firm TEXT NOT NULL,
    -- Access window, epoch seconds: [starts_at, expires_at).
    starts_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT
);
CREATE INDEX audit_engagements_auditor ON audit_engagements(auditor_id, service_id);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    engagement_id BIGINT REFERENCES audit_engagements(id) ON DELETE SET NULL,
    obligation_id TEXT NOT NULL,
    -- observation | minor | major
    severity TEXT NOT NULL,
    description TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    response TEXT NOT NULL DEFAULT '',
    responded_by TEXT,
    responded_at BIGINT,
    -- open | responded | closed
    status TEXT NOT NULL,
    closure_note TEXT NOT NULL DEFAULT '',
    closed_by TEXT,
    closed_at BIGINT
);
CREATE INDEX findings_service ON findings(service_id, obligation_id);

-- Actions of the plan that answer a finding.
CREATE TABLE action_item_findings (
    action_id BIGINT NOT NULL REFERENCES action_items(id) ON DELETE CASCADE,
    finding_id BIGINT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    PRIMARY KEY (action_id, finding_id)
);
