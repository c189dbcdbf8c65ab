//! Stamping soft, slightly irregular dots as optical density and compositing
//! them over the photo in linear light.
//!
//! Dots are evaluated analytically rather than copied from a stamp bank:
//! each has its own size, sub-pixel position and edge shape, and the maths
//! per pixel (one square root, a few multiplies, one table look-up) costs
//! about what a bank look-up would, without quantising any of them.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::RgbImage;
use rayon::prelude::*;

use crate::srgb::DarkenTable;

/// One dot to stamp, in photo pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dot {
    /// Centre, photo pixels from the left edge (sub-pixel).
    pub x: f32,
    /// Centre, photo pixels from the top edge (sub-pixel).
    pub y: f32,
    /// Mean radius in photo pixels; the edge wavers around it by `shape`.
    pub radius: f32,
    /// Optical density multiplier (1 = a typical dot).
    pub strength: f32,
    /// Edge irregularity: the radius at angle `t` is
    /// `radius * (1 + c2 cos 2t + s2 sin 2t + c3 cos 3t + s3 sin 3t)`.
    pub shape: [f32; 4],
    /// How the dot is foreshortened: the symmetric linear map `[m00, m01,
    /// m11]` from pixel offsets to the frame of the round dot ([`ROUND`]
    /// for a dot seen face-on). A dot on skin turned from the camera by an
    /// angle `a` shows as an ellipse, `cos a` as wide across the turn.
    pub stretch: [f32; 3],
}

/// The [`Dot::stretch`] of a dot seen face-on.
pub const ROUND: [f32; 3] = [1.0, 0.0, 1.0];

impl Dot {
    /// A dot seen face-on.
    pub fn round(x: f32, y: f32, radius: f32, strength: f32, shape: [f32; 4]) -> Self {
        Self { x, y, radius, strength, shape, stretch: ROUND }
    }

    /// The stretch of a dot on skin whose normal, projected into the
    /// photo, is `tilt` (a vector of length sin a, a the angle between the
    /// skin's normal and the camera): squeezed to `cos a` along `tilt`.
    /// Turned beyond 87 degrees it keeps 5% of its width, so that it stays
    /// a sliver rather than a line the pixels cannot hold.
    pub fn stretch_for(tilt: [f64; 2]) -> [f32; 3] {
        let sin2 = tilt[0] * tilt[0] + tilt[1] * tilt[1];
        if sin2 < 1e-12 {
            return ROUND;
        }
        let cos = (1.0 - sin2.min(1.0)).sqrt().max(0.05);
        let (nx, ny) = (tilt[0] / sin2.sqrt(), tilt[1] / sin2.sqrt());
        // Identity plus (1 / cos - 1) along the tilt: offsets across the
        // turn count 1 / cos times as far from the centre.
        let k = 1.0 / cos - 1.0;
        [(1.0 + k * nx * nx) as f32, (k * nx * ny) as f32, (1.0 + k * ny * ny) as f32]
    }

    /// The stretch of a stroke at `angle` (radians from +x toward +y),
    /// `elongation` times as long as it is wide: offsets across it count
    /// that many times as far.
    pub fn stretch_along(angle: f64, elongation: f64) -> [f32; 3] {
        let (nx, ny) = (-angle.sin(), angle.cos());
        let k = elongation.max(1.0) - 1.0;
        [(1.0 + k * nx * nx) as f32, (k * nx * ny) as f32, (1.0 + k * ny * ny) as f32]
    }

    /// The widest the stretch makes an offset count (1 for a round dot,
    /// 1 / cos a for a foreshortened one): the narrow axis is the radius
    /// over this.
    fn squeeze(&self) -> f32 {
        let [a, b, c] = self.stretch;
        0.5 * (a + c) + (0.25 * (a - c) * (a - c) + b * b).sqrt()
    }
}

/// Largest relative edge irregularity a dot may have.
pub const MAX_IRREGULARITY: f32 = 0.2;

/// How far from its centre a dot can reach, as a multiple of its radius:
/// the profile is cut to zero at twice the (irregular) radius, so pixels
/// farther than this from every dot stay bit for bit as they were.
pub const REACH: f32 = 2.0 * (1.0 + MAX_IRREGULARITY);

/// Rows per strip: the unit of parallel work.
const STRIP_ROWS: usize = 32;

/// What a composite did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompositeStats {
    /// Dots that touched the image.
    pub dots_drawn: usize,
    /// Pixels whose value may have changed.
    pub pixels_touched: usize,
}

/// Dots that share one pigment appearance.
#[derive(Debug, Clone, Copy)]
pub struct Layer<'a> {
    /// Every dot of the layer, in photo pixels, in any order.
    pub dots: &'a [Dot],
    /// Optical density per linear channel of one fully covered dot.
    pub absorbance: [f32; 3],
    /// Edge width as a share of the radius.
    pub edge_softness: f32,
    /// 1 to stamp at full resolution; `n` > 1 to stamp at 1/`n` and
    /// interpolate (bilinear) back up: for wide, smooth fields such as the
    /// redness around fresh work, where it costs a fraction of the time and
    /// looks the same.
    pub downscale: u32,
}

