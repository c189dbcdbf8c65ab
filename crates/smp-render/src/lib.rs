//! Pixels: the simulation of healed SMP composited on the client's photo.
//!
//! Impressions become dots with their own size, strength and edge shape;
//! dots accumulate as optical density in strips rendered in parallel, and
//! are composited over the photo in linear light, so the photo's texture,
//! shading and highlights stay and untouched pixels stay exact.
#![warn(missing_docs)]

pub mod gallery;
pub mod hair_mask;
pub mod morphology;
pub mod photo;
pub mod preview;
pub mod raster;
pub mod srgb;
pub mod stubble;
pub mod synthetic;
pub mod text;
pub mod timeline;

/// The photo type every function here takes.
pub use image::RgbImage;
use rayon::prelude::*;
use smp_core::Design;
use smp_optics::ageing::{self, Factors, Stage};
use smp_optics::{DotAppearance, DotOptics, Skin};
use smp_pattern::{Pattern, hash_unit, mix64};

pub use photo::{PhotoError, check_folder, check_output, load_photo, save_image, write_atomically};
pub use preview::downscale;
pub use raster::{CompositeStats, Compositor, Dot, Layer, composite, composite_layers};

/// The dots of a pattern, in photo pixels, each with its own strength and
/// edge shape drawn from the design's seed.
pub fn dots(design: &Design, pattern: &Pattern) -> Vec<Dot> {
    let px_per_mm = 1.0 / design.photo.mm_per_px;
    let seed = mix64(design.seed ^ 0xD07);
    // In parallel: each dot depends on its own index only.
    pattern
        .impressions
        .par_iter()
        .enumerate()
        .map(|(i, imp)| {
            let u = |k: i64| hash_unit(seed, i as i64, k) as f32 - 0.5;
            // Sum of three uniforms: close to normal, bounded.
            let strength = 1.0 + 0.14 * (u(0) + u(1) + u(2));
            let irregular = raster::MAX_IRREGULARITY / 2.0;
            // A stroke: a dot as long as the stroke, narrowed to its width.
            let (radius_mm, stretch) = match imp.stroke {
                Some(s) => (s.length_mm / 2.0, Dot::stretch_along(s.angle, s.length_mm / imp.diameter_mm)),
                None => (imp.diameter_mm / 2.0, Dot::stretch_for(imp.tilt)),
            };
            Dot {
                x: imp.x_px as f32,
                y: imp.y_px as f32,
                radius: (radius_mm * px_per_mm) as f32,
                strength,
                shape: [u(3), u(4), u(5), u(6)].map(|v| v * irregular),
                stretch,
            }
        })
        .collect()
}

/// The impressions of `design` on `photo`: where the design has a hair
/// sample, the zones' feathered edges continue the client's stubble seen
/// around them (see [`stubble::edge_stubble`]); elsewhere, as
/// [`Pattern::generate`].
pub fn place(photo: &RgbImage, design: &Design) -> Pattern {
    match stubble::edge_stubble(photo, design) {
        Some(stubble) => Pattern::blended(design, &stubble),
        None => Pattern::generate(design),
    }
}

/// Days between sessions when no plan says otherwise: the clinical
/// protocol's defaults (12 days, then 21).
pub const DEFAULT_GAPS: [f64; 3] = [12.0, 21.0, 21.0];

/// Redness of fresh work: absorbed in green and blue, so skin reads pink.
const REDNESS_ABSORBANCE: [f32; 3] = [0.0, 0.5, 0.4];
/// Redness spreads around each fresh impression to about this many radii.
const REDNESS_SPREAD: f32 = 2.6;

