//! The treatment plan: sessions with dates, impressions, dilution and time.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use smp_core::Design;
use smp_pattern::Pattern;

use crate::dates;
use crate::protocol::{MAX_SESSIONS, Protocol};

/// One planned session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedSession {
    /// 1-based.
    pub number: usize,
    /// Its day.
    pub date: NaiveDate,
    /// Impressions placed in it (the pattern's split).
    pub impressions: usize,
    /// Pigment dilution for it.
    pub dilution: f64,
    /// Estimated working time.
    pub hours: f64,
    /// What it does.
    pub focus: String,
}

/// A treatment plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The sessions, in order.
    pub sessions: Vec<PlannedSession>,
    /// Area of each zone as drawn, in cm2.
    pub area_cm2: BTreeMap<String, f64>,
    /// Sum of the zones' areas.
    pub total_area_cm2: f64,
    /// All sessions' estimated hours.
    pub total_hours: f64,
    /// The protocol's version.
    pub protocol_version: String,
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The number of sessions is out of range.
    #[error("a plan has 1 to {MAX_SESSIONS} sessions, not {0}")]
    SessionCount(usize),
    /// A session falls inside the previous one's healing window.
    #[error(
        "session {number} on {date} is inside session {previous}'s healing window: not before {earliest}"
    )]
    TooSoon {
        /// The session.
        number: usize,
        /// Its date.
        date: NaiveDate,
        /// The session before it.
        previous: usize,
        /// The first allowed date.
        earliest: NaiveDate,
    },
}

fn round_to(v: f64, step: f64) -> f64 {
    (v / step).round() * step
}

/// Checks that the given session dates respect the protocol's healing
/// windows: the rule a plan edited by hand must keep.
pub fn check_spacing(dates: &[NaiveDate], protocol: &Protocol) -> Result<(), PlanError> {
    for (i, pair) in dates.windows(2).enumerate() {
        let number = i + 2;
        let earliest = dates::add_days(pair[0], protocol.plan.gap_before(number).min_days);
        if pair[1] < earliest {
            return Err(PlanError::TooSoon { number, date: pair[1], previous: number - 1, earliest });
        }
    }
    Ok(())
}

/// Plans the design's treatment from `start`. With `sessions` different
/// from the design's own split, the protocol's shares for that many
/// sessions are used (and the render, which follows the design, differs).
pub fn plan(
    design: &Design,
    start: NaiveDate,
    sessions: Option<usize>,
    protocol: &Protocol,
) -> Result<Plan, PlanError> {
    plan_on_open_days(design, start, sessions, protocol, &|_| true)
}

/// As [`plan`], each session on the first day the studio is open (`open`)
/// on or after the day the protocol gives it; later sessions count their
/// gap from the day chosen, so a healing window is never shortened.
pub fn plan_on_open_days(
    design: &Design,
    start: NaiveDate,
    sessions: Option<usize>,
    protocol: &Protocol,
    open: &dyn Fn(NaiveDate) -> bool,
) -> Result<Plan, PlanError> {
    let p = &protocol.plan;
    let count = sessions.unwrap_or(design.sessions.shares.len());
    if count == 0 || count > MAX_SESSIONS {
        return Err(PlanError::SessionCount(count));
    }
    let mut design = design.clone();
    if count != design.sessions.shares.len() {
        design.sessions.shares = p.shares[count - 1].clone();
    }
    let counts = Pattern::generate(&design).session_counts();
    let next_open = |from: NaiveDate| {
        // A studio open on no day at all still gets a date: the protocol's.
        (0..7).map(|d| dates::add_days(from, d)).find(|d| open(*d)).unwrap_or(from)
    };
    let mut date = start;
    let mut planned = Vec::with_capacity(count);
    for (i, &impressions) in counts.iter().enumerate() {
        let number = i + 1;
        if number > 1 {
            date = dates::add_days(date, p.gap_before(number).default_days);
        }
        date = next_open(date);
        planned.push(PlannedSession {
            number,
            date,
            impressions,
            dilution: round_to((design.pigment.dilution * p.dilution_factor[i]).min(1.0), 0.01),
            hours: round_to(p.setup_minutes as f64 / 60.0 + impressions as f64 / p.impressions_per_hour, 0.1),
            focus: p.focus[i].clone(),
        });
    }
    let all_dates: Vec<NaiveDate> = planned.iter().map(|s| s.date).collect();
    check_spacing(&all_dates, protocol)?;
    let mm2_per_px2 = design.photo.mm_per_px * design.photo.mm_per_px;
    let area_cm2: BTreeMap<String, f64> = design
        .zones
        .iter()
        .map(|z| (z.name.clone(), round_to(z.polygon.area() * mm2_per_px2 / 100.0, 0.1)))
        .collect();
    Ok(Plan {
        total_area_cm2: round_to(area_cm2.values().sum(), 0.1),
        total_hours: round_to(planned.iter().map(|s| s.hours).sum(), 0.1),
        sessions: planned,
        area_cm2,
        protocol_version: protocol.version.clone(),
    })
}
