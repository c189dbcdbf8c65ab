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
use smp_core::design_file::{
    ClientSection, DesignFile, HairlineSection, ImpressionsSection, PhotoSection, PigmentSection,
    ScaleSection, ZoneSection,
};
use smp_core::{HairlineStyle, View};
use smp_optics::LayeredOptics;
use smp_optics::ageing::Stage;
use smp_pattern::Pattern;
use smp_store::{Photo, PhotoAngle, Session};

use crate::{AppState, Error, Result, Staff, day_of, photos};
use smp_store::AuditAction;

/// What the editor sends: the drawing in the full photo's pixels and the
/// parameters, as typed (checked when turned into a design file). Points
/// are `x,y` pairs separated by spaces; a field left out takes a new
/// design's starting value.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct EditorForm {
    pub scale_from: String,
    pub scale_to: String,
    pub scale_mm: String,
    pub hairline: String,
    /// The point between the brows, on a front photo (optional).
    pub glabella: String,
    /// Where to read the skin's colour instead of the zones (optional):
    /// a polygon around bare scalp.
    pub skin_region: String,
    pub style: String,
    pub transition_mm: String,
    pub zone: String,
    pub density: String,
    /// Further zones: polygons separated by `|`.
    pub extra_zones: String,
    /// Their densities, in the same order, separated by `|`.
    pub extra_densities: String,
    pub feather_mm: String,
    pub diameter_mm: String,
    pub dilution: String,
    pub depth_mm: String,
    /// 1 to 6, or `photo` to leave the type to the skin's colour on the photo.
    pub fitzpatrick: String,
    pub hair_color: String,
    pub seed: String,
}

/// A new design's starting values ([`DesignFile`]'s own), with skin type
/// III until the practitioner says otherwise.
impl Default for EditorForm {
    fn default() -> Self {
        let file = DesignFile::default();
        let hairline = HairlineSection::default();
        let zone = ZoneSection::default();
        Self {
            scale_from: String::new(),
            scale_to: String::new(),
            scale_mm: String::new(),
            hairline: String::new(),
            glabella: String::new(),
            skin_region: String::new(),
            style: hairline.style.as_str().into(),
            transition_mm: hairline.transition_mm.to_string(),
            zone: String::new(),
            density: zone.density.to_string(),
            extra_zones: String::new(),
            extra_densities: String::new(),
            feather_mm: zone.feather_mm.to_string(),
            diameter_mm: file.impressions.diameter_mm.to_string(),
            dilution: file.pigment.dilution.to_string(),
            depth_mm: file.pigment.depth_mm.to_string(),
            fitzpatrick: "3".into(),
            hair_color: file.client.hair_color,
            seed: file.seed.to_string(),
        }
    }
}

/// Points from `x,y x,y ...`, scaled by `factor`; `what` names them in errors.
fn points(text: &str, factor: f64, what: &str) -> Result<Vec<[f64; 2]>, String> {
    text.split_whitespace()
        .map(|pair| {
            let (x, y) =
                pair.split_once(',').ok_or_else(|| format!("{what}: {pair:?} is not a point x,y"))?;
            let parse = |v: &str| v.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            match (parse(x), parse(y)) {
                (Some(x), Some(y)) => Ok([x * factor, y * factor]),
                _ => Err(format!("{what}: {pair:?} is not a point x,y")),
            }
        })
        .collect()
}

fn number(text: &str, what: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{what}: {:?} is not a number", text.trim()))
}

/// The photo's view in the design file, from its angle label.
fn view_of(angle: PhotoAngle) -> View {
    match angle {
        PhotoAngle::Front => View::Front,
        PhotoAngle::Left => View::Left,
        PhotoAngle::Right => View::Right,
        PhotoAngle::Top | PhotoAngle::Crown => View::Top,
        PhotoAngle::Back => View::Back,
    }
}

/// Coordinates are kept to a tenth of a pixel: finer is noise of the
/// scaling, and the saved file stays readable.
fn tenth(point: [f64; 2]) -> [f64; 2] {
    point.map(|v| (v * 10.0).round() / 10.0)
}

