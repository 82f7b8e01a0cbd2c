//! Security alerts for the daily review (référentiel 3.8.9): what the
//! correlation rules raised, unacknowledged first with counts per severity
//! and today's highlighted; each alert is acknowledged once, with a
//! comment, and the acknowledgement (who, when, what) is kept and
//! journaled. Operators with `journal.read`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::alerts;
use thiqa_app::AppError;
use thiqa_domain::AlertId;
use thiqa_store::{format_window, Alert, MAX_ACK_COMMENT};

use crate::auth::visit::Signed;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;
use thiqa_app::time::iso_date;

/// One alert as shown.
pub struct AlertRow {
    pub id: AlertId,
    pub title: String,
    pub rule_id: String,
    pub severity: String,
    pub urgent: bool,
    pub key: String,
    pub count: u64,
    pub window: String,
    pub raised: String,
    pub today: bool,
    /// The journal search around the alert's window.
    pub search: String,
    pub leaves: String,
    pub acknowledged: Option<(String, String, String)>,
}

fn row(a: Alert, today_start_ms: i64) -> AlertRow {
    let day = |ms: i64| iso_date(ms.div_euclid(1000));
    let search = format!(
        "/journal/search?from={}&to={}",
        day(a.window_start_ms),
        day(a.window_end_ms)
    );
    AlertRow {
        urgent: a.acknowledgement.is_none() && matches!(a.severity.as_str(), "high" | "critical"),
        today: a.raised_at_ms >= today_start_ms,
        id: a.id,
        title: a.title,
        rule_id: a.rule_id,
        severity: a.severity,
        key: a.key,
        count: a.count,
        window: format!(
            "{} → {}",
            format_utc(a.window_start_ms.div_euclid(1000)),
            format_utc(a.window_end_ms.div_euclid(1000))
        ),
        raised: format_utc(a.raised_at_ms.div_euclid(1000)),
        search,
        leaves: format!("{}–{}", a.first_leaf, a.last_leaf),
        acknowledged: a
            .acknowledgement
            .map(|k| (k.by, format_utc(k.at_ms.div_euclid(1000)), k.comment)),
    }
}

/// A rule in force, as listed under the alerts.
pub struct RuleRow {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub threshold: u32,
    pub window: String,
    pub group_by: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage<'a> {
    chrome: Chrome<'a>,
    /// (severity, open alerts), most urgent first.
    counts: Vec<(&'static str, u64)>,
    open_total: u64,
    raised_today: usize,
    open: Vec<AlertRow>,
    done: Vec<AlertRow>,
    rules: Vec<RuleRow>,
    rules_error: Option<String>,
    evaluated: String,
    /// A refused acknowledgement: the alert and the comment as typed; its
    /// problem is shown inside that alert's form.
    typed: Option<(AlertId, String)>,
    errors: Vec<String>,
    max_comment: usize,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    typed: Option<(AlertId, String)>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let review = alerts::review(app, &me.staff()?).await?;
    let now_ms = app.store.clock().now_ms();
    let today_start_ms = now_ms - now_ms.rem_euclid(86_400_000);
    let counts = review.open_counts;
    let rows: Vec<AlertRow> = review
        .alerts
        .into_iter()
        .map(|a| row(a, today_start_ms))
        .collect();
    let raised_today = rows.iter().filter(|r| r.today).count();
    let (open, done): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.acknowledged.is_none());
    let (rules, rules_error) = match app.config.alerts.rules() {
        Ok(set) => (
            set.rules
                .into_iter()
                .map(|r| RuleRow {
                    group_by: r
                        .group_by
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    window: format_window(r.window_ms),
                    id: r.id,
                    title: r.title,
                    severity: r.severity.to_string(),
                    threshold: r.threshold,
                })
                .collect(),
            None,
        ),
        Err(e) => (vec![], Some(e.to_string())),
    };
    let cursor = review.cursor;
    let tr = me.tr(app);
    let evaluated = match cursor.evaluated_at_ms {
        Some(at) => {
            let mut args = fluent_bundle::FluentArgs::new();
            args.set("at", format_utc(at.div_euclid(1000)));
            args.set("leaf", cursor.next_leaf.to_string());
            app.i18n
                .message(me.visit.lang, "alerts-evaluated", Some(&args))
        }
        None => tr.t("alerts-never-evaluated"),
    };
    render(
        status,
        &AlertsPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/alerts"),
            open_total: counts.iter().map(|c| c.1).sum(),
            counts: counts.into_iter().map(|(s, n)| (s.as_str(), n)).collect(),
            raised_today,
            open,
            done,
            rules,
            rules_error,
            evaluated,
            typed,
            errors,
            max_comment: MAX_ACK_COMMENT,
        },
    )
}

pub async fn list(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    page_with(&app, &me, None, vec![], StatusCode::OK).await
}

pub async fn acknowledge(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<AlertId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let tr = me.tr(&app);
    let comment = field(&pairs, "comment");
    if !alerts::comment_fits(&comment) {
        let error = tr.t1("error-alert-comment", "max", &MAX_ACK_COMMENT.to_string());
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return page_with(&app, &me, Some((id, comment)), vec![error], status).await;
    }
    match alerts::acknowledge(&app, &staff, id, &comment).await {
        Ok(_) => Ok(confirmed("/alerts", Notice::Saved)),
        Err(AppError::Refused(r)) => {
            let m = tr.refusal(&r);
            page_with(&app, &me, None, vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
