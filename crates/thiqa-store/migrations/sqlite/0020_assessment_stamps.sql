-- Issue 13: the assessment page's rows are kept in memory between requests
-- (assessment_cache.rs). Every save of a service's assessments sets this
-- stamp to a fresh random value in the same transaction, so an instance
-- reuses what it holds only while the stamp it read with the service is the
-- one it cached them under: whichever instance saved, and even after a
-- restore (equal stamps mean equal content).
ALTER TABLE services ADD COLUMN assessed_stamp BIGINT NOT NULL DEFAULT 0;
