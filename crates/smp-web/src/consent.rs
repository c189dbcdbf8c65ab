//! Consent: the studio's current text, read and signed at the chair with a
//! typed name and a drawn signature; signed records are shown, never edited.
//! Every staff role may take and show a consent: it holds no health answers.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use serde::Deserialize;
use smp_render::photo::{SignatureError, clean_signature};
use smp_store::{AuditAction, Consent, ConsentText, Session, StoreError, StudioStore};

use crate::{AppState, ClientAddress, CsrfForm, Error, LoggedIn, Result, Staff, day_of};

/// Largest consent form: the drawn signature travels as a data URL.
pub(crate) const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// A signed consent as the chart lists it.
pub(crate) struct ConsentView {
    pub id: String,
    pub when: String,
    pub version: i64,
    pub signed_name: String,
    pub staff: String,
    pub superseded: bool,
}

impl ConsentView {
    pub(crate) fn of(c: &Consent) -> Self {
        Self {
            id: c.id.clone(),
            when: day_of(c.signed_at),
            version: c.text_version,
            signed_name: c.signed_name.clone(),
            staff: if c.at_home {
                format!("the client at home, through {}'s link", c.staff_name)
            } else {
                c.staff_name.clone()
            },
            superseded: c.superseded_by.is_some(),
        }
    }
}

/// The text in force; a studio that never wrote one starts with the default.
pub(crate) async fn current_text(studio: &StudioStore<'_>) -> Result<ConsentText, StoreError> {
    match studio.consent_text().await? {
        Some(text) => Ok(text),
        None => studio.publish_consent_text(None, smp_clinic::DEFAULT_CONSENT_TEXT).await,
    }
}

#[derive(Template)]
#[template(path = "consent.html")]
struct SignPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    text: ConsentText,
    signed_name: String,
    agreed: bool,
    error: Option<String>,
}

pub(crate) async fn form(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Result<Response> {
    let client = who.client(&state, &id).await?;
    let text = current_text(&who.studio(&state)).await?;
    let page =
        SignPage { who: &who.session, client, text, signed_name: String::new(), agreed: false, error: None };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SignForm {
    csrf: String,
    text_id: String,
    #[serde(default)]
    signed_name: String,
    #[serde(default)]
    signature: String,
    agree: Option<String>,
}

/// The PNG inside the signature pad's data URL, checked and re-encoded.
fn signature_png(data_url: &str) -> Result<Vec<u8>, String> {
    let Some(encoded) = data_url.strip_prefix("data:image/png;base64,") else {
        return Err("Please sign in the box with a finger, pen or mouse.".into());
    };
    let png = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "The signature did not arrive intact. Please sign again.".to_string())?;
    clean_signature(&png).map_err(|e| match e {
        SignatureError::Blank => "The signature box is (nearly) empty. Please sign in the box.".to_string(),
        other => format!("The signature could not be used ({other}). Please sign again."),
    })
}

/// The signature under a consent form, once the client has agreed (else
/// `refusal`) and typed their name: its PNG, or what to ask of them.
pub(crate) fn signed(
    agreed: bool,
    refusal: &str,
    signed_name: &str,
    signature: &str,
) -> Result<Vec<u8>, String> {
    if !agreed {
        Err(refusal.to_string())
    } else if signed_name.trim().is_empty() {
        Err("The client types their full name above the signature.".to_string())
    } else {
        signature_png(signature)
    }
}

pub(crate) async fn sign(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(form): Form<SignForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let client = who.client(&state, &id).await?;
    let studio = who.studio(&state);
    let agreed = form.agree.is_some();
    let refusal = "The client must confirm that they have read and understood the text.";
    let error = match signed(agreed, refusal, &form.signed_name, &form.signature) {
        Err(message) => message,
        Ok(png) => {
            match studio.sign_consent(&id, who.user(), &form.text_id, &form.signed_name, &png).await {
                // In client mode the client is thanked and asked to hand
                // the tablet back; staff see the record after.
                Ok(Some(_)) if who.session.client_mode_for.is_some() => {
                    return Ok(Redirect::to("/handback?signed=1").into_response());
                }
                Ok(Some(consent)) => {
                    return Ok(Redirect::to(&format!("/clients/{id}/consents/{consent}")).into_response());
                }
                Ok(None) => return Err(Error::NotFound("There is no such client.".into())),
                Err(StoreError::Invalid(m)) => m,
                Err(e) => return Err(e.into()),
            }
        }
    };
    // Show the text in force (it may have just changed) and keep what
    // was typed; a signature must be drawn again under it.
    let page = SignPage {
        who: &who.session,
        client,
        text: current_text(&studio).await?,
        signed_name: form.signed_name,
        agreed: form.agree.is_some(),
        error: Some(error),
    };
    Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "consent_record.html")]
