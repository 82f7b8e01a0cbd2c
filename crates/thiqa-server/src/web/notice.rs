//! The confirmation a page shows once after a change: the change's handler
//! redirects with [`confirmed`] (`?notice=<code>` on the page it returns
//! to), the session middleware reads the code into the [`Visit`], and the
//! frame of every page ([`Chrome`]) shows the message above the content.
//!
//! Only the codes below are shown, each from the message files: a crafted
//! link can show "Change saved." at worst, never text of its own.
//!
//! [`Visit`]: crate::web::visit::Visit
//! [`Chrome`]: crate::web::chrome::Chrome

use axum::response::{IntoResponse, Redirect, Response};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A change to something that exists.
    Saved,
    /// Something new.
    Added,
    /// Something removed, revoked or closed.
    Removed,
    /// A change that a second person must approve first (3.5.3).
    AwaitingApproval,
    /// A pending request approved or rejected.
    Decided,
    /// After a set-up or reset link (login page).
    PasswordSet,
    /// After signing out (login page).
    LoggedOut,
}

const ALL: [Notice; 7] = [
    Notice::Saved,
    Notice::Added,
    Notice::Removed,
    Notice::AwaitingApproval,
    Notice::Decided,
    Notice::PasswordSet,
    Notice::LoggedOut,
];

impl Notice {
    pub fn code(self) -> &'static str {
        match self {
            Notice::Saved => "saved",
            Notice::Added => "added",
            Notice::Removed => "removed",
            Notice::AwaitingApproval => "awaiting-approval",
            Notice::Decided => "decided",
            Notice::PasswordSet => "password-set",
            Notice::LoggedOut => "logged-out",
        }
    }

    /// Its message's key in the message files.
    pub fn message_key(self) -> String {
        format!("notice-{}", self.code())
    }

    /// The notice a request's query names, if any it knows.
    pub fn from_query(query: Option<&str>) -> Option<Notice> {
        let code = query?
            .split('&')
            .find_map(|pair| pair.strip_prefix("notice="))?;
        ALL.into_iter().find(|n| n.code() == code)
    }

    /// Every notice, for the test that each has its messages.
    pub fn all() -> [Notice; 7] {
        ALL
    }
}

/// `to` with `notice` added to its query.
pub fn with_notice(to: &str, notice: Notice) -> String {
    let separator = if to.contains('?') { '&' } else { '?' };
    format!("{to}{separator}notice={}", notice.code())
}

/// The answer to a change that succeeded: back to `to` (303), which then
/// shows `notice` once.
pub fn confirmed(to: &str, notice: Notice) -> Response {
    Redirect::to(&with_notice(to, notice)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_travels_in_the_query_and_only_known_codes_count() {
        assert_eq!(with_notice("/roles", Notice::Saved), "/roles?notice=saved");
        assert_eq!(
            with_notice("/alerts?status=open", Notice::Decided),
            "/alerts?status=open&notice=decided"
        );
        assert_eq!(
            Notice::from_query(Some("status=open&notice=removed")),
            Some(Notice::Removed)
        );
        assert_eq!(Notice::from_query(Some("notice=<script>")), None);
        assert_eq!(Notice::from_query(None), None);
        for n in Notice::all() {
            assert_eq!(Notice::from_query(Some(&with_notice("/", n)[2..])), Some(n));
        }
    }
}
