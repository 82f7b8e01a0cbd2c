-- PostgreSQL's migration 0019 makes the session, account and rights tables
-- notify the instances' session caches of every change. SQLite has one
-- process serving and reads sessions in-process, uncached: nothing to add.
-- The migration exists so both backends count the same versions.
SELECT 1;
