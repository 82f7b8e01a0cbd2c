//! Server-rendered pages of both realms.

pub mod accounts;
pub mod actions;
pub mod alerts;
pub mod approvals;
pub mod assessment;
pub mod audits;
pub mod catalog;
pub mod contracts;
pub mod dashboard;
pub mod events;
pub mod evidence;
pub mod evidence_files;
pub mod evidence_versions;
pub mod findings;
pub mod home;
pub mod incident_preferences;
pub mod journal_search;
pub mod journal_sources;
pub mod me;
pub mod organisation_settings;
pub mod organisations;
pub mod reports;
pub mod roles;
pub mod separation;
pub mod service_access;
pub mod services;
