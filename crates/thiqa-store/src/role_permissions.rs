//! A role's permission rows: rewritten when the role is edited (`roles.rs`)
//! and when a request to widen it is approved (`rights_requests.rs`), always
//! inside a rights transaction, and named in the text of events and requests.

use thiqa_domain::{Permission, RoleId};

use crate::error::StoreError;
use crate::rights_guard::RightsTx;
use crate::versions::{self, Key};

/// Replaces a role's permission rows inside a rights transaction.
pub(crate) async fn write_role_permissions(
    r: &mut RightsTx,
    role_id: RoleId,
    permissions: &[Permission],
) -> Result<(), StoreError> {
    // Forms loaded before this change are now stale (an approved request
    // changes the role as an edit does).
    versions::claim(&mut r.w, "roles", &[("id", Key::Int(role_id.0))], None).await?;
    sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
        .bind(role_id.0)
        .execute(&mut *r.w.tx)
        .await?;
    for p in permissions {
        sqlx::query("INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)")
            .bind(role_id.0)
            .bind(p.as_str())
            .execute(&mut *r.w.tx)
            .await?;
    }
    Ok(())
}

/// Permissions as text (`a, b`), for events' details and requests.
pub(crate) fn join(perms: &[Permission]) -> String {
    perms
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