/// One thread's working buffers, kept between strips.
#[derive(Default)]
struct Scratch {
    /// A strip's density per stamped layer: all zero between strips (each
    /// row is cleared over its extent once composited), so that a strip
    /// costs in proportion to the dots in it, not to its pixels.
    densities: Vec<Vec<f32>>,
    /// Per row of the strip, the columns any stamped dot wrote to.
    extents: Vec<Extent>,
    /// One row's absorbance per channel, summed over the layers.
    sums: [Vec<f32>; 3],
    /// One row's darkening table rows per channel.
    table_rows: [Vec<u16>; 3],
    /// One row of a coarse layer, interpolated.
    coarse: Vec<f32>,
    /// The same, at the coarse layer's width.
    coarse_between: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// The columns `first..=last` of a row; empty when `first > last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Extent {
    first: usize,
    last: usize,
}

impl Extent {
    const EMPTY: Self = Self { first: usize::MAX, last: 0 };

    fn is_empty(self) -> bool {
        self.first > self.last
    }

    fn cover(&mut self, first: usize, last: usize) {
        self.first = self.first.min(first);
        self.last = self.last.max(last);
    }
}

/// How a layer's optical density is made for each strip.
enum Density {
    /// Stamped per strip from the dots binned by strip.
    Stamped(Bins),
    /// Interpolated from a coarse buffer stamped once.
    Coarse(CoarseField),
}

/// A layer's density at 1/`factor` resolution, with the columns' lookup.
struct CoarseField {
    factor: usize,
    width: usize,
    height: usize,
    density: Vec<f32>,
    /// Per coarse row, the coarse columns where the density is not zero.
    extents: Vec<Extent>,
    /// For each full-resolution column: the coarse column to its left and
    /// the weight of the one to its right.
    columns: Vec<(u32, f32)>,
}

impl CoarseField {
    fn new(layer: &Layer<'_>, width: usize, height: usize) -> Self {
        let factor = layer.downscale.max(1) as usize;
        let f = factor as f32;
        let (cw, ch) = (width.div_ceil(factor), height.div_ceil(factor));
        let dots: Vec<Dot> =
            layer.dots.iter().map(|d| Dot { x: d.x / f, y: d.y / f, radius: d.radius / f, ..*d }).collect();
        let strips = ch.div_ceil(STRIP_ROWS);
        let bins = bin_by_strip(&dots, cw, ch, strips);
        let mut density = vec![0.0f32; cw * ch];
        let mut extents = vec![Extent::EMPTY; ch];
        density.par_chunks_mut(cw * STRIP_ROWS).zip(extents.par_chunks_mut(STRIP_ROWS)).enumerate().for_each(
            |(strip, (buffer, extents))| {
                let y0 = strip * STRIP_ROWS;
                for &i in bins.members(strip) {
                    stamp(buffer, cw, extents, y0, &dots[i as usize], layer.edge_softness);
                }
            },
        );
        let columns = (0..width)
            .map(|x| {
                let at = ((x as f32 + 0.5) / f - 0.5).clamp(0.0, (cw - 1) as f32);
                let left = (at.floor() as usize).min(cw.saturating_sub(2));
                (left as u32, (at - left as f32).clamp(0.0, 1.0))
            })
            .collect();
        Self { factor, width: cw, height: ch, density, extents, columns }
    }

    /// The coarse rows above and below full-resolution row `y`, and the
    /// weight of the lower one.
    fn rows_around(&self, y: usize) -> (usize, usize, f32) {
        let at = ((y as f32 + 0.5) / self.factor as f32 - 0.5).clamp(0.0, (self.height - 1) as f32);
        let top = (at.floor() as usize).min(self.height.saturating_sub(2));
        (top, (top + 1).min(self.height - 1), (at - top as f32).clamp(0.0, 1.0))
    }

    /// The full-resolution columns of row `y` of `width` where the field
    /// may not be zero; `None` where it is zero all along.
    fn extent(&self, y: usize, width: usize) -> Option<Extent> {
        let (top, bottom, _) = self.rows_around(y);
        let mut coarse = self.extents[top];
        coarse.cover(self.extents[bottom].first, self.extents[bottom].last);
        // Full-resolution columns with a non-zero coarse neighbour.
        (!coarse.is_empty()).then(|| Extent {
            first: (coarse.first.saturating_sub(1) * self.factor).min(width - 1),
            last: ((coarse.last + 2) * self.factor).min(width) - 1,
        })
    }

    /// Interpolates the full-resolution row `y`, over the columns `span`,
    /// into `out` (as long as the span). `between` holds the coarse row
    /// interpolated vertically.
    fn row_into(&self, y: usize, span: Range<usize>, between: &mut Vec<f32>, out: &mut [f32]) {
        let (top, bottom, wy) = self.rows_around(y);
        let a = &self.density[top * self.width..][..self.width];
        let b = &self.density[bottom * self.width..][..self.width];
        // Vertically over the coarse row first (it vectorises), then
        // horizontally: two reads per full-resolution pixel instead of four.
        between.clear();
        between.extend(a.iter().zip(b).map(|(&a, &b)| a + (b - a) * wy));
        between.push(*between.last().unwrap_or(&0.0));
        for (v, &(left, wx)) in out.iter_mut().zip(&self.columns[span]) {
            let (l, r) = (between[left as usize], between[left as usize + 1]);
            *v = l + (r - l) * wx;
        }
    }
}

