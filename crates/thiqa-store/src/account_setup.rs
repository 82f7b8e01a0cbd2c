//! An account made whole in one transaction: its row, its second factor
//! and its roles, for the shell's operators and the demo. Made step by
//! step, a failure between the steps (the database going away, a refused
//! role) left an account without its second factor or its roles; here it
//! is all or nothing, and the roles go through the rights transaction, so
//! the separation of duties (3.5.3) is checked before anything commits.

use thiqa_domain::RoleId;

use crate::accounts::{insert_account, turn_on_totp, NewAccount, SecondFactor};
use crate::events::{Actor, NewEvent};
use crate::rights_error::AssignmentError;
use crate::roles::insert_assignment;
use crate::scope::TenantScope;

impl TenantScope<'_> {
    /// Creates the account `new` of this tenant, with `totp` turned on
    /// when given and `roles` (of the account's tenant) assigned; returns
    /// its id. Nothing is written when any part is refused.
    pub async fn create_account_with(
        self,
        new: NewAccount,
        totp: Option<SecondFactor<'_>>,
        roles: &[RoleId],
        actor: &Actor,
    ) -> Result<i64, AssignmentError> {
        let (store, tenant) = (self.store, self.tenant);
        let dir = tenant.directory();
        let refusal = NewEvent::failure("account.create")
            .target(format!("{}:{}", dir.as_str(), new.username))
            .tenant(tenant);
        let result = async {
            let mut found = Vec::with_capacity(roles.len());
            for id in roles {
                found.push(self.role(*id).await?);
            }
            let mut r = self.rights_tx().await?;
            let now = store.clock.now_s();
            let id = insert_account(&mut r.w, tenant, &new, actor, now).await?;
            let about = |action| {
                NewEvent::success(action)
                    .target(format!("{}:{}", dir.as_str(), new.username))
                    .tenant(tenant)
            };
            if let Some(totp) = &totp {
                turn_on_totp(&mut r.w, dir, id, totp).await?;
                r.w.event(actor, &about("mfa.enable")).await?;
            }
            for role in &found {
                insert_assignment(&mut r.w, tenant, (id, &new.username), role, actor, now).await?;
                r.w.event(
                    actor,
                    &about("role.assign").details(format!("role {}", role.name)),
                )
                .await?;
            }
            r.commit().await?;
            Ok(id)
        }
        .await;
        // A refused role combination is journaled like any refused rights
        // change; storage failures are errors, not refusals.
        store.settle(actor, refusal, result).await
    }
}
