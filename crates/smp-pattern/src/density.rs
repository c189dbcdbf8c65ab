//! The density field: how many impressions per mm2 belong at each point.
//!
//! Built once per design on a regular grid in millimetres, then read by
//! bilinear interpolation. It combines the zones (with their feathered
//! edges, measured to the edge of the union of all zones so that adjoining
//! zones blend instead of leaving a seam) and the hairline (its transition
//! gradient, style irregularities, temple recession and sentinels).

use rayon::prelude::*;
use smp_core::{Curve, Design, HairlineStyle, Point, Polygon, Rect};

use crate::blend::EdgeStubble;
use crate::noise::{value_noise_1d, value_noise_2d};

/// Marks a grid cell outside every zone.
pub const NO_ZONE: u16 = u16::MAX;

/// Finest grid spacing, in mm: well below the 2-3 mm scale of the hairline's
/// micro-irregularities and of a dot's spacing.
const FINEST_CELL_MM: f64 = 0.5;

/// Cap on grid cells, so absurdly large (but valid) designs stay bounded.
const MAX_CELLS: f64 = 16_000_000.0;

/// How far ahead of the hairline a sentinel may stand, in mm.
pub const SENTINEL_REACH_MM: f64 = 3.0;

/// The character of a hairline style, as numbers.
#[derive(Debug, Clone, Copy)]
struct StyleShape {
    /// Density share at the line itself.
    floor: f64,
    /// Share of `transition_mm` over which density rises to full.
    ramp_share: f64,
    /// Amplitude of the gentle waves along the line, mm.
    wave_mm: f64,
    /// Amplitude of the fine jitter, mm.
    jitter_mm: f64,
    /// Density share of sentinels ahead of the line.
    sentinel: f64,
    /// Extra recession at the temples, mm.
    temple_recession_mm: f64,
    /// Strength of clustering in the transition (broken lines).
    clustering: f64,
}

impl StyleShape {
    fn of(style: HairlineStyle) -> Self {
        match style {
            HairlineStyle::Defined => Self {
                floor: 0.6,
                ramp_share: 0.25,
                wave_mm: 0.0,
                jitter_mm: 0.0,
                sentinel: 0.0,
                temple_recession_mm: 0.0,
                clustering: 0.0,
            },
            HairlineStyle::Soft => Self {
                floor: 0.15,
                ramp_share: 1.0,
                wave_mm: 1.0,
                jitter_mm: 0.35,
                sentinel: 0.06,
                temple_recession_mm: 0.0,
                clustering: 0.0,
            },
            HairlineStyle::Broken => Self {
                floor: 0.1,
                ramp_share: 1.0,
                wave_mm: 1.8,
                jitter_mm: 0.8,
                sentinel: 0.1,
                temple_recession_mm: 0.0,
                clustering: 0.5,
            },
            HairlineStyle::Mature => Self {
                floor: 0.15,
                ramp_share: 1.0,
                wave_mm: 0.8,
                jitter_mm: 0.35,
                sentinel: 0.04,
                temple_recession_mm: 8.0,
                clustering: 0.0,
            },
        }
    }
}

/// The hairline in millimetres, ready to be evaluated.
struct HairlineField {
    curve: Curve,
    /// +1 when the hair lies on the curve's right-hand side, -1 otherwise.
    hair_side: f64,
    transition_mm: f64,
    shape: StyleShape,
    seed: u64,
}

