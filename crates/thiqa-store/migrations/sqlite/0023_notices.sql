-- Notices from the provider to its commanditaires (référentiel 3.1.1,
-- 3.8.2, 3.8.14, 3.11.1, 3.11.4, 3.15.2): what was announced, about which
-- services, to which organisations, and what each answered.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    -- A kind of notices/kinds.toml (its required fields, answer, deadline).
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    -- The kind's fields as typed, a JSON object of strings.
    fields TEXT NOT NULL,
    -- acknowledge | consent
    answer TEXT NOT NULL,
    -- When answers are due (ms since the epoch).
    answer_by BIGINT NOT NULL,
    -- When the organisations that have not answered are reminded.
    remind_at BIGINT NOT NULL,
    -- 1 when the authority must be told too (3.11.4), then when and how.
    authority BIGINT NOT NULL,
    authority_informed_at BIGINT,
    authority_reference TEXT,
    -- open | done (the announced change carried out)
    status TEXT NOT NULL,
    done_at BIGINT,
    done_by TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX notices_provider ON notices(provider_id, id);

-- The services a notice is about.
CREATE TABLE notice_services (
    notice_id BIGINT NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    PRIMARY KEY (notice_id, service_id)
);

-- The contracts it was sent under: the notice history of a contract.
CREATE TABLE notice_contracts (
    notice_id BIGINT NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    PRIMARY KEY (notice_id, contract_id)
);
CREATE INDEX notice_contracts_contract ON notice_contracts(contract_id);

-- Each organisation told, and its answer.
CREATE TABLE notice_targets (
    notice_id BIGINT NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    -- pending | acknowledged | accepted | refused
    state TEXT NOT NULL,
    answered_at BIGINT,
    answered_by TEXT,
    comment TEXT,
    -- The decision an operator recorded with this customer when its
    -- consent was refused or never came.
    decision TEXT,
    decided_at BIGINT,
    decided_by TEXT,
    reminded_at BIGINT,
    PRIMARY KEY (notice_id, organisation_id)
);
CREATE INDEX notice_targets_organisation ON notice_targets(organisation_id, notice_id);

-- Whether a member wants notices by e-mail too (the portal inbox always
-- shows them). No row: yes, when the member has an address.
CREATE TABLE notice_email_preferences (
    user_id BIGINT PRIMARY KEY REFERENCES customer_users(id) ON DELETE CASCADE,
    email BIGINT NOT NULL
);

-- An organisation's webhook endpoints (Standard Webhooks signatures).
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    url TEXT NOT NULL,
    -- whsec_… ; the previous one keeps signing for a day after a rotation.
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_organisation ON webhook_endpoints(organisation_id);

-- The transactional outbox: every message to send, committed with the
-- change that caused it, sent at least once by one instance at a time.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- notice | notice-reminder | account-link
    topic TEXT NOT NULL,
    -- The notice (or account) the message is about.
    subject_id BIGINT NOT NULL,
    -- email | webhook
    channel TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations(id),
    -- The recipient: an e-mail address or a webhook endpoint id.
    address TEXT NOT NULL,
    recipient_name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    -- What only this message carries (a one-time link), erased once sent.
    payload TEXT,
    -- pending | sent | dead
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until BIGINT NOT NULL DEFAULT 0,
    leased_by TEXT NOT NULL DEFAULT '',
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX deliveries_subject ON deliveries(topic, subject_id);

-- Answering notices is a new right; organisations' administrators hold it.
INSERT INTO role_permissions (role_id, permission)
SELECT id, 'org.notices.answer' FROM roles
WHERE tenant_kind = 'organisation' AND builtin = 1 AND name = 'Administrateur de l''organisation';