/// The design file for the editor's state, with every coordinate scaled by
/// `factor` (1 for the photo itself; the preview draws on a smaller copy).
/// Typed words become values of the file's own types (a style, a colour, a
/// number), so nothing typed can change the document's shape; the design
/// parser then checks every value as it checks a file.
pub(crate) fn design_file(
    form: &EditorForm,
    photo_file: &str,
    angle: PhotoAngle,
    factor: f64,
) -> Result<DesignFile, String> {
    let scale_from = points(&form.scale_from, factor, "The scale's first point")?;
    let scale_to = points(&form.scale_to, factor, "The scale's second point")?;
    let (Some(&from), Some(&to)) = (scale_from.first(), scale_to.first()) else {
        return Err("Set the scale: click two points on the photo and type their distance in mm.".into());
    };
    let mm = number(&form.scale_mm, "The scale's distance")?;
    let zone = points(&form.zone, factor, "The zone")?;
    if zone.len() < 3 {
        return Err("Draw the zone to treat: at least three points on the photo.".into());
    }
    let mut zones = vec![(zone, number(&form.density, "The density")?)];
    let extra_densities: Vec<&str> =
        form.extra_densities.split('|').filter(|d| !d.trim().is_empty()).collect();
    for (i, polygon) in form.extra_zones.split('|').filter(|z| !z.trim().is_empty()).enumerate() {
        let what = format!("Zone {}", i + 2);
        let polygon = points(polygon, factor, &what)?;
        if polygon.len() < 3 {
            return Err(format!("{what}: draw at least three points, or clear it."));
        }
        let density = extra_densities.get(i).ok_or_else(|| format!("{what} has no density"))?;
        zones.push((polygon, number(density, &format!("{what}'s density"))?));
    }
    let hairline = points(&form.hairline, factor, "The hairline")?;
    let skin_region = match points(&form.skin_region, factor, "The skin sample")? {
        skin if skin.is_empty() => None,
        skin if skin.len() < 3 => {
            return Err("The skin sample: tap at least three points around bare scalp, or clear it.".into());
        }
        skin => Some(skin),
    };
    let style = HairlineStyle::ALL
        .into_iter()
        .find(|s| s.as_str() == form.style)
        .ok_or_else(|| format!("{:?} is not a hairline style", form.style))?;
    let hair = smp_core::Srgb8::from_hex(form.hair_color.trim())
        .ok_or_else(|| format!("The hair colour {:?} is not a colour like #2a221d", form.hair_color))?;
    let seed = form
        .seed
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("The seed {:?} is not a whole number", form.seed))?;
    // "photo": no type in the design, so the skin's colour on the photo gives it.
    let fitzpatrick = match form.fitzpatrick.trim() {
        "photo" => None,
        t => match t.parse::<i64>() {
            Ok(n @ 1..=6) => Some(n),
            _ => return Err(format!("The skin type {:?} is not 1 to 6", form.fitzpatrick)),
        },
    };
    let hairline = if hairline.len() >= 2 {
        let glabella = points(&form.glabella, factor, "The point between the brows")?.first().copied();
        Some(HairlineSection {
            style,
            points: hairline.into_iter().map(tenth).collect(),
            transition_mm: number(&form.transition_mm, "The transition")?,
            glabella: glabella.map(tenth),
        })
    } else {
        None
    };
    let feather_mm = number(&form.feather_mm, "The feather")?;
    let defaults = DesignFile::default();
    Ok(DesignFile {
        seed,
        photo: PhotoSection {
            path: photo_file.into(),
            view: view_of(angle),
            scale: ScaleSection { from: tenth(from), to: tenth(to), mm },
        },
        client: ClientSection {
            fitzpatrick,
            hair_color: hair.to_hex(),
            skin_region: skin_region.map(|skin| skin.into_iter().map(tenth).collect()),
            ..defaults.client
        },
        hairline,
        zones: zones
            .into_iter()
            .enumerate()
            .map(|(i, (polygon, density))| ZoneSection {
                name: format!("zone {}", i + 1),
                polygon: polygon.into_iter().map(tenth).collect(),
                density,
                feather_mm,
            })
            .collect(),
        impressions: ImpressionsSection {
            diameter_mm: number(&form.diameter_mm, "The dot size")?,
            ..defaults.impressions
        },
        pigment: PigmentSection {
            dilution: number(&form.dilution, "The dilution")?,
            depth_mm: number(&form.depth_mm, "The depth")?,
        },
        ..defaults
    })
}

