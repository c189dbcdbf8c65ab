//! The portfolio on the chart: the client's separate consent to the studio
//! showing their photos (signed at the chair, revocable there at any time),
//! and the before/healed pairs a practitioner adds to the gallery under it.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_store::{NewGalleryPair, PhotoAngle, Session, StoreError};

use crate::{AppState, ChartForms, CsrfForm, Error, Result, Staff, chart, consent, day_of};

/// Where the face begins on a photo from `angle` when the practitioner
/// leaves it empty: under the hairline on front and side photos (a shaved
/// head framed at the chair), nowhere on those from above and behind.
fn default_face_line(angle: PhotoAngle) -> i64 {
    match angle {
        PhotoAngle::Front | PhotoAngle::Left | PhotoAngle::Right => 450,
        PhotoAngle::Top | PhotoAngle::Crown | PhotoAngle::Back => 1000,
    }
}

/// How far under the hairline the face is taken to begin when no brows
/// are marked, as a share of the photo's height.
const UNDER_HAIRLINE: f64 = 0.04;

/// Where the face begins on `photo` by the latest design drawn on it, in
/// thousandths of its height: at the brows when they were marked, else a
/// little under the hairline's lowest point. `None` without such a design.
fn face_line_of_design(designs: &[smp_store::DesignVersion], photo: &smp_store::Photo) -> Option<i64> {
    let design = designs.iter().find(|d| d.photo_id == photo.id)?;
    let hairline = smp_core::design::parse(&design.design_toml).ok()?.hairline?;
    let height = photo.height.max(1) as f64;
    let line = match hairline.glabella {
        Some(brows) => brows.y / height,
        None => hairline.points.iter().map(|p| p.y).fold(f64::MIN, f64::max) / height + UNDER_HAIRLINE,
    };
    line.is_finite().then(|| (line.clamp(0.0, 1.0) * 1000.0).round() as i64)
}

/// The portfolio card: the consent's standing and, for practitioners, the
/// client's pairs in the gallery and the form that adds one.
pub(crate) struct PortfolioCard {
    /// The consent in force: signed when, as whom, with whom, faces or not.
    pub in_force: Option<(String, smp_store::PortfolioConsent)>,
    /// Earlier consents: (signed when, how it ended).
    pub earlier: Vec<(String, String)>,
    /// The client's pairs in the gallery.
    pub pairs: Vec<PairLine>,
    /// Photos to choose from: (id, "front, 3 March 2026").
    pub photos: Vec<(String, String)>,
}

impl PortfolioCard {
    pub(crate) async fn of(
        studio: &smp_store::StudioStore<'_>,
        client_id: &str,
        consents: &[smp_store::PortfolioConsent],
        photos: &[smp_store::Photo],
        clinical: bool,
    ) -> Result<Self> {
        let in_force = consents.iter().find(|c| c.in_force()).map(|c| (day_of(c.signed_at), c.clone()));
        let earlier = consents
            .iter()
            .filter(|c| !c.in_force())
            .map(|c| {
                let ended = match &c.revoked {
                    Some((at, by)) => format!("revoked {}, recorded by {by}", day_of(*at)),
                    None => "replaced by a later consent".into(),
                };
                (day_of(c.signed_at), ended)
            })
            .collect();
        let pairs = if clinical {
            studio
                .client_gallery(client_id)
                .await?
                .into_iter()
                .map(|p| PairLine {
                    added: day_of(p.created_at),
                    before_face: percent(p.pair.before_face_line),
                    healed_face: percent(p.pair.healed_face_line),
                    caption: p.pair.caption,
                    id: p.id,
                })
                .collect()
        } else {
            Vec::new()
        };
        let photos = photos
            .iter()
            .map(|p| (p.id.clone(), format!("{}, {}", p.angle.as_str(), day_of(p.created_at))))
            .collect();
        Ok(Self { in_force, earlier, pairs, photos })
    }
}