/// Composites `pattern` over `photo` as it looks at `stage`: sessions not
/// yet placed are left out, fresh work is darker, a little larger and red
/// around, healing settles it, and the years fade, blur and sink it.
/// `gaps` are the days between sessions (see [`DEFAULT_GAPS`]).
pub fn render_stage(
    photo: &mut RgbImage,
    design: &Design,
    pattern: &Pattern,
    optics: &impl DotOptics,
    stage: Stage,
    gaps: &[f64],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> CompositeStats {
    let plan = StagePlan::new(design, pattern, optics, &client_skin(photo, design), stage, gaps);
    composite_layers(photo, &plan.layers(), progress)
}

/// The design healed on a copy of `photo`, with the layered optics and the
/// default gaps, the client's longer hair kept in front where `hair` says:
/// the picture a consultation shows beside the photo.
pub fn healed_on(
    photo: &RgbImage,
    design: &Design,
    pattern: &Pattern,
    hair: Option<&hair_mask::HairMask>,
) -> RgbImage {
    let mut healed = photo.clone();
    render_stage(
        &mut healed,
        design,
        pattern,
        &smp_optics::LayeredOptics,
        Stage::HEALED,
        &DEFAULT_GAPS,
        &|_, _| {},
    );
    if let Some(hair) = hair {
        hair.keep_hair(photo, &mut healed);
    }
    healed
}

/// The dots of a stage, grouped by appearance: what [`render_stage`]
/// composites, for callers that composite it themselves (strip by strip
/// with a [`Compositor`], overlapping the encoding of the output, say).
pub struct StagePlan {
    groups: Vec<(Vec<Dot>, DotAppearance)>,
    redness: Vec<Dot>,
    redness_level: f32,
}

impl StagePlan {
    /// The dots of `pattern` as they look at `stage`, in `skin` (see
    /// [`client_skin`]).
    pub fn new(
        design: &Design,
        pattern: &Pattern,
        optics: &impl DotOptics,
        skin: &Skin,
        stage: Stage,
        gaps: &[f64],
    ) -> Self {
        let factors = Factors::of_client(&design.client);
        let all = dots(design, pattern);
        let ages = ageing::session_ages(stage, pattern.sessions, gaps);
        let mut groups: Vec<(Vec<Dot>, DotAppearance)> = Vec::new();
        let mut redness: Vec<Dot> = Vec::new();
        let mut redness_level = 0.0f32;
        for (s, age) in ages.iter().enumerate() {
            let Some(age) = *age else { continue };
            let state = ageing::ink_at(age, design.pigment.dilution, design.pigment.depth_mm, &factors);
            let mut appearance = optics.dot(skin, &state.ink);
            appearance.edge_softness += state.blur as f32;
            let session_dots: Vec<Dot> = pattern
                .impressions
                .iter()
                .zip(&all)
                .filter(|(imp, _)| imp.session as usize == s + 1)
                .map(|(_, d)| Dot { radius: d.radius * state.size as f32, ..*d })
                .collect();
            if state.redness > 0.02 {
                redness_level = redness_level.max(state.redness as f32);
                redness.extend(session_dots.iter().map(|d| Dot {
                    radius: d.radius * REDNESS_SPREAD,
                    strength: 0.6,
                    ..*d
                }));
            }
            // Sessions whose ink differs only in strength (same hue, same edge)
            // share one layer, the difference carried by each dot's strength:
            // one optical-density buffer less to fill and composite.
            match groups.iter_mut().find(|(_, a)| same_but_strength(a, &appearance).is_some()) {
                Some((dots, a)) => {
                    let scale = same_but_strength(a, &appearance).expect("checked just above");
                    dots.extend(session_dots.into_iter().map(|d| Dot { strength: d.strength * scale, ..d }));
                }
                None => groups.push((session_dots, appearance)),
            }
        }
        Self { groups, redness, redness_level }
    }

    /// The layers to composite, borrowing this plan's dots.
    pub fn layers(&self) -> Vec<Layer<'_>> {
        let mut layers: Vec<Layer<'_>> = self
            .groups
            .iter()
            .map(|(dots, a)| Layer {
                dots,
                absorbance: a.absorbance,
                edge_softness: a.edge_softness,
                downscale: 1,
            })
            .collect();
        if !self.redness.is_empty() {
            // Redness is wide and smooth: stamped at a resolution where its
            // blobs keep about two pixels of radius, then interpolated back up.
            let mean_radius =
                self.redness.iter().map(|d| d.radius as f64).sum::<f64>() / self.redness.len() as f64;
            let downscale = (mean_radius / 2.0).floor().clamp(1.0, 8.0) as u32;
            layers.push(Layer {
                dots: &self.redness,
                absorbance: REDNESS_ABSORBANCE.map(|k| k * self.redness_level),
                edge_softness: 1.0,
                downscale,
            });
        }
        layers
    }
}