/// Stamps `dots` as optical density and composites them over `image`:
/// `out = photo * exp(-D * absorbance)` per linear channel, where `D` is the
/// summed coverage of all dots at the pixel. `edge_softness` is the edge
/// width as a share of the radius; `progress` is called with (strips done,
/// strips in all).
pub fn composite(
    image: &mut RgbImage,
    dots: &[Dot],
    absorbance: [f32; 3],
    edge_softness: f32,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> CompositeStats {
    composite_layers(image, &[Layer { dots, absorbance, edge_softness, downscale: 1 }], progress)
}

/// Like [`composite`], for several layers of dots with their own
/// appearance (sessions of different ages, redness around fresh work):
/// each layer accumulates its own optical density and the transmissions
/// multiply, `out = photo * prod_k exp(-D_k * absorbance_k)`.
pub fn composite_layers(
    image: &mut RgbImage,
    layers: &[Layer<'_>],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> CompositeStats {
    let compositor = Compositor::new(layers, image.width() as usize, image.height() as usize);
    let done = AtomicUsize::new(0);
    let touched: usize = image
        .par_chunks_mut(compositor.strip_bytes().max(1))
        .enumerate()
        .map(|(strip, pixels)| {
            let touched = compositor.apply(strip, pixels);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, compositor.strips());
            touched
        })
        .sum();
    CompositeStats { dots_drawn: compositor.dots_drawn(), pixels_touched: touched }
}

/// Layers made ready to composite strip by strip, in any order and on any
/// thread: dots binned by strip, coarse fields stamped, tables built. Lets
/// a caller overlap compositing with other work on the finished strips
/// (encoding them, say).
pub struct Compositor<'a> {
    layers: &'a [Layer<'a>],
    fields: Vec<Density>,
    width: usize,
    height: usize,
}

impl<'a> Compositor<'a> {
    /// Prepares `layers` for an image of `width` x `height` pixels.
    pub fn new(layers: &'a [Layer<'a>], width: usize, height: usize) -> Self {
        let strips = height.div_ceil(STRIP_ROWS);
        let fields = if width == 0 || height == 0 {
            Vec::new()
        } else {
            layers
                .iter()
                .map(|l| {
                    if l.downscale > 1 {
                        Density::Coarse(CoarseField::new(l, width, height))
                    } else {
                        Density::Stamped(bin_by_strip(l.dots, width, height, strips))
                    }
                })
                .collect()
        };
        Self { layers, fields, width, height }
    }

    /// Rows per strip.
    pub const STRIP_ROWS: usize = STRIP_ROWS;

    /// Number of strips.
    pub fn strips(&self) -> usize {
        self.height.div_ceil(STRIP_ROWS)
    }

    /// Bytes of a full strip of RGB pixels.
    pub fn strip_bytes(&self) -> usize {
        self.width * 3 * STRIP_ROWS
    }

    /// Dots that touch the image.
    pub fn dots_drawn(&self) -> usize {
        let strips = self.strips();
        if strips == 0 {
            return 0;
        }
        self.layers
            .iter()
            .map(|l| {
                l.dots.iter().filter(|d| strip_range(d, self.width, self.height, strips).is_some()).count()
            })
            .sum()
    }

    /// Composites strip number `strip`, whose RGB pixels are `pixels` (the
    /// last strip may be shorter); returns the pixels touched.
    pub fn apply(&self, strip: usize, pixels: &mut [u8]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.apply_avx2(strip, pixels) };
        }
        self.apply_inlined(strip, pixels)
    }

    /// [`Self::apply`] compiled for AVX2: the passes over a row's densities
    /// (sums, table rows) run eight floats at a time. The same floats as
    /// the portable path: they only multiply, add and clamp.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn apply_avx2(&self, strip: usize, pixels: &mut [u8]) -> usize {
        self.apply_inlined(strip, pixels)
    }

    #[inline(always)]
    fn apply_inlined(&self, strip: usize, pixels: &mut [u8]) -> usize {
        if self.fields.is_empty() || self.width == 0 {
            return 0;
        }
        let width = self.width;
        let rows = pixels.len() / (width * 3);
        let y0 = strip * STRIP_ROWS;
        // Buffers are reused per thread: a fresh one per strip would be a
        // fresh mapping from the allocator, and its page faults.
        let mut scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        scratch.extents.clear();
        scratch.extents.resize(rows, Extent::EMPTY);
        scratch.densities.resize_with(self.layers.len(), Vec::new);
        for ((density, layer), field) in scratch.densities.iter_mut().zip(self.layers).zip(&self.fields) {
            if let Density::Stamped(bins) = field {
                // Still all zero from the last strip; only grows or shrinks.
                density.resize(width * rows, 0.0);
                for &i in bins.members(strip) {
                    stamp(
                        density,
                        width,
                        &mut scratch.extents,
                        y0,
                        &layer.dots[i as usize],
                        layer.edge_softness,
                    );
                }
            }
        }
        let mut touched = 0;
        for (row, line) in pixels.chunks_exact_mut(width * 3).enumerate() {
            touched += self.apply_row(&mut scratch, row, y0 + row, line);
        }
        SCRATCH.with(|s| *s.borrow_mut() = scratch);
        touched
    }

    /// Darkens one row of pixels, row `row` of the strip (`y` in the image),
    /// by the layers' densities over it, and clears the densities it used.
    #[inline(always)]
    fn apply_row(&self, scratch: &mut Scratch, row: usize, y: usize, line: &mut [u8]) -> usize {
        let width = self.width;
        let Scratch { densities, extents, sums, table_rows, coarse, coarse_between } = scratch;
        let mut extent = extents[row];
        if let ([density], [layer]) = (&mut densities[..], self.layers)
            && matches!(self.fields[0], Density::Stamped(_))
        {
            // One layer, the common case: no sums to keep.
            if extent.is_empty() {
                return 0;
            }
            let span = extent.first..extent.last + 1;
            let density = &mut density[row * width..][span.clone()];
            for (rows, k) in table_rows.iter_mut().zip(layer.absorbance) {
                rows.clear();
                rows.extend(density.iter().map(|&d| DarkenTable::row(d * k)));
            }
            density.fill(0.0);
            return darken(&mut line[span.start * 3..span.end * 3], table_rows);
        }
        // Several layers: absorbances add up per channel (Beer-Lambert), in
        // passes that vectorise, and each pixel then needs one look-up per
        // channel whatever the number of layers.
        for field in &self.fields {
            if let Density::Coarse(field) = field
                && let Some(reached) = field.extent(y, width)
            {
                extent.cover(reached.first, reached.last);
            }
        }
        if extent.is_empty() {
            return 0;
        }
        let span = extent.first..extent.last + 1;
        for sum in sums.iter_mut() {
            sum.clear();
            sum.resize(span.len(), 0.0);
        }
        coarse.resize(span.len(), 0.0);
        for ((density, layer), field) in densities.iter_mut().zip(self.layers).zip(&self.fields) {
            let density: &[f32] = match field {
                Density::Stamped(_) => &density[row * width..][span.clone()],
                Density::Coarse(field) => {
                    if field.extent(y, width).is_none() {
                        continue;
                    }
                    field.row_into(y, span.clone(), coarse_between, coarse);
                    &coarse[..span.len()]
                }
            };
            for (sum, &k) in sums.iter_mut().zip(&layer.absorbance) {
                if k != 0.0 {
                    for (a, &d) in sum.iter_mut().zip(density) {
                        *a += d * k;
                    }
                }
            }
        }
        for (density, field) in densities.iter_mut().zip(&self.fields) {
            if let Density::Stamped(_) = field {
                density[row * width..][span.clone()].fill(0.0);
            }
        }
        for (rows, sum) in table_rows.iter_mut().zip(sums.iter()) {
            rows.clear();
            rows.extend(sum.iter().map(|&a| DarkenTable::row(a)));
        }
        darken(&mut line[span.start * 3..span.end * 3], table_rows)
    }
}

