//! The intake: the client's answers to the health questions.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use smp_core::{Locator, SourceError, Step};
use toml::Spanned;

use crate::dates;

/// Conditions the intake asks about.
pub const CONDITIONS: &[&str] = &[
    "psoriasis_scalp_active",
    "eczema_scalp_active",
    "dermatitis_scalp_active",
    "folliculitis_active",
    "sunburn_scalp",
    "open_wound_scalp",
    "scalp_infection",
    "skin_cancer_scalp",
    "hemophilia",
    "platelet_disorder",
    "keloid_tendency",
    "diabetes",
    "heart_disease",
    "hypertension",
    "heart_valve_disease",
    "epilepsy",
    "autoimmune_disease",
    "hiv",
    "hepatitis",
    "alopecia_areata_active",
    "chemotherapy",
    "laser_treatment_scalp",
    "scalp_peel",
];

/// Medications the intake asks about.
pub const MEDICATIONS: &[&str] = &[
    "anticoagulant",
    "antiplatelet",
    "aspirin",
    "nsaid",
    "isotretinoin",
    "systemic_steroid",
    "antibiotic",
    "minoxidil",
    "finasteride",
];

/// Allergies the intake asks about.
pub const ALLERGIES: &[&str] = &["lidocaine", "epinephrine", "latex", "nickel", "pigment", "bacitracin"];

/// The question a code answers, in plain words for the form.
pub fn label(code: &str) -> &'static str {
    match code {
        "psoriasis_scalp_active" => "Psoriasis on the scalp, active now",
        "eczema_scalp_active" => "Eczema on the scalp, active now",
        "dermatitis_scalp_active" => "Dermatitis on the scalp, active now",
        "folliculitis_active" => "Folliculitis (inflamed hair follicles), active now",
        "sunburn_scalp" => "Sunburn on the scalp",
        "open_wound_scalp" => "An open wound on the scalp",
        "scalp_infection" => "An infection of the scalp",
        "skin_cancer_scalp" => "Skin cancer on the scalp",
        "hemophilia" => "Haemophilia",
        "platelet_disorder" => "A platelet or clotting disorder",
        "keloid_tendency" => "Tends to form keloid (raised) scars",
        "diabetes" => "Diabetes",
        "heart_disease" => "Heart disease",
        "hypertension" => "High blood pressure",
        "heart_valve_disease" => "Heart valve disease",
        "epilepsy" => "Epilepsy",
        "autoimmune_disease" => "An autoimmune disease",
        "hiv" => "HIV",
        "hepatitis" => "Hepatitis",
        "alopecia_areata_active" => "Alopecia areata (patchy hair loss), active now",
        "chemotherapy" => "Chemotherapy",
        "laser_treatment_scalp" => "Laser treatment on the scalp",
        "scalp_peel" => "A chemical peel on the scalp",
        "anticoagulant" => "An anticoagulant (warfarin, apixaban, rivaroxaban...)",
        "antiplatelet" => "An antiplatelet medicine (clopidogrel...)",
        "aspirin" => "Aspirin",
        "nsaid" => "Ibuprofen, naproxen or another anti-inflammatory painkiller",
        "isotretinoin" => "Isotretinoin (Roaccutane)",
        "systemic_steroid" => "Steroid tablets or injections",
        "antibiotic" => "Antibiotics, now",
        "minoxidil" => "Minoxidil",
        "finasteride" => "Finasteride",
        "lidocaine" => "Lidocaine or other numbing creams",
        "epinephrine" => "Epinephrine (adrenaline)",
        "latex" => "Latex",
        "nickel" => "Nickel",
        "pigment" => "Tattoo or make-up pigments",
        "bacitracin" => "Bacitracin or antibiotic ointments",
        _ => "",
    }
}

/// Yes/no answers a rule can test.
pub const FLAGS: &[&str] = &["pregnant", "breastfeeding"];

/// Names of the dates an answer may carry.
pub const DATE_FIELDS: &[&str] = &["ended", "date", "last_dose"];

/// One answered condition or medication, with the dates given for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its code, from [`CONDITIONS`] or [`MEDICATIONS`].
    pub code: String,
    /// Dates by name (`ended`, `date`, `last_dose`).
    pub dates: BTreeMap<&'static str, NaiveDate>,
}

