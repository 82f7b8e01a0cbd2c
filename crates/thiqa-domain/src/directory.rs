//! The two account directories the référentiel keeps apart (3.5.6), and the
//! tenants data belongs to.

use serde::{Deserialize, Serialize};

use crate::ids::{OrganisationId, ProviderId};

/// Which directory an account lives in. Operators and customer users never
/// share a table, a login page, a session or a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Directory {
    /// The provider's staff; they use the operator console.
    Operators,
    /// Members of commanditaire organisations; they use the customer portal.
    Customers,
}

impl Directory {
    pub fn as_str(self) -> &'static str {
        match self {
            Directory::Operators => "operator",
            Directory::Customers => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<Directory> {
        match s {
            "operator" => Some(Directory::Operators),
            "customer" => Some(Directory::Customers),
            _ => None,
        }
    }
}

/// The tenant a piece of data belongs to. Handlers receive it from the
/// authenticated principal, never from a path or a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Tenant {
    Provider(ProviderId),
    Organisation(OrganisationId),
}

impl Tenant {
    /// (kind, id) as stored in `tenant_kind` / `tenant_id` columns.
    pub fn parts(self) -> (&'static str, i64) {
        match self {
            Tenant::Provider(id) => ("provider", id.0),
            Tenant::Organisation(id) => ("organisation", id.0),
        }
    }

    pub fn from_parts(kind: &str, id: i64) -> Option<Tenant> {
        match kind {
            "provider" => Some(Tenant::Provider(ProviderId(id))),
            "organisation" => Some(Tenant::Organisation(OrganisationId(id))),
            _ => None,
        }
    }

    /// `provider:1`, `organisation:7`: how events name their tenant.
    pub fn to_text(self) -> String {
        let (kind, id) = self.parts();
        format!("{kind}:{id}")
    }

    /// Inverse of [`Tenant::to_text`].
    pub fn from_text(text: &str) -> Option<Tenant> {
        let (kind, id) = text.split_once(':')?;
        Tenant::from_parts(kind, id.parse().ok()?)
    }

    /// The directory whose members belong to this tenant.
    pub fn directory(self) -> Directory {
        match self {
            Tenant::Provider(_) => Directory::Operators,
            Tenant::Organisation(_) => Directory::Customers,
        }
    }
}