/// What was typed into the gallery form, kept when it is refused.
#[derive(Default, Deserialize)]
pub(crate) struct PairForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub healed: String,
    /// Percent of the height, as typed; empty for the angle's default.
    #[serde(default)]
    pub before_face: String,
    #[serde(default)]
    pub healed_face: String,
    #[serde(default)]
    pub caption: String,
    #[serde(skip)]
    pub error: Option<String>,
    /// The pair whose adjustment this was, when it was one.
    #[serde(skip)]
    pub adjusting: Option<String>,
}

/// A pair of the client's as the chart lists it, with its face lines as
/// percentages for the form that adjusts them.
pub(crate) struct PairLine {
    pub id: String,
    pub caption: String,
    pub added: String,
    pub before_face: String,
    pub healed_face: String,
}

/// Thousandths of a photo's height as the percentage a form shows.
fn percent(thousandths: i64) -> String {
    let p = thousandths as f64 / 10.0;
    if p.fract() == 0.0 { format!("{p:.0}") } else { format!("{p:.1}") }
}

/// A face line typed as a percentage, in thousandths; `default` when empty.
fn face_line(typed: &str, default: i64, which: &str) -> std::result::Result<i64, String> {
    let typed = typed.trim().trim_end_matches('%').trim();
    if typed.is_empty() {
        return Ok(default);
    }
    match typed.replace(',', ".").parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok((p * 10.0).round() as i64),
        _ => Err(format!("Where the face begins on the {which} photo is a percentage from 0 to 100.")),
    }
}

/// `POST /clients/{id}/gallery`: a practitioner adds a before/healed pair.
pub(crate) async fn add(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(mut form): Form<PairForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("The gallery's photos")?;
    who.client(&state, &id).await?;
    let studio = who.studio(&state);
    // An empty face line: under the hairline of a design drawn on the photo
    // (the before photo's for a healed one without), else the angle's.
    let designs = studio.designs(&id).await?;
    let photo_of = async |photo: &str| -> Result<Option<smp_store::Photo>> {
        Ok(studio.photo(photo).await?.filter(|p| p.client_id == id))
    };
    let (before, healed) = (photo_of(&form.before).await?, photo_of(&form.healed).await?);
    let drawn = |p: &Option<smp_store::Photo>| p.as_ref().and_then(|p| face_line_of_design(&designs, p));
    let angle_line = |p: &Option<smp_store::Photo>| p.as_ref().map_or(1000, |p| default_face_line(p.angle));
    let before_default = drawn(&before).unwrap_or_else(|| angle_line(&before));
    let healed_default = drawn(&healed).or_else(|| drawn(&before)).unwrap_or_else(|| angle_line(&healed));
    let checked = face_line(&form.before_face, before_default, "before")
        .and_then(|b| face_line(&form.healed_face, healed_default, "healed").map(|h| (b, h)));
    let refusal = match checked {
        Err(message) => message,
        Ok((before_face_line, healed_face_line)) => {
            let pair = NewGalleryPair {
                before_photo: form.before.clone(),
                healed_photo: form.healed.clone(),
                before_face_line,
                healed_face_line,
                caption: form.caption.clone(),
            };
            match studio.add_gallery_pair(&id, who.user(), &pair).await {
                Ok(Some(_)) => return Ok(Redirect::to(&format!("/clients/{id}#portfolio")).into_response()),
                Ok(None) => return Err(Error::NotFound("There is no such client.".into())),
                Err(StoreError::Invalid(message)) => message,
                Err(e) => return Err(e.into()),
            }
        }
    };
    form.error = Some(refusal);
    chart(&state, &who, &id, ChartForms { gallery: form, ..Default::default() }, StatusCode::BAD_REQUEST)
        .await
}

