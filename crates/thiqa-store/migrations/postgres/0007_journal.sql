-- Tamper-evident journal (crates/thiqa-journal/FORMAT.md). Every security
-- event is also appended here, in the transaction of the change, as one
-- RFC 9162 Merkle leaf. Rows are never updated or deleted by Thiqa. The
-- journal starts empty: events recorded before this migration are only in
-- security_events.

-- One row per leaf. `idx` is the leaf's position (0, 1, 2, … without gaps);
-- `leaf_hash` and `chain` let verification name the first altered row (the
-- signed checkpoints are what prove it). The other columns are copies of
-- what the leaf bytes hold, for reads by time or by customer without decoding.
CREATE TABLE journal_leaves (
    idx BIGINT PRIMARY KEY,
    leaf BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL,
    chain BYTEA NOT NULL,
    event_time_ms BIGINT NOT NULL,
    received_time_ms BIGINT NOT NULL,
    tenant_kind TEXT,
    tenant_id BIGINT,
    -- Reporting system: 'thiqa' for Thiqa's own security events.
    source TEXT NOT NULL,
    -- security_events.id of the event, when the leaf is one.
    event_id BIGINT
);
CREATE INDEX journal_leaves_tenant ON journal_leaves(tenant_kind, tenant_id, idx);
CREATE INDEX journal_leaves_event ON journal_leaves(event_id);

-- Roots of complete subtrees at levels that are multiples of the stride
-- (level 0, the leaf hashes, is journal_leaves.leaf_hash): node (level, idx)
-- covers leaves [idx * 2^level, (idx + 1) * 2^level). Proofs read these.
CREATE TABLE journal_nodes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

-- The tree head, one row: size, chain value of the last row, and the
-- compact range (roots of the perfect subtrees that make up the tree,
-- largest first, 32 bytes each). Appending reads and rewrites only this row
-- (locked on PostgreSQL, so several processes append in one order).
CREATE TABLE journal_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    chain BYTEA NOT NULL,
    range_nodes BYTEA NOT NULL,
    -- Stored node levels are the multiples of this (thiqa_journal StoredLevels).
    stride BIGINT NOT NULL
);
INSERT INTO journal_head (id, size, chain, range_nodes, stride) VALUES (1, 0, decode(repeat('00', 32), 'hex'), decode('', 'hex'), 4);

-- Signed checkpoints (C2SP signed note), as published. `size` and `root`
-- repeat what the note says, for lookups.
CREATE TABLE journal_checkpoints (
    id BIGSERIAL PRIMARY KEY,
    size BIGINT NOT NULL,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX journal_checkpoints_size ON journal_checkpoints(size);
