-- Journal search and security alerts (référentiel 3.8.9).

-- Search by time, newest first, alone or within one tenant or one source
-- (crates/thiqa-store/src/journal/search.rs).
CREATE INDEX journal_leaves_time ON journal_leaves(event_time_ms, idx);
CREATE INDEX journal_leaves_tenant_time ON journal_leaves(tenant_kind, tenant_id, event_time_ms, idx);
CREATE INDEX journal_leaves_source_time ON journal_leaves(source, event_time_ms, idx);

-- Alerts raised by the correlation rules (docs/correlation-rules.md). One
-- row per (rule, key, window); events of the same window add to its count.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id TEXT NOT NULL,
    title TEXT NOT NULL,
    -- low | medium | high | critical
    severity TEXT NOT NULL,
    -- What the counted events had in common ("actor=amal"); '' without group_by.
    group_key TEXT NOT NULL,
    -- Journal leaf indices of the first and last event counted.
    first_leaf BIGINT NOT NULL,
    last_leaf BIGINT NOT NULL,
    event_count BIGINT NOT NULL,
    -- The window, event time in epoch ms, [start, end).
    window_start_ms BIGINT NOT NULL,
    window_end_ms BIGINT NOT NULL,
    -- The events' tenant when they all had the same one.
    tenant_kind TEXT,
    tenant_id BIGINT,
    raised_at_ms BIGINT NOT NULL,
    -- Review: who (actor name and account id), when, and their comment.
    acknowledged_by TEXT,
    acknowledged_by_id BIGINT,
    acknowledged_at_ms BIGINT,
    acknowledgement TEXT
);
CREATE INDEX alerts_review ON alerts(acknowledged_at_ms, raised_at_ms);
CREATE INDEX alerts_rule ON alerts(rule_id, group_key);

-- How far the rules were evaluated: leaves with idx < next_leaf are done.
-- Read FOR UPDATE on PostgreSQL, so instances sharing the database take
-- turns. Starts at the journal's size: earlier events raise nothing.
CREATE TABLE alert_cursor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    next_leaf BIGINT NOT NULL,
    evaluated_at_ms BIGINT
);
INSERT INTO alert_cursor (id, next_leaf, evaluated_at_ms) SELECT 1, size, NULL FROM journal_head WHERE id = 1;

-- Open windows per (rule, key): recent matching events and the alert open
-- for the key, as JSON (crates/thiqa-store/src/alerts.rs). Rows are
-- deleted once no later event can matter to them (expires_ms, event time).
CREATE TABLE alert_windows (
    rule_id TEXT NOT NULL,
    group_key TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_ms BIGINT NOT NULL,
    PRIMARY KEY (rule_id, group_key)
) WITHOUT ROWID;
CREATE INDEX alert_windows_expiry ON alert_windows(expires_ms);
