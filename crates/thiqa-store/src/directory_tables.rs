//! The two directories live in separate tables (référentiel 3.5.6). The code
//! that manages them is shared; only these table names differ. They are
//! compile-time constants, never user input, so building SQL with them is safe.

use thiqa_domain::Directory;

pub(crate) struct Tables {
    pub users: &'static str,
    /// Column of `users` naming the tenant: provider or organisation.
    pub tenant_col: &'static str,
    pub tenant_kind: &'static str,
    pub sessions: &'static str,
    pub recovery: &'static str,
    pub roles: &'static str,
    pub resets: &'static str,
    pub tokens: &'static str,
}

pub(crate) fn tables(dir: Directory) -> &'static Tables {
    match dir {
        Directory::Operators => &Tables {
            users: "operators",
            tenant_col: "provider_id",
            tenant_kind: "provider",
            sessions: "operator_sessions",
            recovery: "operator_recovery_codes",
            roles: "operator_role_assignments",
            resets: "operator_password_resets",
            tokens: "operator_api_tokens",
        },
        Directory::Customers => &Tables {
            users: "customer_users",
            tenant_col: "organisation_id",
            tenant_kind: "organisation",
            sessions: "customer_sessions",
            recovery: "customer_recovery_codes",
            roles: "customer_role_assignments",
            resets: "customer_password_resets",
            tokens: "customer_api_tokens",
        },
    }
}
