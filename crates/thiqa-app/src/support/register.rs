//! What support access stands on: the vetting record of each operator
//! (3.3.1; recorded by the provider's account administrators,
//! `operators.manage`, never by the operator for itself) and the
//! supervised jump hosts for support from abroad (3.5.7.e; declared by
//! holders of `config.manage`).

use thiqa_domain::{JumpHostId, Permission};
use thiqa_store::{JumpHost, Vetting, VettingRow};

use super::{refusal, require_any, vetting_date_ok, LINE_MAX, TEXT_MAX};
use crate::{App, AppError, Staff};

/// Every operator of the provider with its vetting record
/// (`operators.manage`).
pub async fn vetting_register(app: &App, staff: &Staff<'_>) -> Result<Vec<VettingRow>, AppError> {
    staff.require(Permission::OperatorsManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .vetting_register()
        .await?)
}

/// Records that operator `operator` passed the checks of 3.3.1 on
/// `vetted_on`, filed under `reference` (`operators.manage`). Nobody
/// records its own: the store refuses it, whoever calls.
pub async fn record_vetting(
    app: &App,
    staff: &Staff<'_>,
    operator: i64,
    reference: &str,
    vetted_on: &str,
) -> Result<(), AppError> {
    staff.require(Permission::OperatorsManage)?;
    let provider = app.store.provider(staff.provider());
    // Another provider's operator is not found before any input is judged.
    provider.operator_username(operator).await?;
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > LINE_MAX || reference.contains('\n') {
        return Err(refusal(
            "refusal-vetting-reference",
            "the reference of the vetting file is needed (at most 100 characters)",
        ));
    }
    let today = crate::time::iso_date(app.store.clock().now_s());
    if !vetting_date_ok(vetted_on.trim(), &today) {
        return Err(refusal(
            "refusal-vetting-date",
            "the date the checks were passed, not after today",
        ));
    }
    Ok(provider
        .record_vetting(operator, reference, vetted_on.trim(), staff.actor())
        .await?)
}

/// Withdraws operator `operator`'s vetting record (`operators.manage`).
pub async fn withdraw_vetting(app: &App, staff: &Staff<'_>, operator: i64) -> Result<(), AppError> {
    staff.require(Permission::OperatorsManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .withdraw_vetting(operator, staff.actor())
        .await?)
}

/// The provider's jump hosts (`config.manage`, `support.request` or
/// `services.read`).
pub async fn jump_hosts(app: &App, staff: &Staff<'_>) -> Result<Vec<JumpHost>, AppError> {
    require_any(
        staff,
        &[
            Permission::ConfigManage,
            Permission::SupportRequest,
            Permission::ServicesRead,
        ],
    )?;
    Ok(app.store.provider(staff.provider()).jump_hosts().await?)
}

/// Declares a supervised jump host (`config.manage`).
pub async fn add_jump_host(
    app: &App,
    staff: &Staff<'_>,
    name: &str,
    description: &str,
) -> Result<JumpHostId, AppError> {
    staff.require(Permission::ConfigManage)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > LINE_MAX || name.contains(['\n', '\r']) {
        return Err(refusal(
            "refusal-jump-host-name",
            "the jump host's name: 1 to 100 characters on one line",
        ));
    }
    let description = description.trim();
    if description.is_empty() || description.chars().count() > TEXT_MAX {
        return Err(refusal(
            "refusal-jump-host-description",
            "say where it runs and how sessions through it are supervised",
        ));
    }
    Ok(app
        .store
        .provider(staff.provider())
        .add_jump_host(name, &description.replace("\r\n", "\n"), staff.actor())
        .await?)
}

/// Retires a jump host (`config.manage`): grants through it stop letting
/// anyone in.
pub async fn retire_jump_host(
    app: &App,
    staff: &Staff<'_>,
    id: JumpHostId,
) -> Result<(), AppError> {
    staff.require(Permission::ConfigManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .retire_jump_host(id, staff.actor())
        .await?)
}

/// The signed operator's own vetting record, shown before it asks
/// (`support.request`).
pub async fn own_vetting(app: &App, staff: &Staff<'_>) -> Result<Option<Vetting>, AppError> {
    staff.require(Permission::SupportRequest)?;
    Ok(app
        .store
        .provider(staff.provider())
        .vetting(staff.account())
        .await?)
}