struct RecordPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    consent: Consent,
    when: String,
}

/// One signed consent, printable: the text as signed, the name, the
/// signature, the time and the staff member.
pub(crate) async fn view(
    State(state): State<AppState>,
    who: Staff,
    Path((id, consent_id)): Path<(String, String)>,
) -> Result<Response> {
    let client = who.client(&state, &id).await?;
    let studio = who.studio(&state);
    let consent = studio
        .consents(&id)
        .await?
        .into_iter()
        .find(|c| c.id == consent_id)
        .ok_or_else(|| Error::NotFound("This client has no such consent.".into()))?;
    studio.audit(who.user(), AuditAction::ViewConsent, &id).await?;
    let when = day_of(consent.signed_at);
    Ok(Html(RecordPage { who: &who.session, client, consent, when }.render()?).into_response())
}

pub(crate) async fn signature(
    State(state): State<AppState>,
    who: Staff,
    Path((id, consent_id)): Path<(String, String)>,
) -> Result<Response> {
    who.client(&state, &id).await?;
    let png = who
        .studio(&state)
        .consent_signature(&consent_id)
        .await?
        .ok_or_else(|| Error::NotFound("There is no such signature in this studio.".into()))?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}

/// Hands the tablet to the client for the consent: the session shows that
/// form and nothing else until staff re-enter their password.
pub(crate) async fn hand_over(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.client(&state, &id).await?;
    state.store.set_client_mode(&who.session, Some(&id)).await?;
    Ok(Redirect::to(&format!("/clients/{id}/consent")).into_response())
}

#[derive(Template)]
#[template(path = "handback.html")]
struct HandbackPage<'a> {
    who: &'a Session,
    signed: bool,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct HandbackQuery {
    #[serde(default)]
    signed: Option<String>,
}

/// "Please hand the tablet back": the only page a handed-over tablet shows
/// besides the consent; staff take it back with their password.
pub(crate) async fn handback_page(
    who: LoggedIn,
    axum::extract::Query(query): axum::extract::Query<HandbackQuery>,
) -> Result<Response> {
    if who.session.client_mode_for.is_none() {
        return Ok(Redirect::to("/clients").into_response());
    }
    let page = HandbackPage { who: &who.session, signed: query.signed.is_some(), error: None };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct HandbackForm {
    csrf: String,
    #[serde(default)]
    password: String,
}

/// Staff take the tablet back: their password, slowed down like a login.
pub(crate) async fn hand_back(
    State(state): State<AppState>,
    who: LoggedIn,
    ClientAddress(address): ClientAddress,
    Form(form): Form<HandbackForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let Some(client) = who.session.client_mode_for.clone() else {
        return Ok(Redirect::to("/clients").into_response());
    };
    let name = &who.user().name;
    let refused = |message: &str| -> Result<Response> {
        let page = HandbackPage { who: &who.session, signed: false, error: Some(message) };
        Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
    };
    if let Some(wait) = state.failures.wait(address, name) {
        return refused(&format!("Too many wrong passwords. Try again in {} seconds.", wait.as_secs() + 1));
    }
    if !state.store.password_or_pin_is(who.user(), &form.password).await? {
        state.failures.failed(address, name);
        return refused("That is not the password or PIN of the staff member who handed the tablet over.");
    }
    state.failures.succeeded(address, name);
    state.store.set_client_mode(&who.session, None).await?;
    Ok(Redirect::to(&format!("/clients/{client}#consent")).into_response())
}
