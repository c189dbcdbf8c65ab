//! The live preview's working parts: a small cache of decoded screen copies
//! and of the latest patterns (a stage, dilution or depth change keeps the
//! pattern), and the render of a design at a stage as a JPEG.

use std::sync::Arc;

use smp_optics::LayeredOptics;
use smp_optics::ageing::Stage;
use smp_pattern::Pattern;
use smp_render::hair_mask::HairMask;
use smp_store::Photo;

use crate::{AppState, Result, Staff, photos};

/// What the live preview keeps between requests: the decoded screen copies
/// of the photos being edited, and the patterns of the latest drawings (a
/// stage, dilution or depth change leaves the pattern as it was).
#[derive(Default)]
pub(crate) struct PreviewCache {
    screens: Vec<(String, Arc<image::RgbImage>)>,
    patterns: Vec<(String, Arc<Pattern>)>,
    /// Hair masks' bases at screen size (a proposal takes a moment).
    masks: Vec<(String, Arc<HairMask>)>,
    /// The gallery's pictures as JPEG, by what they are made of: read only
    /// after the store has found the pair under a consent in force.
    gallery: Vec<(String, Arc<Vec<u8>>)>,
}

/// Photos and patterns the cache holds: a few editors at once.
const CACHED_SCREENS: usize = 4;

const CACHED_PATTERNS: usize = 8;

const CACHED_MASKS: usize = 4;

/// A gallery page or two of pictures (a few MB).
const CACHED_GALLERY: usize = 48;

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
pub(crate) fn pattern_key(photo_id: &str, design: &smp_core::Design) -> String {
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

    /// The pattern of a drawing previewed lately, by [`pattern_key`].
    pub(crate) fn recall_pattern(&self, key: &str) -> Option<Arc<Pattern>> {
        recall(&self.preview_cache().patterns, key)
    }

    /// Keeps a drawing's pattern for the next preview of it.
    pub(crate) fn remember_pattern(&self, key: String, pattern: Arc<Pattern>) {
        remember(&mut self.preview_cache().patterns, key, pattern, CACHED_PATTERNS);
    }

    /// A hair mask's base at screen size, kept under `key`.
    pub(crate) fn recall_mask(&self, key: &str) -> Option<Arc<HairMask>> {
        recall(&self.preview_cache().masks, key)
    }

    /// Keeps a hair mask's base at screen size for the next preview.
    pub(crate) fn remember_mask(&self, key: String, mask: Arc<HairMask>) {
        remember(&mut self.preview_cache().masks, key, mask, CACHED_MASKS);
    }

    /// A gallery picture made lately, by what it is made of.
    pub(crate) fn recall_gallery(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        recall(&self.preview_cache().gallery, key)
    }

    pub(crate) fn remember_gallery(&self, key: String, jpeg: Arc<Vec<u8>>) {
        remember(&mut self.preview_cache().gallery, key, jpeg, CACHED_GALLERY);
    }
}

/// The decoded screen copy of a photo, from the cache when it is there.
pub(crate) async fn cached_screen(
    state: &AppState,
    who: &Staff,
    photo: &Photo,
) -> Result<Arc<image::RgbImage>> {
    if let Some(screen) = recall(&state.preview_cache().screens, &photo.id) {
        return Ok(screen);
    }
    let screen = Arc::new(photos::screen_copy(state, &who.user().studio, photo).await?);
    remember(&mut state.preview_cache().screens, photo.id.clone(), Arc::clone(&screen), CACHED_SCREENS);
    Ok(screen)
}

/// The answer to a preview of a drawing that cannot be drawn yet: a
/// plain-text reason with status 422 (an answer, not a failure: the editor
/// shows it in place of the picture).
pub(crate) fn not_drawable(why: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let plain = [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, plain, why).into_response()
}

/// The design rendered at `stage` on `photo` (a copy), as JPEG, with the
/// hair `hair` says lies over the scalp kept in front of the pigment.
pub(crate) fn render_preview(
    screen: &image::RgbImage,
    design: &smp_core::Design,
    pattern: &Pattern,
    stage: Stage,
    hair: Option<&HairMask>,
) -> Result<Vec<u8>, smp_render::photo::JpegError> {
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
        if let Some(hair) = hair.filter(|h| h.image().dimensions() == screen.dimensions()) {
            hair.keep_hair(screen, &mut canvas);
        }
    }
    let mut out = Vec::new();
    // Screen-size previews favour speed; full-size exports are for keeping.
    let quality = if canvas.width() > smp_render::photo::SCREEN_SIDE { 92 } else { 85 };
    smp_render::photo::encode_jpeg(&canvas, quality, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor_form::{EditorForm, Parameters};
    use crate::editor_form::{design_toml, tests::drawn};
    use smp_core::design::parse;
    use smp_store::PhotoAngle;

    #[test]
    fn the_pattern_is_kept_across_stage_and_pigment_changes_only() {
        let design =
            |form: &EditorForm| parse(&design_toml(form, "p.jpg", PhotoAngle::Top, 1.0).unwrap()).unwrap();
        let base = pattern_key("photo", &design(&drawn()));
        let pigment = EditorForm {
            params: Parameters { dilution: "0.4".into(), depth_mm: "0.5".into(), ..drawn().params },
            ..drawn()
        };
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
}
