//! The design editor on a client's photo: scale, hairline and zone drawn on
//! the photo, the parameters beside it, a live preview of the simulation at
//! screen size, and versions saved as design files (schema 1).

use askama::Template;
use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_core::design::parse;
use smp_optics::LayeredOptics;
use smp_optics::ageing::Stage;
use smp_store::{AuditAction, Photo, PhotoAngle, Session};

use crate::editor_form::{EditorForm, design_toml, explain, form_of};
use crate::hair_masks::{self, MaskDrawing};
use crate::head_editor::{is_on_head, version_href};
use crate::preview::{cached_screen, not_drawable, pattern_key, render_preview};
use crate::{AppState, Error, Result, Staff, day_of, photos};

/// One of the client's photos, with the client, or a page saying there is none.
pub(crate) async fn client_photo(
    state: &AppState,
    who: &Staff,
    client_id: &str,
    photo_id: &str,
) -> Result<(smp_store::Client, Photo)> {
    who.require_clinical("Designs")?;
    let client = who.client(state, client_id).await?;
    let photo = who
        .studio(state)
        .photo(photo_id)
        .await?
        .filter(|p| p.client_id == client_id)
        .ok_or_else(|| Error::NotFound("This client has no such photo.".into()))?;
    if photo.withdrawn.is_some() {
        return Err(Error::Gone(
            "This photo was withdrawn: design on another of the client's photos.".into(),
        ));
    }
    Ok((client, photo))
}

/// A stage the preview offers: the stage (written as `--stage` writes it),
/// its name, and the short form under the slider's tick (nine names do not
/// fit a tablet's half width; the full name shows above the preview).
pub(crate) struct StageChoice {
    pub value: Stage,
    pub label: &'static str,
    pub short: &'static str,
}

const fn stage(value: Stage, label: &'static str, short: &'static str) -> StageChoice {
    StageChoice { value, label, short }
}

/// The stages the preview offers, in time order.
pub(crate) const STAGES: [StageChoice; 9] = [
    stage(Stage::Before, "Before", "Before"),
    stage(Stage::Session(1), "Session 1", "S1"),
    stage(Stage::Session(2), "Session 2", "S2"),
    stage(Stage::Session(3), "Session 3", "S3"),
    stage(Stage::HEALED, "Healed", "Healed"),
    stage(Stage::Years(1.0), "1 year", "1 y"),
    stage(Stage::Years(3.0), "3 years", "3 y"),
    stage(Stage::Years(5.0), "5 years", "5 y"),
    stage(Stage::Years(10.0), "10 years", "10 y"),
];

#[derive(Template)]
#[template(path = "design.html")]
struct EditorPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    photo: Photo,
    form: EditorForm,
    /// When, the version, and its editor's address.
    versions: Vec<(String, smp_store::DesignVersion, String)>,
    current: Option<i64>,
    current_id: Option<String>,
    message: Option<String>,
    error: Option<String>,
    stages: &'static [StageChoice],
    /// The quotes of the version open, and the treatments to quote.
    quotes: Vec<crate::prices::QuoteView>,
    /// Its consultation reports.
    reports: Vec<crate::report::ReportLine>,
    treatments: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize)]
pub(crate) struct EditorQuery {
    design: Option<String>,
    /// Start from a blank drawing even when a version exists.
    blank: Option<String>,
}

