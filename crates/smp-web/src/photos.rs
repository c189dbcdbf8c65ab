//! Client photos: uploaded from a tablet camera or a file, turned upright,
//! stripped of every piece of metadata (a phone's GPS position included) by
//! re-encoding, and stored under names the server chooses. For practitioners
//! and admins only: photos of a scalp are health records.

use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_render::photo::{CleanPhoto, PhotoError, clean_photo};
use smp_store::{AuditAction, PARTIAL_PREFIX, Photo, PhotoAngle, StoreError, StudioId};

use crate::{AppState, ChartForms, Error, Result, Staff, chart, day_of};

/// Largest photo file accepted.
pub(crate) const MAX_UPLOAD_BYTES: usize = 30 << 20;
/// Largest upload request: the photo and the form's few small fields.
pub(crate) const BODY_LIMIT_BYTES: usize = MAX_UPLOAD_BYTES + (64 << 10);
/// Largest photo accepted, in pixels: above any tablet or phone camera
/// (48 MP sensors deliver 12 MP by default), well below what the memory of
/// a small server holds.
pub(crate) const MAX_UPLOAD_PIXELS: u64 = 50_000_000;

/// A stored photo as the chart shows it.
pub(crate) struct PhotoView {
    pub id: String,
    pub angle: &'static str,
    pub when: String,
    pub staff: String,
    pub size: String,
    /// For a withdrawn photo: when and why.
    pub withdrawn: Option<(String, String)>,
}

impl PhotoView {
    pub(crate) fn of(p: &Photo) -> Self {
        Self {
            id: p.id.clone(),
            angle: p.angle.as_str(),
            when: day_of(p.created_at),
            staff: p.staff_name.clone(),
            size: format!("{} × {}", p.width, p.height),
            withdrawn: p.withdrawn.as_ref().map(|(at, why)| (day_of(*at), why.clone())),
        }
    }
}

/// The upload form's state: the angle chosen and what was wrong.
#[derive(Default)]
pub(crate) struct UploadForm {
    pub angle: String,
    pub error: Option<String>,
}

impl UploadForm {
    /// The angles to choose from, as (value, selected).
    pub(crate) fn angles(&self) -> Vec<(&'static str, bool)> {
        PhotoAngle::ALL.iter().map(|a| (a.as_str(), a.as_str() == self.angle)).collect()
    }
}

/// Within this time a person's repeated views of a client's smaller photo
/// copies make one audit line (the chart's own view makes one too).
const VIEW_AUDIT_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Files younger than this are left by the sweep: an upload may be between
/// its files and its record (on this instance or, sharing a bucket, another).
const SWEEP_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes what a crash can leave in the photo store: temporary files, and
/// photo files whose record was never written (files are written before
/// their record). Returns how many files went. Run at start.
pub async fn sweep_orphans(state: &AppState) -> Result<usize, StoreError> {
    sweep_orphans_older_than(state, SWEEP_AFTER).await
}

