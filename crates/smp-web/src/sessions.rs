//! Treatment sessions: the ink passport recorded for each, and the
//! aftercare handed to the client through a read-only, expiring link that
//! shows no health data.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use smp_clinic::aftercare::FollowUp;
use smp_clinic::passport::SessionForm;
use smp_store::{AuditAction, Session, TreatmentSession};

use smp_clinic::gate::Step;

use crate::client_mail::ClientMail;
use crate::{AppState, CsrfForm, Error, Result, Staff, day_of, standing};

/// Where the form shows the screening's refusal (above the fields, with the
/// override).
const GATE_FIELD: &str = "gate";
/// The amendment's reason field.
const REASON_FIELD: &str = "reason";

/// How long an aftercare link works: through healing and the next session.
pub(crate) const AFTERCARE_LINK_DAYS: i64 = 60;

/// The passport's fields, in the form's order: (name, label, kind, hint);
/// a kind is an input type, `decimal` (a number keypad that takes "0.25")
/// or `textarea`.
const FIELDS: [(&str, &str, &str, &str); 14] = [
    ("date", "Session date", "date", ""),
    ("number", "Session number", "number", "1, 2, 3; 4 and on for touch-ups"),
    ("zones", "Zones treated", "text", "e.g. hairline, front, crown"),
    ("pigment_brand", "Pigment brand and product", "text", ""),
    ("pigment_batch", "Batch or lot", "text", ""),
    ("pigment_expiry", "Pigment expiry date", "date", ""),
    ("dilution", "Dilution (1 = full strength)", "decimal", ""),
    ("needle", "Needle configuration", "text", "e.g. 1RL, 3RL"),
    ("needle_mm", "Needle diameter (mm)", "decimal", "e.g. 0.25"),
    ("machine", "Machine settings", "text", "stroke, voltage, speed"),
    ("anaesthetic", "Anaesthetic used", "text", "none, or the product"),
    ("duration_min", "Duration (minutes)", "number", ""),
    ("pain", "Pain reported (0-10)", "number", ""),
    ("notes", "Notes", "textarea", ""),
];

/// A field of the form as shown: its value and, when wrong, why.
pub(crate) struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
}

impl Field {
    /// The `type` of its `<input>`.
    fn input_type(&self) -> &'static str {
        if self.kind == "decimal" { "text" } else { self.kind }
    }
}

#[derive(Template)]
#[template(path = "session_form.html")]
struct FormPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    fields: Vec<Field>,
    designs: Vec<(String, i64, bool)>,
    /// The screening's refusal, with the override offered.
    refusal: Option<String>,
    /// The day of the screening whose answers are confirmed unchanged.
    screened_on: Option<String>,
    health_unchanged: bool,
    override_reason: String,
    status: standing::StatusBadge,
    /// When correcting a recorded session: its id and number, and the
    /// reason typed so far.
    amending: Option<(String, i64)>,
    reason: String,
    reason_error: Option<String>,
}

fn fields(values: &[(String, String)], error: Option<(&str, String)>) -> Vec<Field> {
    FIELDS
        .iter()
        .map(|&(name, label, kind, hint)| Field {
            name,
            label,
            kind,
            hint,
            value: values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default(),
            error: error.as_ref().filter(|(f, _)| *f == name).map(|(_, m)| m.clone()),
        })
        .collect()
}

async fn form_page(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    values: &[(String, String)],
    error: Option<(&str, String)>,
    amending: Option<(String, i64)>,
) -> Result<Response> {
    let client = who.client(state, client_id).await?;
    let chosen = values.iter().find(|(k, _)| k == "design_id").map(|(_, v)| v.as_str());
    let designs = who
        .studio(state)
        .designs(client_id)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let selected = chosen.map_or(i == 0, |c| c == d.id);
            (d.id, d.version, selected)
        })
        .collect();
    let code = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let value = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (refusal, reason_error, error) = match error {
        Some((GATE_FIELD, m)) => (Some(m), None, None),
        Some((REASON_FIELD, m)) => (None, Some(m), None),
        other => (None, None, other),
    };
    let standing = standing::standing(&who.studio(state), client_id).await?;
    let page = FormPage {
        who: &who.session,
        client,
        fields: fields(values, error),
        designs,
        refusal,
        screened_on: standing.screening.map(|s| smp_clinic::gate::long_date(s.screened_on)),
        health_unchanged: value("health_unchanged").as_deref() == Some("on"),
        override_reason: value("override_reason").unwrap_or_default(),
        status: standing::StatusBadge::of(&standing),
        amending,
        reason: value("reason").unwrap_or_default(),
        reason_error,
    };
    Ok((code, Html(page.render()?)).into_response())
}

