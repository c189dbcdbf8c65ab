//! The design on the head (schema 2): one design drawn on whichever of the
//! client's photos suits, the points that tie each photo to the head model
//! tapped on each, how well each photo fits, and the simulation on every
//! photo. Versions are saved like those drawn on one photo.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use smp_core::head::HeadMeasurements;
use smp_core::head_design::{HeadDesign, parse_head_design};
use smp_core::pose::PoseFit;
use smp_optics::ageing::Stage;
use smp_store::{Photo, Session};

use crate::designs::{STAGES, StageChoice};
use crate::editor_form::explain;
use crate::head_form::{HeadEditorForm, default_density, head_design_file, head_form_of, photo_names};
use crate::preview::{cached_screen, not_drawable, render_preview};
use crate::{AppState, Error, Result, Staff, day_of};

/// The address of a saved version's editor: the head editor for a design
/// on the head, the one-photo editor for any other.
pub(crate) fn version_href(client_id: &str, version: &smp_store::DesignVersion) -> String {
    if is_on_head(version) {
        format!("/clients/{client_id}/head-design?design={}", version.id)
    } else {
        format!("/clients/{client_id}/photos/{}/design?design={}", version.photo_id, version.id)
    }
}

/// Whether a saved version is a design on the head (schema 2).
pub(crate) fn is_on_head(version: &smp_store::DesignVersion) -> bool {
    smp_core::head_design::schema_of(&version.design_toml) == Some(smp_core::head_design::HEAD_SCHEMA_VERSION)
}

/// A saved design as a design on one photo: itself, or for a design on
/// the head, as the photo of its first zone sees it (what the client and
/// pigment forecasts read); `None` when it does not read.
pub(crate) fn flat_design(design_toml: &str) -> Option<smp_core::Design> {
    if smp_core::head_design::schema_of(design_toml) != Some(smp_core::head_design::HEAD_SCHEMA_VERSION) {
        return smp_core::parse(design_toml).ok();
    }
    let design = parse_head_design(design_toml).ok()?;
    let fit = design.fit().ok()?;
    smp_pattern::head::drawn_on(&design, &fit, &design.file.zones.first()?.on)
}

/// One photo's tab.
struct PhotoTab {
    id: String,
    name: String,
    width: i64,
    height: i64,
}

#[derive(Template)]
#[template(path = "head_design.html")]
struct HeadEditorPage<'a> {
    who: &'a Session,
    client: smp_store::Client,
    photos: Vec<PhotoTab>,
    form: HeadEditorForm,
    /// When the head was measured, or `None` (a typical head is assumed).
    measured: Option<String>,
    versions: Vec<(String, smp_store::DesignVersion, String)>,
    current: Option<i64>,
    current_id: Option<String>,
    message: Option<String>,
    error: Option<String>,
    stages: &'static [StageChoice],
    new_density: String,
    /// The quotes of the version open, and the treatments to quote.
    quotes: Vec<crate::prices::QuoteView>,
    /// Its consultation reports.
    reports: Vec<crate::report::ReportLine>,
    treatments: Vec<(&'static str, &'static str)>,
}

/// The client, the photos in use (oldest first: the order they were
/// taken, and stable names), and the latest head measuring.
async fn client_photos(
    state: &AppState,
    who: &Staff,
    client_id: &str,
) -> Result<(smp_store::Client, Vec<Photo>, Option<(HeadMeasurements, i64)>)> {
    who.require_clinical("Designs")?;
    let client = who.client(state, client_id).await?;
    let studio = who.studio(state);
    let mut photos = studio.photos(client_id).await?;
    photos.reverse();
    let measured = studio.head_measurements(client_id).await?.into_iter().next().map(|m| {
        let tape = HeadMeasurements {
            circumference_mm: m.circumference_mm,
            ear_to_ear_mm: m.ear_to_ear_mm,
            front_to_back_mm: m.front_to_back_mm,
        };
        (tape, m.measured_at)
    });
    Ok((client, photos, measured))
}