/// Darkens RGB `pixels` by the darkening table's rows per channel; returns
/// the pixels changed.
#[inline(always)]
fn darken(pixels: &mut [u8], table_rows: &[Vec<u16>; 3]) -> usize {
    let table = DarkenTable::get();
    let [r, g, b] = table_rows;
    // Eight pixels at a time: a group with no absorbance at all (between
    // dots) is skipped with one well-predicted branch, and the others are
    // looked up whole (row 0 leaves a code as it is), with no branch per
    // pixel to mispredict along every dot's edge.
    const GROUP: usize = 8;
    let mut touched = 0;
    for (((px, r), g), b) in
        pixels.chunks_mut(3 * GROUP).zip(r.chunks(GROUP)).zip(g.chunks(GROUP)).zip(b.chunks(GROUP))
    {
        let changed = r.iter().zip(g).zip(b).filter(|((r, g), b)| *r | *g | *b != 0).count();
        if changed == 0 {
            continue;
        }
        touched += changed;
        for (((px, &r), &g), &b) in px.chunks_exact_mut(3).zip(r).zip(g).zip(b) {
            px[0] = table.apply_row(px[0], r);
            px[1] = table.apply_row(px[1], g);
            px[2] = table.apply_row(px[2], b);
        }
    }
    touched
}

/// Dot indices per strip, in one flat array (compressed rows).
struct Bins {
    starts: Vec<u32>,
    members: Vec<u32>,
}

impl Bins {
    fn members(&self, strip: usize) -> &[u32] {
        &self.members[self.starts[strip] as usize..self.starts[strip + 1] as usize]
    }
}

fn strip_range(dot: &Dot, width: usize, height: usize, strips: usize) -> Option<(usize, usize)> {
    let reach = dot.radius * REACH + 1.0;
    if dot.x + reach < 0.0
        || dot.x - reach > width as f32
        || dot.y + reach < 0.0
        || dot.y - reach > height as f32
    {
        return None;
    }
    let first = ((dot.y - reach).max(0.0) as usize / STRIP_ROWS).min(strips - 1);
    let last = ((dot.y + reach).max(0.0) as usize / STRIP_ROWS).min(strips - 1);
    Some((first, last))
}

