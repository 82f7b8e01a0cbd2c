//! The dossier key published to whoever receives a dossier, as text (the
//! JSON form is the API's `/api/v1/dossier/key`; the dossier
//! itself is built by `thiqa_app::dossier`).

use axum::extract::State;
use axum::http::{header::CONTENT_TYPE, StatusCode};
use axum::response::{IntoResponse, Response};
use thiqa_app::AppError;
use thiqa_domain::text::hex;

use crate::state::AppState;

/// The dossier public key, for whoever receives a dossier, as text: the
/// hex key that `thiqa dossier verify --key` takes (`GET /dossier/key` on
/// the public listener). No account needed: a public key is public.
pub async fn published_key(State(app): State<AppState>) -> Response {
    match app.dossier_public_key().await {
        Ok(Some(public)) => (
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            hex(&public) + "\n",
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no dossier has been signed yet\n").into_response(),
        Err(e) => unreadable(&e),
    }
}

fn unreadable(e: &AppError) -> Response {
    tracing::error!(error = %e, "dossier key unreadable");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