pub(crate) async fn new(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
) -> Result<Response> {
    who.require_clinical("Session records")?;
    let done = who.studio(&state).treatment_sessions(&client_id).await?;
    let next = done.iter().map(|s| s.number).max().unwrap_or(0) + 1;
    let today = crate::clock::today().to_string();
    let defaults: Vec<(String, String)> = [
        ("date", today.as_str()),
        ("number", &next.to_string()),
        ("dilution", "0.6"),
        ("needle", "3RL"),
        ("needle_mm", "0.25"),
        ("anaesthetic", "none"),
        ("pain", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    form_page(&state, &who, &client_id, &defaults, None, None).await
}

pub(crate) async fn record(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
    Form(values): Form<Vec<(String, String)>>,
) -> Result<Response> {
    who.check_csrf(values.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str()))?;
    who.require_clinical("Session records")?;
    let client = who.client(&state, &client_id).await?;
    let record = match (SessionForm { fields: &values }).check() {
        Ok(r) => r,
        Err(e) => {
            return form_page(&state, &who, &client_id, &values, Some((e.field, e.message)), None).await;
        }
    };
    // The screening guards the session: its date, a recent screening
    // confirmed unchanged, a consent in force.
    let value = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let step = Step::Record { health_confirmed: value("health_unchanged") == Some("on") };
    let studio = who.studio(&state);
    if let Some(refusal) =
        standing::guard(&studio, who.user(), &client_id, step, &[record.date], value("override_reason"))
            .await?
    {
        return form_page(&state, &who, &client_id, &values, Some((GATE_FIELD, refusal)), None).await;
    }
    let design =
        values.iter().find(|(k, _)| k == "design_id").map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let passport =
        serde_json::to_string(&record).map_err(|e| Error::internal(&e, "The record could not be stored."))?;
    // The aftercare messages and the touch-up reminder go with the record,
    // in its transaction.
    let mail = session_mail(&state, &studio, &client, record.date, record.number as i64, design).await?;
    let id = studio
        .record_session(
            &client_id,
            who.user(),
            &record.date.to_string(),
            record.number as i64,
            design,
            &passport,
            mail.as_ref(),
        )
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
    Ok(Redirect::to(&format!("/clients/{client_id}/sessions/{id}")).into_response())
}

/// The messages a session on `date` brings the client (aftercare from
/// that day, and the touch-up reminder by the forecast of the design it
/// followed), when e-mail reaches them.
async fn session_mail(
    state: &AppState,
    studio: &smp_store::StudioStore<'_>,
    client: &smp_store::Client,
    date: chrono::NaiveDate,
    number: i64,
    design: Option<&str>,
) -> Result<Option<smp_store::SessionMail>> {
    let Some(mail) = ClientMail::of(state, studio, client).await? else { return Ok(None) };
    let forecast = match design {
        Some(id) => studio.design(id).await?,
        None => None,
    };
    let touch_up = forecast
        .and_then(|d| crate::dashboard::touch_up_date(date, &d.design_toml))
        .and_then(|due| mail.touch_up(due));
    Ok(Some(smp_store::SessionMail {
        aftercare: mail.after_session(date, number, mail.now()),
        link_days: AFTERCARE_LINK_DAYS,
        touch_up,
    }))
}

#[derive(Template)]
#[template(path = "session.html")]
struct PassportPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    session: TreatmentSession,
    rows: Vec<(&'static str, String)>,
    recorded: String,
    /// A link was just made.
    made: bool,
    photos: Vec<crate::photos::PhotoView>,
    /// Each amendment: when, by whom, why, and the record it replaced.
    amendments: Vec<AmendmentView>,
    /// The session's aftercare links, newest first.
    links: Vec<LinkView>,
}

/// An aftercare link as the session page lists it: its address, a QR code
/// of it for the client's phone, and whether it still works.
struct LinkView {
    token: String,
    href: String,
    qr_svg: String,
    made: String,
    expires: String,
    live: bool,
}

/// The QR code of `text` as an inline SVG (dark modules on white, with the
/// standard quiet zone), for a phone's camera; `what` names it for screen
/// readers ("the aftercare link").
pub(crate) fn qr_svg(text: &str, what: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build()
            .replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"QR code of {what}\" "), 1),
        Err(_) => String::new(),
    }
}

