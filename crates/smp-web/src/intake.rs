//! The health questions (the vocabulary of `smp screen`) and their screening.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use smp_store::Session;

use crate::{AppState, PageError, Staff, page};

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
struct Question {
    field: String,
    label: String,
    checked: bool,
    date_field: Option<String>,
    date_label: &'static str,
    date: String,
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
}

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.date_naive().to_string()).unwrap_or_default()
}

fn questions(prefix: &str, codes: &[&str], answers: &[(String, String)]) -> Vec<Question> {
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
    error: Option<String>,
) -> IntakePage<'a> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    IntakePage {
        who,
        consultation_date: value("consultation_date").unwrap_or_else(today),
        birth_date: value("birth_date").or_else(|| client.birth_date.clone()).unwrap_or_default(),
        client,
        pregnant: value("pregnant").is_some(),
        breastfeeding: value("breastfeeding").is_some(),
        sections: vec![
            ("Allergies", questions("allergy", smp_clinic::intake::ALLERGIES, answers)),
            ("Conditions", questions("condition", smp_clinic::intake::CONDITIONS, answers)),
            ("Medications", questions("medication", smp_clinic::intake::MEDICATIONS, answers)),
        ],
        error,
    }
}

/// The answers as the intake file `smp screen` reads. Only known codes are
/// written, and dates only once they parse, so nothing typed can change the
/// document's shape.
fn intake_toml(answers: &[(String, String)]) -> Result<String, String> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string());
    let date = |key: &str, label: &str| -> Result<Option<String>, String> {
        match value(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<chrono::NaiveDate>()
                .map(|d| Some(d.to_string()))
                .map_err(|_| format!("{label}: {v:?} is not a date (YYYY-MM-DD)")),
        }
    };
    let mut out = String::new();
    let consultation =
        date("consultation_date", "Consultation date")?.ok_or("The consultation date is missing.")?;
    let birth = date("birth_date", "Birth date")?.ok_or("The birth date is missing.")?;
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
            if let Some(key) = date_key(code)
                && let Some(d) = date(&format!("{prefix}_{code}_{key}"), &code.replace('_', " "))?
            {
                out.push_str(&format!("{key} = {d}\n"));
            }
        }
    }
    Ok(out)
}

pub(crate) async fn intake_page(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Response {
    page(async {
        who.require_clinical("Health questions")?;
        let client = who.client(&state, &id).await?;
        Ok(Html(intake_form(&who.0, client, &[], None).render()?).into_response())
    })
    .await
}

pub(crate) async fn submit_intake(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(answers): Form<Vec<(String, String)>>,
) -> Response {
    page(async {
        who.check_csrf(answers.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str()))?;
        who.require_clinical("Health questions")?;
        let client = who.client(&state, &id).await?;
        let parsed = intake_toml(&answers).and_then(|text| {
            smp_clinic::intake::parse(&text).map(|intake| (text, intake)).map_err(|e| e.message)
        });
        let (text, intake) = match parsed {
            Ok(v) => v,
            Err(message) => {
                let page = intake_form(&who.0, client, &answers, Some(message));
                return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
            }
        };
        let rules = smp_clinic::RuleSet::default_rules();
        let result = smp_clinic::screen(&intake, &rules);
        let json = serde_json::to_string(&result).map_err(|_| {
            PageError(StatusCode::INTERNAL_SERVER_ERROR, "The result could not be stored.".into())
        })?;
        who.studio(&state)
            .record_screening(&id, &who.0.user, &text, &rules.version, result.outcome.as_str(), &json)
            .await?;
        Ok(Redirect::to(&format!("/clients/{id}")).into_response())
    })
    .await
}
