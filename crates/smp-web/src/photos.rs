//! Client photos: uploaded from a tablet camera or a file, turned upright,
//! stripped of every piece of metadata (a phone's GPS position included) by
//! re-encoding, and stored under names the server chooses. For practitioners
//! and admins only: photos of a scalp are health records.

use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_render::photo::{
    CleanPhoto, PARTIAL_PREFIX, PhotoError, clean_photo, create_private_folder, write_privately,
};
use smp_store::{Photo, PhotoAngle, StudioId};

use crate::{AppState, PageError, Staff, chart, day_of, page};

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

/// Where a studio's photos live: one folder per studio, files named by id.
fn folder(state: &AppState, studio: &StudioId) -> PathBuf {
    state.photo_dir.join(&studio.0)
}

/// Files younger than this are left by the sweep: an upload may be between
/// its files and its record.
const SWEEP_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes what a crash can leave in the photo store: temporary files, and
/// photo files whose record was never written (files are written before
/// their record). Returns how many files went. Run at start.
pub async fn sweep_orphans(state: &AppState) -> Result<usize, String> {
    let Ok(studios) = std::fs::read_dir(&state.photo_dir) else { return Ok(0) };
    let mut removed = 0;
    for studio in studios.flatten().filter(|e| e.path().is_dir()) {
        let studio_id = StudioId(studio.file_name().to_string_lossy().into_owned());
        let known = state.store.studio(&studio_id).photo_ids().await.map_err(|e| e.to_string())?;
        let folder = studio.path();
        removed += tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= SWEEP_AFTER));
                let id = name.split('.').next().unwrap_or_default();
                let orphan = name.starts_with(PARTIAL_PREFIX) || !known.contains(id);
                if old && orphan && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
            removed
        })
        .await
        .map_err(|e| e.to_string())?;
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

fn file(folder: &FsPath, id: &str, copy: Copy) -> PathBuf {
    folder.join(match copy {
        Copy::Full => format!("{id}.jpg"),
        Copy::Thumbnail => format!("{id}.thumb.jpg"),
        Copy::Screen => format!("{id}.screen.jpg"),
    })
}

/// The full photo, decoded.
pub(crate) async fn full_photo(
    state: &AppState,
    studio: &StudioId,
    photo: &Photo,
) -> Result<image::RgbImage, PageError> {
    decode(file(&folder(state, studio), &photo.id, Copy::Full)).await
}

/// A stored photo file, decoded off the async workers.
async fn decode(path: PathBuf) -> Result<image::RgbImage, PageError> {
    tokio::task::spawn_blocking(move || smp_render::load_photo(&path))
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(missing_file)
}

/// The screen-size copy's file, made from the full photo first when it is
/// missing (photos stored before copies existed). An existing copy is not
/// read here: serving it needs only its bytes.
async fn screen_file(state: &AppState, studio: &StudioId, photo: &Photo) -> Result<PathBuf, PageError> {
    let folder = folder(state, studio);
    let id = photo.id.clone();
    tokio::task::spawn_blocking(move || {
        let screen = file(&folder, &id, Copy::Screen);
        if !screen.is_file() {
            let full = smp_render::load_photo(&file(&folder, &id, Copy::Full)).map_err(|_| ())?;
            let copy = smp_render::photo::fit_within(&full, smp_render::photo::SCREEN_SIDE);
            write_privately(&screen, |out| smp_render::photo::encode_jpeg(&copy, 90, out)).map_err(|_| ())?;
        }
        Ok::<_, ()>(screen)
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(missing_file)
}

fn missing_file() -> PageError {
    PageError(StatusCode::INTERNAL_SERVER_ERROR, "The photo's file is missing from the photo store.".into())
}

/// The screen-size copy of a photo, decoded.
pub(crate) async fn screen_copy(
    state: &AppState,
    studio: &StudioId,
    photo: &Photo,
) -> Result<image::RgbImage, PageError> {
    decode(screen_file(state, studio, photo).await?).await
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
) -> Response {
    page(async {
        let (mut csrf, mut angle, mut bytes) = (String::new(), String::new(), None::<Vec<u8>>);
        let incomplete = |e: axum::extract::multipart::MultipartError| {
            let status = e.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("That file is too large: a photo may be up to {} MB.", MAX_UPLOAD_BYTES >> 20)
            } else {
                "The upload did not arrive complete. Try again.".to_string()
            };
            PageError(status, message)
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
                format!(
                    "This file is {} MB; a photo may be up to {} MB.",
                    b.len() >> 20,
                    MAX_UPLOAD_BYTES >> 20
                ),
            )),
            (Some(a), Some(b)) => Ok((a, b)),
        };
        let (angle, bytes) = match form {
            Ok(v) => v,
            Err(form) => return chart(&state, &who, &id, form, StatusCode::BAD_REQUEST).await,
        };
        // Decoding and encoding a camera photo takes a CPU for a moment:
        // off the async workers.
        // A few decodes at a time: each may hold a 50-megapixel image.
        let _decoding =
            state.decodes.acquire().await.map_err(|_| {
                PageError(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down.".into())
            })?;
        let cleaned =
            tokio::task::spawn_blocking(move || clean_photo(&bytes, "the photo", MAX_UPLOAD_PIXELS))
                .await
                .map_err(|_| {
                    PageError(StatusCode::INTERNAL_SERVER_ERROR, "The photo could not be processed.".into())
                })?;
        let photo = match cleaned {
            Ok(p) => p,
            Err(e) => {
                let form = refuse(angle.as_str().to_string(), explain(&e));
                return chart(&state, &who, &id, form, StatusCode::BAD_REQUEST).await;
            }
        };
        let photo_id = smp_store::new_photo_id();
        let folder = folder(&state, &who.0.user.studio);
        let (width, height, size) = (photo.width, photo.height, photo.jpeg.len() as u64);
        save_files(folder.clone(), photo_id.clone(), photo).await?;
        // Files first, then the record: a crash in between leaves an
        // orphan file, never a record without its photo.
        let recorded =
            who.studio(&state).add_photo(&photo_id, &id, &who.0.user, angle, width, height, size).await;
        if !matches!(recorded, Ok(true)) {
            for copy in [Copy::Full, Copy::Thumbnail, Copy::Screen] {
                let _ = std::fs::remove_file(file(&folder, &photo_id, copy));
            }
            recorded?;
            return Err(PageError(StatusCode::NOT_FOUND, "There is no such client in this studio.".into()));
        }
        Ok(Redirect::to(&format!("/clients/{id}#photos")).into_response())
    })
    .await
}