fn bin_by_strip(dots: &[Dot], width: usize, height: usize, strips: usize) -> Bins {
    let mut counts = vec![0u32; strips + 1];
    for dot in dots {
        if let Some((a, b)) = strip_range(dot, width, height, strips) {
            for s in a..=b {
                counts[s + 1] += 1;
            }
        }
    }
    for s in 0..strips {
        counts[s + 1] += counts[s];
    }
    let mut fill = counts.clone();
    let mut members = vec![0u32; counts[strips] as usize];
    for (i, dot) in dots.iter().enumerate() {
        if let Some((a, b)) = strip_range(dot, width, height, strips) {
            for s in a..=b {
                members[fill[s] as usize] = i as u32;
                fill[s] += 1;
            }
        }
    }
    Bins { starts: counts, members }
}

/// Pixels `stamp` works on at once with AVX2.
const STAMP_CHUNK: usize = 8;
/// Pixels `stamp` works on at once with AVX-512: a typical dot's row (a
/// dozen pixels of reach) in one go.
const STAMP_CHUNK_WIDE: usize = 16;

/// Adds one dot's coverage into a strip's density buffer (`extents.len()`
/// rows of `width`, the first one image row `y0`): sixteen pixels at a time
/// on a CPU with AVX-512, eight with AVX2 (checked at run time, so the
/// binary still runs anywhere), four otherwise. All give the same floats:
/// no fused multiply-adds, and IEEE square roots and divisions either way.
fn stamp(density: &mut [f32], width: usize, extents: &mut [Extent], y0: usize, dot: &Dot, softness: f32) {
    // SAFETY: `stamp_path` picks a path whose instruction set the CPU has.
    unsafe { stamp_path()(density, width, extents, y0, dot, softness) }
}

/// A stamping loop compiled for one instruction set: unsafe to call on a
/// CPU without it.
type StampFn = unsafe fn(&mut [f32], usize, &mut [Extent], usize, &Dot, f32);

/// The widest stamping loop this CPU runs, chosen once (not per dot).
fn stamp_path() -> StampFn {
    static PATH: std::sync::OnceLock<StampFn> = std::sync::OnceLock::new();
    *PATH.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return stamp_avx512 as StampFn;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return stamp_avx2 as StampFn;
            }
        }
        stamp_portable as StampFn
    })
}

