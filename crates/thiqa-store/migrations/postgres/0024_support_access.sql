-- Support access to a commanditaire's data only with its consent
-- (référentiel 3.5.7; 3.15.2.e/f for support from abroad; 3.3.1 vetting).

-- The vetting record of an operator (3.3.1), until the personnel register
-- exists: no row, not vetted. Withdrawing it deletes the row; the journal
-- keeps every record and withdrawal.
CREATE TABLE operator_vetting (
    operator_id BIGINT PRIMARY KEY REFERENCES operators(id) ON DELETE CASCADE,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    -- Where the checks are filed (an HR or security file reference).
    reference TEXT NOT NULL,
    -- When the checks were passed (YYYY-MM-DD).
    vetted_on TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX operator_vetting_provider ON operator_vetting(provider_id);

-- The supervised jump hosts (postes de rebond) a provider declares for
-- support from abroad at level 1 (3.5.7.e). A retired one lets nobody in.
CREATE TABLE support_jump_hosts (
    id BIGSERIAL PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    name TEXT NOT NULL,
    -- Where it runs and how sessions through it are supervised.
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    retired_at BIGINT,
    retired_by TEXT,
    UNIQUE (provider_id, name)
);

-- An operator's request for access to one commanditaire's data, and the
-- grant it becomes. Its state at an instant is computed from `state` and
-- the times (ms since the epoch): unanswered at `answer_by`, it has
-- expired; granted, it lets the operator in over [starts_at, ends_at).
CREATE TABLE support_requests (
    id BIGSERIAL PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    -- The contract it is asked under, and its level when asked.
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    level BIGINT NOT NULL,
    -- The operator who asks, and who will access.
    operator_id BIGINT NOT NULL REFERENCES operators(id),
    reason TEXT NOT NULL,
    ticket TEXT NOT NULL,
    -- The resources of the service, one per line; '*' for all of them.
    resources TEXT NOT NULL,
    -- morocco | abroad, the State when abroad, and the jump host.
    location TEXT NOT NULL,
    country TEXT,
    jump_host_id BIGINT REFERENCES support_jump_hosts(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    requested_at BIGINT NOT NULL,
    answer_by BIGINT NOT NULL,
    -- pending | granted | refused | withdrawn | revoked | closed
    state TEXT NOT NULL,
    answered_at BIGINT,
    answered_by TEXT,
    comment TEXT,
    revoked_at BIGINT,
    revoked_by TEXT,
    revoked_comment TEXT,
    closed_at BIGINT,
    closed_by TEXT
);
CREATE INDEX support_requests_provider ON support_requests(provider_id, id);
CREATE INDEX support_requests_organisation ON support_requests(organisation_id, id);
CREATE INDEX support_requests_operator ON support_requests(operator_id, organisation_id, service_id);

-- The sessions the bastion recorded under a grant (3.5.7.d.3: actions
-- under the grant are administration, journaled as such).
CREATE TABLE support_sessions (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES support_requests(id) ON DELETE CASCADE,
    -- The bastion's own name for the session.
    reference TEXT NOT NULL,
    jump_host TEXT,
    started_at BIGINT NOT NULL,
    started_by TEXT NOT NULL,
    ended_at BIGINT,
    ended_by TEXT
);
CREATE INDEX support_sessions_request ON support_sessions(request_id);

-- Two new built-in roles of every provider: its support engineers, who ask
-- (support.request), and the account its bastion or PAM calls the API with
-- (support.enforce).
INSERT INTO roles (tenant_kind, tenant_id, name, description, builtin, created_at)
SELECT 'provider', p.id, 'Support technique',
    'Demande l''accès aux données d''un commanditaire, qui y consent ou non (3.5.7).', 1, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
FROM providers p WHERE NOT EXISTS (SELECT 1 FROM roles r
    WHERE r.tenant_kind = 'provider' AND r.tenant_id = p.id AND r.name = 'Support technique');
INSERT INTO roles (tenant_kind, tenant_id, name, description, builtin, created_at)
SELECT 'provider', p.id, 'Bastion du support',
    'Compte du bastion ou du PAM : demande si un accès du support est accordé et enregistre les sessions (3.5.7).', 1, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
FROM providers p WHERE NOT EXISTS (SELECT 1 FROM roles r
    WHERE r.tenant_kind = 'provider' AND r.tenant_id = p.id AND r.name = 'Bastion du support');
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission FROM roles r,
    (SELECT 'support.request' AS permission UNION ALL SELECT 'catalog.read' UNION ALL SELECT 'services.read') p
WHERE r.tenant_kind = 'provider' AND r.builtin = 1 AND r.name = 'Support technique'
AND NOT EXISTS (SELECT 1 FROM role_permissions x WHERE x.role_id = r.id);
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, 'support.enforce' FROM roles r
WHERE r.tenant_kind = 'provider' AND r.builtin = 1 AND r.name = 'Bastion du support'
AND NOT EXISTS (SELECT 1 FROM role_permissions x WHERE x.role_id = r.id);
