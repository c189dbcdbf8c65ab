//! The client's head measurements: three tape measurements, checked to fit
//! one head (the model designs on the head use), every measuring kept.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_core::head::{Head, HeadMeasurements};
use smp_store::{HeadRecord, Session};

use crate::{AppState, Error, Result, Staff, day_of};

/// The form as typed (kept on an error).
#[derive(Deserialize, Default)]
pub(crate) struct HeadForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    circumference_mm: String,
    #[serde(default)]
    ear_to_ear_mm: String,
    #[serde(default)]
    front_to_back_mm: String,
}

#[derive(Template)]
#[template(path = "head.html")]
struct HeadPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    form: HeadForm,
    error: Option<String>,
    /// When, the measuring, and the head's size it gives.
    history: Vec<(String, HeadRecord, String)>,
}

/// The measurements typed, as numbers that fit one head, or what is wrong.
fn checked(form: &HeadForm) -> std::result::Result<HeadMeasurements, String> {
    let number = |text: &str, what: &str| {
        text.trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{what}: {:?} is not a number of millimetres.", text.trim()))
    };
    let m = HeadMeasurements {
        circumference_mm: number(&form.circumference_mm, "Around the head")?,
        ear_to_ear_mm: number(&form.ear_to_ear_mm, "Ear to ear")?,
        front_to_back_mm: number(&form.front_to_back_mm, "Front to back")?,
    };
    Head::from_measurements(&m).map_err(|e| {
        let text = e.to_string();
        let mut chars = text.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>() + ".").unwrap_or_default()
    })?;
    Ok(m)
}

async fn head_page(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    form: HeadForm,
    error: Option<String>,
) -> Result<Response> {
    who.require_clinical("Head measurements")?;
    let client = who.client(state, client_id).await?;
    let history = who
        .studio(state)
        .head_measurements(client_id)
        .await?
        .into_iter()
        .map(|m| {
            let size = Head::from_measurements(&HeadMeasurements {
                circumference_mm: m.circumference_mm,
                ear_to_ear_mm: m.ear_to_ear_mm,
                front_to_back_mm: m.front_to_back_mm,
            })
            .map(|h| format!("a head {:.0} mm wide, {:.0} mm long", 2.0 * h.a, 2.0 * h.b))
            .unwrap_or_default();
            (day_of(m.measured_at), m, size)
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = HeadPage { who: &who.session, client, form, error, history };
    Ok((status, Html(page.render()?)).into_response())
}

/// The form, with the latest measuring in it and every earlier one below.
pub(crate) async fn form(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Result<Response> {
    who.require_clinical("Head measurements")?;
    let latest = who.studio(&state).head_measurements(&id).await?.into_iter().next();
    let form = latest.map_or_else(HeadForm::default, |m| HeadForm {
        csrf: String::new(),
        circumference_mm: m.circumference_mm.to_string(),
        ear_to_ear_mm: m.ear_to_ear_mm.to_string(),
        front_to_back_mm: m.front_to_back_mm.to_string(),
    });
    head_page(&state, &who, &id, form, None).await
}

/// Keeps a measuring that fits one head; otherwise the form again with what
/// was typed and why.
pub(crate) async fn save(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(form): Form<HeadForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("Head measurements")?;
    let m = match checked(&form) {
        Ok(m) => m,
        Err(why) => return head_page(&state, &who, &id, form, Some(why)).await,
    };
    let kept = who
        .studio(&state)
        .record_head(&id, who.user(), [m.circumference_mm, m.ear_to_ear_mm, m.front_to_back_mm])
        .await?;
    if !kept {
        return Err(Error::NotFound("There is no such client in this studio.".into()));
    }
    Ok(Redirect::to(&format!("/clients/{id}/head")).into_response())
}