/// A validated intake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// Day of the consultation: ages and waits are counted from it.
    pub consultation_date: NaiveDate,
    /// The client's birth date.
    pub birth_date: NaiveDate,
    /// Pregnant on the consultation day (the answer to `pregnant`).
    pub pregnant: bool,
    /// Breastfeeding on the consultation day.
    pub breastfeeding: bool,
    /// Allergy codes from the intake's vocabulary (`latex`, `pigment`...).
    pub allergies: Vec<String>,
    /// Conditions from the vocabulary, each with its dates where the rules
    /// need them (ended, diagnosed).
    pub conditions: Vec<Answer>,
    /// Medications from the vocabulary, each with its dates where the rules
    /// need them (last dose).
    pub medications: Vec<Answer>,
}

impl Intake {
    /// Age in whole years on the consultation date.
    pub fn age(&self) -> i32 {
        dates::age_on(self.birth_date, self.consultation_date)
    }

    /// The value of a yes/no answer by name.
    pub fn flag(&self, name: &str) -> bool {
        match name {
            "pregnant" => self.pregnant,
            "breastfeeding" => self.breastfeeding,
            _ => false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntake {
    consultation_date: toml::value::Datetime,
    birth_date: toml::value::Datetime,
    pregnant: bool,
    breastfeeding: bool,
    #[serde(default)]
    allergies: Vec<Spanned<String>>,
    #[serde(default)]
    conditions: Vec<RawAnswer>,
    #[serde(default)]
    medications: Vec<RawAnswer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    code: String,
    ended: Option<toml::value::Datetime>,
    date: Option<toml::value::Datetime>,
    last_dose: Option<toml::value::Datetime>,
    /// Free text for the practitioner (which drug, which dose).
    #[allow(dead_code)]
    note: Option<String>,
}

fn check_code(
    loc: &Locator<'_>,
    path: &[Step],
    code: &str,
    valid: &[&str],
    what: &str,
) -> Result<(), SourceError> {
    if valid.contains(&code) {
        Ok(())
    } else {
        Err(loc.error(path, format!("unknown {what} {code:?}; the valid codes are: {}", valid.join(", "))))
    }
}

fn date(loc: &Locator<'_>, path: &[Step], value: &toml::value::Datetime) -> Result<NaiveDate, SourceError> {
    dates::from_toml(value)
        .ok_or_else(|| loc.error(path, format!("{value} is not a plain date: write it as 2026-12-01")))
}

fn answers(
    loc: &Locator<'_>,
    list: &'static str,
    raw: Vec<RawAnswer>,
    valid: &[&str],
    what: &str,
    consultation: NaiveDate,
) -> Result<Vec<Answer>, SourceError> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, a) in raw.into_iter().enumerate() {
        check_code(loc, &[Step::Key(list), Step::Index(i), Step::Key("code")], &a.code, valid, what)?;
        let mut dates = BTreeMap::new();
        for (name, value) in [("ended", &a.ended), ("date", &a.date), ("last_dose", &a.last_dose)] {
            if let Some(v) = value {
                let path = [Step::Key(list), Step::Index(i), Step::Key(name)];
                let d = date(loc, &path, v)?;
                if d > consultation {
                    return Err(
                        loc.error(&path, format!("{d} is after the consultation date {consultation}"))
                    );
                }
                dates.insert(name, d);
            }
        }
        out.push(Answer { code: a.code, dates });
    }
    Ok(out)
}

/// Parses and validates an intake file's text. Every unknown code is an
/// error naming the valid ones: an answer silently ignored is the worst
/// failure screening can have.
pub fn parse(text: &str) -> Result<Intake, SourceError> {
    let loc = Locator::new(text);
    let raw: RawIntake = loc.deserialize()?;
    let consultation_date = date(&loc, &[Step::Key("consultation_date")], &raw.consultation_date)?;
    let birth_date = date(&loc, &[Step::Key("birth_date")], &raw.birth_date)?;
    if birth_date >= consultation_date {
        return Err(loc
            .error(&[Step::Key("birth_date")], format!("{birth_date} is not before the consultation date")));
    }
    let mut allergies = Vec::with_capacity(raw.allergies.len());
    for (i, a) in raw.allergies.into_iter().enumerate() {
        check_code(&loc, &[Step::Key("allergies"), Step::Index(i)], a.get_ref(), ALLERGIES, "allergy")?;
        allergies.push(a.into_inner());
    }
    Ok(Intake {
        consultation_date,
        birth_date,
        pregnant: raw.pregnant,
        breastfeeding: raw.breastfeeding,
        allergies,
        conditions: answers(&loc, "conditions", raw.conditions, CONDITIONS, "condition", consultation_date)?,
        medications: answers(
            &loc,
            "medications",
            raw.medications,
            MEDICATIONS,
            "medication",
            consultation_date,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_plain_question() {
        for code in CONDITIONS.iter().chain(MEDICATIONS).chain(ALLERGIES) {
            assert!(!label(code).is_empty(), "{code}");
        }
    }
}