/// An amendment as the session page shows it.
struct AmendmentView {
    when: String,
    staff: String,
    reason: String,
    /// The replaced record: "Session 1, 2026-12-01", then its passport rows.
    was: String,
    rows: Vec<(&'static str, String)>,
}

/// The passport's rows for the page: (label, value), date and number left
/// out (they head the page).
fn passport_rows(passport_json: &str) -> Vec<(&'static str, String)> {
    let passport: serde_json::Value = serde_json::from_str(passport_json).unwrap_or_default();
    FIELDS
        .iter()
        .filter(|(name, ..)| !matches!(*name, "date" | "number"))
        .map(|(name, label, ..)| (*label, passport_value(&passport, name)))
        .collect()
}

/// One passport value as text.
fn passport_value(passport: &serde_json::Value, name: &str) -> String {
    match &passport[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

async fn passport_page(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    session_id: &str,
    made: bool,
) -> Result<Response> {
    who.require_clinical("Session records")?;
    let client = who.client(state, client_id).await?;
    let session = who
        .studio(state)
        .treatment_session(session_id)
        .await?
        .filter(|s| s.client_id == client_id)
        .ok_or_else(|| Error::NotFound("This client has no such session.".into()))?;
    who.studio(state).audit(who.user(), AuditAction::ViewSession, client_id).await?;
    let rows = passport_rows(&session.passport_json);
    let recorded = format!("{}, by {}", day_of(session.created_at), session.staff_name);
    // The photos taken on the session's day belong to its record.
    let photos = who
        .studio(state)
        .photos(client_id)
        .await?
        .iter()
        .filter(|p| crate::clock::day(p.created_at).to_string() == session.date)
        .map(crate::photos::PhotoView::of)
        .collect();
    let amendments = who
        .studio(state)
        .session_amendments(session_id)
        .await?
        .into_iter()
        .map(|a| AmendmentView {
            when: day_of(a.amended_at),
            staff: a.staff_name,
            reason: a.reason,
            was: format!("Session {}, {}", a.old_number, a.old_date),
            rows: passport_rows(&a.old_passport_json),
        })
        .collect();
    let now = crate::now_ms();
    let links = who
        .studio(state)
        .aftercare_links(session_id)
        .await?
        .into_iter()
        .map(|l| {
            // The whole address, to hand over: the configured public
            // address, never one a request's headers claim.
            let href = format!("{}/aftercare/{}", state.public_url, l.token);
            LinkView {
                qr_svg: qr_svg(&href, "the aftercare link"),
                href,
                made: format!("{}, by {}", day_of(l.created_at), l.staff_name),
                expires: day_of(l.expires_at),
                live: l.expires_at > now,
                token: l.token,
            }
        })
        .collect();
    let page =
        PassportPage { who: &who.session, client, session, rows, recorded, made, photos, amendments, links };
    Ok(Html(page.render()?).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct ViewQuery {
    /// Set after a new aftercare link was made, to say so.
    #[serde(default)]
    made: Option<String>,
}

pub(crate) async fn view(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, session_id)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<ViewQuery>,
) -> Result<Response> {
    passport_page(&state, &who, &client_id, &session_id, query.made.is_some()).await
}

/// Makes a read-only aftercare link for the client; the session page then
/// lists it (a reload never makes another).
pub(crate) async fn share(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, session_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("Aftercare links")?;
    who.client(&state, &client_id).await?;
    who.studio(&state)
        .share_aftercare(&session_id, who.user(), AFTERCARE_LINK_DAYS)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such session.".into()))?;
    Ok(Redirect::to(&format!("/clients/{client_id}/sessions/{session_id}?made=1#aftercare")).into_response())
}

/// The aftercare a live link opens, or a page saying it has expired.
async fn shared(
    state: &AppState,
    token: &str,
) -> Result<(smp_store::SharedAftercare, smp_clinic::Aftercare)> {
    let shared = state.store.shared_aftercare(token).await?.ok_or_else(|| {
        Error::NotFound(
            "This aftercare link has expired or does not exist. Ask your studio for a new one.".into(),
        )
    })?;
    let date =
        shared.session_date.parse().map_err(|e| Error::internal(&e, "The session's date is unreadable."))?;
    let care = smp_clinic::aftercare(
        date,
        &smp_clinic::Protocol::default_protocol(),
        FollowUp { next_session: None, touch_up: None },
    );
    Ok((shared, care))
}

/// The client's aftercare page: public through the token, no login.
pub(crate) async fn aftercare(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let (shared, care) = shared(&state, &token).await?;
    let calendar = format!("/aftercare/{token}/calendar.ics");
    let logo = format!("/aftercare/{token}/logo.png");
    // The stylesheet's address changes with the accent, so a new one shows
    // at once although stylesheets are cached.
    let style = format!("/aftercare/{token}/style.css?v={}", accent_version(shared.brand.accent.as_deref()));
    let from = smp_clinic::aftercare::HandedOver {
        stylesheet_href: &style,
        logo_href: shared.brand.has_logo.then_some(logo.as_str()),
        studio: &shared.studio.name,
        phone: shared.studio.phone.as_deref(),
        email: shared.studio.email.as_deref(),
        next_session: shared.next_session.as_deref().and_then(|d| d.parse().ok()),
        calendar_href: &calendar,
    };
    Ok(Html(care.to_html_shared(&from)).into_response())
}

/// The aftercare page's stylesheet, in the studio's accent (through the
/// page's token, like the page).
pub(crate) async fn aftercare_style(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response> {
    let (shared, _) = shared(&state, &token).await?;
    let css = smp_clinic::aftercare::stylesheet(shared.brand.accent.as_deref());
    Ok(([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "private, max-age=86400")], css)
        .into_response())
}

/// What tells one accent's stylesheet from another's in its address.
pub(crate) fn accent_version(accent: Option<&str>) -> &str {
    accent.map_or("default", |a| a.trim_start_matches('#'))
}

/// The studio's logo for the client's aftercare page (through its token).
pub(crate) async fn aftercare_logo(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response> {
    let png = state
        .store
        .shared_logo(&token)
        .await?
        .ok_or_else(|| Error::NotFound("This aftercare link has expired or does not exist.".into()))?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}

pub(crate) async fn calendar(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let (_, care) = shared(&state, &token).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"smp-aftercare.ics\""),
        ],
        care.to_ics(chrono::Utc::now()),
    )
        .into_response())
}

/// One of the client's sessions, or 404.
async fn client_session(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    session_id: &str,
) -> Result<TreatmentSession> {
    who.studio(state)
        .treatment_session(session_id)
        .await?
        .filter(|s| s.client_id == client_id)
        .ok_or_else(|| Error::NotFound("This client has no such session.".into()))
}

/// The recorded session in the form, to correct with a reason.
pub(crate) async fn amend_page(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, session_id)): Path<(String, String)>,
) -> Result<Response> {
    who.require_clinical("Session records")?;
    who.client(&state, &client_id).await?;
    let session = client_session(&state, &who, &client_id, &session_id).await?;
    let passport: serde_json::Value = serde_json::from_str(&session.passport_json).unwrap_or_default();
    let mut values: Vec<(String, String)> = FIELDS
        .iter()
        .filter(|(name, ..)| !matches!(*name, "date" | "number"))
        .map(|(name, ..)| (name.to_string(), passport_value(&passport, name)))
        .collect();
    values.push(("date".into(), session.date.clone()));
    values.push(("number".into(), session.number.to_string()));
    form_page(&state, &who, &client_id, &values, None, Some((session.id, session.number))).await
}

