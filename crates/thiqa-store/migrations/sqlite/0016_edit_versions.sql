-- Optimistic concurrency (issue 12): every save of an assessment, a service, a
-- role, an action's status or a finding's answer or closure names the version
-- it edited and bumps it; a save from an older version is refused (409)
-- instead of silently overwriting what another editor saved meanwhile.
ALTER TABLE assessments ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE roles ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE action_items ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
