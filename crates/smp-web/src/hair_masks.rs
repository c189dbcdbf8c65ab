//! The hair over the scalp in the design editor, for a client with longer
//! hair: where the mask starts (the one proposed from the photo, or the one
//! a saved version keeps), the practitioner's brush strokes over it (a
//! paint layer the page keeps at the screen copy's size), and the whole
//! mask, at the photo's own size, stored beside the photo for each saved
//! version that has one.
//!
//! A stored mask is named after its photo (`PHOTO.hair-ID.png`): the
//! photo store's sweep keeps it while the photo is there, and withdrawing
//! or erasing the photo removes it with the photo's other files. A saved
//! version's mask is never rewritten: a version saved with the mask
//! unchanged names the same file, one with changes gets a new file.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use image::{GrayImage, RgbaImage};
use smp_render::hair_mask::HairMask;
use smp_store::Photo;

use crate::designs::{PreviewForm, client_photo};
use crate::editor_form::{EditorForm, mm_per_px};
use crate::preview::not_drawable;
use crate::{AppState, Error, Result, Staff};

/// The editor's `hair_mask` when the mask starts from the one proposed
/// from the photo.
pub(crate) const PROPOSED: &str = "proposed";

/// The largest paint layer accepted, each side (the screen copy's long
/// side is 1600 px).
const MAX_PAINT_SIDE: u32 = 4096;

/// Where the mask starts.
#[derive(Debug, Clone, PartialEq)]
enum Base {
    /// Proposed from the photo at this many mm per pixel (the proposal
    /// sizes its window by the widest strand).
    Proposed { mm_per_px: f64 },
    /// A saved version's, by its name in the photo store.
    Stored(String),
}

impl Base {
    /// What the preview cache keeps its screen copy under.
    fn key(&self, photo_id: &str) -> String {
        match self {
            Base::Proposed { mm_per_px } => format!("{photo_id} proposed {mm_per_px:.6}"),
            Base::Stored(name) => format!("{photo_id} {name}"),
        }
    }
}

/// The editor's mask: where it starts (none: no hair but what is painted)
/// and the brush's paint layer over it.
pub(crate) struct MaskDrawing {
    base: Option<Base>,
    paint: Option<Arc<RgbaImage>>,
}

/// The name of a stored mask the editor's `hair_mask` names, if it names
/// one (not empty, not [`PROPOSED`]). Checked against the photo by
/// [`MaskDrawing::of`] before anything is read.
pub(crate) fn stored_name(hair_mask: &str) -> Option<&str> {
    let name = hair_mask.trim();
    (!name.is_empty() && name != PROPOSED).then_some(name)
}

/// Whether `name` is a mask stored for `photo_id` by [`store`]: the
/// photo's id, `.hair-`, 32 hex digits, `.png`.
pub(crate) fn is_mask_of(name: &str, photo_id: &str) -> bool {
    name.strip_prefix(photo_id)
        .and_then(|rest| rest.strip_prefix(".hair-"))
        .and_then(|rest| rest.strip_suffix(".png"))
        .is_some_and(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
}

impl MaskDrawing {
    /// The editor's mask for `photo`, `None` when it has none, or what is
    /// wrong with it in words.
    pub(crate) fn of(form: &EditorForm, photo: &Photo) -> Result<Option<Self>, String> {
        let base = match form.hair_mask.trim() {
            "" => None,
            PROPOSED => Some(Base::Proposed { mm_per_px: mm_per_px(form)? }),
            name if is_mask_of(name, &photo.id) => Some(Base::Stored(name.to_string())),
            _ => return Err("The hair mask belongs to another photo: clear it and start again.".into()),
        };
        let paint = match form.hair_mask_paint.trim() {
            "" => None,
            data => Some(Arc::new(paint_layer(data).ok_or_else(|| {
                "The hair mask's brush strokes could not be read: clear the mask and paint again.".to_string()
            })?)),
        };
        Ok((base.is_some() || paint.is_some()).then_some(Self { base, paint }))
    }

    /// The stored mask this drawing is, unchanged.
    fn unchanged(&self) -> Option<&str> {
        match (&self.base, &self.paint) {
            (Some(Base::Stored(name)), None) => Some(name),
            _ => None,
        }
    }
}

/// The brush's layer from its data URL (`data:image/png;base64,...`).
fn paint_layer(data: &str) -> Option<RgbaImage> {
    let encoded = data.strip_prefix("data:image/png;base64,")?;
    let png = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(png), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PAINT_SIDE);
    limits.max_image_height = Some(MAX_PAINT_SIDE);
    reader.limits(limits);
    Some(reader.decode().ok()?.to_rgba8())
}