/// The design file's text for the editor's state (see [`design_file`]).
pub(crate) fn design_toml(
    form: &EditorForm,
    photo_file: &str,
    angle: PhotoAngle,
    factor: f64,
) -> Result<String, String> {
    design_file(form, photo_file, angle, factor).map(|file| file.to_toml())
}

/// The editor's state back from a saved design file, in the photo's pixels;
/// a file the editor cannot read opens as a new design.
fn form_of(design_toml: &str) -> EditorForm {
    let Ok(file) = toml::from_str::<DesignFile>(design_toml) else { return EditorForm::default() };
    let pair = |[x, y]: [f64; 2]| format!("{x},{y}");
    let list = |points: &[[f64; 2]]| points.iter().copied().map(pair).collect::<Vec<_>>().join(" ");
    let mut form = EditorForm {
        scale_from: pair(file.photo.scale.from),
        scale_to: pair(file.photo.scale.to),
        scale_mm: file.photo.scale.mm.to_string(),
        fitzpatrick: file.client.fitzpatrick.map_or_else(|| "photo".into(), |n| n.to_string()),
        hair_color: file.client.hair_color,
        skin_region: file.client.skin_region.as_deref().map(list).unwrap_or_default(),
        diameter_mm: file.impressions.diameter_mm.to_string(),
        dilution: file.pigment.dilution.to_string(),
        depth_mm: file.pigment.depth_mm.to_string(),
        seed: file.seed.to_string(),
        ..EditorForm::default()
    };
    if let Some(h) = file.hairline {
        form.hairline = list(&h.points);
        form.glabella = h.glabella.map(pair).unwrap_or_default();
        form.style = h.style.as_str().into();
        form.transition_mm = h.transition_mm.to_string();
    }
    if let Some((first, rest)) = file.zones.split_first() {
        form.zone = list(&first.polygon);
        form.density = first.density.to_string();
        form.feather_mm = first.feather_mm.to_string();
        form.extra_zones = rest.iter().map(|z| list(&z.polygon)).collect::<Vec<_>>().join("|");
        form.extra_densities = rest.iter().map(|z| z.density.to_string()).collect::<Vec<_>>().join("|");
    }
    form
}

