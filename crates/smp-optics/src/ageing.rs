//! Time: fresh work, healing, and fading over the years.
//!
//! A calibrated model after section 9 of the domain brief, not a
//! measurement. Time `t` counts days from placement.
//!
//! - Epidermal share of the pigment `f_e(t) = 0.4 exp(-t / 4 d)`: fresh work
//!   holds ink in the epidermis, which flakes off over days 5-10.
//! - Dermal pigment `M(t) = 0.33 exp(-t / 18 d) + 0.67 exp(-r t / tau2)`:
//!   about a third leaves within weeks (macrophage clearance); the rest fades
//!   slowly. `r` is the client's rate ([`Factors::rate`]: UV, scalp,
//!   lifestyle). The ink's strength at `t` is the design's dilution scaled by
//!   `M(t) / M(30 d)`: the design describes the healed result.
//! - Redness `exp(-t / 1.2 d)`; fresh dots look up to 12% larger for a few
//!   days; the dot edge blurs as `sqrt(s0^2 + 2 D t)`; the ink sinks by
//!   0.008 mm a year, which the optics turn blue-grey.
//!
//! Calibration: `tau2` is set so that with moderate UV, a normal scalp and
//! Fitzpatrick III, the contrast of the work against the skin falls to the
//! touch-up threshold in about 4 years, inside the 3-5 years clinics report.

use std::str::FromStr;

use smp_core::{Client, Scalp, Uv};

use crate::skin::InkState;

/// Slow fading time constant at rate 1, days (the calibration above).
pub const TAU_SLOW_DAYS: f64 = 2000.0;
/// Fast clearance time constant, days.
pub const TAU_FAST_DAYS: f64 = 18.0;
/// Epidermal clearance time constant, days.
pub const TAU_EPIDERMAL_DAYS: f64 = 4.0;
/// Share of fresh pigment in the epidermis.
pub const FRESH_EPIDERMAL_SHARE: f64 = 0.4;
/// Days to the healed state.
pub const HEALED_DAY: f64 = 30.0;
/// Deepening of the ink, mm per year.
pub const SINKING_MM_PER_YEAR: f64 = 0.008;

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    /// The photo as it is.
    Before,
    /// On the day of session `n`, every impression placed so far; session
    /// `n`'s fresh.
    Session(u8),
    /// `n` days after the last session.
    Day(f64),
    /// `y` years after the last session.
    Years(f64),
}

impl Stage {
    /// The healed result (day 30).
    pub const HEALED: Stage = Stage::Day(HEALED_DAY);
}

/// The stage as it is written (`--stage`, the editor's choices): what
/// [`FromStr`] reads back.
impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Stage::Before => f.write_str("before"),
            Stage::HEALED => f.write_str("healed"),
            Stage::Session(n) => write!(f, "session-{n}"),
            Stage::Day(d) => write!(f, "day:{d}"),
            Stage::Years(y) => write!(f, "years:{y}"),
        }
    }
}

/// Why a stage name is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a stage: use before, session-1, session-2, session-3, day:N, healed or years:Y")]
pub struct StageError(pub String);

impl FromStr for Stage {
    type Err = StageError;
    fn from_str(s: &str) -> Result<Self, StageError> {
        let err = || StageError(s.to_string());
        match s {
            "before" => Ok(Stage::Before),
            "healed" => Ok(Stage::HEALED),
            _ => {
                if let Some(n) = s.strip_prefix("session-") {
                    let n: u8 = n.parse().map_err(|_| err())?;
                    return if (1..=4).contains(&n) { Ok(Stage::Session(n)) } else { Err(err()) };
                }
                if let Some(n) = s.strip_prefix("day:") {
                    let d: f64 = n.parse().map_err(|_| err())?;
                    return if d.is_finite() && (0.0..=3650.0).contains(&d) {
                        Ok(Stage::Day(d))
                    } else {
                        Err(err())
                    };
                }
                if let Some(n) = s.strip_prefix("years:") {
                    let y: f64 = n.parse().map_err(|_| err())?;
                    return if y.is_finite() && (0.0..=50.0).contains(&y) {
                        Ok(Stage::Years(y))
                    } else {
                        Err(err())
                    };
                }
                Err(err())
            }
        }
    }
}

