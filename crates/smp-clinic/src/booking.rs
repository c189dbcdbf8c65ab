//! Booking a session into a day: whether it fits beside the day's other
//! bookings with the studio's chairs (how many sessions can run at once),
//! and the first start that does. Times are minutes after midnight in the
//! studio's time zone; a booking is the half-open span [start, end), so one
//! session may start the minute another ends.

/// A session's length as booked, in minutes: its estimated hours to the
/// nearest 5 minutes, 5 at least (what the calendar shows and what the
/// checks use agree).
pub fn booked_minutes(hours: f64) -> u32 {
    ((hours * 60.0 / 5.0).round().max(1.0) as u32).saturating_mul(5)
}

/// One booking of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Minutes after midnight it starts.
    pub start: u32,
    /// Minutes after midnight it ends (after `start`).
    pub end: u32,
}

impl Span {
    /// The span starting at `start`, `minutes` long.
    pub fn new(start: u32, minutes: u32) -> Self {
        Span { start, end: start + minutes }
    }

    fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Where `candidate` cannot go beside `others` with `chairs` chairs: the
/// index in `others` of a booking it overlaps at a moment when every chair
/// is taken; `None` when it fits. (With one chair, any overlap.)
pub fn clash(others: &[Span], candidate: Span, chairs: u32) -> Option<usize> {
    let overlapping: Vec<usize> = (0..others.len()).filter(|&i| others[i].overlaps(&candidate)).collect();
    // How many chairs are taken only changes where a booking starts: the
    // busiest moment of the candidate is its own start or one of those.
    let moments = std::iter::once(candidate.start)
        .chain(overlapping.iter().map(|&i| others[i].start).filter(|&s| s > candidate.start));
    for moment in moments {
        let taken: Vec<usize> = overlapping
            .iter()
            .copied()
            .filter(|&i| others[i].start <= moment && moment < others[i].end)
            .collect();
        if taken.len() >= chairs.max(1) as usize {
            return taken.first().copied();
        }
    }
    None
}

/// The first start, from `opens` in steps of `step` minutes, at which a
/// session `minutes` long fits beside `others` and ends by `closes`;
/// `None` when the day has no room for it.
pub fn first_free_start(
    others: &[Span],
    opens: u32,
    closes: u32,
    minutes: u32,
    chairs: u32,
    step: u32,
) -> Option<u32> {
    (opens..)
        .step_by(step.max(1) as usize)
        .take_while(|start| start + minutes <= closes)
        .find(|&start| clash(others, Span::new(start, minutes), chairs).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NINE: u32 = 9 * 60;
    const SIX_PM: u32 = 18 * 60;

    #[test]
    fn one_chair_refuses_any_overlap_but_not_back_to_back() {
        let others = [Span::new(NINE, 120)];
        assert_eq!(clash(&others, Span::new(NINE + 60, 60), 1), Some(0));
        assert_eq!(clash(&others, Span::new(NINE - 30, 31), 1), Some(0));
        assert_eq!(clash(&others, Span::new(NINE + 120, 60), 1), None);
        assert_eq!(clash(&others, Span::new(NINE - 60, 60), 1), None);
    }

    #[test]
    fn two_chairs_take_two_at_once_not_three() {
        let others = [Span::new(NINE, 180), Span::new(NINE + 120, 120)];
        // Beside the first only: a chair is free.
        assert_eq!(clash(&others, Span::new(NINE, 60), 2), None);
        // Runs into the moment both are busy.
        assert_eq!(clash(&others, Span::new(NINE + 60, 90), 2), Some(0));
        // Two bookings that never meet leave a chair free all along.
        let apart = [Span::new(NINE, 60), Span::new(NINE + 120, 60)];
        assert_eq!(clash(&apart, Span::new(NINE, 240), 2), None);
    }

    #[test]
    fn the_first_free_start_follows_the_day() {
        let others = [Span::new(NINE, 190)];
        assert_eq!(first_free_start(&others, NINE, SIX_PM, 190, 1, 15), Some(NINE + 195));
        assert_eq!(first_free_start(&others, NINE, SIX_PM, 190, 2, 15), Some(NINE));
        // No room left before closing.
        let full = [Span::new(NINE, 400)];
        assert_eq!(first_free_start(&full, NINE, SIX_PM, 190, 1, 15), None);
        assert_eq!(first_free_start(&[], NINE, NINE + 60, 90, 1, 15), None);
    }

    #[test]
    fn booked_minutes_round_to_five() {
        assert_eq!(booked_minutes(3.17), 190);
        assert_eq!(booked_minutes(0.0), 5);
        assert_eq!(booked_minutes(0.75), 45);
    }
}
