//! Pixels: the simulation of healed SMP composited on the client's photo.
//!
//! Impressions become dots with their own size, strength and edge shape;
//! dots accumulate as optical density in strips rendered in parallel, and
//! are composited over the photo in linear light, so the photo's texture,
//! shading and highlights stay and untouched pixels stay exact.
#![warn(missing_docs)]

pub mod photo;
pub mod preview;
pub mod raster;
pub mod srgb;
pub mod synthetic;

use image::RgbImage;
use smp_core::Design;
use smp_optics::{DotOptics, Skin};
use smp_pattern::{Pattern, hash_unit, mix64};

pub use photo::{PhotoError, check_folder, check_output, load_photo, save_image, write_atomically};
pub use preview::downscale;
pub use raster::{CompositeStats, Dot, composite};

/// The dots of a pattern, in photo pixels, each with its own strength and
/// edge shape drawn from the design's seed.
pub fn dots(design: &Design, pattern: &Pattern) -> Vec<Dot> {
    let px_per_mm = 1.0 / design.photo.mm_per_px;
    let seed = mix64(design.seed ^ 0xD07);
    pattern
        .impressions
        .iter()
        .enumerate()
        .map(|(i, imp)| {
            let u = |k: i64| hash_unit(seed, i as i64, k) as f32 - 0.5;
            // Sum of three uniforms: close to normal, bounded.
            let strength = 1.0 + 0.14 * (u(0) + u(1) + u(2));
            let irregular = raster::MAX_IRREGULARITY / 2.0;
            Dot {
                x: imp.x_px as f32,
                y: imp.y_px as f32,
                radius: (imp.diameter_mm * 0.5 * px_per_mm) as f32,
                strength,
                shape: [u(3), u(4), u(5), u(6)].map(|v| v * irregular),
            }
        })
        .collect()
}

/// Composites the healed result of `pattern` over `photo`.
pub fn render_healed(
    photo: &mut RgbImage,
    design: &Design,
    pattern: &Pattern,
    optics: &impl DotOptics,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> CompositeStats {
    let skin = Skin { fitzpatrick: design.client.fitzpatrick };
    let appearance = optics.healed_dot(&skin, &design.pigment);
    composite(photo, &dots(design, pattern), appearance.absorbance, appearance.edge_softness, progress)
}