/// Writes the photo and its thumbnail atomically (temporary file, fsync,
/// rename, folder fsync).
async fn save_files(folder: PathBuf, id: String, photo: CleanPhoto) -> Result<(), PageError> {
    let failed = || {
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The photo could not be saved; nothing was stored.".into(),
        )
    };
    tokio::task::spawn_blocking(move || {
        create_private_folder(&folder).map_err(|_| ())?;
        for (copy, bytes) in
            [(Copy::Full, &photo.jpeg), (Copy::Thumbnail, &photo.thumbnail), (Copy::Screen, &photo.screen)]
        {
            let path = file(&folder, &id, copy);
            write_privately(&path, |out| std::io::Write::write_all(out, bytes).map_err(|e| e.to_string()))
                .map_err(|_| ())?;
        }
        Ok::<_, ()>(())
    })
    .await
    .map_err(|_| failed())?
    .map_err(|()| failed())
}

async fn send(state: AppState, who: Staff, photo_id: String, copy: Copy) -> Response {
    page(async {
        who.require_clinical("Photos")?;
        let studio = who.studio(&state);
        let photo = studio.photo(&photo_id).await?.ok_or_else(|| {
            PageError(StatusCode::NOT_FOUND, "There is no such photo in this studio.".into())
        })?;
        if copy == Copy::Full {
            studio.audit(&who.0.user, "view-photo", &photo.client_id).await?;
        }
        if copy == Copy::Screen {
            screen_file(&state, &who.0.user.studio, &photo).await?;
        }
        let path = file(&folder(&state, &who.0.user.studio), &photo.id, copy);
        let bytes = tokio::fs::read(&path).await.map_err(|_| missing_file())?;
        Ok(([(CONTENT_TYPE, "image/jpeg")], bytes).into_response())
    })
    .await
}

pub(crate) async fn full(State(state): State<AppState>, who: Staff, Path(photo): Path<String>) -> Response {
    send(state, who, photo, Copy::Full).await
}

pub(crate) async fn thumbnail(
    State(state): State<AppState>,
    who: Staff,
    Path(photo): Path<String>,
) -> Response {
    send(state, who, photo, Copy::Thumbnail).await
}

pub(crate) async fn screen(State(state): State<AppState>, who: Staff, Path(photo): Path<String>) -> Response {
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
) -> Response {
    page(async {
        who.check_csrf(&form.csrf)?;
        who.require_clinical("Photos")?;
        let studio = who.studio(&state);
        let photo = studio.photo(&photo_id).await?.ok_or_else(|| {
            PageError(StatusCode::NOT_FOUND, "There is no such photo in this studio.".into())
        })?;
        match studio.withdraw_photo(&who.0.user, &photo_id, &form.reason).await {
            Ok(_) => Ok(Redirect::to(&format!("/clients/{}#photos", photo.client_id)).into_response()),
            Err(smp_store::StoreError::Invalid(m)) => {
                let upload = UploadForm { angle: String::new(), error: Some(m) };
                chart(&state, &who, &photo.client_id, upload, StatusCode::BAD_REQUEST).await
            }
            Err(e) => Err(e.into()),
        }
    })
    .await
}
