//! The two realms: the operator console (provider staff) and the customer
//! portal (commanditaire users). The same handlers serve both, typed by the
//! realm, so each listener can only ever reach its own directory. A module
//! of its own because everything on the edge is typed by it: the page frame
//! and the error pages (`web`), the sign-in pages (`auth`), the API.

use thiqa_domain::{Directory, Permission};

pub trait Realm: Send + Sync + 'static {
    const DIR: Directory;
    /// Session cookie name (prefixed `__Host-` under TLS).
    const COOKIE: &'static str;
    /// Pre-login CSRF cookie name.
    const PRE_COOKIE: &'static str;
    /// Message id of the realm's name ("Console opérateur"…).
    const TITLE_KEY: &'static str;
    // The directory's rights over itself, named once by `Directory`.
    const MANAGE_ACCOUNTS: Permission = Self::DIR.manage_accounts();
    const APPROVE_ACCESS: Permission = Self::DIR.approve_access();
    const MANAGE_ROLES: Permission = Self::DIR.manage_roles();
    const MANAGE_SEPARATION: Permission = Self::DIR.manage_separation();
    const READ_EVENTS: Permission = Self::DIR.read_journal();
}

pub struct Console;
pub struct Portal;

impl Realm for Console {
    const DIR: Directory = Directory::Operators;
    const COOKIE: &'static str = "thiqa_console";
    const PRE_COOKIE: &'static str = "thiqa_console_pre";
    const TITLE_KEY: &'static str = "realm-console";
}

impl Realm for Portal {
    const DIR: Directory = Directory::Customers;
    const COOKIE: &'static str = "thiqa_portal";
    const PRE_COOKIE: &'static str = "thiqa_portal_pre";
    const TITLE_KEY: &'static str = "realm-portal";
}

/// The cookie name as sent: `__Host-` under TLS binds it to this exact
/// origin (secure, no Domain, path /).
pub fn cookie_name<R: Realm>(base: &'static str, tls: bool) -> String {
    if tls {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}