/// Lifestyle habits that speed fading, with their rate multipliers.
pub const LIFESTYLE: &[(&str, f64)] =
    &[("swimming", 1.10), ("gym", 1.05), ("sauna", 1.05), ("outdoor_work", 1.25), ("sunbathing", 1.3)];

/// What changes how fast a client's SMP fades.
#[derive(Debug, Clone, PartialEq)]
pub struct Factors {
    /// Sun on the scalp.
    pub uv: Uv,
    /// Scalp condition.
    pub scalp: Scalp,
    /// Habits, from [`LIFESTYLE`].
    pub lifestyle: Vec<String>,
}

impl Default for Factors {
    fn default() -> Self {
        Self { uv: Uv::Moderate, scalp: Scalp::Normal, lifestyle: Vec::new() }
    }
}

impl Factors {
    /// The factors recorded for a client.
    pub fn of_client(client: &Client) -> Self {
        Self { uv: client.uv_exposure, scalp: client.scalp, lifestyle: client.lifestyle.clone() }
    }

    /// Multiplier of UV exposure.
    pub fn uv_rate(&self) -> f64 {
        match self.uv {
            Uv::Low => 0.7,
            Uv::Moderate => 1.0,
            Uv::High => 1.5,
        }
    }

    /// Multiplier of the scalp condition (flaking and sebum both shed
    /// pigment faster).
    pub fn scalp_rate(&self) -> f64 {
        match self.scalp {
            Scalp::Dry => 1.2,
            Scalp::Normal => 1.0,
            Scalp::Oily => 1.15,
        }
    }

    /// Multiplier of one habit (1 for an unknown one).
    pub fn habit_rate(habit: &str) -> f64 {
        LIFESTYLE.iter().find(|(h, _)| *h == habit).map_or(1.0, |(_, r)| *r)
    }

    /// The overall fading rate (1 = moderate UV, normal scalp, no habits).
    pub fn rate(&self) -> f64 {
        self.uv_rate()
            * self.scalp_rate()
            * self.lifestyle.iter().map(|h| Self::habit_rate(h)).product::<f64>()
    }
}

/// The ink and its surroundings some time after placement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InkAt {
    /// The ink, for the optics.
    pub ink: InkState,
    /// Dot size relative to healed.
    pub size: f64,
    /// Extra edge softness from slow spreading (share of the radius).
    pub blur: f64,
    /// Redness of the surrounding skin, 0..1.
    pub redness: f64,
}

fn dermal_amount(t: f64, rate: f64) -> f64 {
    0.33 * (-t / TAU_FAST_DAYS).exp() + 0.67 * (-rate * t / TAU_SLOW_DAYS).exp()
}

/// The state of ink placed with `dilution` at `depth_mm`, `t` days later.
pub fn ink_at(t_days: f64, dilution: f64, depth_mm: f64, factors: &Factors) -> InkAt {
    let t = t_days.max(0.0);
    let rate = factors.rate();
    let years = t / 365.25;
    let amount = dermal_amount(t, rate) / dermal_amount(HEALED_DAY, 1.0);
    let epidermal_share = FRESH_EPIDERMAL_SHARE * (-t / TAU_EPIDERMAL_DAYS).exp();
    // The epidermal ink adds to the dermal: fresh work carries more pigment.
    let total = dilution * amount / (1.0 - epidermal_share);
    InkAt {
        ink: InkState { dilution: total, depth_mm: depth_mm + SINKING_MM_PER_YEAR * years, epidermal_share },
        size: 1.0 + 0.12 * (-t / 3.0).exp(),
        blur: 0.06 * (years * rate).sqrt(),
        redness: (-t / 1.2).exp(),
    }
}