/// The mask's base at the photo's own size.
async fn full_base(state: &AppState, who: &Staff, photo: &Photo, base: &Base) -> Result<HairMask> {
    let studio = &who.user().studio;
    match base {
        Base::Proposed { mm_per_px } => {
            let full = crate::photos::full_photo(state, studio, photo).await?;
            let mm_per_px = *mm_per_px;
            state.cpu.run(&who.user().id, move || smp_render::hair_mask::propose(&full, mm_per_px)).await
        }
        Base::Stored(name) => saved(state, who, photo, name).await,
    }
}

/// A stored mask of `photo`, read whole (a saved version's).
pub(crate) async fn saved(state: &AppState, who: &Staff, photo: &Photo, name: &str) -> Result<HairMask> {
    let gone = || Error::NotFound("The design's hair mask is gone from the photo store.".into());
    if !is_mask_of(name, &photo.id) {
        return Err(gone());
    }
    let png = state.photo_files.get(&who.user().studio, name).await?.ok_or_else(gone)?;
    let size = size_of(photo);
    let decoded = state
        .cpu
        .run(&who.user().id, move || {
            let mask = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
                .map_err(|e| e.to_string())?
                .to_luma8();
            if mask.dimensions() == size {
                Ok(HairMask::from_image(mask))
            } else {
                Err(format!("it is {:?} pixels, its photo {size:?}", mask.dimensions()))
            }
        })
        .await?;
    decoded.map_err(|why| Error::internal(&why, "The design's hair mask is unreadable."))
}

/// The mask's base at the screen copy's `size`, kept for the next preview.
async fn screen_base(
    state: &AppState,
    who: &Staff,
    photo: &Photo,
    base: &Base,
    size: (u32, u32),
) -> Result<Arc<HairMask>> {
    let key = base.key(&photo.id);
    if let Some(kept) = state.recall_mask(&key) {
        return Ok(kept);
    }
    let full = full_base(state, who, photo, base).await?;
    let shrunk = Arc::new(state.cpu.run(&who.user().id, move || full.shrunk_to(size)).await?);
    state.remember_mask(key, Arc::clone(&shrunk));
    Ok(shrunk)
}

/// The editor's mask at the screen copy's `size`, for its preview.
pub(crate) async fn on_screen(
    state: &AppState,
    who: &Staff,
    photo: &Photo,
    drawing: &MaskDrawing,
    size: (u32, u32),
) -> Result<Arc<HairMask>> {
    let base = match &drawing.base {
        Some(base) => Some(screen_base(state, who, photo, base, size).await?),
        None => None,
    };
    match (&drawing.paint, base) {
        (None, Some(base)) => Ok(base),
        (paint, base) => {
            let paint = paint.clone().unwrap_or_else(|| Arc::new(RgbaImage::new(1, 1)));
            let painted = move || HairMask::painted(base.as_deref(), size, &paint);
            Ok(Arc::new(state.cpu.run(&who.user().id, painted).await?))
        }
    }
}

