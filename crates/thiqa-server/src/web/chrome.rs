//! The frame around every page: realm title, navigation, language switch.

use thiqa_domain::{Directory, Permission, PermissionSet};

use crate::i18n::{Lang, Tr};
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::visit::Visit;

pub struct NavLink {
    pub href: &'static str,
    pub key: &'static str,
    pub current: bool,
}

pub struct Chrome<'a> {
    pub tr: Tr<'a>,
    /// `console` or `portal`: styles the header so nobody mistakes one for the other.
    pub realm: &'static str,
    pub title_key: &'static str,
    pub user: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub langs: Vec<(&'static str, &'static str, bool)>,
    /// Where the language form returns to: this very page with its
    /// filters, else the section's path.
    pub here: String,
    /// The confirmation of the change that led here, shown once.
    pub notice: Option<String>,
}

impl<'a> Chrome<'a> {
    pub fn new<R: Realm>(app: &'a AppState, visit: &Visit, here: &str) -> Chrome<'a> {
        let signed = visit.session.as_ref().is_some_and(|s| s.mfa_passed);
        let nav = if signed {
            nav_links(R::DIR, &visit.permissions, here)
        } else {
            Vec::new()
        };
        let tr = Tr {
            i18n: &app.i18n,
            lang: visit.lang,
        };
        Chrome {
            notice: visit.notice.map(|n| tr.t(&n.message_key())),
            tr,
            realm: match R::DIR {
                Directory::Operators => "console",
                Directory::Customers => "portal",
            },
            title_key: R::TITLE_KEY,
            user: if signed {
                visit.account.as_ref().map(|a| a.display_name.clone())
            } else {
                None
            },
            csrf: visit.csrf(),
            nav,
            langs: Lang::ALL
                .iter()
                .map(|l| (l.code(), lang_label(*l), *l == visit.lang))
                .collect(),
            here: visit
                .page
                .as_ref()
                .and_then(this_page)
                .unwrap_or_else(|| here.to_string()),
        }
    }
}

/// The page's path and query without its one-time notice; None when too
/// long to carry in a form (the section's own path is used then).
fn this_page(uri: &axum::http::Uri) -> Option<String> {
    const MAX: usize = 2000;
    let (path, query) = (uri.path(), uri.query().unwrap_or(""));
    if path.len() + query.len() >= MAX {
        return None;
    }
    let mut page = path.to_string();
    let kept = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("notice="));
    for (i, pair) in kept.enumerate() {
        page.push(if i == 0 { '?' } else { '&' });
        page.push_str(pair);
    }
    Some(page)
}

fn lang_label(l: Lang) -> &'static str {
    match l {
        Lang::Fr => "Français",
        Lang::En => "English",
    }
}

fn nav_links(dir: Directory, perms: &PermissionSet, here: &str) -> Vec<NavLink> {
    let candidates: &[(&str, &str, Option<Permission>)] = match dir {
        Directory::Operators => &[
            ("/", "nav-home", None),
            ("/catalog", "nav-catalog", Some(Permission::CatalogRead)),
            ("/services", "nav-services", Some(Permission::ServicesRead)),
            (
                "/contracts",
                "nav-contracts",
                Some(Permission::ServicesRead),
            ),
            ("/notices", "nav-notices", Some(Permission::ServicesRead)),
            ("/support", "nav-support", Some(Permission::ServicesRead)),
            ("/audits", "nav-audits", None),
            (
                "/organisations",
                "nav-organisations",
                Some(Permission::OrganisationsManage),
            ),
            ("/accounts", "nav-accounts", None),
            ("/roles", "nav-roles", None),
            (
                "/separation",
                "nav-separation",
                Some(Permission::SeparationManage),
            ),
            (
                "/approvals",
                "nav-approvals",
                Some(Permission::AccessApprove),
            ),
            ("/events", "nav-events", Some(Permission::JournalRead)),
            ("/alerts", "nav-alerts", Some(Permission::JournalRead)),
            (
                "/journal/search",
                "nav-journal-search",
                Some(Permission::JournalRead),
            ),
            (
                "/journal/sources",
                "nav-sources",
                Some(Permission::ConfigManage),
            ),
            ("/me", "nav-me", None),
        ],
        Directory::Customers => &[
            ("/", "nav-home", None),
            ("/contracts", "nav-contracts", Some(Permission::PortalRead)),
            ("/notices", "nav-notices", Some(Permission::PortalRead)),
            ("/support", "nav-support", Some(Permission::PortalRead)),
            (
                "/incident-preferences",
                "nav-incident-preferences",
                Some(Permission::PortalRead),
            ),
            ("/accounts", "nav-users", Some(Permission::OrgUsersManage)),
            (
                "/webhooks",
                "nav-webhooks",
                Some(Permission::OrgUsersManage),
            ),
            (
                "/organisation",
                "organisation-settings",
                Some(Permission::OrgUsersManage),
            ),
            ("/roles", "nav-roles", Some(Permission::OrgRolesManage)),
            (
                "/approvals",
                "nav-approvals",
                Some(Permission::OrgAccessApprove),
            ),
            ("/events", "nav-events", Some(Permission::OrgJournalRead)),
            (
                "/journal/search",
                "nav-journal-search",
                Some(Permission::OrgJournalRead),
            ),
            ("/me", "nav-me", None),
        ],
    };
    candidates
        .iter()
        .filter(|(_, _, p)| p.is_none_or(|p| perms.contains(p)))
        .map(|(href, key, _)| NavLink {
            href,
            key,
            current: if *href == "/" {
                here == "/"
            } else {
                here.starts_with(href)
            },
        })
        .collect()
}
