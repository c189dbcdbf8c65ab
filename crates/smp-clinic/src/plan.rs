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
    /// Its day: the protocol's gap from the session before, moved to the
    /// studio's next open day.
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
        /// The session's number, from 1.
        number: usize,
        /// The date it was given.
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
    let shares = session_shares(&design.sessions.shares, sessions, protocol)?;
    let mut design = design.clone();
    design.sessions.shares = shares;
    let counts = Pattern::generate(&design).session_counts();
    let mm2_per_px2 = design.photo.mm_per_px * design.photo.mm_per_px;
    let area_cm2 =
        design.zones.iter().map(|z| (z.name.clone(), z.polygon.area() * mm2_per_px2 / 100.0)).collect();
    dated_plan(&counts, design.pigment.dilution, area_cm2, start, protocol, open)
}

/// The share of impressions each session places: the design's own, or
/// the protocol's for another number of sessions.
fn session_shares(own: &[f64], sessions: Option<usize>, protocol: &Protocol) -> Result<Vec<f64>, PlanError> {
    let count = sessions.unwrap_or(own.len());
    if count == 0 || count > MAX_SESSIONS {
        return Err(PlanError::SessionCount(count));
    }
    Ok(if count == own.len() { own.to_vec() } else { protocol.plan.shares[count - 1].clone() })
}

/// As [`plan_on_open_days`], for a design on the head model: areas and
/// impressions counted on the scalp's surface (each zone's area of scalp
/// times its density per cm2 of surface, less its feathered edge), with the
/// photos' cameras `fit`ted to the design.
pub fn plan_on_head(
    design: &smp_core::head_design::HeadDesign,
    fit: &smp_core::pose::PoseFit,
    start: NaiveDate,
    sessions: Option<usize>,
    protocol: &Protocol,
    open: &dyn Fn(NaiveDate) -> bool,
) -> Result<Plan, PlanError> {
    let own = design
        .file
        .sessions
        .as_ref()
        .map_or_else(|| smp_core::Sessions::default().shares, |s| s.shares.clone());
    let shares = session_shares(&own, sessions, protocol)?;
    let mut area_cm2 = BTreeMap::new();
    let mut expected = 0.0;
    for zone in &design.file.zones {
        let Some(photo) = fit.photos.iter().find(|p| p.name == zone.on) else { continue };
        let vertices = zone.polygon.iter().map(|[x, y]| smp_core::Point::new(*x, *y)).collect();
        let Ok(polygon) = smp_core::Polygon::new(vertices) else { continue };
        let measured =
            smp_core::surface::zone_on_head(&design.head, &photo.camera, &polygon, zone.feather_mm);
        expected += measured.effective_cm2 * zone.density;
        area_cm2.insert(zone.name.clone(), measured.area_cm2);
    }
    dated_plan(
        &split(expected.round() as usize, &shares),
        design.file.pigment.dilution,
        area_cm2,
        start,
        protocol,
        open,
    )
}

/// `total` shared out by `shares` in whole impressions that add up to it
/// (largest remainders).
fn split(total: usize, shares: &[f64]) -> Vec<usize> {
    let sum: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares.iter().map(|s| total as f64 * s / sum).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&i, &j| (exact[j] - exact[j].floor()).total_cmp(&(exact[i] - exact[i].floor())));
    for &i in order.iter().take(total - counts.iter().sum::<usize>()) {
        counts[i] += 1;
    }
    counts
}

/// The sessions of a plan dated from `start` on open days, with their
/// impressions, dilution and hours, and the zones' areas.
fn dated_plan(
    counts: &[usize],
    dilution: f64,
    area_cm2: BTreeMap<String, f64>,
    start: NaiveDate,
    protocol: &Protocol,
    open: &dyn Fn(NaiveDate) -> bool,
) -> Result<Plan, PlanError> {
    let p = &protocol.plan;
    let next_open = |from: NaiveDate| {
        // A studio open on no day at all still gets a date: the protocol's.
        (0..7).map(|d| dates::add_days(from, d)).find(|d| open(*d)).unwrap_or(from)
    };
    let mut date = start;
    let mut planned = Vec::with_capacity(counts.len());
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
            dilution: round_to((dilution * p.dilution_factor[i]).min(1.0), 0.01),
            hours: round_to(p.setup_minutes as f64 / 60.0 + impressions as f64 / p.impressions_per_hour, 0.1),
            focus: p.focus[i].clone(),
        });
    }
    let all_dates: Vec<NaiveDate> = planned.iter().map(|s| s.date).collect();
    check_spacing(&all_dates, protocol)?;
    let area_cm2: BTreeMap<String, f64> = area_cm2.into_iter().map(|(z, a)| (z, round_to(a, 0.1))).collect();
    Ok(Plan {
        total_area_cm2: round_to(area_cm2.values().sum(), 0.1),
        total_hours: round_to(planned.iter().map(|s| s.hours).sum(), 0.1),
        sessions: planned,
        area_cm2,
        protocol_version: protocol.version.clone(),
    })
}
