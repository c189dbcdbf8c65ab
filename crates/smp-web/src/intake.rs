//! The health questions (the vocabulary of `smp screen`) and their screening.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use smp_store::{AuditAction, Session};

use crate::{AppState, Error, Result, Staff};

/// The date an answer needs, by code (the intake file's key).
fn date_key(code: &str) -> Option<&'static str> {
    match code {
        "chemotherapy" => Some("ended"),
        "laser_treatment_scalp" | "scalp_peel" => Some("date"),
        "isotretinoin" => Some("last_dose"),
        _ => None,
    }
}

/// One checkbox of the intake form.
pub(crate) struct Question {
    pub(crate) field: String,
    pub(crate) label: String,
    pub(crate) checked: bool,
    pub(crate) date_field: Option<String>,
    pub(crate) date_label: &'static str,
    pub(crate) date: String,
    /// What is wrong with this answer, shown beside it.
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    consultation_date: String,
    birth_date: String,
    pregnant: bool,
    breastfeeding: bool,
    sections: Vec<(&'static str, Vec<Question>)>,
    error: Option<String>,
    /// The field the error belongs to, when it is one field's.
    error_field: Option<String>,
    /// The day of the screening whose answers fill the form, if any.
    from_screening: Option<String>,
}

/// What is wrong with a submitted intake: the field (when it is one) and
/// the message for it.
pub(crate) struct Problem {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn at(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: Some(field.into()), message: message.into() }
    }
}

fn questions(
    prefix: &str,
    codes: &[&str],
    answers: &[(String, String)],
    problem: Option<&Problem>,
) -> Vec<Question> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    codes
        .iter()
        .map(|code| {
            let field = format!("{prefix}_{code}");
            let date_field = date_key(code).map(|k| format!("{field}_{k}"));
            Question {
                label: smp_clinic::intake::label(code).to_string(),
                checked: value(&field).is_some(),
                date: date_field.as_deref().and_then(value).unwrap_or_default(),
                date_label: match date_key(code) {
                    Some("ended") => "ended on",
                    Some("last_dose") => "last dose on",
                    Some(_) => "on",
                    None => "",
                },
                error: problem
                    .filter(|p| {
                        p.field.is_some()
                            && (p.field == date_field || p.field.as_deref() == Some(field.as_str()))
                    })
                    .map(|p| p.message.clone()),
                date_field,
                field,
            }
        })
        .collect()
}

fn intake_form<'a>(
    who: &'a Session,
    client: smp_store::Client,
    answers: &[(String, String)],
    problem: Option<Problem>,
    from_screening: Option<String>,
) -> IntakePage<'a> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let p = problem.as_ref();
    IntakePage {
        who,
        consultation_date: value("consultation_date").unwrap_or_else(|| crate::clock::today().to_string()),
        birth_date: value("birth_date").or_else(|| client.birth_date.clone()).unwrap_or_default(),
        client,
        pregnant: value("pregnant").is_some(),
        breastfeeding: value("breastfeeding").is_some(),
        sections: sections(answers, p),
        error_field: problem.as_ref().and_then(|p| p.field.clone()),
        error: problem.map(|p| p.message),
        from_screening,
    }
}

/// The questions, by section, with `answers` ticked and the problem
/// beside its answer.
pub(crate) fn sections(
    answers: &[(String, String)],
    p: Option<&Problem>,
) -> Vec<(&'static str, Vec<Question>)> {
    vec![
        ("Allergies", questions("allergy", smp_clinic::intake::ALLERGIES, answers, p)),
        ("Conditions", questions("condition", smp_clinic::intake::CONDITIONS, answers, p)),
        ("Medications", questions("medication", smp_clinic::intake::MEDICATIONS, answers, p)),
    ]
}

/// The form's answers for a stored intake: what the client said last time,
/// to confirm or correct (the consultation date is today's).
fn answers_of(intake: &smp_clinic::Intake) -> Vec<(String, String)> {
    let on = |key: String| (key, "on".to_string());
    let mut out = vec![("birth_date".to_string(), intake.birth_date.to_string())];
    if intake.pregnant {
        out.push(on("pregnant".into()));
    }
    if intake.breastfeeding {
        out.push(on("breastfeeding".into()));
    }
    out.extend(intake.allergies.iter().map(|c| on(format!("allergy_{c}"))));
    for (prefix, list) in [("condition", &intake.conditions), ("medication", &intake.medications)] {
        for answer in list {
            out.push(on(format!("{prefix}_{}", answer.code)));
            out.extend(
                answer.dates.iter().map(|(k, d)| (format!("{prefix}_{}_{k}", answer.code), d.to_string())),
            );
        }
    }
    out
}