/// `POST /clients/{id}/gallery/{pair}`: a practitioner adjusts where the
/// face begins on a pair's photos, and its caption, after seeing it.
pub(crate) async fn adjust(
    State(state): State<AppState>,
    who: Staff,
    Path((id, pair)): Path<(String, String)>,
    Form(mut form): Form<PairForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("The gallery's photos")?;
    who.client(&state, &id).await?;
    let studio = who.studio(&state);
    let shown = studio
        .gallery_pair(&pair)
        .await?
        .filter(|p| p.client_id == id)
        .ok_or_else(|| Error::NotFound("This pair is not in the gallery.".into()))?;
    let lines = face_line(&form.before_face, shown.pair.before_face_line, "before")
        .and_then(|b| face_line(&form.healed_face, shown.pair.healed_face_line, "healed").map(|h| (b, h)));
    let refusal = match lines {
        Err(message) => message,
        Ok(lines) => match studio.adjust_gallery_pair(&id, &pair, who.user(), lines, &form.caption).await {
            Ok(_) => return Ok(Redirect::to(&format!("/clients/{id}#portfolio")).into_response()),
            Err(StoreError::Invalid(message)) => message,
            Err(e) => return Err(e.into()),
        },
    };
    form.error = Some(refusal);
    form.adjusting = Some(pair);
    chart(&state, &who, &id, ChartForms { gallery: form, ..Default::default() }, StatusCode::BAD_REQUEST)
        .await
}

/// `POST /clients/{id}/gallery/{pair}/remove`.
pub(crate) async fn remove(
    State(state): State<AppState>,
    who: Staff,
    Path((id, pair)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("The gallery's photos")?;
    who.client(&state, &id).await?;
    if !who.studio(&state).remove_gallery_pair(&id, &pair, who.user()).await? {
        return Err(Error::NotFound("This pair is not in the gallery.".into()));
    }
    Ok(Redirect::to(&format!("/clients/{id}#portfolio")).into_response())
}

#[derive(Template)]
#[template(path = "portfolio_consent.html")]
struct SignPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    text: &'static str,
    signed_name: String,
    agreed: bool,
    faces: bool,
    error: Option<String>,
}

/// `GET /clients/{id}/portfolio-consent`: the text, to read and sign.
pub(crate) async fn form(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
) -> Result<Response> {
    let client = who.client(&state, &id).await?;
    let page = SignPage {
        who: &who.session,
        client,
        text: smp_clinic::PORTFOLIO_CONSENT_TEXT,
        signed_name: String::new(),
        agreed: false,
        faces: false,
        error: None,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SignForm {
    csrf: String,
    #[serde(default)]
    signed_name: String,
    #[serde(default)]
    signature: String,
    agree: Option<String>,
    faces: Option<String>,
}

/// `POST /clients/{id}/portfolio-consent`: records the signature.
pub(crate) async fn sign(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(form): Form<SignForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let client = who.client(&state, &id).await?;
    let studio = who.studio(&state);
    let refusal = "The client ticks the box to agree; without it nothing is recorded.";
    let error = match consent::signed(form.agree.is_some(), refusal, &form.signed_name, &form.signature) {
        Err(message) => message,
        Ok(png) => {
            let text = smp_clinic::PORTFOLIO_CONSENT_TEXT;
            match studio
                .sign_portfolio_consent(&id, who.user(), text, form.faces.is_some(), &form.signed_name, &png)
                .await
            {
                Ok(Some(_)) => return Ok(Redirect::to(&format!("/clients/{id}#portfolio")).into_response()),
                Ok(None) => return Err(Error::NotFound("There is no such client.".into())),
                Err(StoreError::Invalid(m)) => m,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let page = SignPage {
        who: &who.session,
        client,
        text: smp_clinic::PORTFOLIO_CONSENT_TEXT,
        signed_name: form.signed_name,
        agreed: form.agree.is_some(),
        faces: form.faces.is_some(),
        error: Some(error),
    };
    Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
}

/// `POST /clients/{id}/portfolio-consent/revoke`: the client withdrew it;
/// their photos leave the gallery in the same transaction.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.client(&state, &id).await?;
    // A second tap finds nothing in force: the chart shows it revoked.
    who.studio(&state).revoke_portfolio_consent(&id, who.user()).await?;
    Ok(Redirect::to(&format!("/clients/{id}#portfolio")).into_response())
}

/// `GET /clients/{id}/portfolio-consents/{consent}/signature.png`.
pub(crate) async fn signature(
    State(state): State<AppState>,
    who: Staff,
    Path((id, consent_id)): Path<(String, String)>,
) -> Result<Response> {
    who.client(&state, &id).await?;
    let png = who
        .studio(&state)
        .portfolio_signature(&id, &consent_id)
        .await?
        .ok_or_else(|| Error::NotFound("There is no such signature for this client.".into()))?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}
