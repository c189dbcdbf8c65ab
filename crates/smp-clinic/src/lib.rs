//! The clinical workflow: health screening, the treatment plan over the
//! sessions, and aftercare with its calendar. Rules and protocols are data
//! (embedded defaults, replaceable per clinic); everything here is pure.
#![warn(missing_docs)]

pub mod aftercare;
pub mod assessment;
pub mod booking;
pub mod dates;
pub mod gate;
pub mod intake;
pub mod messages;
pub mod pace;
pub mod passport;
pub mod plan;
pub mod pricing;
pub mod protocol;
pub mod screening;
pub mod staff_calendar;

pub use aftercare::{Aftercare, aftercare};
pub use intake::Intake;
pub use plan::{Plan, PlanError, plan, plan_on_head, plan_on_open_days};
pub use protocol::Protocol;
pub use screening::{Finding, Outcome, RuleSet, Screening, screen};

/// The consent text a new studio starts with (version 1). Each studio edits
/// its own; every edit is a new version, and signatures name their version.
pub const DEFAULT_CONSENT_TEXT: &str = include_str!("../data/consent.txt");

/// The consent to show a client's photos in the studio's portfolio: separate
/// from the treatment consent and never implied by it. Stored word for word
/// with each signature.
pub const PORTFOLIO_CONSENT_TEXT: &str = include_str!("../data/portfolio-consent.txt");