/// What the editor page shows besides the photo: the drawing and
/// parameters, the version open, and a note or an error.
struct EditorView {
    form: EditorForm,
    current: Option<i64>,
    current_id: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

async fn editor(
    state: &AppState,
    who: &Staff,
    client: smp_store::Client,
    photo: Photo,
    versions: Vec<smp_store::DesignVersion>,
    view: EditorView,
) -> Result<Response> {
    let versions = versions
        .into_iter()
        .map(|v| {
            let href = version_href(&v.client_id, &v);
            (day_of(v.created_at), v, href)
        })
        .collect();
    let status = if view.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let (quotes, reports) = match &view.current_id {
        Some(id) => (
            crate::prices::quotes_of(&who.studio(state), id).await?,
            crate::report::reports_of(&who.studio(state), &client.id, id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let page = EditorPage {
        quotes,
        reports,
        treatments: crate::prices::treatments(),
        who: &who.session,
        client,
        photo,
        form: view.form,
        versions,
        current: view.current,
        current_id: view.current_id,
        message: view.message,
        error: view.error,
        stages: &STAGES,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The editor, empty or with a saved version (`?design=ID`).
pub(crate) async fn edit(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, photo_id)): Path<(String, String)>,
    Query(query): Query<EditorQuery>,
) -> Result<Response> {
    let (client, photo) = client_photo(&state, &who, &client_id, &photo_id).await?;
    // Without a version named, the latest one drawn on this photo opens
    // (a blank editor only when there is none, or when asked for).
    let versions = who.studio(&state).designs(&client_id).await?;
    let open = match (&query.design, query.blank.is_some()) {
        (Some(id), _) => Some(
            versions
                .iter()
                .find(|d| &d.id == id)
                .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?,
        ),
        (None, false) => versions.iter().find(|d| d.photo_id == photo.id && !is_on_head(d)),
        (None, true) => None,
    };
    // A design on the head opens in its own editor.
    if let Some(saved) = open.filter(|d| is_on_head(d)) {
        return Ok(Redirect::to(&version_href(&client_id, saved)).into_response());
    }
    let (form, current, current_id, message) = match open {
        Some(saved) => {
            let note =
                format!("Version {} by {}, {}.", saved.version, saved.staff_name, day_of(saved.created_at));
            (form_of(&saved.design_toml), Some(saved.version), Some(saved.id.clone()), Some(note))
        }
        None => (EditorForm::default(), None, None, None),
    };
    let view = EditorView { form, current, current_id, message, error: None };
    editor(&state, &who, client, photo, versions, view).await
}

#[derive(Deserialize)]
pub(crate) struct SaveForm {
    csrf: String,
    #[serde(flatten)]
    editor: EditorForm,
}

/// Saves the editor's state as the client's next design version.
pub(crate) async fn save(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, photo_id)): Path<(String, String)>,
    Form(form): Form<SaveForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let (client, photo) = client_photo(&state, &who, &client_id, &photo_id).await?;
    let mut drawn = form.editor;
    let photo_file = format!("{}.jpg", photo.id);
    let checked = design_toml(&drawn, &photo_file, photo.angle, 1.0)
        .and_then(|text| parse(&text).map(|_| text).map_err(|e| explain(&e)))
        .and_then(|text| MaskDrawing::of(&drawn, &photo).map(|mask| (text, mask)));
    let text = match checked {
        // The mask is stored first: the version names it.
        Ok((_, Some(mask))) => {
            drawn.hair_mask = hair_masks::store(&state, &who, &photo, &mask).await?;
            drawn.hair_mask_paint.clear();
            design_toml(&drawn, &photo_file, photo.angle, 1.0)
                .map_err(|e| Error::internal(&e, "The design could not be saved."))?
        }
        Ok((text, None)) => text,
        Err(error) => {
            let view = EditorView {
                form: drawn,
                current: None,
                current_id: None,
                message: None,
                error: Some(error),
            };
            let versions = who.studio(&state).designs(&client_id).await?;
            return editor(&state, &who, client, photo, versions, view).await;
        }
    };
    let saved = who
        .studio(&state)
        .save_design(&client_id, &photo.id, who.user(), &text)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such photo.".into()))?;
    Ok(Redirect::to(&format!("/clients/{client_id}/photos/{}/design?design={}", photo.id, saved.id))
        .into_response())
}

#[derive(Deserialize)]
pub(crate) struct PreviewForm {
    #[serde(default = "healed")]
    stage: String,
    #[serde(flatten)]
    pub editor: EditorForm,
}

fn healed() -> String {
    "healed".into()
}

/// The simulation of the editor's state at screen size, as JPEG; a plain
/// text message with status 422 when the design is not complete or valid
/// (an answer, not a failure: the editor shows it in place of the picture).
pub(crate) async fn preview(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, photo_id)): Path<(String, String)>,
    Form(form): Form<PreviewForm>,
) -> Result<Response> {
    let OnScreen { photo, screen, factor, .. } = on_screen(&state, &who, &client_id, &photo_id).await?;
    let Ok(stage) = form.stage.parse::<Stage>() else {
        return Ok(not_drawable(format!("{:?} is not a stage", form.stage)));
    };
    let design = match drawn_design(&form.editor, photo.angle, factor) {
        Ok(d) => d,
        Err(m) => return Ok(not_drawable(m)),
    };
    let hair = match MaskDrawing::of(&form.editor, &photo) {
        Ok(Some(drawing)) => {
            Some(hair_masks::on_screen(&state, &who, &photo, &drawing, screen.dimensions()).await?)
        }
        Ok(None) => None,
        Err(m) => return Ok(not_drawable(m)),
    };
    let key = pattern_key(&photo.id, &design);
    let cached = state.recall_pattern(&key);
    let (jpeg, pattern) = state
        .cpu
        .run(&who.user().id, move || {
            let pattern = cached.unwrap_or_else(|| Arc::new(smp_render::place(&screen, &design)));
            render_preview(&screen, &design, &pattern, stage, hair.as_deref()).map(|jpeg| (jpeg, pattern))
        })
        .await?
        .map_err(|e| Error::internal(&e, "The preview could not be drawn."))?;
    state.remember_pattern(key, pattern);
    Ok(([(CONTENT_TYPE, "image/jpeg")], jpeg).into_response())
}

