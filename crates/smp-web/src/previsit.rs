//! Forms before the visit: from the chart, staff make a link (e-mailed to
//! the client when e-mail is set up, and shown to copy); the client, not
//! logged in, answers the health questions on their phone and reads the
//! studio's consent text. Their answers are screened by the same rules and
//! land in the chart as theirs; the client sees a confirmation, never the
//! outcome (a practitioner explains it). A link that is spent, expired or
//! unknown gets one and the same page, so links cannot be probed.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use smp_store::{NewSignature, OpenPrevisit, Session};

use crate::auth::CsrfForm;
use crate::client_mail::ClientMail;
use crate::intake::{Problem, Question, screen_answers, sections};
use crate::{AppState, Error, Result, Staff};

/// How long a pre-visit link lasts, days.
const PREVISIT_DAYS: i64 = 14;

#[derive(Template)]
#[template(path = "previsit_made.html")]
struct MadePage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    link: String,
    /// The link as a QR code (SVG), for the client's phone at the desk.
    qr_svg: String,
    /// Where it was e-mailed, if it was.
    emailed_to: Option<String>,
    days: i64,
}

/// `POST /clients/{id}/previsit`: a new link, e-mailed when it can be, and
/// shown once to copy (only its digest is kept).
pub(crate) async fn make(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let client = who.client(&state, &client_id).await?;
    if client.erased.is_some() {
        return Err(Error::Gone("This record was erased.".into()));
    }
    let studio = who.studio(&state);
    let mail = ClientMail::of(&state, &studio, &client).await?;
    let message = mail.as_ref().and_then(|m| m.pre_visit(m.now()));
    let token = studio
        .make_previsit_link(&client_id, who.user(), PREVISIT_DAYS, message.as_ref())
        .await?
        .ok_or_else(|| Error::NotFound("There is no such client in this studio.".into()))?;
    let link = format!("{}/forms/{token}", state.public_url);
    let page = MadePage {
        who: &who.session,
        qr_svg: crate::sessions::qr_svg(&link, "the pre-visit link"),
        link,
        emailed_to: message.map(|m| m.to),
        client,
        days: PREVISIT_DAYS,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "previsit.html")]
struct FormPage {
    studio: String,
    first_name: String,
    birth_date: String,
    pregnant: bool,
    breastfeeding: bool,
    sections: Vec<(&'static str, Vec<Question>)>,
    error: Option<String>,
    error_field: Option<String>,
    /// The consent text in force: (its id, its words).
    consent: Option<(String, String)>,
    /// Whether the studio lets the client sign it here.
    sign_at_home: bool,
    /// What the client typed and ticked to sign, kept on a refusal.
    signed_name: String,
    agreed: bool,
}

#[derive(Template)]
#[template(path = "previsit_done.html")]
struct DonePage {
    studio: String,
    /// Sent (the answers reached the studio), or the link cannot be used.
    sent: bool,
}

/// The page of a link that cannot be used: the same for spent, expired
/// and unknown.
fn unusable() -> Result<Response> {
    let page = DonePage { studio: String::new(), sent: false };
    Ok((StatusCode::NOT_FOUND, Html(page.render()?)).into_response())
}

async fn form_page(
    state: &AppState,
    open: &OpenPrevisit,
    answers: &[(String, String)],
    problem: Option<Problem>,
) -> Result<FormPage> {
    let studio = state.store.studio(&open.studio);
    let client = studio.client(&open.client_id).await?.ok_or_else(|| Error::NotFound("gone".into()))?;
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    Ok(FormPage {
        studio: studio.name().await?,
        first_name: smp_clinic::messages::first_name(&client.full_name),
        birth_date: value("birth_date").unwrap_or_default(),
        pregnant: value("pregnant").is_some(),
        breastfeeding: value("breastfeeding").is_some(),
        sections: sections(answers, problem.as_ref()),
        error_field: problem.as_ref().and_then(|p| p.field.clone()),
        error: problem.map(|p| p.message),
        consent: studio.consent_text().await?.map(|t| (t.id, t.body)),
        sign_at_home: studio.consent_at_home().await?,
        signed_name: value("signed_name").unwrap_or_default(),
        agreed: value("agree").is_some(),
    })
}

/// Where a problem with the signature at home is shown.
const SIGNATURE_FIELD: &str = "signature";

/// The client's signature under the consent, when the studio lets them
/// sign at home and they did (it is optional: they may sign at the visit);
/// what is missing, when they began to sign.
async fn home_signature(
    state: &AppState,
    open: &OpenPrevisit,
    answers: &[(String, String)],
) -> Result<std::result::Result<Option<NewSignature>, Problem>> {
    let value = |key: &str| answers.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str());
    let studio = state.store.studio(&open.studio);
    let began = !value("agree").is_empty()
        || !value("signed_name").trim().is_empty()
        || !value("signature").is_empty();
    if !began || !studio.consent_at_home().await? {
        return Ok(Ok(None));
    }
    let refusal = "Tick the box to agree, or leave the signature for your visit.";
    Ok(
        match crate::consent::signed(
            !value("agree").is_empty(),
            refusal,
            value("signed_name"),
            value("signature"),
        ) {
            Ok(png) => Ok(Some(NewSignature {
                text_id: value("text_id").to_string(),
                signed_name: value("signed_name").to_string(),
                png,
            })),
            Err(message) => Err(Problem::at(SIGNATURE_FIELD, message)),
        },
    )
}

/// `GET /forms/{previsit}`: the questions, for the client.
pub(crate) async fn form(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let Some(open) = state.store.previsit(&token).await? else { return unusable() };
    let page = form_page(&state, &open, &[], None).await?;
    Ok(Html(page.render()?).into_response())
}

/// `POST /forms/{previsit}`: the answers, checked (messages beside the
/// answers, everything typed kept), screened, stored, the link spent.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(mut answers): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let Some(open) = state.store.previsit(&token).await? else { return unusable() };
    // The day the client answers is the consultation's date.
    let today = chrono::Utc::now().date_naive().to_string();
    answers.retain(|(k, _)| k != "consultation_date");
    answers.push(("consultation_date".into(), today));
    let screened = match screen_answers(&answers)? {
        Ok(screened) => screened,
        Err(problem) => {
            let page = form_page(&state, &open, &answers, Some(problem)).await?;
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    let signature = match home_signature(&state, &open, &answers).await? {
        Ok(signature) => signature,
        Err(problem) => {
            let page = form_page(&state, &open, &answers, Some(problem)).await?;
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
    };
    let crate::intake::Screened { intake_toml, rules_version, outcome, result_json } = screened;
    let stored = state
        .store
        .submit_previsit(&token, &intake_toml, &rules_version, &outcome, &result_json, signature.as_ref())
        .await;
    match stored {
        Ok(true) => {}
        Ok(false) => return unusable(),
        // The text changed while the client read it, or signing at home
        // was switched off meanwhile: said beside the signature.
        Err(smp_store::StoreError::Invalid(message)) => {
            let page =
                form_page(&state, &open, &answers, Some(Problem::at(SIGNATURE_FIELD, message))).await?;
            return Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response());
        }
        Err(e) => return Err(e.into()),
    }
    let studio = state.store.studio(&open.studio).name().await?;
    Ok(Html(DonePage { studio, sent: true }.render()?).into_response())
}
