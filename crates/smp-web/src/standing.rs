//! The client's clinical standing (latest screening and consent) as the
//! chart shows it to every role, and the gate every path that plans, moves
//! or records a session goes through (`smp_clinic::gate` decides; a refusal
//! may be overridden by a practitioner's typed reason, recorded and audited).

use chrono::NaiveDate;
use smp_clinic::Outcome;
use smp_clinic::gate::{self, LatestScreening, Standing, Step};
use smp_store::StudioStore;

use crate::Result;

/// The client's standing from what is stored.
pub(crate) async fn standing(studio: &StudioStore<'_>, client_id: &str) -> Result<Standing> {
    let screenings = studio.screenings(client_id).await?;
    let consents = studio.consents(client_id).await?;
    let current = studio.consent_text().await?.map(|t| t.version);
    Ok(standing_of(&screenings, &consents, current))
}

/// The standing from a client's screenings and consents (newest first, as
/// the store gives them) and the version of the consent text in force.
pub(crate) fn standing_of(
    screenings: &[smp_store::Screening],
    consents: &[smp_store::Consent],
    current_text: Option<i64>,
) -> Standing {
    let screening = screenings.first().map(|s| {
        let result: serde_json::Value = serde_json::from_str(&s.result_json).unwrap_or_default();
        LatestScreening {
            outcome: outcome_of(&s.outcome),
            earliest_date: result["earliest_date"].as_str().and_then(|d| d.parse().ok()),
            screened_on: crate::clock::day(s.created_at),
        }
    });
    let consent_in_force =
        consents.iter().any(|c| c.superseded_by.is_none() && Some(c.text_version) == current_text);
    Standing { screening, consent_in_force }
}

/// A stored outcome's name as an outcome; one this build cannot read counts
/// as the safe side (clearance needed).
pub(crate) fn outcome_of(name: &str) -> Outcome {
    serde_json::from_value(serde_json::Value::String(name.to_string())).unwrap_or(Outcome::Clearance)
}

/// The badge class (colour) of an outcome; the badge always says its name
/// too.
pub(crate) fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Proceed => "badge-ok",
        Outcome::Caution => "badge-caution",
        Outcome::Postpone => "badge-wait",
        Outcome::Clearance | Outcome::Decline => "badge-stop",
    }
}

/// The standing as a badge: (CSS class, words). Words, not colour alone.
pub(crate) struct StatusBadge {
    pub(crate) class: &'static str,
    pub(crate) text: String,
}

impl StatusBadge {
    pub(crate) fn of(standing: &Standing) -> Self {
        let Some(s) = standing.screening else {
            return Self { class: "badge-none", text: "Not screened".into() };
        };
        let text = match s.outcome {
            Outcome::Proceed => "Proceed".to_string(),
            Outcome::Caution => "Proceed with caution".to_string(),
            Outcome::Postpone => match s.earliest_date {
                Some(d) => format!("Postponed until {}", gate::long_date(d)),
                None => "Postponed".to_string(),
            },
            Outcome::Clearance => "Physician's clearance needed".to_string(),
            Outcome::Decline => "Declined".to_string(),
        };
        let class = outcome_class(s.outcome);
        Self { class, text }
    }
}

/// Asks the gate whether `step` may go ahead on `dates`. Refused with no
/// override reason: `Ok(Some(refusal))`, for the form to show. Refused with
/// a reason: the override is recorded (and audited) and `Ok(None)`.
pub(crate) async fn guard(
    studio: &StudioStore<'_>,
    staff: &smp_store::User,
    client_id: &str,
    step: Step,
    dates: &[NaiveDate],
    override_reason: Option<&str>,
) -> Result<Option<String>> {
    let standing = standing(studio, client_id).await?;
    let today = crate::clock::today();
    let Err(refusal) = gate::check(&standing, step, dates, today, gate::DEFAULT_SCREENING_VALID_DAYS) else {
        return Ok(None);
    };
    match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(Some(refusal.0)),
        Some(reason) => {
            studio.record_override(client_id, staff, &refusal.0, reason).await?;
            Ok(None)
        }
    }
}
