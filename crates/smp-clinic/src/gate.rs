//! The screening guards what follows: the one check of whether a session may
//! be planned, moved or recorded for a client, given their latest screening
//! and consent. The web app and the CLI both ask here, so the rules cannot
//! differ between paths.
//!
//! A refusal says why in words. A practitioner may go ahead anyway with a
//! typed reason (the physician's clearance received, say): that is the
//! caller's to record and audit; this module only decides.

use chrono::NaiveDate;

use crate::screening::Outcome;

/// How many days a screening is good for, unless the studio says otherwise:
/// health answers older than this are asked again before a session.
pub const DEFAULT_SCREENING_VALID_DAYS: i64 = 90;

/// What the chart knows of a client's clinical standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The latest screening, if any.
    pub screening: Option<LatestScreening>,
    /// Whether a signed consent under the studio's current text is on file.
    pub consent_in_force: bool,
}

/// The facts of the latest screening that decide what may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestScreening {
    /// Its overall outcome.
    pub outcome: Outcome,
    /// For a postponement: the first day the client may be treated.
    pub earliest_date: Option<NaiveDate>,
    /// The day it was recorded.
    pub screened_on: NaiveDate,
}

/// What is being done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Planning sessions, or moving planned ones: each date is checked
    /// against the screening.
    Plan,
    /// Recording a session done on a date: the screening must also be recent
    /// enough, the health answers confirmed unchanged, and a consent in force.
    Record {
        /// The practitioner confirmed the health answers are unchanged
        /// since the screening.
        health_confirmed: bool,
    },
}

/// Why a step is refused: one sentence for the practitioner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// Whether `step` may go ahead on `dates` (the sessions' days) for a client
/// of this `standing`, on `today`, with screenings good for `valid_days`.
pub fn check(
    standing: &Standing,
    step: Step,
    dates: &[NaiveDate],
    today: NaiveDate,
    valid_days: i64,
) -> Result<(), Refusal> {
    let Some(screening) = standing.screening else {
        return Err(Refusal("There is no health screening on record: screen the client first.".into()));
    };
    match screening.outcome {
        Outcome::Decline => {
            return Err(Refusal(
                "The latest screening advises against treatment: sessions cannot be planned or recorded."
                    .into(),
            ));
        }
        Outcome::Clearance => {
            return Err(Refusal(
                "The latest screening asks for a physician's clearance first: record the clearance, \
                 or screen again."
                    .into(),
            ));
        }
        Outcome::Postpone | Outcome::Proceed | Outcome::Caution => {}
    }
    if let Some(earliest) = screening.earliest_date
        && let Some(too_early) = dates.iter().find(|d| **d < earliest)
    {
        return Err(Refusal(format!(
            "The screening postpones treatment until {}: a session on {} is too early.",
            long_date(earliest),
            long_date(*too_early)
        )));
    }
    if let Step::Record { health_confirmed } = step {
        let age = (today - screening.screened_on).num_days();
        if age > valid_days {
            return Err(Refusal(format!(
                "The screening of {} is {age} days old (more than {valid_days}): ask the health \
                 questions again first.",
                long_date(screening.screened_on)
            )));
        }
        if !health_confirmed {
            return Err(Refusal(format!(
                "Confirm with the client that nothing has changed in their health since {}, or \
                 record a new screening.",
                long_date(screening.screened_on)
            )));
        }
        if !standing.consent_in_force {
            return Err(Refusal(
                "There is no signed consent to the studio's current text: have the client sign first.".into(),
            ));
        }
    }
    Ok(())
}

/// A date as a person reads it: "15 April 2027".
pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn standing(outcome: Outcome, earliest: Option<&str>, consent: bool) -> Standing {
        Standing {
            screening: Some(LatestScreening {
                outcome,
                earliest_date: earliest.map(day),
                screened_on: day("2026-12-01"),
            }),
            consent_in_force: consent,
        }
    }

    const RECORD: Step = Step::Record { health_confirmed: true };

    #[test]
    fn each_outcome_allows_or_refuses_what_it_should() {
        let today = day("2026-12-01");
        let dates = [day("2026-12-02")];
        let ok = |s: &Standing, step| check(s, step, &dates, today, 90).is_ok();
        for outcome in [Outcome::Proceed, Outcome::Caution] {
            assert!(ok(&standing(outcome, None, true), Step::Plan));
            assert!(ok(&standing(outcome, None, true), RECORD));
        }
        for outcome in [Outcome::Clearance, Outcome::Decline] {
            assert!(!ok(&standing(outcome, None, true), Step::Plan), "{outcome:?}");
            assert!(!ok(&standing(outcome, None, true), RECORD), "{outcome:?}");
        }
        let none = Standing { screening: None, consent_in_force: true };
        assert!(!ok(&none, Step::Plan) && !ok(&none, RECORD));
    }

    #[test]
    fn a_postponement_refuses_every_date_before_it_and_names_both() {
        let postponed = standing(Outcome::Postpone, Some("2027-04-15"), true);
        let today = day("2026-12-01");
        let early = [day("2027-05-01"), day("2027-04-14")];
        let refusal = check(&postponed, Step::Plan, &early, today, 90).unwrap_err();
        assert!(refusal.0.contains("15 April 2027") && refusal.0.contains("14 April 2027"), "{refusal}");
        assert!(check(&postponed, Step::Plan, &[day("2027-04-15")], today, 90).is_ok());
        // A caution with a date (a wait that also asks for care) guards the same way.
        let waiting = standing(Outcome::Caution, Some("2027-01-10"), true);
        assert!(check(&waiting, Step::Plan, &[day("2027-01-09")], today, 90).is_err());
    }

    #[test]
    fn recording_needs_a_recent_confirmed_screening_and_a_consent() {
        let today = day("2026-12-01");
        let dates = [today];
        let no_consent = standing(Outcome::Proceed, None, false);
        assert!(check(&no_consent, Step::Plan, &dates, today, 90).is_ok(), "planning needs no consent yet");
        assert!(check(&no_consent, RECORD, &dates, today, 90).unwrap_err().0.contains("consent"));
        let good = standing(Outcome::Proceed, None, true);
        let unconfirmed = Step::Record { health_confirmed: false };
        assert!(check(&good, unconfirmed, &dates, today, 90).unwrap_err().0.contains("nothing has changed"));
        let later = day("2027-03-02");
        assert!(check(&good, RECORD, &[later], later, 90).is_err(), "91 days old");
        assert!(check(&good, RECORD, &[later], later, 91).is_ok(), "the studio's own setting");
    }
}
