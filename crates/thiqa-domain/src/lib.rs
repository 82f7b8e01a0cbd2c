//! Thiqa's domain rules, free of HTTP and storage: who is who (directories,
//! tenants), what they may do (permissions, roles) and which rights must never
//! be held together (separation of duties, référentiel 3.5.3).

pub mod assessment;
pub mod clock;
pub mod directory;
pub mod ids;
pub mod lockout;
pub mod permission;
pub mod separation;
pub mod support;
pub mod text;
pub mod username;

pub use assessment::{AssessmentError, AssessmentInput, AssessmentStatus};
pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{Directory, Tenant};
pub use ids::*;
pub use lockout::{LockState, LockoutPolicy};
pub use permission::{Permission, PermissionSet};
pub use separation::{IncompatiblePair, SeparationViolation};
pub use username::{Username, UsernameError};