/// [`sweep_orphans`], leaving files younger than `age`.
pub async fn sweep_orphans_older_than(
    state: &AppState,
    age: std::time::Duration,
) -> Result<usize, StoreError> {
    let files = &state.photo_files;
    let mut removed = 0;
    for studio in files.studios().await? {
        let known = state.store.studio(&studio).photo_ids().await?;
        for file in files.list(&studio).await? {
            let old = file.modified.elapsed().is_ok_and(|elapsed| elapsed >= age);
            let id = file.name.split('.').next().unwrap_or_default();
            let orphan = file.name.starts_with(PARTIAL_PREFIX) || !known.contains(id);
            if old && orphan {
                files.delete(&studio, &file.name).await?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// The stored copies of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copy {
    Full,
    Thumbnail,
    Screen,
}

impl Copy {
    const ALL: [Copy; 3] = [Copy::Full, Copy::Thumbnail, Copy::Screen];

    /// The copy's file name in the photo store.
    fn name(self, id: &str) -> String {
        match self {
            Copy::Full => format!("{id}.jpg"),
            Copy::Thumbnail => format!("{id}.thumb.jpg"),
            Copy::Screen => format!("{id}.screen.jpg"),
        }
    }
}

/// The full photo, decoded.
pub(crate) async fn full_photo(
    state: &AppState,
    studio: &StudioId,
    photo: &Photo,
) -> Result<image::RgbImage> {
    decode(read(state, studio, photo, Copy::Full).await?).await
}

/// A stored photo's bytes; a recorded photo whose file is gone is an error.
async fn read(state: &AppState, studio: &StudioId, photo: &Photo, copy: Copy) -> Result<Vec<u8>> {
    state.photo_files.get(studio, &copy.name(&photo.id)).await?.ok_or_else(missing_file)
}

/// A stored photo file, decoded off the async workers.
async fn decode(bytes: Vec<u8>) -> Result<image::RgbImage> {
    tokio::task::spawn_blocking(move || {
        smp_render::photo::decode_photo(&bytes, "the stored photo", MAX_UPLOAD_PIXELS)
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(missing_file)
}

/// The screen-size copy's bytes, made from the full photo first when it is
/// missing (photos stored before copies existed).
async fn screen_bytes(state: &AppState, studio: &StudioId, photo: &Photo) -> Result<Vec<u8>> {
    let name = Copy::Screen.name(&photo.id);
    if let Some(bytes) = state.photo_files.get(studio, &name).await? {
        return Ok(bytes);
    }
    let full = full_photo(state, studio, photo).await?;
    let screen = tokio::task::spawn_blocking(move || {
        let copy = smp_render::photo::fit_within(&full, smp_render::photo::SCREEN_SIDE);
        let mut out = Vec::new();
        smp_render::photo::encode_jpeg(&copy, 90, &mut out).map(|()| out)
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(missing_file)?;
    state.photo_files.put(studio, &name, screen.clone()).await?;
    Ok(screen)
}

fn missing_file() -> Error {
    let shown = "The photo's file is missing from the photo store.";
    Error::internal(&shown, shown)
}

/// The screen-size copy of a photo, decoded.
pub(crate) async fn screen_copy(
    state: &AppState,
    studio: &StudioId,
    photo: &Photo,
) -> Result<image::RgbImage> {
    decode(screen_bytes(state, studio, photo).await?).await
}

/// Words for a refused photo, naming what is wrong.
fn explain(e: &PhotoError) -> String {
    match e {
        PhotoError::NotAnImage(_) => "This file is not a photo: choose a JPEG, PNG or WebP image.".into(),
        PhotoError::TooLarge { width, height, max_pixels, .. } if *width > 0 => format!(
            "This photo is {width} × {height} pixels; the largest accepted is {} megapixels. \
             Use the camera's standard size.",
            max_pixels / 1_000_000
        ),
        PhotoError::TooLarge { max_pixels, .. } => {
            format!("This photo is larger than {} megapixels.", max_pixels / 1_000_000)
        }
        PhotoError::Corrupt { .. } | PhotoError::Unreadable { .. } => {
            "This photo is damaged or incomplete and cannot be read. Take or choose it again.".into()
        }
        other => format!("This photo could not be stored: {other}"),
    }
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    who: Staff,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response> {
    let (mut csrf, mut angle, mut bytes) = (String::new(), String::new(), None::<Vec<u8>>);
    let incomplete = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge(format!(
                "That file is too large: a photo may be up to {} MB.",
                MAX_UPLOAD_BYTES >> 20
            ))
        } else {
            Error::BadRequest("The upload did not arrive complete. Try again.".into())
        }
    };
    // Who may upload, and to whom, is settled before the file is read:
    // the form sends its token first, and a photo part that comes
    // before it is refused unread.
    who.require_clinical("Photos")?;
    who.client(&state, &id).await?;
    let mut checked = false;
    while let Some(field) = multipart.next_field().await.map_err(incomplete)? {
        match field.name() {
            Some("csrf") => {
                csrf = field.text().await.map_err(incomplete)?;
                who.check_csrf(&csrf)?;
                checked = true;
            }
            Some("angle") => angle = field.text().await.map_err(incomplete)?,
            // The uploaded file's name is never used.
            // Two file fields (a file, or the camera): the one used.
            Some("photo") if checked => {
                let sent = field.bytes().await.map_err(incomplete)?;
                if !sent.is_empty() {
                    bytes = Some(sent.to_vec());
                }
            }
            Some("photo") => who.check_csrf("")?,
            _ => {}
        }
    }
    who.check_csrf(&csrf)?;
    let refuse = |angle: String, error: String| UploadForm { angle, error: Some(error) };
    let form = match (PhotoAngle::parse(&angle), bytes) {
        (None, _) => Err(refuse(angle, "Choose the angle the photo shows.".into())),
        (Some(_), None) => Err(refuse(angle, "Choose a photo to upload.".into())),
        (Some(_), Some(b)) if b.is_empty() => Err(refuse(angle, "Choose a photo to upload.".into())),
        (Some(_), Some(b)) if b.len() > MAX_UPLOAD_BYTES => Err(refuse(
            angle,
            format!("This file is {} MB; a photo may be up to {} MB.", b.len() >> 20, MAX_UPLOAD_BYTES >> 20),
        )),
        (Some(a), Some(b)) => Ok((a, b)),
    };
    let (angle, bytes) = match form {
        Ok(v) => v,
        Err(form) => {
            return chart(
                &state,
                &who,
                &id,
                ChartForms { upload: form, ..Default::default() },
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    // Decoding and encoding a camera photo takes a CPU for a moment:
    // off the async workers.
    // A few decodes at a time: each may hold a 50-megapixel image.
    let _decoding = state
        .decodes
        .acquire()
        .await
        .map_err(|_| Error::Unavailable("The server is shutting down.".into()))?;
    let cleaned = tokio::task::spawn_blocking(move || clean_photo(&bytes, "the photo", MAX_UPLOAD_PIXELS))
        .await
        .map_err(|e| Error::internal(&e, "The photo could not be processed."))?;
    let photo = match cleaned {
        Ok(p) => p,
        Err(e) => {
            let form = refuse(angle.as_str().to_string(), explain(&e));
            return chart(
                &state,
                &who,
                &id,
                ChartForms { upload: form, ..Default::default() },
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let photo_id = smp_store::new_photo_id();
    let studio = &who.user().studio;
    let (width, height, size) = (photo.width, photo.height, photo.jpeg.len() as u64);
    save_files(&state, studio, &photo_id, photo).await?;
    // Files first, then the record: a crash in between leaves an
    // orphan file, never a record without its photo.
    let recorded = who.studio(&state).add_photo(&photo_id, &id, who.user(), angle, width, height, size).await;
    if !matches!(recorded, Ok(true)) {
        for copy in Copy::ALL {
            // What cannot be removed now, the sweep removes at the next start.
            let _ = state.photo_files.delete(studio, &copy.name(&photo_id)).await;
        }
        recorded?;
        return Err(Error::NotFound("There is no such client in this studio.".into()));
    }
    Ok(Redirect::to(&format!("/clients/{id}#photos")).into_response())
}

/// Removes every copy of the photos `ids` from the photo store, and the
/// hair masks drawn on them. A file that cannot be removed now has no
/// record any more: the sweep at the next start removes it.
pub(crate) async fn delete_files(state: &AppState, studio: &StudioId, ids: &[String]) {
    // The studio's files are listed once, for every photo's masks.
    let listed = state.photo_files.list(studio).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the photos' hair masks were left for the sweep");
        Vec::new()
    });
    for id in ids {
        let masks =
            listed.iter().map(|f| f.name.clone()).filter(|name| crate::hair_masks::is_mask_of(name, id));
        let names = Copy::ALL.iter().map(|copy| copy.name(id)).chain(masks);
        for name in names {
            if let Err(e) = state.photo_files.delete(studio, &name).await {
                tracing::warn!(error = %e, "a photo file was left for the sweep");
            }
        }
    }
}

/// Stores the photo's copies, each whole or not at all; on a failure, none
/// is left behind.
async fn save_files(state: &AppState, studio: &StudioId, id: &str, photo: CleanPhoto) -> Result<()> {
    let copies = [(Copy::Full, photo.jpeg), (Copy::Thumbnail, photo.thumbnail), (Copy::Screen, photo.screen)];
    for (copy, bytes) in copies {
        if let Err(e) = state.photo_files.put(studio, &copy.name(id), bytes).await {
            for copy in Copy::ALL {
                let _ = state.photo_files.delete(studio, &copy.name(id)).await;
            }
            return Err(Error::internal(&e, "The photo could not be saved; nothing was stored."));
        }
    }
    Ok(())
}

/// One of this studio's photos, or a page saying there is none.
async fn photo_of(studio: &smp_store::StudioStore<'_>, photo_id: &str) -> Result<Photo> {
    studio
        .photo(photo_id)
        .await?
        .ok_or_else(|| Error::NotFound("There is no such photo in this studio.".into()))
}

async fn send(state: AppState, who: Staff, photo_id: String, copy: Copy) -> Result<Response> {
    who.require_clinical("Photos")?;
    let studio = who.studio(&state);
    let photo = photo_of(&studio, &photo_id).await?;
    // Every view of a photo is audited, of any size: the full photo
    // line by line, the smaller copies (a chart's thumbnails, the
    // editor's screen copy) once per person, client and few minutes.
    match copy {
        Copy::Full => studio.audit(who.user(), AuditAction::ViewPhoto, &photo.client_id).await?,
        Copy::Thumbnail | Copy::Screen => {
            studio
                .audit_unless_recent(
                    who.user(),
                    AuditAction::ViewPhotos,
                    &photo.client_id,
                    VIEW_AUDIT_WINDOW_MS,
                )
                .await?
        }
    }
    let studio = &who.user().studio;
    let bytes = match copy {
        Copy::Screen => screen_bytes(&state, studio, &photo).await?,
        _ => read(&state, studio, &photo, copy).await?,
    };
    Ok(([(CONTENT_TYPE, "image/jpeg")], bytes).into_response())
}

pub(crate) async fn full(
    State(state): State<AppState>,
    who: Staff,
    Path(photo): Path<String>,
) -> Result<Response> {
    send(state, who, photo, Copy::Full).await
}

pub(crate) async fn thumbnail(
    State(state): State<AppState>,
    who: Staff,
    Path(photo): Path<String>,
) -> Result<Response> {
    send(state, who, photo, Copy::Thumbnail).await
}

pub(crate) async fn screen(
    State(state): State<AppState>,
    who: Staff,
    Path(photo): Path<String>,
) -> Result<Response> {
    send(state, who, photo, Copy::Screen).await
}

#[derive(Deserialize)]
pub(crate) struct WithdrawForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Withdraws a photo taken in error, with the reason: hidden from the chart
/// and the editor, kept for the record (and still viewable from it).
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    who: Staff,
    Path(photo_id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("Photos")?;
    let studio = who.studio(&state);
    let photo = photo_of(&studio, &photo_id).await?;
    match studio.withdraw_photo(who.user(), &photo_id, &form.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/clients/{}#photos", photo.client_id)).into_response()),
        Err(smp_store::StoreError::Invalid(m)) => {
            let upload = UploadForm { angle: String::new(), error: Some(m) };
            chart(
                &state,
                &who,
                &photo.client_id,
                ChartForms { upload, ..Default::default() },
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
