//! The impression pattern: where every dot goes, how large it is, which zone
//! it belongs to and in which session it is placed.
//!
//! [`DensityField`] turns a design into impressions per mm2; the sampler lays
//! progressive blue noise over it. Everything is deterministic for a given
//! design and seed, whatever the number of threads.
#![warn(missing_docs)]

pub mod blend;
pub mod density;
pub mod head;
mod noise;
pub mod sampler;
pub mod strokes;

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64Mcg;
use smp_core::{Design, Point};

pub use blend::EdgeStubble;
pub use density::DensityField;
pub use noise::{hash_unit, mix64, value_noise_2d};
pub use strokes::segment_of;

/// One impression a technician places.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impression {
    /// Position in photo pixels, as the photo is displayed.
    pub x_px: f64,
    /// Position in photo pixels, as the photo is displayed.
    pub y_px: f64,
    /// Healed diameter in mm, on the skin.
    pub diameter_mm: f64,
    /// Index into [`Pattern::zone_names`].
    pub zone: u16,
    /// 1-based session in which it is placed.
    pub session: u8,
    /// How the skin here turns from the camera: its normal projected into
    /// the photo (pixel axes: x right, y down), of length sin of the angle
    /// between them. Zero on a design drawn flat on one photo (schema 1);
    /// the dot shows as an ellipse, `cos` as wide along this direction.
    pub tilt: [f64; 2],
    /// For a stroke (a zone of strokes), its direction and length; its
    /// width is `diameter_mm`. `None` for a dot.
    pub stroke: Option<Stroke>,
}

/// A stroke's direction and length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    /// Radians from the photo's +x axis toward +y (down), the way the hair
    /// grows.
    pub angle: f64,
    /// Healed length, mm.
    pub length_mm: f64,
}

/// All impressions of a design.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The impressions, session 1 first.
    pub impressions: Vec<Impression>,
    /// Zone names, indexed by [`Impression::zone`].
    pub zone_names: Vec<String>,
    /// Number of sessions.
    pub sessions: usize,
}

impl Pattern {
    /// Builds the pattern of a validated design.
    pub fn generate(design: &Design) -> Self {
        let field = DensityField::new(design);
        Self::from_field(design, &field)
    }

    /// Builds the pattern of a validated design whose feathered edges
    /// continue the client's `stubble` where they meet it (see
    /// [`DensityField::blended`]).
    pub fn blended(design: &Design, stubble: &EdgeStubble) -> Self {
        let field = DensityField::blended(design, stubble);
        Self::from_field(design, &field)
    }

    /// Builds the pattern over an already built density field.
    pub fn from_field(design: &Design, field: &DensityField) -> Self {
        let samples = sampler::sample(field, &design.sessions.shares, design.seed);
        let px_per_mm = 1.0 / design.photo.mm_per_px;
        // Log-normal sizes: always positive, with the requested mean and
        // relative standard deviation.
        let cv = design.impressions.size_variation;
        let sigma = (1.0 + cv * cv).ln().sqrt();
        let mean = design.impressions.diameter_mm;
        let mut rng = Pcg64Mcg::seed_from_u64(mix64(design.seed ^ 0xD1A));
        let impressions: Vec<Impression> = samples
            .iter()
            .map(|s| {
                let z: f64 = StandardNormal.sample(&mut rng);
                let factor = (sigma * z - sigma * sigma / 2.0).exp().clamp(0.4, 2.5);
                let zone = nearest_zone(field, s.position);
                let (x_px, y_px) = (s.position.x * px_per_mm, s.position.y * px_per_mm);
                let stroke = match design.zones.get(zone as usize).map(|z| z.shape) {
                    Some(smp_core::design_file::ImpressionShape::Stroke) => {
                        design.growth_at(Point::new(x_px, y_px)).map(|angle| Stroke {
                            angle,
                            length_mm: design.impressions.stroke_length_mm * factor,
                        })
                    }
                    _ => None,
                };
                let width = if stroke.is_some() { design.impressions.stroke_width_mm } else { mean };
                Impression {
                    x_px,
                    y_px,
                    diameter_mm: width * factor,
                    zone,
                    session: s.session,
                    tilt: [0.0, 0.0],
                    stroke,
                }
            })
            .collect();
        let impressions = strokes::uncrossed(impressions, px_per_mm);
        Self {
            impressions,
            zone_names: design.zones.iter().map(|z| z.name.clone()).collect(),
            sessions: design.sessions.shares.len(),
        }
    }

    /// Number of impressions in each session, session 1 first.
    pub fn session_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.sessions];
        for i in &self.impressions {
            counts[i.session as usize - 1] += 1;
        }
        counts
    }
}

/// The zone of a point; a sentinel ahead of the line takes the zone of the
/// nearest grid cell that has one.
fn nearest_zone(field: &DensityField, p: Point) -> u16 {
    if let Some(z) = field.zone_at(p) {
        return z;
    }
    let step = field.cell_mm();
    for ring in 1..16 {
        let d = ring as f64 * step;
        for (dx, dy) in [(d, 0.0), (-d, 0.0), (0.0, d), (0.0, -d), (d, d), (-d, d), (d, -d), (-d, -d)] {
            if let Some(z) = field.zone_at(Point::new(p.x + dx, p.y + dy)) {
                return z;
            }
        }
    }
    0
}
