//! Thiqa's web edge. Two routers on two listeners:
//! - the public listener: the customer portal (commanditaire directory) and
//!   the public API;
//! - the admin listener: the operator console (provider staff directory),
//!   the operator API and the metrics.
//!
//! No operator route exists on the public router, and the reverse: the
//! separation of directories (référentiel 3.5.6) is structural.

pub mod alerting;
pub mod api;
pub mod auth;
pub mod background;
pub mod catalog_params;
pub mod clock_sync;
pub mod config;
pub mod delivery;
pub mod dossier;
pub mod i18n;
pub mod journal_export;
pub mod links;
pub mod metrics;
pub mod pages;
pub mod realm;
pub mod serve;
pub mod state;
pub mod syslog;
pub mod web;

use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Router};
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::{login, logout, mfa, reset, visit};
use crate::metrics::Listener;
use crate::realm::{Console, Portal, Realm};
pub use crate::state::AppState;
use crate::web::routes::Routes;
use crate::web::{error_pages, security, static_files};

/// Routes both realms share, typed by realm.
fn realm_routes<R: Realm>() -> Routes {
    use crate::pages::{accounts, approvals, events, home, me, roles, separation};
    Routes::new()
        .route("/", get(home::page::<R>))
        .route("/login", get(login::page::<R>).post(login::submit::<R>))
        .route("/login/mfa", get(mfa::page::<R>).post(mfa::submit::<R>))
        .route(
            "/mfa/setup",
            get(mfa::setup_page::<R>).post(mfa::setup_submit::<R>),
        )
        .route(
            "/reset/{token}",
            get(reset::page::<R>).post(reset::submit::<R>),
        )
        .route("/logout", post(logout::logout::<R>))
        .route("/logout-everywhere", post(logout::logout_everywhere::<R>))
        .route("/language", post(logout::language::<R>))
        .route(
            "/accounts",
            get(accounts::list::<R>).post(accounts::create::<R>),
        )
        .route("/accounts/{id}", get(accounts::detail::<R>))
        .route("/accounts/{id}/roles", post(accounts::assign::<R>))
        .route(
            "/accounts/{id}/roles/{role}/revoke",
            post(accounts::revoke::<R>),
        )
        .route("/accounts/{id}/unlock", post(accounts::unlock::<R>))
        .route("/accounts/{id}/reset-link", post(accounts::reset_link::<R>))
        .route("/accounts/{id}/deregister", post(accounts::deregister::<R>))
        .route("/roles", get(roles::list::<R>).post(roles::create::<R>))
        .route("/roles/{id}", post(roles::update::<R>))
        .route(
            "/separation",
            get(separation::page::<R>).post(separation::add::<R>),
        )
        .route("/separation/{id}/delete", post(separation::remove::<R>))
        .route("/approvals", get(approvals::page::<R>))
        .route("/approvals/{id}/approve", post(approvals::approve::<R>))
        .route("/approvals/{id}/reject", post(approvals::reject::<R>))
        .route("/events", get(events::page::<R>))
        .route("/events/export", get(events::export::<R>))
        .route("/events/export/proofs", get(events::export_proofs::<R>))
        .route(
            "/journal/search",
            get(crate::pages::journal_search::page::<R>),
        )
        .route("/me", get(me::page::<R>))
        .route("/me/tokens", post(me::create_token::<R>))
        .route("/me/tokens/{id}/revoke", post(me::revoke_token::<R>))
        .route("/static/app.css", get(static_files::css))
        .route("/static/app.js", get(static_files::js))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .map(|r| r.fallback(error_pages::not_found))
}

/// Layers every page route of realm `R` gets, outermost last.
fn with_layers<R: Realm>(routes: Routes, app: &AppState, listener: Listener, tls: bool) -> Routes {
    let app = app.clone();
    routes.map(move |router| {
        router
            .layer(from_fn_with_state(app.clone(), security::csrf))
            .layer(from_fn_with_state(app.clone(), error_pages::render::<R>))
            .layer(from_fn_with_state(app.clone(), visit::resolve::<R>))
            .layer(from_fn(move |req, next| security::headers(tls, req, next)))
            .layer(from_fn_with_state(app.clone(), move |state, req, next| {
                security::count(state, listener, req, next)
            }))
            .layer(Extension(listener))
    })
}

