//! The studio's own pace, learnt from the sessions it has recorded: each
//! recorded session's duration, less the protocol's set-up allowance, set
//! against the impressions its plan gave it. Practitioners work at very
//! different speeds (and a studio's rate changes with experience), so once a
//! few sessions are on record their median replaces the protocol's default
//! in the times a new plan gives.

/// Recorded sessions needed before the studio's own pace is used.
pub const MIN_SESSIONS: usize = 3;

/// Rates outside this range (impressions an hour) are typing slips, not a
/// pace: a session recorded as 5 minutes, or as 12 hours.
const PLAUSIBLE_RATE: std::ops::RangeInclusive<f64> = 200.0..=20_000.0;

/// A pace learnt from recorded sessions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Impressions placed per hour of work (the median of the sessions).
    pub impressions_per_hour: f64,
    /// How many recorded sessions it comes from.
    pub sessions: usize,
}

/// The pace of `samples`, each (impressions planned for the session,
/// minutes it took as recorded), with `setup_minutes` of each session not
/// spent placing impressions; `None` with fewer than [`MIN_SESSIONS`]
/// usable samples.
pub fn learnt_pace(samples: &[(u64, u32)], setup_minutes: u32) -> Option<Pace> {
    let mut rates: Vec<f64> = samples
        .iter()
        .filter(|(impressions, _)| *impressions > 0)
        .filter_map(|&(impressions, minutes)| {
            let working = minutes.checked_sub(setup_minutes).filter(|m| *m >= 10)?;
            Some(impressions as f64 / (f64::from(working) / 60.0))
        })
        .filter(|rate| PLAUSIBLE_RATE.contains(rate))
        .collect();
    if rates.len() < MIN_SESSIONS {
        return None;
    }
    rates.sort_by(f64::total_cmp);
    let middle = rates.len() / 2;
    let median = if rates.len() % 2 == 1 { rates[middle] } else { (rates[middle - 1] + rates[middle]) / 2.0 };
    Some(Pace { impressions_per_hour: median, sessions: rates.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_plausible_sessions_once_there_are_enough() {
        // 3000 impressions in 45 + 60 minutes: 3000 an hour; and so on.
        let samples = [(3000, 105), (2000, 105), (4000, 105)];
        let pace = learnt_pace(&samples, 45).unwrap();
        assert_eq!(pace, Pace { impressions_per_hour: 3000.0, sessions: 3 });
        assert_eq!(learnt_pace(&samples[..2], 45), None, "two are not enough");
        // A slip (5 minutes), a session shorter than its set-up, and no
        // impressions are left out, and then there are too few.
        let slips = [(3000, 105), (2000, 105), (4000, 5), (3000, 30), (0, 200)];
        assert_eq!(learnt_pace(&slips, 45), None);
        let even = [(3000, 105), (2000, 105), (4000, 105), (1000, 105)];
        assert_eq!(learnt_pace(&even, 45).unwrap().impressions_per_hour, 2500.0);
    }
}
