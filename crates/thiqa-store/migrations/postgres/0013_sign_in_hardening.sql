-- The TOTP secret offered during enrolment stays on the server, on the
-- pending (password-only) session that it was shown to; the enrolment form
-- only sends back a code, never the secret (review, issue 11 item 8).
ALTER TABLE operator_sessions ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE customer_sessions ADD COLUMN totp_pending_secret TEXT;

-- Failed sign-ins of usernames that match no account, counted as an
-- account's are: after lockout.threshold failures such a name answers exactly
-- like a locked account, so the answer does not tell which names exist
-- (issue 11 item 6). Rows idle for 30 days are purged with the rate limits.
CREATE TABLE unknown_login_failures (
    directory TEXT NOT NULL,
    username TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    locked_at BIGINT,
    last_failure_at BIGINT NOT NULL,
    PRIMARY KEY (directory, username)
);