/// The paths each listener serves, as its router was built: what a test
/// walks to try every route (new ones included) from outside.
pub struct RouteTable {
    pub public: Vec<String>,
    pub admin: Vec<String>,
}

pub fn route_table(app: &AppState) -> RouteTable {
    RouteTable {
        public: public_routes(app).paths().to_vec(),
        admin: admin_routes(app).paths().to_vec(),
    }
}

/// The customer portal and the public API (listener `listen`).
pub fn public_router(app: &AppState) -> Router {
    public_routes(app).finish(app).0
}

fn public_routes(app: &AppState) -> Routes {
    use crate::pages::{
        contracts, incident_preferences, organisation_settings, portal_notices, portal_webhooks,
    };
    let portal = realm_routes::<Portal>()
        .route("/contracts", get(contracts::held))
        .route("/notices", get(portal_notices::inbox))
        .route("/notices/email", post(portal_notices::set_email))
        .route("/notices/{notice}", get(portal_notices::received))
        .route("/notices/{notice}/answer", post(portal_notices::answer))
        .route("/support", get(crate::pages::portal_support::list))
        .route(
            "/support/{request}",
            get(crate::pages::portal_support::detail),
        )
        .route(
            "/support/{request}/answer",
            post(crate::pages::portal_support::answer),
        )
        .route(
            "/support/{request}/revoke",
            post(crate::pages::portal_support::revoke),
        )
        .route(
            "/webhooks",
            get(portal_webhooks::page).post(portal_webhooks::add),
        )
        .route("/webhooks/{webhook}/rotate", post(portal_webhooks::rotate))
        .route("/webhooks/{webhook}/delete", post(portal_webhooks::remove))
        .route(
            "/incident-preferences",
            get(incident_preferences::page).post(incident_preferences::save),
        )
        .route(
            "/organisation",
            get(organisation_settings::page).post(organisation_settings::update),
        );
    // Whoever receives a dossier fetches the key that signs them, no account needed.
    let portal = portal.route("/dossier/key", get(crate::dossier::published_key));
    let portal = portal.map(|r| r.layer(RequestBodyLimitLayer::new(security::FORM_LIMIT)));
    let pages = with_layers::<Portal>(portal, app, Listener::Public, app.config.tls.enabled());
    Routes::new()
        .nest("/api/v1", api::routes::<Portal>(app))
        .merge(pages)
}

/// Support access requests, the vetting register and the jump hosts
/// (3.5.7), in the console.
fn support_routes() -> Routes {
    use crate::pages::{operator_vetting, support, support_jump_hosts};
    Routes::new()
        .route("/support", get(support::list).post(support::create))
        .route("/support/new", get(support::new_form))
        .route("/support/{request}", get(support::detail))
        .route("/support/{request}/close", post(support::close))
        .route("/support/vetting", get(operator_vetting::page))
        .route("/accounts/{id}/vetting", post(operator_vetting::record))
        .route(
            "/accounts/{id}/vetting/withdraw",
            post(operator_vetting::withdraw),
        )
        .route(
            "/support/jump-hosts",
            get(support_jump_hosts::page).post(support_jump_hosts::add),
        )
        .route(
            "/support/jump-hosts/{host}/retire",
            post(support_jump_hosts::retire),
        )
}

/// The operator console, the operator API and metrics (listener `admin_listen`).
pub fn admin_router(app: &AppState) -> Router {
    admin_routes(app).finish(app).0
}