/// One of the client's photos, with the client, or a page saying there is none.
async fn client_photo(
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

/// What the live preview keeps between requests: the decoded screen copies
/// of the photos being edited, and the patterns of the latest drawings (a
/// stage, dilution or depth change leaves the pattern as it was).
#[derive(Default)]
pub(crate) struct PreviewCache {
    screens: Vec<(String, Arc<image::RgbImage>)>,
    patterns: Vec<(String, Arc<Pattern>)>,
}

/// Photos and patterns the cache holds: a few editors at once.
const CACHED_SCREENS: usize = 4;
const CACHED_PATTERNS: usize = 8;

/// Keeps `value` under `key` in a small most-recent-first list.
fn remember<T>(list: &mut Vec<(String, Arc<T>)>, key: String, value: Arc<T>, capacity: usize) {
    list.retain(|(k, _)| *k != key);
    list.insert(0, (key, value));
    list.truncate(capacity);
}

fn recall<T>(list: &[(String, Arc<T>)], key: &str) -> Option<Arc<T>> {
    list.iter().find(|(k, _)| k == key).map(|(_, v)| Arc::clone(v))
}

/// Everything the pattern depends on (not the pigment, the skin or the stage).
fn pattern_key(photo_id: &str, design: &smp_core::Design) -> String {
    format!(
        "{photo_id} {} {} {:?} {:?} {:?} {:?}",
        design.seed,
        design.photo.mm_per_px,
        design.hairline,
        design.zones,
        design.impressions,
        design.sessions
    )
}

impl AppState {
    fn preview_cache(&self) -> std::sync::MutexGuard<'_, PreviewCache> {
        // A poisoned cache only means a panic while it was held: its data is
        // plain values, still usable.
        self.previews.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The decoded screen copy of a photo, from the cache when it is there.
async fn cached_screen(state: &AppState, who: &Staff, photo: &Photo) -> Result<Arc<image::RgbImage>> {
    if let Some(screen) = recall(&state.preview_cache().screens, &photo.id) {
        return Ok(screen);
    }
    let screen = Arc::new(photos::screen_copy(state, &who.user().studio, photo).await?);
    remember(&mut state.preview_cache().screens, photo.id.clone(), Arc::clone(&screen), CACHED_SCREENS);
    Ok(screen)
}

/// A stage the preview offers: the stage (written as `--stage` writes it),
/// its name, and the short form under the slider's tick (nine names do not
/// fit a tablet's half width; the full name shows above the preview).
struct StageChoice {
    value: Stage,
    label: &'static str,
    short: &'static str,
}

const fn stage(value: Stage, label: &'static str, short: &'static str) -> StageChoice {
    StageChoice { value, label, short }
}

/// The stages the preview offers, in time order.
const STAGES: [StageChoice; 9] = [
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
    versions: Vec<(String, smp_store::DesignVersion)>,
    current: Option<i64>,
    current_id: Option<String>,
    message: Option<String>,
    error: Option<String>,
    stages: &'static [StageChoice],
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
    who: &Staff,
    client: smp_store::Client,
    photo: Photo,
    versions: Vec<smp_store::DesignVersion>,
    view: EditorView,
) -> Result<Response> {
    let versions = versions.into_iter().map(|v| (day_of(v.created_at), v)).collect();
    let status = if view.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = EditorPage {
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
        (None, false) => versions.iter().find(|d| d.photo_id == photo.id),
        (None, true) => None,
    };
    let (form, current, current_id, message) = match open {
        Some(saved) => {
            let note =
                format!("Version {} by {}, {}.", saved.version, saved.staff_name, day_of(saved.created_at));
            (form_of(&saved.design_toml), Some(saved.version), Some(saved.id.clone()), Some(note))
        }
        None => (EditorForm::default(), None, None, None),
    };
    let view = EditorView { form, current, current_id, message, error: None };
    editor(&who, client, photo, versions, view).await
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
    let checked = design_toml(&form.editor, &format!("{}.jpg", photo.id), photo.angle, 1.0)
        .and_then(|text| parse(&text).map(|_| text).map_err(|e| explain(&e)));
    let text = match checked {
        Ok(text) => text,
        Err(error) => {
            let view = EditorView {
                form: form.editor,
                current: None,
                current_id: None,
                message: None,
                error: Some(error),
            };
            let versions = who.studio(&state).designs(&client_id).await?;
            return editor(&who, client, photo, versions, view).await;
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

fn explain(e: &smp_core::design::DesignError) -> String {
    if e.key.is_empty() { e.message.clone() } else { format!("{}: {}", e.key, e.message) }
}

#[derive(Deserialize)]
pub(crate) struct PreviewForm {
    #[serde(default = "healed")]
    stage: String,
    #[serde(flatten)]
    editor: EditorForm,
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
    let unusable = |m: String| {
        Ok((StatusCode::UNPROCESSABLE_ENTITY, [(CONTENT_TYPE, "text/plain; charset=utf-8")], m)
            .into_response())
    };
    let (_, photo) = client_photo(&state, &who, &client_id, &photo_id).await?;
    let Ok(stage) = form.stage.parse::<Stage>() else {
        return unusable(format!("{:?} is not a stage", form.stage));
    };
    let screen = cached_screen(&state, &who, &photo).await?;
    let factor = screen.width() as f64 / photo.width.max(1) as f64;
    let design = match design_toml(&form.editor, "screen.jpg", photo.angle, factor)
        .and_then(|text| parse(&text).map_err(|e| explain(&e)))
    {
        Ok(d) => d,
        Err(m) => return unusable(m),
    };
    let key = pattern_key(&photo.id, &design);
    let cached = recall(&state.preview_cache().patterns, &key);
    let (jpeg, pattern) = state
        .cpu
        .run(&who.user().id, move || {
            let pattern = cached.unwrap_or_else(|| Arc::new(Pattern::generate(&design)));
            render_preview(&screen, &design, &pattern, stage).map(|jpeg| (jpeg, pattern))
        })
        .await?
        .map_err(|e| Error::internal(&e, "The preview could not be drawn."))?;
    remember(&mut state.preview_cache().patterns, key, pattern, CACHED_PATTERNS);
    Ok(([(CONTENT_TYPE, "image/jpeg")], jpeg).into_response())
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
    let (client, photo) = client_photo(&state, &who, &client_id, &photo_id).await?;
    let screen = cached_screen(&state, &who, &photo).await?;
    let factor = screen.width() as f64 / photo.width.max(1) as f64;
    let age = age_of(client.birth_date.as_deref());
    // Reading the skin and the optics take a CPU for a moment: in the pool.
    let answer = state
        .cpu
        .run(&who.user().id, move || advise(&form.editor, &screen, photo.angle, factor, age))
        .await?;
    Ok(([(CONTENT_TYPE, "application/json")], answer.to_string()).into_response())
}

/// The advice answer for the editor's state on the screen copy.
fn advise(
    editor: &EditorForm,
    screen: &image::RgbImage,
    angle: PhotoAngle,
    factor: f64,
    age: Option<u32>,
) -> serde_json::Value {
    match design_toml(editor, "screen.jpg", angle, factor)
        .and_then(|text| parse(&text).map_err(|e| explain(&e)))
    {
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
        .design(&design_id)
        .await?
        .filter(|d| d.client_id == client_id)
        .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
    let stage = query
        .stage
        .parse::<Stage>()
        .map_err(|_| Error::BadRequest(format!("{:?} is not a stage.", query.stage)))?;
    let design = parse(&saved.design_toml).map_err(|e| {
        let why = explain(&e);
        Error::internal(&why, format!("The saved design is unreadable: {why}"))
    })?;
    let photo = who
        .studio(&state)
        .photo(&saved.photo_id)
        .await?
        .ok_or_else(|| Error::NotFound("The design's photo is gone.".into()))?;
    let full = photos::full_photo(&state, &who.user().studio, &photo).await?;
    // An export shows the client's photo: logged like a photo view.
    who.studio(&state).audit(who.user(), AuditAction::ExportDesign, &client_id).await?;
    let jpeg = state
        .cpu
        .run(&who.user().id, move || {
            let pattern = Pattern::generate(&design);
            render_preview(&full, &design, &pattern, stage)
        })
        .await?
        .map_err(|e| Error::internal(&e, "The export could not be drawn."))?;
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

/// The design rendered at `stage` on `photo` (a copy), as JPEG.
pub(crate) fn render_preview(
    screen: &image::RgbImage,
    design: &smp_core::Design,
    pattern: &Pattern,
    stage: Stage,
) -> Result<Vec<u8>, image::ImageError> {
    let mut canvas = screen.clone();
    if stage != Stage::Before {
        smp_render::render_stage(
            &mut canvas,
            design,
            pattern,
            &LayeredOptics,
            stage,
            &smp_render::DEFAULT_GAPS,
            &|_, _| {},
        );
    }
    let mut out = Vec::new();
    // Screen-size previews favour speed; full-size exports are for keeping.
    let quality = if canvas.width() > smp_render::photo::SCREEN_SIDE { 92 } else { 85 };
    smp_render::photo::encode_jpeg(&canvas, quality, &mut out).map_err(|message| {
        image::ImageError::Encoding(image::error::EncodingError::new(
            image::ImageFormat::Jpeg.into(),
            message,
        ))
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn() -> EditorForm {
        EditorForm {
            scale_from: "100,900".into(),
            scale_to: "1100,900".into(),
            scale_mm: "100".into(),
            hairline: "200,300 600,200 1000,300".into(),
            zone: "150,250 1050,250 1050,800 150,800".into(),
            ..EditorForm::default()
        }
    }

    #[test]
    fn the_editors_state_becomes_a_valid_design_and_back() {
        let text = design_toml(&drawn(), "p.jpg", PhotoAngle::Front, 1.0).unwrap();
        let design = parse(&text).unwrap();
        assert!((design.photo.mm_per_px - 0.1).abs() < 1e-9);
        assert_eq!(design.zones[0].polygon.vertices().len(), 4);
        let back = form_of(&text);
        assert_eq!(
            (back.zone.as_str(), back.scale_mm.as_str()),
            ("150,250 1050,250 1050,800 150,800", "100")
        );
        assert_eq!(back.hairline, "200,300 600,200 1000,300");
        // Scaled for a half-size copy: the same millimetres.
        let half = parse(&design_toml(&drawn(), "p.jpg", PhotoAngle::Front, 0.5).unwrap()).unwrap();
        assert!((half.photo.mm_per_px - 0.2).abs() < 1e-9);
    }

    #[test]
    fn the_pattern_is_kept_across_stage_and_pigment_changes_only() {
        let design =
            |form: &EditorForm| parse(&design_toml(form, "p.jpg", PhotoAngle::Top, 1.0).unwrap()).unwrap();
        let base = pattern_key("photo", &design(&drawn()));
        let pigment = EditorForm { dilution: "0.4".into(), depth_mm: "0.5".into(), ..drawn() };
        assert_eq!(pattern_key("photo", &design(&pigment)), base);
        let denser = EditorForm { density: "80".into(), ..drawn() };
        assert_ne!(pattern_key("photo", &design(&denser)), base);
        assert_ne!(pattern_key("other photo", &design(&drawn())), base);
        let mut list = Vec::new();
        for i in 0..5 {
            remember(&mut list, format!("k{i}"), Arc::new(i), 3);
        }
        assert_eq!(list.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["k4", "k3", "k2"]);
        assert_eq!(recall(&list, "k3").as_deref(), Some(&3));
        assert!(recall(&list, "k0").is_none());
    }

    #[test]
    fn several_zones_keep_their_own_density() {
        let form = EditorForm {
            extra_zones: "150,820 1050,820 1050,1000 150,1000".into(),
            extra_densities: "90".into(),
            ..drawn()
        };
        let text = design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap();
        let design = parse(&text).unwrap();
        assert_eq!(design.zones.len(), 2);
        assert_eq!((design.zones[0].density_per_cm2, design.zones[1].density_per_cm2), (60.0, 90.0));
        let back = form_of(&text);
        assert_eq!(
            (back.extra_zones.as_str(), back.extra_densities.as_str()),
            (form.extra_zones.as_str(), "90")
        );
        let bad = EditorForm { extra_zones: "1,1 2,2".into(), extra_densities: "90".into(), ..drawn() };
        assert!(design_toml(&bad, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("Zone 2"));
    }

    #[test]
    fn nothing_typed_changes_the_documents_shape() {
        let mut form = drawn();
        form.style = "soft\"\n[evil]".into();
        assert!(
            design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("not a hairline style")
        );
        let mut form = drawn();
        form.hair_color = "#123456\"\nx = 1".into();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).is_err());
        let mut form = drawn();
        form.density = "60\n[x]".into();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("density"));
        let mut form = drawn();
        form.zone = "1,1 2,2".into();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("zone"));
        let mut form = drawn();
        form.scale_from.clear();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("scale"));
    }
}