/// What the preview and the advice both start from: the client, the photo
/// and its decoded screen copy, with the copy's pixels per photo pixel.
struct OnScreen {
    client: smp_store::Client,
    photo: Photo,
    screen: Arc<image::RgbImage>,
    factor: f64,
}

async fn on_screen(state: &AppState, who: &Staff, client_id: &str, photo_id: &str) -> Result<OnScreen> {
    let (client, photo) = client_photo(state, who, client_id, photo_id).await?;
    let screen = cached_screen(state, who, &photo).await?;
    let factor = screen.width() as f64 / photo.width.max(1) as f64;
    Ok(OnScreen { client, photo, screen, factor })
}

/// The editor's state as a design with every coordinate scaled by
/// `factor` (1 on the photo itself, less on its screen copy), or what is
/// wrong with it.
pub(crate) fn drawn_design(
    form: &EditorForm,
    angle: PhotoAngle,
    factor: f64,
) -> Result<smp_core::Design, String> {
    design_toml(form, "photo.jpg", angle, factor).and_then(|text| parse(&text).map_err(|e| explain(&e)))
}

/// Plain-language warnings for the editor's state, as JSON
/// `{"warnings": [...], "problem": null | "...", "skin": null | "..."}`: the
/// design's own (dot size, merging, hairline style) and the pigment's on
/// this client's skin as the photo shows it (blue risk, too dark, too little
/// contrast); `skin` says what the photo shows of the skin in the zones.
pub(crate) async fn advice(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, photo_id)): Path<(String, String)>,
    Form(form): Form<PreviewForm>,
) -> Result<Response> {
    let OnScreen { client, photo, screen, factor } = on_screen(&state, &who, &client_id, &photo_id).await?;
    let age = age_of(client.birth_date.as_deref());
    // Reading the skin and the optics take a CPU for a moment: in the pool.
    let answer = state
        .cpu
        .run(&who.user().id, move || advise(&form.editor, &screen, photo.angle, factor, age))
        .await?;
    Ok(([(CONTENT_TYPE, "application/json")], answer.to_string()).into_response())
}

/// The client's own stubble in the editor's hair sample, measured on the
/// full photo (a hair is a few pixels across: the screen copy is too
/// coarse), as JSON: the figures `smp hair` gives, with the design that
/// continues the stubble.
pub(crate) async fn hair(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, photo_id)): Path<(String, String)>,
    Form(form): Form<PreviewForm>,
) -> Result<Response> {
    let (_, photo) = client_photo(&state, &who, &client_id, &photo_id).await?;
    let answer = |report: &smp_render::stubble::HairReport| {
        let json = serde_json::to_string(report).unwrap_or_default();
        Ok(([(CONTENT_TYPE, "application/json")], json).into_response())
    };
    let design = match drawn_design(&form.editor, photo.angle, 1.0) {
        Ok(design) => design,
        Err(problem) => return answer(&smp_render::stubble::HairReport::unmeasured(problem)),
    };
    let Some(sample) = design.client.hair_sample.clone() else {
        let why = "Tap around an area of the client's own short stubble first.".to_string();
        return answer(&smp_render::stubble::HairReport::unmeasured(why));
    };
    let full = photos::full_photo(&state, &who.user().studio, &photo).await?;
    let report = state
        .cpu
        .run(&who.user().id, move || match smp_render::stubble::hair_match(&full, &design, &sample, None) {
            Ok(matched) => matched.report(),
            Err(e) => smp_render::stubble::HairReport::unmeasured(format!("The hair sample: {e}.")),
        })
        .await?;
    answer(&report)
}

