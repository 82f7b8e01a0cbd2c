-- Foundation: tenants, the two account directories, roles, events.

CREATE TABLE providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    name TEXT NOT NULL,
    require_mfa BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (provider_id, name)
);

-- Roles belong to a tenant: the provider ('provider') or an organisation.
CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_kind TEXT NOT NULL,
    tenant_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    builtin BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_kind, tenant_id, name)
);

CREATE TABLE role_permissions (
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

-- Separation of duties (3.5.3): pairs no account may hold together.
CREATE TABLE incompatible_pairs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_kind TEXT NOT NULL,
    tenant_id BIGINT NOT NULL,
    first_permission TEXT NOT NULL,
    second_permission TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_kind, tenant_id, first_permission, second_permission)
);

-- Directory: operators. Kept in its own tables (référentiel 3.5.6).
CREATE TABLE operators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_at BIGINT,
    language TEXT NOT NULL DEFAULT 'fr',
    status TEXT NOT NULL DEFAULT 'active',
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT
);

CREATE TABLE operator_recovery_codes (
    user_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE operator_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    mfa_passed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    source_ip TEXT,
    user_agent TEXT
);
CREATE INDEX operator_sessions_user ON operator_sessions(user_id);

CREATE TABLE operator_role_assignments (
    user_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    scope TEXT NOT NULL DEFAULT '*',
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id, scope)
);

CREATE TABLE operator_password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE operator_api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);

-- Directory: customer_users. Kept in its own tables (référentiel 3.5.6).
CREATE TABLE customer_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_at BIGINT,
    language TEXT NOT NULL DEFAULT 'fr',
    status TEXT NOT NULL DEFAULT 'active',
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT
);

CREATE TABLE customer_recovery_codes (
    user_id BIGINT NOT NULL REFERENCES customer_users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE customer_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES customer_users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    mfa_passed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    source_ip TEXT,
    user_agent TEXT
);
CREATE INDEX customer_sessions_user ON customer_sessions(user_id);

CREATE TABLE customer_role_assignments (
    user_id BIGINT NOT NULL REFERENCES customer_users(id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    scope TEXT NOT NULL DEFAULT '*',
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id, scope)
);

CREATE TABLE customer_password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES customer_users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE customer_api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES customer_users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);

-- Security events (3.8.6): written in the same transaction as the change.
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at_ms BIGINT NOT NULL,
    actor_directory TEXT,
    actor_id BIGINT,
    actor_name TEXT,
    action TEXT NOT NULL,
    target TEXT,
    tenant_kind TEXT,
    tenant_id BIGINT,
    source_ip TEXT,
    outcome TEXT NOT NULL,
    details TEXT
);
CREATE INDEX security_events_time ON security_events(occurred_at_ms);
CREATE INDEX security_events_tenant ON security_events(tenant_kind, tenant_id, occurred_at_ms);

-- Fixed-window counters for login rate limits, shared by every instance.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL,
    level BIGINT NOT NULL,
    facts TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider_id, name)
);