/// Days since placement of the impressions of each session, at a stage:
/// `None` for sessions not yet placed. `gaps` are the days between
/// consecutive sessions.
pub fn session_ages(stage: Stage, sessions: usize, gaps: &[f64]) -> Vec<Option<f64>> {
    let gap = |i: usize| gaps.get(i).copied().unwrap_or(21.0);
    // Days from session i to the last session.
    let to_last = |i: usize| (i..sessions.saturating_sub(1)).map(gap).sum::<f64>();
    (0..sessions)
        .map(|i| match stage {
            Stage::Before => None,
            Stage::Session(n) => {
                let n = n as usize;
                (i < n).then(|| (i..n - 1).map(gap).sum())
            }
            Stage::Day(d) => Some(d + to_last(i)),
            Stage::Years(y) => Some(HEALED_DAY + y * 365.25 + to_last(i)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_parse_and_refuse() {
        assert_eq!("before".parse(), Ok(Stage::Before));
        assert_eq!("session-2".parse(), Ok(Stage::Session(2)));
        assert_eq!("healed".parse(), Ok(Stage::Day(30.0)));
        assert_eq!("day:7".parse(), Ok(Stage::Day(7.0)));
        assert_eq!("years:2.5".parse(), Ok(Stage::Years(2.5)));
        for bad in ["session-0", "session-9", "day:-1", "years:x", "later", "years:NaN"] {
            assert!(bad.parse::<Stage>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fresh_work_is_stronger_larger_and_red_and_settles_by_day_30() {
        let f = Factors::default();
        let fresh = ink_at(0.0, 0.6, 0.35, &f);
        let week = ink_at(7.0, 0.6, 0.35, &f);
        let healed = ink_at(30.0, 0.6, 0.35, &f);
        assert!(fresh.ink.dilution > week.ink.dilution && week.ink.dilution > healed.ink.dilution);
        assert!(fresh.ink.epidermal_share > 0.3 && healed.ink.epidermal_share < 0.001);
        assert!(fresh.size > 1.1 && (healed.size - 1.0).abs() < 0.001);
        assert!(fresh.redness > 0.99 && week.redness < 0.01);
        assert!((healed.ink.dilution - 0.6).abs() < 0.01, "the design describes the healed state");
    }

    #[test]
    fn fading_is_monotonic_in_time_and_in_every_factor() {
        let base = Factors::default();
        let mut last = f64::INFINITY;
        for years in [0.0, 1.0, 2.0, 5.0, 10.0] {
            let d = ink_at(30.0 + years * 365.25, 0.6, 0.35, &base).ink.dilution;
            assert!(d < last);
            last = d;
        }
        let at5 = |f: &Factors| ink_at(30.0 + 5.0 * 365.25, 0.6, 0.35, f).ink.dilution;
        let high_uv = Factors { uv: Uv::High, ..base.clone() };
        let low_uv = Factors { uv: Uv::Low, ..base.clone() };
        assert!(at5(&high_uv) < at5(&base) && at5(&base) < at5(&low_uv));
        let dry = Factors { scalp: Scalp::Dry, ..base.clone() };
        assert!(at5(&dry) < at5(&base));
        let swimmer = Factors { lifestyle: vec!["swimming".into()], ..base.clone() };
        assert!(at5(&swimmer) < at5(&base));
    }

    #[test]
    fn session_stages_show_earlier_sessions_healed() {
        let ages = session_ages(Stage::Session(2), 3, &[12.0, 21.0]);
        assert_eq!(ages, vec![Some(12.0), Some(0.0), None]);
        let ages = session_ages(Stage::Day(5.0), 3, &[12.0, 21.0]);
        assert_eq!(ages, vec![Some(38.0), Some(26.0), Some(5.0)]);
        assert_eq!(session_ages(Stage::Before, 3, &[]), vec![None, None, None]);
    }
}