/// The advice answer for the editor's state on the screen copy.
fn advise(
    editor: &EditorForm,
    screen: &image::RgbImage,
    angle: PhotoAngle,
    factor: f64,
    age: Option<u32>,
) -> serde_json::Value {
    match drawn_design(editor, angle, factor) {
        Err(problem) => serde_json::json!({ "warnings": [], "problem": problem, "skin": null }),
        Ok(design) => {
            let mut warnings = smp_core::advice::warnings(&design, age);
            let mut skin_note = None;
            if let Some(skin_lab) = smp_render::skin_tone(screen, &design) {
                let skin = smp_optics::Skin::of_client(design.client.fitzpatrick, skin_lab);
                let report = smp_optics::forecast::pigment_report(
                    &LayeredOptics,
                    &skin,
                    skin_lab,
                    &design.client,
                    &design.pigment,
                );
                warnings.extend(report.warnings.into_iter().map(|w| {
                    let mut chars = w.chars();
                    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
                }));
                skin_note = Some(format!(
                    "The skin in the {} looks like type {} (ITA {:.0}°)",
                    if design.client.skin_region.is_some() { "skin sample" } else { "zones" },
                    report.estimated_fitzpatrick,
                    report.skin_ita
                ));
            }
            serde_json::json!({ "warnings": warnings, "problem": null, "skin": skin_note })
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ExportQuery {
    #[serde(default = "healed")]
    stage: String,
    /// For a design on the head: the photo to render on (its first by
    /// default).
    photo: Option<String>,
}

/// A saved version, read.
enum SavedDesign {
    OnPhoto(smp_core::Design),
    OnHead(smp_core::head_design::HeadDesign),
}

/// A saved version rendered on the full photo at a stage, as a JPEG download.
pub(crate) async fn export(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, design_id)): Path<(String, String)>,
    Query(query): Query<ExportQuery>,
) -> Result<Response> {
    who.require_clinical("Designs")?;
    who.client(&state, &client_id).await?;
    let saved = who
        .studio(&state)
        .client_design(&client_id, &design_id)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
    let stage = query
        .stage
        .parse::<Stage>()
        .map_err(|_| Error::BadRequest(format!("{:?} is not a stage.", query.stage)))?;
    let unreadable = |why: String| Error::internal(&why, format!("The saved design is unreadable: {why}"));
    // A design on the head is exported on the photo asked for (its first
    // by default), any other on its own photo.
    let (design, photo_id) = if is_on_head(&saved) {
        let design = smp_core::head_design::parse_head_design(&saved.design_toml)
            .map_err(|e| unreadable(e.to_string()))?;
        let photo_id = query.photo.clone().unwrap_or_else(|| saved.photo_id.clone());
        (SavedDesign::OnHead(design), photo_id)
    } else {
        let design = parse(&saved.design_toml).map_err(|e| unreadable(explain(&e)))?;
        (SavedDesign::OnPhoto(design), saved.photo_id.clone())
    };
    let photo = who
        .studio(&state)
        .photo(&photo_id)
        .await?
        .filter(|p| p.client_id == client_id && p.withdrawn.is_none())
        .ok_or_else(|| Error::NotFound("The design's photo is gone.".into()))?;
    let full = photos::full_photo(&state, &who.user().studio, &photo).await?;
    let hair = match &design {
        SavedDesign::OnPhoto(design) => match &design.photo.hair_mask {
            Some(name) => Some(hair_masks::saved(&state, &who, &photo, &name.to_string_lossy()).await?),
            None => None,
        },
        SavedDesign::OnHead(_) => None,
    };
    // An export shows the client's photo: logged like a photo view.
    who.studio(&state).audit(who.user(), AuditAction::ExportDesign, &client_id).await?;
    let rendered = state
        .cpu
        .run(&who.user().id, move || match design {
            SavedDesign::OnPhoto(design) => {
                let pattern = smp_render::place(&full, &design);
                render_preview(&full, &design, &pattern, stage, hair.as_ref()).map_err(|e| e.to_string())
            }
            SavedDesign::OnHead(on_head) => {
                let view = crate::head_editor::view_on(&on_head, &photo.id, 1.0)?;
                render_preview(&full, &view.design, &view.pattern, stage, None).map_err(|e| e.to_string())
            }
        })
        .await?;
    let jpeg = match rendered {
        Ok(jpeg) => jpeg,
        Err(why) if is_on_head(&saved) => return Err(Error::BadRequest(why)),
        Err(why) => return Err(Error::internal(&why, "The export could not be drawn.")),
    };
    let name =
        format!("attachment; filename=\"design-v{}-{}.jpg\"", saved.version, query.stage.replace(':', "-"));
    Ok(([(CONTENT_TYPE, "image/jpeg".to_string()), (axum::http::header::CONTENT_DISPOSITION, name)], jpeg)
        .into_response())
}

/// Age in whole years today, from an ISO birth date.
pub(crate) fn age_of(birth_date: Option<&str>) -> Option<u32> {
    let born: chrono::NaiveDate = birth_date?.parse().ok()?;
    crate::clock::today().years_since(born)
}