impl HairlineField {
    /// Density multiplier at `p`, given its projection on the curve.
    fn factor(&self, p: Point, signed_distance: f64, arc_length: f64) -> f64 {
        let s = &self.shape;
        let mut d = signed_distance * self.hair_side;
        // Waves may carry the line forward, but nothing stands farther than
        // the sentinel reach ahead of the line as drawn.
        if d <= -SENTINEL_REACH_MM {
            return 0.0;
        }
        if s.wave_mm > 0.0 {
            let wave = 0.65 * value_noise_1d(self.seed ^ 0xA1, arc_length, 22.0)
                + 0.35 * value_noise_1d(self.seed ^ 0xA2, arc_length, 9.0);
            d -= s.wave_mm * wave;
        }
        if s.jitter_mm > 0.0 {
            d -= s.jitter_mm * value_noise_2d(self.seed ^ 0xA3, p.x, p.y, 1.6);
        }
        if s.temple_recession_mm > 0.0 {
            let u = (arc_length / self.curve.length()).clamp(0.0, 1.0);
            let toward_temple = ((2.0 * u - 1.0).abs() - 0.3).max(0.0) / 0.7;
            d -= s.temple_recession_mm * toward_temple * toward_temple;
        }
        if d < 0.0 {
            return if d > -SENTINEL_REACH_MM { s.sentinel } else { 0.0 };
        }
        let ramp = self.transition_mm * s.ramp_share;
        let mut f = if ramp > 0.0 { s.floor + (1.0 - s.floor) * smoothstep(d / ramp) } else { 1.0 };
        if s.clustering > 0.0 && d < self.transition_mm {
            let fade = 1.0 - d / self.transition_mm;
            f *= 1.0 + s.clustering * fade * value_noise_2d(self.seed ^ 0xA4, p.x, p.y, 3.5);
        }
        f.clamp(0.0, 1.0)
    }

    /// The largest distance from the curve at which `factor` can differ from
    /// its value far away (1 behind, 0 ahead).
    fn reach(&self) -> f64 {
        self.transition_mm
            + self.shape.wave_mm
            + self.shape.jitter_mm
            + self.shape.temple_recession_mm
            + SENTINEL_REACH_MM
            + 1.0
    }
}

