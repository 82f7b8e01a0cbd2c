-- Background work that must run once per interval across every instance
-- sharing the database (issue 13): checkpoint signing, alert evaluation,
-- housekeeping. An instance runs a job only after claiming its interval
-- here (one conditional UPDATE: the row lock makes one claimant win).
CREATE TABLE background_jobs (
    name TEXT PRIMARY KEY,
    -- When the last claimed run began (ms since the epoch).
    last_run_ms BIGINT NOT NULL,
    -- Which instance claimed it (host and process), for operators.
    run_by TEXT NOT NULL
);
