-- Which incident severities notify which of an organisation's members, and
-- through which channel (référentiel 3.12.2: the commanditaire chooses).
CREATE TABLE incident_preferences (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    -- critical | high | medium | low
    severity TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES customer_users(id) ON DELETE CASCADE,
    -- inbox | email
    channel TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, severity, user_id)
);