fn smoothstep(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Impressions per mm2 over the design, on a grid in millimetres.
#[derive(Debug, Clone)]
pub struct DensityField {
    origin: Point,
    cell_mm: f64,
    /// `1 / cell_mm`: the sampler looks the density up for every candidate.
    per_cell: f64,
    cols: usize,
    rows: usize,
    /// Impressions per mm2 at each cell centre.
    density: Vec<f32>,
    /// Index of the zone each cell centre belongs to, or [`NO_ZONE`].
    zone: Vec<u16>,
    max_density: f64,
    /// The zones' outlines in mm, for exact containment.
    outlines: Vec<(Polygon, Rect)>,
}

impl DensityField {
    /// Builds the field of a validated design.
    pub fn new(design: &Design) -> Self {
        Self::build(design, None)
    }

    /// Builds the field of a validated design whose zones' feathered edges
    /// ramp to the client's `stubble` just outside them rather than to
    /// nothing: where an edge meets the client's own hair, SMP continues it.
    pub fn blended(design: &Design, stubble: &EdgeStubble) -> Self {
        Self::build(design, Some(stubble))
    }

    fn build(design: &Design, stubble: Option<&EdgeStubble>) -> Self {
        let scale = design.photo.mm_per_px;
        let zones: Vec<(Polygon, f64, f64)> = design
            .zones
            .iter()
            .map(|z| {
                let poly = Polygon::new(z.polygon.vertices().iter().map(|&p| p * scale).collect())
                    .expect("scaling keeps a valid polygon valid");
                (poly, z.density_per_cm2 / 100.0, z.feather_mm)
            })
            .collect();
        let bounds = zones.iter().map(|z| z.0.bounds()).reduce(Rect::union).expect("a design has zones");
        let area = bounds.width() * bounds.height();
        let cell_mm = FINEST_CELL_MM.max((area / MAX_CELLS).sqrt());
        let bounds = bounds.inflate(2.0 * cell_mm);
        let cols = (bounds.width() / cell_mm).ceil() as usize + 1;
        let rows = (bounds.height() / cell_mm).ceil() as usize + 1;
        let origin = bounds.min;
        let center =
            |c: usize, r: usize| Point::new(origin.x + c as f64 * cell_mm, origin.y + r as f64 * cell_mm);

        // 1. Which zone holds each cell centre (the densest one where zones overlap).
        let mut zone = vec![NO_ZONE; cols * rows];
        // Each row visits each zone's edges once (its crossings), then only
        // the cells inside: cells times vertices would let one finely drawn
        // zone take the CPU for minutes.
        zone.par_chunks_mut(cols).enumerate().for_each(|(r, row)| {
            let y = origin.y + r as f64 * cell_mm;
            let x_of = |c: usize| origin.x + c as f64 * cell_mm;
            for (zi, (poly, dens, _)) in zones.iter().enumerate() {
                for span in poly.crossings_at(y).chunks_exact(2) {
                    let (lo, hi) = (span[0], span[1]);
                    // From one cell before the span's start, by the same
                    // comparisons `contains` makes.
                    let first = (((lo - origin.x) / cell_mm).floor().max(1.0) as usize - 1).min(cols);
                    for c in (first..cols).take_while(|&c| x_of(c) < hi) {
                        let cell = &mut row[c];
                        if x_of(c) >= lo && (*cell == NO_ZONE || zones[*cell as usize].1 < *dens) {
                            *cell = zi as u16;
                        }
                    }
                }
            }
        });

        // 2. Distance from each inside cell to the outside of all zones.
        let inside: Vec<bool> = zone.iter().map(|&z| z != NO_ZONE).collect();
        let edge_distance = distance_to_outside(&inside, cols, rows);

        // 3. Feathered zone density.
        let mut density: Vec<f32> = zone
            .par_iter()
            .zip(edge_distance.par_iter())
            .enumerate()
            .map(|(i, (&z, &d_cells))| {
                if z == NO_ZONE {
                    return 0.0;
                }
                let (_, dens, feather) = zones[z as usize];
                // Cell centres sit half a cell inside the true edge on average.
                let d_mm = (d_cells * cell_mm - 0.5 * cell_mm).max(0.0);
                let ramp = if feather > 0.0 { smoothstep(d_mm / feather) } else { 1.0 };
                // The edge's floor: the client's stubble beyond it, if any.
                let floor = match stubble {
                    Some(s) if ramp < 1.0 => s.density_at(center(i % cols, i / cols)),
                    _ => 0.0,
                };
                (floor + (dens - floor) * ramp) as f32
            })
            .collect();

        // 4. The hairline.
        if let Some(h) = &design.hairline {
            let curve = h.curve.scaled(scale);
            let mut field = HairlineField {
                curve,
                hair_side: 1.0,
                transition_mm: h.transition_mm,
                shape: StyleShape::of(h.style),
                seed: design.seed,
            };
            field.hair_side = hair_side(&field.curve, &density, cols, rows, center);
            apply_hairline(&field, &mut density, cols, origin, cell_mm);
        }

        let max_density = density.iter().copied().fold(0.0f32, f32::max) as f64;
        let outlines = zones.into_iter().map(|(poly, _, _)| {
            let bounds = poly.bounds();
            (poly, bounds)
        });
        Self {
            origin,
            cell_mm,
            per_cell: 1.0 / cell_mm,
            cols,
            rows,
            density,
            zone,
            max_density,
            outlines: outlines.collect(),
        }
    }

    /// Impressions per mm2 at `p` (mm), interpolated; 0 outside the grid.
    pub fn density_at(&self, p: Point) -> f64 {
        let u = (p.x - self.origin.x) * self.per_cell;
        let v = (p.y - self.origin.y) * self.per_cell;
        if !(u >= 0.0 && v >= 0.0) {
            return 0.0;
        }
        // Through `i64`: one instruction, where a float-to-`usize` cast
        // takes several; far points saturate and fail the check below.
        let (c, r) = (u as i64 as usize, v as i64 as usize);
        if c + 1 >= self.cols || r + 1 >= self.rows {
            return 0.0;
        }
        let (fx, fy) = ((u - c as f64) as f32, (v - r as f64) as f32);
        let i = r * self.cols + c;
        let d = &self.density;
        let top = d[i] + (d[i + 1] - d[i]) * fx;
        let bottom = d[i + self.cols] + (d[i + self.cols + 1] - d[i + self.cols]) * fx;
        (top + (bottom - top) * fy) as f64
    }

    /// The zone at `p` (mm): the nearest cell's zone, if any.
    pub fn zone_at(&self, p: Point) -> Option<u16> {
        let c = ((p.x - self.origin.x) / self.cell_mm).round();
        let r = ((p.y - self.origin.y) / self.cell_mm).round();
        if c < 0.0 || r < 0.0 || c as usize >= self.cols || r as usize >= self.rows {
            return None;
        }
        let z = self.zone[r as usize * self.cols + c as usize];
        (z != NO_ZONE).then_some(z)
    }

    /// Whether `p` (mm) lies inside one of the zones, exactly.
    pub fn in_zones(&self, p: Point) -> bool {
        self.outlines.iter().any(|(poly, bounds)| bounds.contains(p) && poly.contains(p))
    }

    /// The highest density anywhere, per mm2.
    pub fn max_density(&self) -> f64 {
        self.max_density
    }

    /// The region the field covers, in mm.
    pub fn bounds(&self) -> Rect {
        Rect {
            min: self.origin,
            max: Point::new(
                self.origin.x + (self.cols - 1) as f64 * self.cell_mm,
                self.origin.y + (self.rows - 1) as f64 * self.cell_mm,
            ),
        }
    }

    /// Grid spacing in mm.
    pub fn cell_mm(&self) -> f64 {
        self.cell_mm
    }

    /// Multiplies the density at each cell by `factor` of its centre (mm):
    /// a design drawn on a photo of a curved surface samples the photo's
    /// plane more densely where the surface turns away from the camera.
    pub fn scale_by(&mut self, factor: impl Fn(Point) -> f64 + Sync) {
        let (origin, cell_mm, cols) = (self.origin, self.cell_mm, self.cols);
        self.density.par_iter_mut().enumerate().for_each(|(i, d)| {
            if *d > 0.0 {
                let centre = Point::new(
                    origin.x + (i % cols) as f64 * cell_mm,
                    origin.y + (i / cols) as f64 * cell_mm,
                );
                *d = (*d as f64 * factor(centre).max(0.0)) as f32;
            }
        });
        self.max_density = self.density.iter().copied().fold(0.0f32, f32::max) as f64;
    }

    /// Expected number of impressions: the integral of the density.
    pub fn expected_count(&self) -> f64 {
        self.density.iter().map(|&d| d as f64).sum::<f64>() * self.cell_mm * self.cell_mm
    }
}

/// Which side of the curve holds the hair: the side where most of the zones'
/// density lies. Zones are drawn behind the line (with a small margin ahead).
fn hair_side(
    curve: &Curve,
    density: &[f32],
    cols: usize,
    rows: usize,
    center: impl Fn(usize, usize) -> Point,
) -> f64 {
    let stride = ((cols * rows) as f64 / 20_000.0).sqrt().ceil().max(1.0) as usize;
    let mut balance = 0.0;
    for r in (0..rows).step_by(stride) {
        for c in (0..cols).step_by(stride) {
            let d = density[r * cols + c];
            if d > 0.0 {
                balance += d as f64 * curve.project(center(c, r)).signed_distance.signum();
            }
        }
    }
    if balance >= 0.0 { 1.0 } else { -1.0 }
}

/// Multiplies the density by the hairline factor. Works in blocks: a block
/// whose centre lies farther from the curve than the hairline's reach plus
/// the block's radius is wholly behind the line (unchanged) or wholly ahead
/// of it (emptied), since distance to a curve changes no faster than position.
fn apply_hairline(field: &HairlineField, density: &mut [f32], cols: usize, origin: Point, cell_mm: f64) {
    const BLOCK: usize = 8;
    let block_radius = BLOCK as f64 * cell_mm * std::f64::consts::SQRT_2 / 2.0;
    let reach = field.reach();
    density.par_chunks_mut(cols * BLOCK).enumerate().for_each(|(br, band)| {
        let band_rows = band.len() / cols;
        for bc in (0..cols).step_by(BLOCK) {
            let block_cols = BLOCK.min(cols - bc);
            let any = (0..band_rows)
                .any(|r| band[r * cols + bc..r * cols + bc + block_cols].iter().any(|&d| d > 0.0));
            if !any {
                continue;
            }
            let mid = Point::new(
                origin.x + (bc as f64 + (block_cols as f64 - 1.0) / 2.0) * cell_mm,
                origin.y + ((br * BLOCK) as f64 + (band_rows as f64 - 1.0) / 2.0) * cell_mm,
            );
            let proj = field.curve.project(mid);
            let d = proj.signed_distance * field.hair_side;
            if d.abs() > reach + block_radius {
                if d < 0.0 {
                    for r in 0..band_rows {
                        band[r * cols + bc..r * cols + bc + block_cols].fill(0.0);
                    }
                }
                continue;
            }
            let segments = field.curve.segments_near(mid, block_radius);
            for r in 0..band_rows {
                for c in bc..bc + block_cols {
                    let cell = &mut band[r * cols + c];
                    if *cell <= 0.0 {
                        continue;
                    }
                    let p = Point::new(
                        origin.x + c as f64 * cell_mm,
                        origin.y + (br * BLOCK + r) as f64 * cell_mm,
                    );
                    let proj = field.curve.project_among(p, segments.iter().copied());
                    *cell *= field.factor(p, proj.signed_distance, proj.arc_length) as f32;
                }
            }
        }
    });
}

/// Euclidean distance (in cells) from every inside cell to the nearest
/// outside cell centre; 0 for outside cells.
///
/// Felzenszwalb and Huttenlocher's exact two-pass transform, "Distance
/// Transforms of Sampled Functions" (2012): linear in the number of cells.
/// Written here because it is forty lines and the crates offering it are
/// unmaintained or pull in a whole image-processing stack.
fn distance_to_outside(inside: &[bool], cols: usize, rows: usize) -> Vec<f64> {
    let big = ((cols + rows) * (cols + rows)) as f64;
    let mut sq: Vec<f64> = inside.iter().map(|&i| if i { big } else { 0.0 }).collect();
    sq.par_chunks_mut(cols).for_each(|row| {
        let input = row.to_vec();
        transform_1d(&input, row);
    });
    let mut transposed = vec![0.0; cols * rows];
    for r in 0..rows {
        for c in 0..cols {
            transposed[c * rows + r] = sq[r * cols + c];
        }
    }
    transposed.par_chunks_mut(rows).for_each(|col| {
        let input = col.to_vec();
        transform_1d(&input, col);
    });
    let mut out = vec![0.0; cols * rows];
    for r in 0..rows {
        for c in 0..cols {
            out[r * cols + c] = transposed[c * rows + r].sqrt();
        }
    }
    out
}

/// 1-D squared distance transform of `f` (lower envelope of parabolas).
fn transform_1d(f: &[f64], out: &mut [f64]) {
    let n = f.len();
    let mut v = vec![0usize; n];
    let mut z = vec![0.0f64; n + 1];
    let mut k = 0usize;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let intersect = |q: usize, p: usize| {
        ((f[q] + (q * q) as f64) - (f[p] + (p * p) as f64)) / (2.0 * q as f64 - 2.0 * p as f64)
    };
    for q in 1..n {
        let mut s = intersect(q, v[k]);
        // z[0] is -inf, so this stops at k == 0 at the latest.
        while s <= z[k] {
            k -= 1;
            s = intersect(q, v[k]);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        let d = q as f64 - p as f64;
        *o = d * d + f[p];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_transform_matches_brute_force() {
        let (cols, rows) = (23, 17);
        let inside: Vec<bool> = (0..cols * rows)
            .map(|i| {
                let (r, c) = ((i / cols) as i64, (i % cols) as i64);
                (r - 8).pow(2) + (c - 11).pow(2) < 49 || (c > 15 && r > 3 && r < 14)
            })
            .collect();
        let fast = distance_to_outside(&inside, cols, rows);
        for (i, &fast_distance) in fast.iter().enumerate() {
            let (r, c) = ((i / cols) as f64, (i % cols) as f64);
            let brute = (0..cols * rows)
                .filter(|&j| !inside[j])
                .map(|j| ((j / cols) as f64 - r).hypot((j % cols) as f64 - c))
                .fold(f64::INFINITY, f64::min);
            assert!((fast_distance - brute).abs() < 1e-9, "cell {i}: {fast_distance} vs {brute}");
        }
    }
}
