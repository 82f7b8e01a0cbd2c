//! Authentication: sessions, login, second factor, reset links.

pub mod login;
pub mod logout;
pub mod mfa;
pub mod passwords;
pub mod reset;
pub mod session_cookie;
pub mod visit;
