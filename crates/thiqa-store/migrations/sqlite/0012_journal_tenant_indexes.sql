-- The journal's per-commanditaire reads (exports, the portal, search) used
-- indexes headed by the text column tenant_kind, which every appended leaf
-- paid for in two index inserts comparing text (`thiqa-bench intake`).
-- One partial index per tenant kind keys on integers only, and a leaf goes
-- into its own kind's indexes alone; queries name the kind as a literal
-- (journal::tenant_condition) so both backends' planners can use them.
DROP INDEX journal_leaves_tenant;
DROP INDEX journal_leaves_tenant_time;
CREATE INDEX journal_leaves_organisation ON journal_leaves(tenant_id, idx)
    WHERE tenant_kind = 'organisation';
CREATE INDEX journal_leaves_provider ON journal_leaves(tenant_id, idx)
    WHERE tenant_kind = 'provider';
CREATE INDEX journal_leaves_organisation_time ON journal_leaves(tenant_id, event_time_ms, idx)
    WHERE tenant_kind = 'organisation';
CREATE INDEX journal_leaves_provider_time ON journal_leaves(tenant_id, event_time_ms, idx)
    WHERE tenant_kind = 'provider';