/// Saves the corrected record; the original is kept with the reason.
pub(crate) async fn amend(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, session_id)): Path<(String, String)>,
    Form(values): Form<Vec<(String, String)>>,
) -> Result<Response> {
    who.check_csrf(values.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str()))?;
    who.require_clinical("Session records")?;
    who.client(&state, &client_id).await?;
    let session = client_session(&state, &who, &client_id, &session_id).await?;
    let amending = Some((session.id.clone(), session.number));
    let record = match (SessionForm { fields: &values }).check() {
        Ok(r) => r,
        Err(e) => {
            return form_page(&state, &who, &client_id, &values, Some((e.field, e.message)), amending).await;
        }
    };
    let passport =
        serde_json::to_string(&record).map_err(|e| Error::internal(&e, "The record could not be stored."))?;
    let reason = values.iter().find(|(k, _)| k == REASON_FIELD).map_or("", |(_, v)| v.as_str());
    let studio = who.studio(&state);
    // A moved date moves the aftercare messages still to come with it.
    let moved = session.date != record.date.to_string();
    let aftercare = if moved {
        let client = who.client(&state, &client_id).await?;
        let design = session.design_id.as_deref();
        session_mail(&state, &studio, &client, record.date, record.number as i64, design).await?
    } else {
        None
    };
    let amended = studio
        .amend_session(
            &session_id,
            who.user(),
            &record.date.to_string(),
            record.number as i64,
            &passport,
            reason,
            aftercare.as_ref(),
        )
        .await;
    match amended {
        Ok(_) => Ok(Redirect::to(&format!("/clients/{client_id}/sessions/{session_id}")).into_response()),
        Err(smp_store::StoreError::Invalid(m)) => {
            form_page(&state, &who, &client_id, &values, Some((REASON_FIELD, m)), amending).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct RevokeForm {
    csrf: String,
    token: String,
}

/// Ends an aftercare link now (sent to the wrong person, say).
pub(crate) async fn revoke(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, session_id)): Path<(String, String)>,
    Form(form): Form<RevokeForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("Aftercare links")?;
    who.client(&state, &client_id).await?;
    client_session(&state, &who, &client_id, &session_id).await?;
    who.studio(&state).revoke_aftercare(who.user(), &form.token).await?;
    Ok(Redirect::to(&format!("/clients/{client_id}/sessions/{session_id}#aftercare")).into_response())
}