/// Stores the editor's mask at the photo's own size for a version about to
/// be saved, and gives its name (the same name when it is a saved
/// version's, unchanged). The file is written before the version that
/// names it: a failure in between leaves a file no version names, which
/// goes with the photo.
pub(crate) async fn store(
    state: &AppState,
    who: &Staff,
    photo: &Photo,
    drawing: &MaskDrawing,
) -> Result<String> {
    if let Some(name) = drawing.unchanged() {
        return Ok(name.to_string());
    }
    let base = match &drawing.base {
        Some(base) => Some(full_base(state, who, photo, base).await?),
        None => None,
    };
    let (paint, size) = (drawing.paint.clone(), size_of(photo));
    let png = state
        .cpu
        .run(&who.user().id, move || {
            let mask = match paint {
                Some(paint) => HairMask::painted(base.as_ref(), size, &paint),
                None => base.unwrap_or_else(|| HairMask::from_image(GrayImage::new(size.0, size.1))),
            };
            png_of(mask.image())
        })
        .await?
        .map_err(|e| Error::internal(&e, "The hair mask could not be saved; nothing was stored."))?;
    let name = format!("{}.hair-{}.png", photo.id, uuid::Uuid::new_v4().simple());
    state
        .photo_files
        .put(&who.user().studio, &name, png)
        .await
        .map_err(|e| Error::internal(&e, "The hair mask could not be saved; nothing was stored."))?;
    Ok(name)
}

/// A photo's size in pixels, as its record keeps it.
fn size_of(photo: &Photo) -> (u32, u32) {
    let side = |v: i64| u32::try_from(v).unwrap_or(0);
    (side(photo.width), side(photo.height))
}

fn png_of(mask: &GrayImage) -> Result<Vec<u8>, image::ImageError> {
    let mut png = Vec::new();
    mask.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(png)
}

/// `POST /clients/{id}/photos/{photo}/hair-mask`: where the editor's mask
/// starts, at the screen copy's size, as a grey PNG for the page to show
/// and paint over (white: hair); a plain-text reason with status 422 when
/// there is nothing to start from yet.
pub(crate) async fn base(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, photo_id)): Path<(String, String)>,
    Form(form): Form<PreviewForm>,
) -> Result<Response> {
    let (_, photo) = client_photo(&state, &who, &client_id, &photo_id).await?;
    let base = match MaskDrawing::of(&form.editor, &photo) {
        Ok(Some(MaskDrawing { base: Some(base), .. })) => base,
        Ok(_) => return Ok(not_drawable("Nothing to start the mask from: propose one, or paint it.".into())),
        Err(why) => return Ok(not_drawable(why)),
    };
    let screen = crate::preview::cached_screen(&state, &who, &photo).await?;
    let mask = screen_base(&state, &who, &photo, &base, screen.dimensions()).await?;
    let png = png_of(mask.image()).map_err(|e| Error::internal(&e, "The hair mask could not be shown."))?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_mask_stored_for_the_photo_is_named() {
        let id = "0f3c2d3e9a8b4c5d6e7f8a9b0c1d2e3f";
        assert!(is_mask_of(&format!("photo1.hair-{id}.png"), "photo1"));
        assert!(!is_mask_of(&format!("photo2.hair-{id}.png"), "photo1"));
        assert!(!is_mask_of(&format!("photo1.hair-{id}.jpg"), "photo1"));
        assert!(!is_mask_of("photo1.hair-../../x.png", "photo1"));
        assert!(!is_mask_of("photo1.jpg", "photo1"));
        assert_eq!(stored_name(PROPOSED), None);
        assert_eq!(stored_name(" "), None);
    }

    #[test]
    fn a_paint_layer_is_read_from_its_data_url_and_nothing_else_is() {
        let mut png = Vec::new();
        RgbaImage::from_pixel(8, 6, image::Rgba([255, 255, 255, 128]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png));
        let layer = paint_layer(&url).unwrap();
        assert_eq!((layer.dimensions(), layer.get_pixel(3, 3)[3]), ((8, 6), 128));
        assert!(paint_layer("data:image/png;base64,AAAA").is_none());
        assert!(paint_layer(&url.replace("image/png", "image/svg+xml")).is_none());
    }
}