/// The editor's state as a checked design on the head, or what is wrong.
fn drawn(
    form: &HeadEditorForm,
    photos: &[Photo],
    measured: Option<HeadMeasurements>,
) -> std::result::Result<(String, HeadDesign), String> {
    let file = head_design_file(form, photos, measured)?;
    let text = toml::to_string(&file).map_err(|e| format!("The design could not be written: {e}"))?;
    let design = parse_head_design(&text).map_err(|e| explain(&e))?;
    Ok((text, design))
}

/// What the page shows besides the photos.
struct PageState {
    form: HeadEditorForm,
    current: Option<(i64, String)>,
    message: Option<String>,
    error: Option<String>,
}

async fn page(state: &AppState, who: &Staff, client_id: &str, view: PageState) -> Result<Response> {
    let (client, photos, measured) = client_photos(state, who, client_id).await?;
    let versions = who
        .studio(state)
        .designs(client_id)
        .await?
        .into_iter()
        .map(|v| {
            let href = version_href(client_id, &v);
            (day_of(v.created_at), v, href)
        })
        .collect();
    let tabs = photo_names(&photos)
        .into_iter()
        .map(|(name, p)| PhotoTab { id: p.id.clone(), name, width: p.width, height: p.height })
        .collect();
    let status = if view.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let (quotes, reports) = match &view.current {
        Some((_, id)) => (
            crate::prices::quotes_of(&who.studio(state), id).await?,
            crate::report::reports_of(&who.studio(state), client_id, id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let page = HeadEditorPage {
        quotes,
        reports,
        treatments: crate::prices::treatments(),
        who: &who.session,
        client,
        photos: tabs,
        form: view.form,
        measured: measured.map(|(_, at)| day_of(at)),
        versions,
        current: view.current.as_ref().map(|(v, _)| *v),
        current_id: view.current.map(|(_, id)| id),
        message: view.message,
        error: view.error,
        stages: &STAGES,
        new_density: default_density(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct EditorQuery {
    design: Option<String>,
    /// Start from a blank drawing even when a version exists.
    blank: Option<String>,
}

/// The editor, with the latest design on the head (or `?design=ID`), or
/// blank.
pub(crate) async fn edit(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
    Query(query): Query<EditorQuery>,
) -> Result<Response> {
    who.require_clinical("Designs")?;
    let versions = who.studio(&state).designs(&client_id).await?;
    let on_head = |v: &&smp_store::DesignVersion| is_on_head(v);
    let open = match (&query.design, query.blank.is_some()) {
        (Some(id), _) => Some(
            versions
                .iter()
                .filter(on_head)
                .find(|d| &d.id == id)
                .ok_or_else(|| Error::NotFound("This client has no such design on the head.".into()))?,
        ),
        (None, false) => versions.iter().find(on_head),
        (None, true) => None,
    };
    let view = match open {
        Some(saved) => PageState {
            form: head_form_of(&saved.design_toml),
            current: Some((saved.version, saved.id.clone())),
            message: Some(format!(
                "Version {} by {}, {}.",
                saved.version,
                saved.staff_name,
                day_of(saved.created_at)
            )),
            error: None,
        },
        None => PageState { form: HeadEditorForm::default(), current: None, message: None, error: None },
    };
    page(&state, &who, &client_id, view).await
}

#[derive(Deserialize)]
pub(crate) struct SaveForm {
    csrf: String,
    #[serde(flatten)]
    editor: HeadEditorForm,
}

/// Saves the editor's state as the client's next design version, when
/// every photo's points fit the head; otherwise the page again, with the
/// drawing kept and what is wrong.
pub(crate) async fn save(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
    Form(form): Form<SaveForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    let (_, photos, measured) = client_photos(&state, &who, &client_id).await?;
    let checked = drawn(&form.editor, &photos, measured.map(|(m, _)| m)).and_then(|(text, design)| {
        let fit = design.fit().map_err(|e| capitalised(&e.to_string()))?;
        smp_pattern::head::generate(&design, &fit).map_err(|e| capitalised(&e))?;
        Ok((text, design))
    });
    let (text, design) = match checked {
        Ok(ok) => ok,
        Err(error) => {
            let view = PageState { form: form.editor, current: None, message: None, error: Some(error) };
            return page(&state, &who, &client_id, view).await;
        }
    };
    // Kept with the first photo the design uses (the store's link to it).
    let first = design.photos[0].0.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let saved = who
        .studio(&state)
        .save_design(&client_id, &first, who.user(), &text)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such photo.".into()))?;
    Ok(Redirect::to(&format!("/clients/{client_id}/head-design?design={}", saved.id)).into_response())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    let text = first + chars.as_str();
    if text.ends_with('.') { text } else { text + "." }
}

/// How one photo fits the head, for the badge beside its tab.
#[derive(Serialize)]
struct PhotoFit {
    /// The points' residual, mm on the head.
    rms_mm: f64,
    /// Beyond the usable: the design cannot be drawn until it is mended.
    poor: bool,
    warnings: Vec<String>,
    /// The hairline and the zones drawn on other photos, as this one sees
    /// them (in its pixels): shown dashed on it.
    carried: Vec<Vec<[f64; 2]>>,
}

/// The fit's answer.
#[derive(Serialize, Default)]
struct FitAnswer {
    /// Why the design cannot be drawn yet, in words.
    problem: Option<String>,
    /// About the design as a whole (a typical head assumed...).
    warnings: Vec<String>,
    /// By photo id.
    photos: std::collections::BTreeMap<String, PhotoFit>,
    /// Each zone's area of scalp, cm2, in order.
    zones_cm2: Vec<f64>,
    /// All impressions on the head.
    impressions: Option<usize>,
}

/// How each photo's points fit the head, as JSON (see [`FitAnswer`]); the
/// shapes drawn on each photo carried onto the others; the zones' areas of
/// scalp and the impressions.
pub(crate) async fn fit(
    State(state): State<AppState>,
    who: Staff,
    Path(client_id): Path<String>,
    Form(form): Form<HeadEditorForm>,
) -> Result<Response> {
    let (_, photos, measured) = client_photos(&state, &who, &client_id).await?;
    let answer =
        state.cpu.run(&who.user().id, move || fit_answer(&form, &photos, measured.map(|(m, _)| m))).await?;
    let json =
        serde_json::to_string(&answer).map_err(|e| Error::internal(&e, "The fit could not be written."))?;
    Ok(([(CONTENT_TYPE, "application/json")], json).into_response())
}

fn fit_answer(form: &HeadEditorForm, photos: &[Photo], measured: Option<HeadMeasurements>) -> FitAnswer {
    let design = match drawn(form, photos, measured) {
        Ok((_, design)) => design,
        Err(problem) => return FitAnswer { problem: Some(problem), ..FitAnswer::default() },
    };
    let marks: Vec<_> = design.photos.iter().map(|(_, m)| m.clone()).collect();
    let fit = match smp_core::pose::fit(&design.head, &marks) {
        Ok(fit) => fit,
        Err(e) => return FitAnswer { problem: Some(capitalised(&e.to_string())), ..FitAnswer::default() },
    };
    let id_of = |name: &str| {
        design
            .photos
            .iter()
            .find(|(_, m)| m.name == name)
            .and_then(|(path, _)| path.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut answer = FitAnswer { warnings: design.warnings(), ..FitAnswer::default() };
    answer.problem = fit.usable().err().map(|e| capitalised(&e.to_string()));
    for photo in &fit.photos {
        answer.photos.insert(
            id_of(&photo.name),
            PhotoFit {
                rms_mm: (photo.rms_mm * 10.0).round() / 10.0,
                poor: photo.rms_mm > smp_core::pose::HOPELESS_RMS_MM,
                warnings: photo.warnings(),
                carried: carried_onto(&design, &fit, &photo.name),
            },
        );
    }
    if answer.problem.is_none() {
        for zone in &design.file.zones {
            let area = fit.camera(&zone.on).and_then(|camera| {
                let vertices = zone.polygon.iter().map(|[x, y]| smp_core::Point::new(*x, *y)).collect();
                let polygon = smp_core::Polygon::new(vertices).ok()?;
                Some(
                    smp_core::surface::zone_on_head(&design.head, &camera, &polygon, zone.feather_mm)
                        .area_cm2,
                )
            });
            answer.zones_cm2.push(area.map_or(0.0, |a| (a * 10.0).round() / 10.0));
        }
        match smp_pattern::head::generate(&design, &fit) {
            Ok(pattern) => answer.impressions = Some(pattern.impressions.len()),
            Err(e) => answer.problem = Some(capitalised(&e)),
        }
    }
    answer
}

/// The hairline and zones drawn on other photos than `name`, as it sees them.
fn carried_onto(design: &HeadDesign, fit: &PoseFit, name: &str) -> Vec<Vec<[f64; 2]>> {
    let Some(to) = fit.camera(name) else { return Vec::new() };
    let file = &design.file;
    let shapes = file
        .hairline
        .iter()
        .map(|h| (&h.on, &h.points, false))
        .chain(file.zones.iter().map(|z| (&z.on, &z.polygon, true)));
    let mut lines = Vec::new();
    for (on, points, closed) in shapes {
        if on == name {
            continue;
        }
        if let Some(from) = fit.camera(on) {
            lines.extend(smp_core::pose::carry_line(&design.head, &from, &to, points, closed, 24));
        }
    }
    lines
}

#[derive(Deserialize)]
pub(crate) struct PreviewForm {
    #[serde(default = "healed")]
    stage: String,
    #[serde(flatten)]
    editor: HeadEditorForm,
}

fn healed() -> String {
    "healed".into()
}

/// The simulation of the editor's state on one photo's screen copy, as
/// JPEG; a plain text message with status 422 when the design cannot be
/// drawn yet (an answer, not a failure: the editor shows it in place of the
/// picture).
pub(crate) async fn preview(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, photo_id)): Path<(String, String)>,
    Form(form): Form<PreviewForm>,
) -> Result<Response> {
    let (_, photos, measured) = client_photos(&state, &who, &client_id).await?;
    let photo = photos
        .iter()
        .find(|p| p.id == photo_id)
        .cloned()
        .ok_or_else(|| Error::NotFound("This client has no such photo.".into()))?;
    let Ok(stage) = form.stage.parse::<Stage>() else {
        return Ok(not_drawable(format!("{:?} is not a stage", form.stage)));
    };
    let screen = cached_screen(&state, &who, &photo).await?;
    let factor = screen.width() as f64 / photo.width.max(1) as f64;
    let rendered = state
        .cpu
        .run(&who.user().id, move || -> std::result::Result<Vec<u8>, String> {
            let (_, design) = drawn(&form.editor, &photos, measured.map(|(m, _)| m))?;
            let view = view_on(&design, &photo.id, factor)?;
            render_preview(&screen, &view.design, &view.pattern, stage, None).map_err(|e| e.to_string())
        })
        .await?;
    match rendered {
        Ok(jpeg) => Ok(([(CONTENT_TYPE, "image/jpeg")], jpeg).into_response()),
        Err(why) => Ok(not_drawable(why)),
    }
}

/// What the photo `photo_id` shows of a design on the head, on a copy of
/// it `factor` times its size; what is missing, in words.
pub(crate) fn view_on(
    design: &HeadDesign,
    photo_id: &str,
    factor: f64,
) -> std::result::Result<smp_pattern::head::View, String> {
    let fit = design.fit().map_err(|e| capitalised(&e.to_string()))?;
    let name = design
        .photos
        .iter()
        .find(|(path, _)| path.file_stem().is_some_and(|s| s == photo_id))
        .map(|(_, m)| m.name.clone())
        .ok_or("Tap the points on this photo first: between the brows, the ear tops, and the marks on the scalp.")?;
    let camera = fit.camera(&name).ok_or("This photo has no camera fitted yet.")?;
    // The camera on the copy: the same, at its scale.
    let on_copy = smp_core::pose::Camera {
        scale: camera.scale * factor,
        offset: camera.offset.map(|v| v * factor),
        ..camera
    };
    let pattern = smp_pattern::head::generate(design, &fit).map_err(|e| capitalised(&e))?;
    smp_pattern::head::view(design, &pattern, &on_copy, &name)
        .ok_or_else(|| "This photo sees none of the design's impressions.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_a_capital_and_end_with_a_stop() {
        assert_eq!(capitalised("photo \"top\": too few"), "Photo \"top\": too few.");
        assert_eq!(capitalised("Done."), "Done.");
    }

    #[test]
    fn an_empty_drawing_is_explained_not_fitted() {
        let answer = fit_answer(&HeadEditorForm::default(), &[], None);
        assert!(answer.problem.unwrap().contains("Tap the points"));
    }
}
