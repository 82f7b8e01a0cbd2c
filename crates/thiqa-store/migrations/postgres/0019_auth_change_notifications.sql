-- Each `thiqa serve` keeps the sessions it resolved in memory, with their
-- account and permissions, and accounts' rights (src/auth_cache.rs). Any change to what such an entry is
-- built from, made by any instance, by a `thiqa` command or by hand, notifies
-- channel thiqa_auth_changed on commit; every instance listening drops its
-- cache. Statement-level: one notification per statement, whatever the rows.
CREATE FUNCTION thiqa_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('thiqa_auth_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

-- A session's use only moves last_seen_at, which is not cached as a fact
-- (a copy that looks idle is read again): touches do not notify. A new
-- session cannot be in any cache: inserts do not notify either.
CREATE TRIGGER operator_sessions_changed
    AFTER UPDATE OF token_hash, user_id, csrf_token, mfa_passed, created_at, expires_at
    OR DELETE OR TRUNCATE ON operator_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();
CREATE TRIGGER customer_sessions_changed
    AFTER UPDATE OF token_hash, user_id, csrf_token, mfa_passed, created_at, expires_at
    OR DELETE OR TRUNCATE ON customer_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();

-- Accounts: status, language, names, tenant.
CREATE TRIGGER operators_changed
    AFTER UPDATE OR DELETE OR TRUNCATE ON operators
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();
CREATE TRIGGER customer_users_changed
    AFTER UPDATE OR DELETE OR TRUNCATE ON customer_users
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();

-- Rights: who holds which role, what each role allows, and its name.
CREATE TRIGGER roles_changed
    AFTER UPDATE OR DELETE OR TRUNCATE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();
CREATE TRIGGER operator_role_assignments_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON operator_role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();
CREATE TRIGGER customer_role_assignments_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();
CREATE TRIGGER role_permissions_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION thiqa_auth_changed();