/// The portable loop, four pixels at a time (unsafe only to share
/// [`StampFn`]'s type: it needs no particular instruction set).
unsafe fn stamp_portable(
    density: &mut [f32],
    width: usize,
    extents: &mut [Extent],
    y0: usize,
    dot: &Dot,
    softness: f32,
) {
    stamp_either::<4>(density, width, extents, y0, dot, softness);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn stamp_avx512(
    density: &mut [f32],
    width: usize,
    extents: &mut [Extent],
    y0: usize,
    dot: &Dot,
    softness: f32,
) {
    stamp_either::<STAMP_CHUNK_WIDE>(density, width, extents, y0, dot, softness);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn stamp_avx2(
    density: &mut [f32],
    width: usize,
    extents: &mut [Extent],
    y0: usize,
    dot: &Dot,
    softness: f32,
) {
    stamp_either::<STAMP_CHUNK>(density, width, extents, y0, dot, softness);
}

/// [`stamp_in_chunks`] for a round or a foreshortened dot: chosen per dot,
/// so that round dots (every dot of a design on one photo) keep the loop
/// without the stretch's multiplies, and their floats exactly.
#[inline(always)]
fn stamp_either<const CHUNK: usize>(
    density: &mut [f32],
    width: usize,
    extents: &mut [Extent],
    y0: usize,
    dot: &Dot,
    softness: f32,
) {
    if dot.stretch == ROUND {
        stamp_in_chunks::<CHUNK, false>(density, width, extents, y0, dot, softness);
    } else {
        stamp_in_chunks::<CHUNK, true>(density, width, extents, y0, dot, softness);
    }
}

/// [`stamp`], `CHUNK` pixels at a time; inlined into its callers, so that
/// each compiles it for its own instruction set. `extents` has one entry
/// per row of `density` (starting at image row `y0`), widened to the
/// columns written. `STRETCHED` applies the dot's [`Dot::stretch`].
#[inline(always)]
fn stamp_in_chunks<const CHUNK: usize, const STRETCHED: bool>(
    density: &mut [f32],
    width: usize,
    extents: &mut [Extent],
    y0: usize,
    dot: &Dot,
    softness: f32,
) {
    let rows = extents.len();
    // Small dots get a wider edge: a pixel's own footprint blurs them
    // (across the narrow axis of a foreshortened one).
    let narrow = if STRETCHED { dot.radius / dot.squeeze() } else { dot.radius };
    let pixel_blur = 0.5 / narrow.max(0.05);
    let softness = (softness * softness + pixel_blur * pixel_blur).sqrt();
    // The edge: coverage falls from 1 to 0 across t in [1 - w, 1 + w] along a
    // quintic smoothstep, close to an error-function edge of width `softness`
    // (same value and nearly the same slope at t = 1) but exactly zero past
    // 1 + w, and cheap enough for the loop below to vectorise.
    let half_width = (2.6 * softness).min(1.0);
    let edge_start = 1.0 - half_width;
    let inv_edge = 1.0 / (2.0 * half_width);
    let [c2, s2, c3, s3] = dot.shape;
    let reach_norm = (1.0 + half_width) * (1.0 + c2.abs() + s2.abs() + c3.abs() + s3.abs());
    let reach = dot.radius * reach_norm;
    let y_lo = ((dot.y - reach).floor().max(y0 as f32) as usize).max(y0);
    let y_hi = ((dot.y + reach).ceil().max(0.0) as usize).min(y0 + rows - 1);
    if y_lo > y_hi || dot.x + reach < 0.0 || dot.x - reach >= width as f32 {
        return;
    }
    let inv_r = 1.0 / dot.radius;
    let [m00, m01, m11] = dot.stretch;
    // The same columns on every row, those of the reach's bounding box:
    // rows then share no work that one waits for from another, and the CPU
    // overlaps them (per-row spans evaluate a fifth fewer pixels, but each
    // row then waits on its own square root and roundings). Whole chunks,
    // so the loop vectorises without a scalar tail: past the reach the
    // coverage is exactly zero. Only a box cut by the row's end has a tail.
    let x_lo = (dot.x - reach - 0.5).ceil().max(0.0) as usize;
    let x_hi = ((dot.x + reach - 0.5).floor() as isize).min(width as isize - 1);
    if x_hi < x_lo as isize {
        return;
    }
    let x_hi = x_hi as usize;
    let len = (x_hi + 1 - x_lo).next_multiple_of(CHUNK).min(width - x_lo);
    let dx0 = (x_lo as f32 + 0.5 - dot.x) * inv_r;
    for y in y_lo..=y_hi {
        // Pixel centres sit at +0.5.
        let dy = (y as f32 + 0.5 - dot.y) * inv_r;
        extents[y - y0].cover(x_lo, x_hi);
        let start = (y - y0) * width + x_lo;
        // The pixel's index is an `i32`: its conversion to a float
        // vectorises, that of a `usize` does not (no such instruction).
        let cover = |i: i32| {
            let dx = dx0 + i as f32 * inv_r;
            // Into the round dot's frame (the stretch never shrinks an
            // offset, so the reach above still bounds it).
            let (dx, dy) = if STRETCHED { (m00 * dx + m01 * dy, m01 * dx + m11 * dy) } else { (dx, dy) };
            let (dx2, dy2) = (dx * dx, dy * dy);
            let r2 = (dx2 + dy2).max(1e-12);
            let len = r2.sqrt();
            // The edge's radius at this angle over the mean is
            // `shape = 1 + p2 / r2 + p3 / (r2 len)`, the harmonics written
            // as polynomials in the coordinates (cos 2t = (dx^2 - dy^2) / r2,
            // and so on): no trigonometry, and `t = len / shape` with one
            // division instead of three.
            let p2 = c2 * (dx2 - dy2) + s2 * 2.0 * dx * dy;
            let p3 = c3 * dx * (dx2 - 3.0 * dy2) + s3 * dy * (3.0 * dx2 - dy2);
            let t = r2 * r2 / (len * (r2 + p2) + p3);
            let u = ((t - edge_start) * inv_edge).clamp(0.0, 1.0);
            (1.0 - u * u * u * (u * (6.0 * u - 15.0) + 10.0)) * dot.strength
        };
        let mut chunks = density[start..start + len].chunks_exact_mut(CHUNK);
        let mut i0 = 0;
        for chunk in &mut chunks {
            for (j, cell) in chunk.iter_mut().enumerate() {
                *cell += cover(i0 + j as i32);
            }
            i0 += CHUNK as i32;
        }
        for (j, cell) in chunks.into_remainder().iter_mut().enumerate() {
            *cell += cover(i0 + j as i32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::srgb;

    fn flat(w: u32, h: u32, v: u8) -> RgbImage {
        RgbImage::from_pixel(w, h, image::Rgb([v, v, v]))
    }

    fn dot(x: f32, y: f32, radius: f32) -> Dot {
        Dot::round(x, y, radius, 1.0, [0.0; 4])
    }

    #[test]
    fn a_coarse_layer_looks_like_the_full_one() {
        // A blush of wide soft blobs, as the redness around fresh work.
        let blobs: Vec<Dot> =
            (0..60).map(|i| dot(20.0 + (i % 10) as f32 * 17.3, 30.0 + (i / 10) as f32 * 19.1, 9.0)).collect();
        let render = |downscale| {
            let mut img = flat(220, 160, 190);
            let layer = Layer { dots: &blobs, absorbance: [0.0, 0.5, 0.4], edge_softness: 1.0, downscale };
            composite_layers(&mut img, &[layer], &|_, _| {});
            img
        };
        let (full, coarse) = (render(1), render(4));
        let mut total = 0u64;
        let mut worst = 0u8;
        for (a, b) in full.pixels().zip(coarse.pixels()) {
            for c in 0..3 {
                let d = a[c].abs_diff(b[c]);
                total += d as u64;
                worst = worst.max(d);
            }
        }
        let mean = total as f64 / (220.0 * 160.0 * 3.0);
        assert!(mean < 0.5 && worst <= 4, "mean {mean:.2}, worst {worst}");
        assert_ne!(full, flat(220, 160, 190), "the blush shows");
    }

    #[test]
    fn pixels_beyond_the_reach_stay_exact() {
        let mut img = flat(120, 90, 180);
        let before = img.clone();
        let dots = [dot(40.3, 50.7, 4.0), dot(90.0, 20.0, 2.5)];
        composite(&mut img, &dots, [1.0, 1.2, 0.9], 0.2, &|_, _| {});
        for (x, y, p) in img.enumerate_pixels() {
            let near = dots.iter().any(|d| {
                let (dx, dy) = (x as f32 + 0.5 - d.x, y as f32 + 0.5 - d.y);
                (dx * dx + dy * dy).sqrt() <= d.radius * REACH
            });
            if !near {
                assert_eq!(p, before.get_pixel(x, y), "({x}, {y})");
            }
        }
        assert!(img.get_pixel(40, 50)[0] < 125, "the centre is dark");
    }

    #[test]
    fn overlapping_dots_darken_like_pigment() {
        let mut one = flat(40, 40, 200);
        let mut two = flat(40, 40, 200);
        composite(&mut one, &[dot(20.0, 20.0, 5.0)], [0.7; 3], 0.2, &|_, _| {});
        composite(&mut two, &[dot(20.0, 20.0, 5.0), dot(20.0, 20.0, 5.0)], [0.7; 3], 0.2, &|_, _| {});
        let (a, b) = (one.get_pixel(20, 20)[0], two.get_pixel(20, 20)[0]);
        // Beer-Lambert: two layers transmit the square of one layer.
        let lin = |v: u8| srgb::decode(v);
        let expected = lin(a) * lin(a) / lin(200);
        assert!((lin(b) - expected).abs() < 0.01, "{b} vs {expected}");
    }

    #[test]
    fn every_instruction_set_stamps_the_same_floats() {
        let (width, rows) = (61, 40);
        // Sizes from a pixel to a large dot, and dots cut by either side.
        // Round, and foreshortened (skin turned 50 degrees from the camera).
        let turned = Dot::stretch_for([0.5, -0.59]);
        for (x, radius, stretch) in [
            (30.3f32, 0.3f32, ROUND),
            (31.3, 1.7, ROUND),
            (32.3, 3.4, ROUND),
            (33.3, 6.0, ROUND),
            (34.3, 11.5, ROUND),
            (58.6, 3.4, ROUND),
            (1.2, 4.0, ROUND),
            (31.3, 1.7, turned),
            (34.3, 11.5, turned),
            (58.6, 3.4, turned),
        ] {
            let d = Dot { stretch, ..Dot::round(x, 18.6, radius, 1.1, [0.05, -0.08, 0.02, 0.07]) };
            let mut dispatched = vec![0.0f32; width * rows];
            let mut extents = vec![Extent::EMPTY; rows];
            stamp(&mut dispatched, width, &mut extents, 0, &d, 0.25);
            let mut portable = vec![0.0f32; width * rows];
            stamp_either::<4>(&mut portable, width, &mut extents.clone(), 0, &d, 0.25);
            assert_eq!(dispatched, portable, "radius {radius}");
            // Each path this CPU has, not only the one dispatch picks.
            #[cfg(target_arch = "x86_64")]
            for (name, present, path) in [
                ("AVX2", std::arch::is_x86_feature_detected!("avx2"), stamp_avx2 as StampFn),
                ("AVX-512", std::arch::is_x86_feature_detected!("avx512f"), stamp_avx512 as StampFn),
            ] {
                if present {
                    let mut wide = vec![0.0f32; width * rows];
                    // SAFETY: the CPU has the path's instruction set, checked just above.
                    unsafe { path(&mut wide, width, &mut extents.clone(), 0, &d, 0.25) };
                    assert_eq!(wide, portable, "{name}, radius {radius}");
                }
            }
            for (y, row) in dispatched.chunks(width).take(rows).enumerate() {
                for (x, &v) in row.iter().enumerate() {
                    let inside = extents[y].first <= x && x <= extents[y].last;
                    assert!(
                        v == 0.0 || inside,
                        "radius {radius}: ({x}, {y}) written outside its row's extent"
                    );
                }
            }
            assert!(dispatched.iter().any(|&v| v > 0.5), "radius {radius}: the dot shows");
        }
    }

    /// The coverage-weighted mass, variances (xx, yy, xy) about the
    /// centre, of one dot stamped alone.
    fn moments(dot: &Dot, size: usize) -> (f64, [f64; 3]) {
        let mut density = vec![0.0f32; size * size];
        stamp(&mut density, size, &mut vec![Extent::EMPTY; size], 0, dot, 0.2);
        let (mut mass, mut m) = (0.0, [0.0; 3]);
        for (i, &v) in density.iter().enumerate() {
            let x = (i % size) as f64 + 0.5 - dot.x as f64;
            let y = (i / size) as f64 + 0.5 - dot.y as f64;
            let v = v as f64;
            mass += v;
            m[0] += v * x * x;
            m[1] += v * y * y;
            m[2] += v * x * y;
        }
        (mass, m.map(|v| v / mass))
    }

    #[test]
    fn a_dot_on_skin_turned_from_the_camera_shows_as_an_ellipse_narrow_across_the_turn() {
        let round = Dot::round(50.0, 50.0, 14.0, 1.0, [0.0; 4]);
        let (round_mass, [round_var, ..]) = moments(&round, 100);
        for degrees in [35.0f64, 60.0] {
            let (sin, cos) = degrees.to_radians().sin_cos();
            // Turned along the image's diagonal, down and to the right.
            let along = [0.6, 0.8];
            let turned = Dot { stretch: Dot::stretch_for(along.map(|a| a * sin)), ..round };
            let (mass, [xx, yy, xy]) = moments(&turned, 100);
            // The principal axes of the variances.
            let mean = 0.5 * (xx + yy);
            let spread = (0.25 * (xx - yy) * (xx - yy) + xy * xy).sqrt();
            let (wide, narrow) = (mean + spread, mean - spread);
            // The narrow axis's direction: the eigenvector of `narrow`.
            let axis = [xy, narrow - xx];
            let length = (axis[0] * axis[0] + axis[1] * axis[1]).sqrt();
            let off_axis = ((axis[0] * along[0] + axis[1] * along[1]).abs() / length).acos().to_degrees();
            assert!(((narrow / wide).sqrt() / cos - 1.0).abs() < 0.04, "{degrees}: {narrow} over {wide}");
            assert!((wide / round_var - 1.0).abs() < 0.03, "{degrees}: {wide} vs {round_var} face-on");
            assert!(off_axis < 2.0, "{degrees}: the narrow axis is {off_axis} degrees off the turn");
            assert!((mass / round_mass / cos - 1.0).abs() < 0.03, "{degrees}: {mass} vs {round_mass}");
        }
    }

    #[test]
    fn compositing_with_avx2_gives_the_same_pixels() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let dots: Vec<Dot> =
                (0..50).map(|i| dot(2.0 + i as f32 * 3.9, 5.0 + (i % 7) as f32 * 11.3, 2.2)).collect();
            let layers = [
                Layer { dots: &dots, absorbance: [0.9, 1.0, 1.1], edge_softness: 0.2, downscale: 1 },
                Layer { dots: &dots[..20], absorbance: [0.3, 0.4, 0.5], edge_softness: 0.3, downscale: 1 },
                Layer { dots: &dots, absorbance: [0.0, 0.3, 0.2], edge_softness: 1.0, downscale: 3 },
            ];
            for layers in [&layers[..1], &layers[..]] {
                let compositor = Compositor::new(layers, 197, 80);
                let photo = flat(197, 80, 150);
                let (mut portable, mut wide) = (photo.clone(), photo);
                for (strip, (a, b)) in portable
                    .chunks_mut(compositor.strip_bytes())
                    .zip(wide.chunks_mut(compositor.strip_bytes()))
                    .enumerate()
                {
                    compositor.apply_inlined(strip, a);
                    // SAFETY: the CPU has AVX2, checked above.
                    unsafe { compositor.apply_avx2(strip, b) };
                }
                assert_eq!(portable, wide, "{} layers", layers.len());
                assert_ne!(portable, flat(197, 80, 150), "the dots show");
            }
        }
    }

    #[test]
    fn a_composite_leaves_nothing_behind_for_the_next() {
        // Density buffers are kept per thread and cleared only where dots
        // wrote: whatever ran before, in any size and with any layers, a
        // composite must come out the same.
        let dots: Vec<Dot> =
            (0..40).map(|i| dot(3.0 + i as f32 * 4.9, 7.0 + (i % 6) as f32 * 9.7, 2.6)).collect();
        let edge: Vec<Dot> =
            (0..30).map(|i| dot(if i % 2 == 0 { 0.4 } else { 89.7 }, i as f32 * 2.1, 3.3)).collect();
        let render = |w: u32, h: u32, dots: &[Dot], redness: bool| {
            let mut img = flat(w, h, 170);
            let mut layers =
                vec![Layer { dots, absorbance: [0.9, 1.0, 1.1], edge_softness: 0.2, downscale: 1 }];
            if redness {
                layers.push(Layer { dots, absorbance: [0.0, 0.3, 0.2], edge_softness: 1.0, downscale: 3 });
            }
            composite_layers(&mut img, &layers, &|_, _| {});
            img
        };
        // One thread, so that every composite reuses the same buffers.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a pool");
        pool.install(|| {
            let first = render(90, 70, &dots, false);
            render(90, 70, &edge, true);
            render(200, 45, &dots, false);
            render(31, 90, &edge, false);
            assert_eq!(render(90, 70, &dots, false), first);
            let staged = render(90, 70, &dots, true);
            render(90, 70, &edge, false);
            assert_eq!(render(90, 70, &dots, true), staged);
        });
    }

    #[test]
    fn strip_boundaries_leave_no_seam() {
        // A dot across the 32-row strip boundary is drawn symmetrically.
        let mut img = flat(64, 64, 200);
        composite(&mut img, &[dot(32.0, 32.0, 6.0)], [1.0; 3], 0.2, &|_, _| {});
        for d in 0..8u32 {
            assert_eq!(img.get_pixel(32, 31 - d), img.get_pixel(32, 32 + d), "row offset {d}");
        }
    }
}