fn admin_routes(app: &AppState) -> Routes {
    use crate::pages::{
        actions, assessment, audits, contracts, evidence, evidence_versions, findings, notices,
        organisations, reports, services,
    };
    let console = realm_routes::<Console>()
        .route(
            "/organisations",
            get(organisations::page).post(organisations::create),
        )
        .route("/contracts", get(contracts::list).post(contracts::create))
        .route("/contracts/{contract}", get(contracts::detail))
        .route("/notices", get(notices::list).post(notices::send))
        .route("/notices/new", get(notices::new_form))
        .route("/notices/{notice}", get(notices::detail))
        .route(
            "/notices/{notice}/decisions/{organisation}",
            post(notices::decide),
        )
        .route("/notices/{notice}/done", post(notices::mark_done))
        .route("/notices/{notice}/authority", post(notices::authority))
        .merge(support_routes())
        .route(
            "/contracts/{contract}/clauses/{clause}",
            post(contracts::set_clause),
        )
        .route("/services", get(services::list).post(services::create))
        .route(
            "/services/{id}",
            get(services::detail).post(services::update),
        )
        .route("/services/{id}/sites", post(services::add_site))
        .route(
            "/services/{id}/assessment",
            get(assessment::list).post(assessment::bulk),
        )
        .route(
            "/services/{id}/o/{obligation}",
            get(assessment::item).post(assessment::save),
        )
        .route(
            "/services/{id}/sites/{site}/delete",
            post(services::remove_site),
        )
        .route(
            "/services/{id}/evidence",
            get(evidence::list).post(evidence::add_link_or_note),
        )
        .route(
            "/services/{id}/evidence/{eid}",
            get(evidence_versions::item),
        )
        .route(
            "/services/{id}/evidence/{eid}/download",
            get(evidence::download),
        )
        .route(
            "/services/{id}/evidence/{eid}/versions/{version}/download",
            get(evidence_versions::download_version),
        )
        .route(
            "/services/{id}/actions",
            get(actions::list).post(actions::create),
        )
        .route("/services/{id}/actions/{aid}", post(actions::set_status))
        .route("/audits", get(audits::list).post(audits::invite))
        .route("/audits/{id}/revoke", post(audits::revoke))
        .route("/alerts", get(crate::pages::alerts::list))
        .route(
            "/alerts/{id}/acknowledge",
            post(crate::pages::alerts::acknowledge),
        )
        .route(
            "/journal/sources",
            get(crate::pages::journal_sources::page).post(crate::pages::journal_sources::create),
        )
        .route(
            "/journal/sources/{id}/revoke",
            post(crate::pages::journal_sources::revoke),
        )
        .route(
            "/services/{id}/findings",
            get(findings::list).post(findings::record),
        )
        .route(
            "/services/{id}/findings/{fid}/respond",
            post(findings::respond),
        )
        .route("/services/{id}/findings/{fid}/close", post(findings::close))
        .route("/services/{id}/soa", get(reports::html))
        .route("/services/{id}/dossier", get(reports::dossier))
        .route("/dossier-key", get(reports::dossier_key))
        .route("/services/{id}/soa.csv", get(reports::csv))
        .route("/services/{id}/soa.xlsx", get(reports::xlsx))
        .route("/services/{id}/soa.pdf", get(reports::pdf))
        .route("/services/{id}/oscal/{file}", get(reports::oscal))
        .merge(crate::pages::catalog::routes())
        // Forms are small; only the evidence uploads below stream large bodies.
        .map(|r| r.layer(RequestBodyLimitLayer::new(security::FORM_LIMIT)))
        .route(
            "/services/{id}/evidence/upload",
            post(evidence::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/services/{id}/evidence/{eid}/versions",
            post(evidence_versions::add_version).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/services/{id}/assessment/import",
            post(assessment::import).layer(axum::extract::DefaultBodyLimit::max(
                assessment::IMPORT_LIMIT,
            )),
        );
    let pages = with_layers::<Console>(
        console,
        app,
        Listener::Admin,
        app.config.admin_tls.enabled(),
    );
    Routes::new()
        .nest("/api/v1", api::routes::<Console>(app))
        .route("/metrics", get(metrics_text))
        .merge(pages)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
/// Ready when the database answers; the second line says whether the host
/// clock is NTP-synchronised (3.8.8), which does not change readiness.
async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    if app.store.writes_failing() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "storage refused the last write (disk full or database unreachable)\n".to_string(),
        );
    }
    match app.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            format!("ready\n{}\n", clock_sync::current().await.describe()),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable\n".to_string(),
            )
        }
    }
}

/// The counters, for a Prometheus scraper presenting `metrics_token` as a
/// bearer token: they tell failed logins and lockouts, not for everyone on
/// the admin network. Off (404) until a token is configured.
async fn metrics_text(
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
    use secrecy::ExposeSecret;
    let Some(expected) = &app.config.metrics_token else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off: set `metrics_token` in the configuration and send it as a bearer token\n",
        )
            .into_response();
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Hashes compared in constant time: neither content nor length leaks.
    let presented = thiqa_crypto::token::token_hash(presented);
    if !presented.ct_eq(&thiqa_crypto::token::token_hash(expected.expose_secret())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer realm=\"thiqa-metrics\"")],
            "the metrics_token is required as a bearer token\n",
        )
            .into_response();
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}
