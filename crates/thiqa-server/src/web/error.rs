//! One error type for pages and one for the API. Both show a clear, safe
//! message and log the cause; internal error text never reaches a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use thiqa_app::{AppError, RightsKind};
use thiqa_store::{AssignmentError, Refusal, StoreError};

use crate::i18n::Tr;

/// What went wrong on a page. Rendered into a full HTML page, in the
/// visitor's language, by the `render_error_pages` middleware.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    Forbidden,
    /// Bad input, with a message for the user (already translated or
    /// naming the problem).
    BadRequest(String),
    Conflict(String),
    /// A rule of the store refused the change: shown in the visitor's
    /// language from the message files.
    Refused(Refusal),
    /// The storage refused (disk full, database unreachable): nothing was
    /// saved, and trying again later may work. Logged with its cause.
    Unavailable(String),
    /// Logged with its cause; the user sees a generic message.
    Internal(String),
}

/// Carried in the response extensions for the error-page renderer.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub title_key: &'static str,
    pub detail: Option<String>,
    /// A store refusal, translated by the renderer (then `detail` is its
    /// English sentence, the body of a response nobody renders).
    pub refusal: Option<Refusal>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut refusal = None;
        let (status, title_key, detail) = match self {
            PageError::NotFound => (StatusCode::NOT_FOUND, "error-not-found", None),
            PageError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden", None),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "error-bad-request", Some(m)),
            PageError::Conflict(m) => (StatusCode::CONFLICT, "error-conflict", Some(m)),
            PageError::Refused(r) => {
                let english = r.english().to_string();
                refusal = Some(r);
                (StatusCode::CONFLICT, "error-conflict", Some(english))
            }
            PageError::Unavailable(cause) => {
                tracing::error!(%cause, "storage unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "error-unavailable",
                    Some(STORAGE_UNAVAILABLE_CODE.to_string()),
                )
            }
            PageError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal", None)
            }
        };
        let mut response = (status, detail.clone().unwrap_or_default()).into_response();
        response.extensions_mut().insert(ErrorInfo {
            title_key,
            detail,
            refusal,
        });
        response
    }
}

/// The short code the error-page renderer translates for a 503.
pub const STORAGE_UNAVAILABLE_CODE: &str = "storage-unavailable";

/// The short code the error-page renderer translates when a link cannot be
/// built: the listener has no configured base URL (`links.rs`).
pub const NO_BASE_URL_CODE: &str = "no-base-url";

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            StoreError::Conflict(r) | StoreError::Stale(r) => PageError::Refused(r),
            other if other.is_unavailable() => PageError::Unavailable(other.to_string()),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => PageError::NotFound,
            AppError::Forbidden => PageError::Forbidden,
            AppError::Refused(r) | AppError::Stale(r) => PageError::Refused(r),
            AppError::Rights { refusal, .. } => PageError::Refused(refusal),
            AppError::Store(e) => e.into(),
            other @ (AppError::Key { .. } | AppError::Internal(_)) => {
                PageError::Internal(other.to_string())
            }
        }
    }
}

/// The status of a refused rights change: 403 when one acts on one's own
/// rights, 400 for an invalid request, 409 when the separation of duties
/// or an auditor's independence forbids it.
pub fn rights_status(kind: RightsKind) -> StatusCode {
    match kind {
        RightsKind::OwnRights => StatusCode::FORBIDDEN,
        RightsKind::Invalid => StatusCode::BAD_REQUEST,
        RightsKind::Separation | RightsKind::AuditorIndependence => StatusCode::CONFLICT,
    }
}

/// A refused change as a form shows it: its status and its message in the
/// visitor's language. Anything else stays an error page.
pub fn refused(tr: &Tr, e: AppError) -> Result<(StatusCode, String), PageError> {
    match e {
        AppError::Rights { kind, refusal } => Ok((rights_status(kind), tr.refusal(&refusal))),
        AppError::Refused(r) | AppError::Stale(r) => Ok((StatusCode::CONFLICT, tr.refusal(&r))),
        other => Err(other.into()),
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

/// API errors: a stable machine code and a human message.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a valid API token is required (Authorization: Bearer thq_…)",
        )
    }

    pub fn forbidden(permission: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this requires the permission {permission}"),
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// A defect: the cause is logged, the caller sees only that it was.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(cause = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it was logged",
        )
    }
}

/// The body of every API error answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. invalid_input, unauthenticated, forbidden,
    /// not_found, conflict, separation_of_duties, payload_too_large,
    /// unsupported_media_type, storage_unavailable.
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn body(self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(r) | StoreError::Stale(r) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", r.english())
            }
            other if other.is_unavailable() => {
                tracing::error!(cause = %other, "storage unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the storage refused the write (disk full or database unreachable); nothing was saved: retry later",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => ApiError::not_found(),
            AppError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this is not yours to do",
            ),
            AppError::Refused(r) | AppError::Stale(r) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", r.english())
            }
            AppError::Rights { kind, refusal } => ApiError::new(
                rights_status(kind),
                match kind {
                    RightsKind::OwnRights => "own_rights",
                    RightsKind::Separation => "separation_of_duties",
                    RightsKind::AuditorIndependence => "auditor_independence",
                    RightsKind::Invalid => "invalid_input",
                },
                refusal.english(),
            ),
            AppError::Store(e) => e.into(),
            other @ (AppError::Key { .. } | AppError::Internal(_)) => ApiError::internal(other),
        }
    }
}

impl From<AssignmentError> for ApiError {
    /// Worded once, by the use cases' error.
    fn from(e: AssignmentError) -> Self {
        AppError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{I18n, Lang};
    use thiqa_domain::{Permission, SeparationViolation};
    use thiqa_store::{AuditorViolation, SelfChange};

    /// Every kind of rights refusal reads in French from the message files,
    /// with its arguments, whichever way it reaches a page.
    #[test]
    fn rights_refusals_are_worded_by_the_message_files() {
        let i18n = I18n::load().unwrap();
        let tr = Tr {
            i18n: &i18n,
            lang: Lang::Fr,
        };
        let cases = [
            (
                AssignmentError::Separation(SeparationViolation {
                    first: Permission::AccessApprove,
                    second: Permission::OperatorsManage,
                    reason: "Séparation 3.5.3".into(),
                }),
                "Attribution refusée",
            ),
            (
                AssignmentError::SelfChange(SelfChange::HeldRole),
                "personne ne modifie un rôle",
            ),
            (
                AssignmentError::Auditor(AuditorViolation {
                    auditor: "nadia".into(),
                    permission: "assessment.edit".into(),
                    engagement: 4,
                    service: "IaaS".into(),
                }),
                "nadia audite",
            ),
            (
                AssignmentError::AlreadyViolated("amal, karim".into()),
                "amal, karim",
            ),
        ];
        for (error, french) in cases {
            let AppError::Rights { refusal, .. } = AppError::from(error) else {
                panic!("a rights refusal")
            };
            let text = tr.refusal(&refusal);
            assert!(text.contains(french), "{}: {text}", refusal.key);
            assert!(
                !text.contains('$') && !text.starts_with("refusal-"),
                "{text}"
            );
        }
    }
}
