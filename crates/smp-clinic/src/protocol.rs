//! The clinic's protocol (data): session spacing, working rate, what each
//! session does, and the aftercare restrictions and care steps.

use serde::Deserialize;
use smp_core::{Locator, SourceError, Step};

/// The protocol used when a clinic names none.
pub const DEFAULT_PROTOCOL: &str = include_str!("../data/protocol.toml");

/// Restriction ids every protocol must define: other tools rely on them.
pub const REQUIRED_RESTRICTIONS: &[&str] = &["water", "sweat", "sun", "swim", "shave"];

/// Most sessions a plan can have.
pub const MAX_SESSIONS: usize = 4;

/// Days between two sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// The healing window: a session is never scheduled sooner.
    pub min_days: u32,
    /// What a new plan uses.
    pub default_days: u32,
}

/// Planning rules.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanProtocol {
    /// Session 1 to 2.
    pub first_gap: Gap,
    /// Every later pair.
    pub later_gap: Gap,
    /// Impressions placed per hour of work.
    pub impressions_per_hour: f64,
    /// Minutes every session needs besides placing impressions (numbing,
    /// photos, mapping the hairline); protocols without it count none.
    #[serde(default)]
    pub setup_minutes: u32,
    /// Each session's dilution as a share of the design's.
    pub dilution_factor: Vec<f64>,
    /// What each session does.
    pub focus: Vec<String>,
    /// Impression shares by number of sessions (index = sessions - 1).
    pub shares: Vec<Vec<f64>>,
}

impl PlanProtocol {
    /// The gap before session `number` (2 or later).
    pub fn gap_before(&self, number: usize) -> Gap {
        if number <= 2 { self.first_gap } else { self.later_gap }
    }
}

/// Something to avoid, over a span of days after a session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    /// Stable id (`water`, `sweat`, `sun`, `swim`, `shave`, ...).
    pub id: String,
    /// First day it applies (0 = the session day).
    pub from_day: u32,
    /// Last day it applies, inclusive.
    pub to_day: u32,
    /// In the client's words.
    pub avoid: String,
}

/// Something to do, from a day on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Care {
    /// Stable across protocol versions (`no-sweat`...): calendars and
    /// tests refer to it.
    pub id: String,
    /// First day it applies, counted from the session (day 0).
    pub from_day: u32,
    /// Last day, inclusive; none for "for life".
    pub to_day: Option<u32>,
    /// In the client's words.
    pub text: String,
    /// When set, a calendar reminder on `from_day` with this text.
    pub reminder: Option<String>,
}

/// Aftercare rules.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AftercareProtocol {
    /// What to avoid.
    pub restrictions: Vec<Restriction>,
    /// What to do.
    pub care: Vec<Care>,
}

/// A validated protocol.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// Stored with every plan and aftercare sheet made from it, so that an
    /// old sheet can be explained after the protocol changed.
    pub version: String,
    /// Sessions: how many, the gaps between them, their length.
    pub plan: PlanProtocol,
    /// What the client avoids and does, day by day after a session.
    pub aftercare: AftercareProtocol,
}

impl Protocol {
    /// The embedded default protocol.
    pub fn default_protocol() -> Self {
        Self::parse(DEFAULT_PROTOCOL).expect("the embedded protocol is valid")
    }

    /// Parses and validates a protocol file.
    pub fn parse(text: &str) -> Result<Self, SourceError> {
        use Step::{Index, Key};
        let loc = Locator::new(text);
        let p: Protocol = loc.deserialize()?;
        for (key, gap) in [("first_gap", p.plan.first_gap), ("later_gap", p.plan.later_gap)] {
            if gap.min_days == 0 || gap.default_days < gap.min_days {
                return Err(loc.error(
                    &[Key("plan"), Key(key)],
                    format!(
                        "needs 1 <= min_days <= default_days, found {} and {}",
                        gap.min_days, gap.default_days
                    ),
                ));
            }
        }
        if !(p.plan.impressions_per_hour.is_finite() && p.plan.impressions_per_hour > 0.0) {
            return Err(loc.error(&[Key("plan"), Key("impressions_per_hour")], "must be a positive number"));
        }
        for (key, len) in [
            ("dilution_factor", p.plan.dilution_factor.len()),
            ("focus", p.plan.focus.len()),
            ("shares", p.plan.shares.len()),
        ] {
            if len < MAX_SESSIONS {
                return Err(loc.error(
                    &[Key("plan"), Key(key)],
                    format!("needs an entry for each of {MAX_SESSIONS} sessions"),
                ));
            }
        }
        if let Some(i) = p.plan.dilution_factor.iter().position(|f| !(f.is_finite() && *f > 0.0 && *f <= 2.0))
        {
            return Err(
                loc.error(&[Key("plan"), Key("dilution_factor"), Index(i)], "must be between 0 and 2")
            );
        }
        for (i, shares) in p.plan.shares.iter().enumerate() {
            let sum: f64 = shares.iter().sum();
            if shares.len() != i + 1 || shares.iter().any(|s| *s <= 0.0) || (sum - 1.0).abs() > 0.01 {
                return Err(loc.error(
                    &[Key("plan"), Key("shares"), Index(i)],
                    format!("entry {} must hold {} positive shares adding up to 1", i + 1, i + 1),
                ));
            }
        }
        let a = &p.aftercare;
        for (i, r) in a.restrictions.iter().enumerate() {
            if r.to_day < r.from_day || a.restrictions[..i].iter().any(|o| o.id == r.id) {
                return Err(loc.error(
                    &[Key("aftercare"), Key("restrictions"), Index(i)],
                    format!("restriction {:?}: ids must be unique and from_day <= to_day", r.id),
                ));
            }
        }
        for (i, c) in a.care.iter().enumerate() {
            if c.to_day.is_some_and(|t| t < c.from_day) || a.care[..i].iter().any(|o| o.id == c.id) {
                return Err(loc.error(
                    &[Key("aftercare"), Key("care"), Index(i)],
                    format!("care {:?}: ids must be unique and from_day <= to_day", c.id),
                ));
            }
        }
        if let Some(missing) =
            REQUIRED_RESTRICTIONS.iter().find(|id| !a.restrictions.iter().any(|r| r.id == **id))
        {
            return Err(loc.error(
                &[Key("aftercare"), Key("restrictions")],
                format!(
                    "the restriction {missing:?} is required (needed: {})",
                    REQUIRED_RESTRICTIONS.join(", ")
                ),
            ));
        }
        Ok(p)
    }
}