/// When `b` is `a` scaled (absorbance proportional within 1%, the same
/// edge within 0.01), the scale.
fn same_but_strength(a: &DotAppearance, b: &DotAppearance) -> Option<f32> {
    let scale = b.absorbance[1] / a.absorbance[1].max(1e-6);
    let proportional =
        (0..3).all(|c| (a.absorbance[c] * scale - b.absorbance[c]).abs() <= 0.01 * b.absorbance[c].abs());
    (proportional && (a.edge_softness - b.edge_softness).abs() <= 0.01).then_some(scale)
}

/// Composites the healed result of `pattern` over `photo`.
pub fn render_healed(
    photo: &mut RgbImage,
    design: &Design,
    pattern: &Pattern,
    optics: &impl DotOptics,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> CompositeStats {
    render_stage(photo, design, pattern, optics, Stage::HEALED, &DEFAULT_GAPS, progress)
}

/// The skin the dots are seen through: the client's type when the design
/// gives it, else the one the skin's colour on `photo` shows. A photo with
/// no pixel of the zones gets type III, which shows nowhere: no dot of such
/// a design lands on the photo.
pub fn client_skin(photo: &RgbImage, design: &Design) -> Skin {
    match design.client.fitzpatrick {
        Some(t) => Skin::of_type(t),
        None => match skin_tone(photo, design) {
            Some(lab) => Skin::of_client(None, lab),
            None => Skin { melanin: smp_optics::skin::melanin_for_fitzpatrick(3) },
        },
    }
}

/// The skin's colour on the photo: the per-channel median CIELAB of the
/// pixels inside the client's `skin_region` when the design names one, else
/// inside its zones (sampled on a grid of at most about 40,000 points), or
/// `None` when those hold no pixel of the photo. The median keeps existing
/// stubble and highlights from pulling it.
pub fn skin_tone(photo: &RgbImage, design: &Design) -> Option<smp_optics::colour::Lab> {
    let (w, h) = photo.dimensions();
    let polygons: Vec<&smp_core::Polygon> = match &design.client.skin_region {
        Some(region) => vec![region],
        None => design.zones.iter().map(|z| &z.polygon).collect(),
    };
    let bounds = polygons.iter().map(|p| p.bounds()).reduce(smp_core::Rect::union)?;
    let x0 = bounds.min.x.max(0.0) as u32;
    let y0 = bounds.min.y.max(0.0) as u32;
    let x1 = (bounds.max.x.max(0.0) as u32).min(w);
    let y1 = (bounds.max.y.max(0.0) as u32).min(h);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let area = (x1 - x0) as f64 * (y1 - y0) as f64;
    let step = ((area / 40_000.0).sqrt().ceil() as u32).max(1);
    let mut samples: [Vec<f64>; 3] = Default::default();
    for y in (y0..y1).step_by(step as usize) {
        for x in (x0..x1).step_by(step as usize) {
            let p = smp_core::Point::new(x as f64 + 0.5, y as f64 + 0.5);
            if polygons.iter().any(|polygon| polygon.contains(p)) {
                let lab = smp_optics::colour::srgb8_to_lab(photo.get_pixel(x, y).0);
                samples[0].push(lab.l);
                samples[1].push(lab.a);
                samples[2].push(lab.b);
            }
        }
    }
    if samples[0].is_empty() {
        return None;
    }
    let [l, a, b] = samples.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    });
    Some(smp_optics::colour::Lab { l, a, b })
}
