//! The daily review of security alerts (référentiel 3.8.9): what the
//! correlation rules raised for the provider, open ones counted by
//! severity; each is acknowledged once, with a comment, by staff who read
//! the journal (`journal.read`), and the acknowledgement is journaled.

use thiqa_domain::{AlertId, Permission};
use thiqa_store::{Alert, AlertCursor, AlertQuery, AlertSeverity, MAX_ACK_COMMENT};

use crate::{App, AppError, Staff};

/// Alerts listed at most, newest first.
pub const LIST_MAX: i64 = 500;

/// What the review page shows.
pub struct Review {
    /// Open alerts per severity, most urgent first.
    pub open_counts: Vec<(AlertSeverity, u64)>,
    /// Open and acknowledged alerts, newest first, at most [`LIST_MAX`].
    pub alerts: Vec<Alert>,
    /// How far the rules have read the journal, and when.
    pub cursor: AlertCursor,
}

pub async fn review(app: &App, staff: &Staff<'_>) -> Result<Review, AppError> {
    staff.require(Permission::JournalRead)?;
    let query = AlertQuery {
        unacknowledged_only: false,
        limit: LIST_MAX,
    };
    let (open_counts, alerts, cursor) = tokio::try_join!(
        app.store.tenant(staff.tenant()).open_alert_counts(),
        app.store.tenant(staff.tenant()).alerts(&query),
        app.store.alert_cursor(),
    )?;
    Ok(Review {
        open_counts,
        alerts,
        cursor,
    })
}

/// An acknowledgement's comment says what was done: required, at most
/// [`MAX_ACK_COMMENT`] characters.
pub fn comment_fits(comment: &str) -> bool {
    let comment = comment.trim();
    !comment.is_empty() && comment.chars().count() <= MAX_ACK_COMMENT
}

/// Acknowledges one of the provider's alerts with a comment
/// (`journal.read`); Refused when it was acknowledged already or the
/// comment does not fit, NotFound for another tenant's alert.
pub async fn acknowledge(
    app: &App,
    staff: &Staff<'_>,
    alert: AlertId,
    comment: &str,
) -> Result<Alert, AppError> {
    staff.require(Permission::JournalRead)?;
    Ok(app
        .store
        .tenant(staff.tenant())
        .acknowledge_alert(alert, comment, staff.actor())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_required_and_bounded() {
        assert!(comment_fits(" Faux positif : scan autorisé "));
        assert!(!comment_fits("  "));
        assert!(!comment_fits(&"x".repeat(MAX_ACK_COMMENT + 1)));
    }
}