/// The answers as the intake file `smp screen` reads. Only known codes are
/// written, and dates only once they parse, so nothing typed can change the
/// document's shape.
fn intake_toml(answers: &[(String, String)]) -> Result<String, Problem> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string());
    let date = |key: &str, label: &str| -> Result<Option<String>, Problem> {
        match value(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<chrono::NaiveDate>()
                .map(|d| Some(d.to_string()))
                .map_err(|_| Problem::at(key, format!("{label}: {v:?} is not a date (YYYY-MM-DD)"))),
        }
    };
    let mut out = String::new();
    let consultation = date("consultation_date", "Consultation date")?
        .ok_or_else(|| Problem::at("consultation_date", "The consultation date is missing."))?;
    let birth = date("birth_date", "Birth date")?
        .ok_or_else(|| Problem::at("birth_date", "The birth date is missing."))?;
    out.push_str(&format!("consultation_date = {consultation}\nbirth_date = {birth}\n"));
    out.push_str(&format!(
        "pregnant = {}\nbreastfeeding = {}\n",
        value("pregnant").is_some(),
        value("breastfeeding").is_some()
    ));
    let allergies: Vec<String> = smp_clinic::intake::ALLERGIES
        .iter()
        .filter(|c| value(&format!("allergy_{c}")).is_some())
        .map(|c| format!("\"{c}\""))
        .collect();
    out.push_str(&format!("allergies = [{}]\n", allergies.join(", ")));
    for (prefix, table, codes) in [
        ("condition", "conditions", smp_clinic::intake::CONDITIONS),
        ("medication", "medications", smp_clinic::intake::MEDICATIONS),
    ] {
        for code in codes.iter().filter(|c| value(&format!("{prefix}_{c}")).is_some()) {
            out.push_str(&format!("[[{table}]]\ncode = \"{code}\"\n"));
            if let Some(key) = date_key(code) {
                let field = format!("{prefix}_{code}_{key}");
                let label = smp_clinic::intake::label(code);
                // The wait before treatment counts from this date: asked
                // for here, rather than screened as "needs a doctor".
                let d = date(&field, label)?.ok_or_else(|| {
                    let when = match key {
                        "ended" => "When did it end?",
                        "last_dose" => "When was the last dose?",
                        _ => "When was it?",
                    };
                    Problem::at(
                        &field,
                        format!("{label}: {when} The wait before treatment counts from that day."),
                    )
                })?;
                out.push_str(&format!("{key} = {d}\n"));
            }
        }
    }
    Ok(out)
}

/// Answers screened by the studio's rules, ready to store.
pub(crate) struct Screened {
    pub(crate) intake_toml: String,
    pub(crate) rules_version: String,
    pub(crate) outcome: String,
    pub(crate) result_json: String,
}

/// The answers as an intake, screened; what is wrong with them, beside its
/// answer, when they are not a complete intake.
pub(crate) fn screen_answers(answers: &[(String, String)]) -> Result<Result<Screened, Problem>> {
    let parsed = intake_toml(answers).and_then(|text| {
        smp_clinic::intake::parse(&text)
            .map(|intake| (text, intake))
            .map_err(|e| Problem { field: None, message: e.message })
    });
    let (intake_toml, intake) = match parsed {
        Ok(parsed) => parsed,
        Err(problem) => return Ok(Err(problem)),
    };
    let rules = smp_clinic::RuleSet::default_rules();
    let result = smp_clinic::screen(&intake, &rules);
    let result_json =
        serde_json::to_string(&result).map_err(|e| Error::internal(&e, "The result could not be stored."))?;
    Ok(Ok(Screened {
        intake_toml,
        rules_version: rules.version,
        outcome: result.outcome.as_str().into(),
        result_json,
    }))
}

pub(crate) async fn intake_page(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Result<Response> {
    who.require_clinical("Health questions")?;
    let client = who.client(&state, &id).await?;
    // The last answers, to confirm or correct; a blank form the first time.
    let latest = who.studio(&state).screenings(&id).await?.into_iter().next();
    let (answers, from) = match latest
        .and_then(|s| smp_clinic::intake::parse(&s.intake_toml).ok().map(|intake| (intake, s.created_at)))
    {
        Some((intake, at)) => (answers_of(&intake), Some(crate::day_of(at))),
        None => (Vec::new(), None),
    };
    who.studio(&state).audit(who.user(), AuditAction::ViewHealth, &id).await?;
    Ok(Html(intake_form(&who.session, client, &answers, None, from).render()?).into_response())
}

pub(crate) async fn submit_intake(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(answers): Form<Vec<(String, String)>>,
) -> Result<Response> {
    who.check_csrf(answers.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str()))?;
    who.require_clinical("Health questions")?;
    let client = who.client(&state, &id).await?;
    let screened = match screen_answers(&answers)? {
        Ok(screened) => screened,
        Err(problem) => {
            let page = intake_form(&who.session, client, &answers, Some(problem), None);
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    let Screened { intake_toml, rules_version, outcome, result_json } = screened;
    who.studio(&state)
        .record_screening(&id, who.user(), &intake_toml, &rules_version, &outcome, &result_json)
        .await?;
    Ok(Redirect::to(&format!("/clients/{id}")).into_response())
}
