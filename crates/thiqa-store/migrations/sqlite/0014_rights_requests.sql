-- Four-eyes approval of the rights changes that could undo the separation
-- of duties (3.5.3): removing an incompatible pair, widening a role with an
-- administrative permission. A request waits here until a different account
-- holding the approval right approves (the change is applied then) or
-- rejects it; both names stay on the row and in the journal.
CREATE TABLE rights_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_kind TEXT NOT NULL,
    tenant_id BIGINT NOT NULL,
    -- role.update | separation.remove
    kind TEXT NOT NULL,
    role_id BIGINT REFERENCES roles(id) ON DELETE CASCADE,
    -- No foreign key: approving the removal deletes the pair, not the request.
    pair_id BIGINT,
    -- role.update: the role's version the request was made from; approval
    -- applies only to that version, never over a later edit of the role.
    role_version BIGINT,
    -- role.update: the role's whole new permission set, comma-separated.
    permissions TEXT NOT NULL DEFAULT '',
    -- What the change is, as the approver reads it.
    summary TEXT NOT NULL,
    requested_by_id BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    -- pending | approved | rejected
    status TEXT NOT NULL DEFAULT 'pending',
    decided_by_id BIGINT,
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX rights_requests_tenant ON rights_requests(tenant_kind, tenant_id, status);
