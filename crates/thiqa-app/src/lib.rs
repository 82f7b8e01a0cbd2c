//! Thiqa's use cases. Every operation the console, the portal, the API and
//! the command line perform is one function here: it takes a context that
//! says who acts and for which tenant (made only after authentication or
//! an access check, see [`context`]), typed input, and returns typed output
//! or an [`AppError`]. The edges (`thiqa-server`, the `thiqa` binary) parse,
//! call and render; they hold no business rule of their own.
//!
//! Data flows one way: edges → here → domain rules, store, journal and
//! exports, never back up.

pub mod accounts;
pub mod actions;
pub mod alerts;
mod app;
pub mod approvals;
pub mod assessment;
pub mod audits;
pub mod context;
pub mod contracts;
pub mod demo;
pub mod dossier;
mod error;
pub mod events;
pub mod evidence;
pub mod findings;
pub mod home;
pub mod incident_preferences;
pub mod me;
pub mod notices;
pub mod operators;
pub mod organisations;
pub mod oscal;
pub mod proofs;
pub mod roles;
pub mod separation;
pub mod services;
pub mod signin;
pub mod sites;
pub mod soa;
pub mod sources;
pub mod support;
pub mod tenants;
pub mod time;
pub mod webhooks;

pub use app::App;
pub use context::{Access, AuditorScope, DossierSigner, Member, ServiceScope, Shell, Staff};
pub use error::{AppError, RightsKind};
