//! The client's own stubble, measured on the photo: how many hairs per cm2,
//! how large they look, how regular, and their colour, in a sample area the
//! practitioner outlines (usually the sides or the back, shaved short).
//!
//! Each hair seen end-on is a small dark spot on the skin. The skin around
//! it is estimated by a grey closing (the brightest level nearby, then the
//! darkest of those: dark spots smaller than the window vanish, skin grain
//! and uneven light stay), and each pixel's contrast is how much darker it
//! is than that skin. Hairs are the peaks of the lightly smoothed contrast
//! above a threshold set by the skin's own grain; a hair's visible diameter
//! is the width of its spot at half its peak contrast.

use image::RgbImage;
use rayon::prelude::*;
use smp_core::{Point, Polygon};
use smp_optics::colour::{Lab, ciede2000, srgb_to_linear, srgb8_to_lab};
use smp_pattern::EdgeStubble;

/// The widest hair spot the skin estimate sees past, mm.
const WIDEST_HAIR_MM: f64 = 1.0;
/// Peaks closer than this are one hair, mm (hairs are 0.05-0.15 mm across
/// a shaft; two spots nearer than this cannot be told apart on a photo).
const SAME_HAIR_MM: f64 = 0.18;
/// The least contrast a hair has (skin grain rarely reaches it).
const LEAST_CONTRAST: f64 = 0.12;
/// Fewer hairs than this measure nothing reliably.
pub const FEWEST_HAIRS: usize = 8;

/// What the sample shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Stubble {
    /// Hairs found inside the sample.
    pub count: usize,
    /// The sample's area on the photo, cm2 (at the photo's scale).
    pub area_cm2: f64,
    /// Hairs per cm2.
    pub density_per_cm2: f64,
    /// Median visible diameter at half contrast, mm.
    pub diameter_mm: f64,
    /// Coefficient of variation of the nearest-neighbour distances: 0 for
    /// a perfect lattice, about 0.5 for hairs scattered at random.
    pub spacing_cv: f64,
    /// Median colour at the hairs' centres, as the photo shows it.
    pub color_lab: Lab,
    /// The same as sRGB.
    pub color_rgb: [u8; 3],
}

/// Why a sample measures nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StubbleError {
    /// The outline lies off the photo or encloses nothing.
    #[error("the hair sample lies outside the photo")]
    OffThePhoto,
    /// The design's zones (or skin sample) show no skin to match against.
    #[error("the zones hold no pixel of the photo: the skin cannot be read")]
    NoSkin,
    /// Bare skin, or long hair over the skin: no stubble to measure.
    #[error(
        "only {0} hairs found in the sample: too few to measure (outline an area of short shaved stubble, at least a few hundred mm2)"
    )]
    TooFewHairs(usize),
}

/// How far a design may depart from the client's own hair before it is
/// said: density, dot size (larger only) and healed colour.
const DENSITY_TOLERANCE: f64 = 0.15;
const LARGER_TOLERANCE: f64 = 0.25;
const COLOUR_TOLERANCE_E00: f64 = 5.0;

/// The stubble in a design's hair sample, and the design that continues it.
#[derive(Debug, Clone, PartialEq)]
pub struct HairMatch {
    /// What the sample shows.
    pub stubble: Stubble,
    /// The dilution whose healed dot on this skin, at the design's depth,
    /// comes closest to the stubble's colour.
    pub suggested_dilution: f64,
    /// How close that is (CIEDE2000).
    pub closest_e00: f64,
    /// Where the design departs from the client's own hair.
    pub warnings: Vec<String>,
}

/// Measures the stubble in `sample` on the design's photo and matches the
/// design to it: the density, dot size and dilution that continue it.
/// `scalp_cm2`, where known (a design on the head model), is the sample's
/// true area of scalp, which the density is counted over instead of its
/// area on the photo.
pub fn hair_match(
    photo: &RgbImage,
    design: &smp_core::Design,
    sample: &Polygon,
    scalp_cm2: Option<f64>,
) -> Result<HairMatch, StubbleError> {
    let mut stubble = measure(photo, sample, design.photo.mm_per_px)?;
    if let Some(area) = scalp_cm2.filter(|a| *a > 0.0) {
        stubble.area_cm2 = area;
        stubble.density_per_cm2 = stubble.count as f64 / area;
    }
    let skin_lab = crate::skin_tone(photo, design).ok_or(StubbleError::NoSkin)?;
    let skin = smp_optics::Skin::of_client(design.client.fitzpatrick, skin_lab);
    let optics = smp_optics::LayeredOptics;
    let depth = design.pigment.depth_mm;
    let closest = smp_optics::forecast::closest_dilution(&optics, &skin, skin_lab, stubble.color_lab, depth);
    let healed = smp_optics::forecast::healed_dot(&optics, &skin, skin_lab, design.pigment.dilution, depth);
    let warnings = departures(design, &stubble, healed, closest);
    Ok(HairMatch { suggested_dilution: closest.0, closest_e00: closest.2, warnings, stubble })
}

/// What `smp hair` and the editor report: the measurements (`None` when
/// nothing could be measured), the suggested design, and the warnings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[allow(missing_docs)]
pub struct HairReport {
    pub count: Option<usize>,
    pub area_cm2: Option<f64>,
    pub density_per_cm2: Option<f64>,
    pub diameter_mm: Option<f64>,
    pub spacing_cv: Option<f64>,
    pub color_hex: Option<String>,
    pub color_lab: Option<Lab>,
    pub suggested_density: Option<f64>,
    pub suggested_diameter_mm: Option<f64>,
    pub suggested_dilution: Option<f64>,
    pub warnings: Vec<String>,
}

fn round(v: f64, places: i32) -> f64 {
    (v * 10f64.powi(places)).round() / 10f64.powi(places)
}

impl HairReport {
    /// A sample that measured nothing, and why.
    pub fn unmeasured(why: String) -> Self {
        HairReport {
            count: None,
            area_cm2: None,
            density_per_cm2: None,
            diameter_mm: None,
            spacing_cv: None,
            color_hex: None,
            color_lab: None,
            suggested_density: None,
            suggested_diameter_mm: None,
            suggested_dilution: None,
            warnings: vec![why],
        }
    }
}

impl HairMatch {
    /// The figures as reported, rounded as a person reads them.
    pub fn report(&self) -> HairReport {
        let s = &self.stubble;
        HairReport {
            count: Some(s.count),
            area_cm2: Some(round(s.area_cm2, 2)),
            density_per_cm2: Some(round(s.density_per_cm2, 1)),
            diameter_mm: Some(round(s.diameter_mm, 3)),
            spacing_cv: Some(round(s.spacing_cv, 3)),
            color_hex: Some(smp_core::Srgb8(s.color_rgb).to_hex()),
            color_lab: Some(s.color_lab),
            suggested_density: Some(round(s.density_per_cm2, 0)),
            suggested_diameter_mm: Some(round(s.diameter_mm, 2)),
            suggested_dilution: Some(self.suggested_dilution),
            warnings: self.warnings.clone(),
        }
    }
}

/// The hairs found in a crop of the photo.
struct Found {
    /// The crop's top-left corner on the photo, pixels.
    x0: usize,
    y0: usize,
    /// The crop's size, pixels.
    cw: usize,
    ch: usize,
    /// How much darker than the skin around it each pixel of the crop is.
    contrast: Vec<f64>,
    /// Each hair's centre in the crop, and its contrast there.
    hairs: Vec<(usize, usize, f64)>,
    /// Pixels of the crop `judged` held.
    judged_px: usize,
}

/// The crop of `bounds` (photo pixels) widened by the skin estimate's
/// window and cut to the photo: (x0, y0, x1, y1), or `None` when too little
/// of it lies on the photo.
fn crop_around(photo: &RgbImage, bounds: smp_core::Rect, mm_per_px: f64) -> Option<(i64, i64, i64, i64)> {
    let (w, h) = photo.dimensions();
    let window = (WIDEST_HAIR_MM / mm_per_px).ceil().max(2.0) as i64;
    let (x0, y0) =
        ((bounds.min.x.floor() as i64 - window).max(0), (bounds.min.y.floor() as i64 - window).max(0));
    let (x1, y1) = (
        (bounds.max.x.ceil() as i64 + window).min(w as i64),
        (bounds.max.y.ceil() as i64 + window).min(h as i64),
    );
    (x1 - x0 >= 3 && y1 - y0 >= 3).then_some((x0, y0, x1, y1))
}

/// Finds the hairs in the crop (x0, y0, x1, y1) of `photo`: the skin's
/// grain is read over the pixels `judged(x, y)` (photo pixels) holds, and
/// only hairs there are kept. `None` when it holds no pixel of the crop.
fn find_hairs(
    photo: &RgbImage,
    (x0, y0, x1, y1): (i64, i64, i64, i64),
    mm_per_px: f64,
    judged: impl Fn(usize, usize) -> bool + Sync,
) -> Option<Found> {
    let px_per_mm = 1.0 / mm_per_px;
    let window = (WIDEST_HAIR_MM * px_per_mm).ceil().max(2.0) as i64;
    let (cw, ch) = ((x1 - x0) as usize, (y1 - y0) as usize);
    // Linear-light luminance of the crop, each 8-bit level's linear value
    // looked up (not a power per pixel), rows in parallel.
    let linear: [f64; 256] = std::array::from_fn(|v| srgb_to_linear(v as f64 / 255.0));
    let mut luminance = vec![0.0f64; cw * ch];
    luminance.par_chunks_mut(cw).enumerate().for_each(|(y, row)| {
        for (x, l) in row.iter_mut().enumerate() {
            let p = photo.get_pixel((x0 as usize + x) as u32, (y0 as usize + y) as u32).0;
            *l = 0.2126 * linear[p[0] as usize]
                + 0.7152 * linear[p[1] as usize]
                + 0.0722 * linear[p[2] as usize];
        }
    });
    let radius = (window / 2).max(1) as usize;
    let skin = crate::morphology::closing(&luminance, cw, ch, radius);
    let contrast: Vec<f64> = luminance
        .iter()
        .zip(&skin)
        .map(|(l, s)| if *s > 0.0 { (1.0 - l / s).max(0.0) } else { 0.0 })
        .collect();
    let smooth = &blur3(&contrast, cw, ch);
    let inside = &|x: usize, y: usize| judged(x0 as usize + x, y0 as usize + y);

    // The threshold: the skin's grain (median and spread of the contrast
    // inside the sample, mostly skin) well below any hair.
    let mut values: Vec<f64> = (0..ch)
        .into_par_iter()
        .flat_map_iter(|y| (0..cw).filter(move |&x| inside(x, y)).map(move |x| smooth[y * cw + x]))
        .collect();
    if values.is_empty() {
        return None;
    }
    let judged_px = values.len();
    // Medians by selection, not a whole sort: the sample may be a photo's
    // millions of pixels.
    let middle = values.len() / 2;
    let median = *values.select_nth_unstable_by(middle, f64::total_cmp).1;
    let mad = {
        let mut d: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
        *d.select_nth_unstable_by(middle, f64::total_cmp).1
    };
    let threshold = (median + 8.0 * mad).max(LEAST_CONTRAST);

    // Peaks: local maxima above the threshold, the strongest first, none
    // within SAME_HAIR_MM of a stronger one.
    let mut peaks: Vec<(usize, usize, f64)> = (1..ch - 1)
        .into_par_iter()
        .flat_map_iter(|y| {
            (1..cw - 1).filter_map(move |x| {
                let v = smooth[y * cw + x];
                let is_max = v >= threshold
                    && (-1i64..=1).all(|dy| {
                        (-1i64..=1).all(|dx| {
                            let (nx, ny) = ((x as i64 + dx) as usize, (y as i64 + dy) as usize);
                            (dx == 0 && dy == 0) || smooth[ny * cw + nx] <= v
                        })
                    });
                is_max.then_some((x, y, v))
            })
        })
        .collect();
    peaks.sort_by(|a, b| b.2.total_cmp(&a.2));
    let same = (SAME_HAIR_MM * px_per_mm).max(1.0);
    // The stronger ones kept so far, by grid cell `same` wide: a peak only
    // meets those in its own and the neighbouring cells (a band around
    // large zones holds tens of thousands of hairs).
    let cell = |x: usize, y: usize| ((x as f64 / same) as i64, (y as f64 / same) as i64);
    let mut kept: std::collections::HashMap<(i64, i64), Vec<(usize, usize)>> = Default::default();
    let mut hairs: Vec<(usize, usize, f64)> = Vec::new();
    for p in peaks {
        let (cx, cy) = cell(p.0, p.1);
        let clear = (-1..=1).all(|dy| {
            (-1..=1).all(|dx| {
                kept.get(&(cx + dx, cy + dy)).is_none_or(|near| {
                    near.iter().all(|q| (p.0 as f64 - q.0 as f64).hypot(p.1 as f64 - q.1 as f64) >= same)
                })
            })
        });
        if clear {
            kept.entry((cx, cy)).or_default().push((p.0, p.1));
            hairs.push(p);
        }
    }
    hairs.retain(|&(x, y, _)| inside(x, y));
    Some(Found { x0: x0 as usize, y0: y0 as usize, cw, ch, contrast, hairs, judged_px })
}

/// Measures the stubble inside `sample` (photo pixels) on `photo`, at
/// `mm_per_px`.
pub fn measure(photo: &RgbImage, sample: &Polygon, mm_per_px: f64) -> Result<Stubble, StubbleError> {
    let px_per_mm = 1.0 / mm_per_px;
    let crop = crop_around(photo, sample.bounds(), mm_per_px).ok_or(StubbleError::OffThePhoto)?;
    let Found { x0, y0, cw, ch, contrast, hairs, judged_px: area_px } =
        find_hairs(photo, crop, mm_per_px, |x, y| {
            sample.contains(Point::new(x as f64 + 0.5, y as f64 + 0.5))
        })
        .ok_or(StubbleError::OffThePhoto)?;
    if hairs.len() < FEWEST_HAIRS {
        return Err(StubbleError::TooFewHairs(hairs.len()));
    }

    // Each hair's spot at half its peak contrast: the area around it (not
    // nearer another hair) at least that dark, counted on a 4x finer grid
    // of the contrast interpolated between pixel centres (so that a hair
    // one pixel across is not measured as a whole pixel), as a disc's
    // diameter.
    let reach = (WIDEST_HAIR_MM / 2.0 * px_per_mm).ceil() as i64;
    let at = |x: f64, y: f64| -> f64 {
        let (fx, fy) = (x.clamp(0.0, (cw - 1) as f64), y.clamp(0.0, (ch - 1) as f64));
        let (ix, iy) = ((fx as usize).min(cw - 2), (fy as usize).min(ch - 2));
        let (tx, ty) = (fx - ix as f64, fy - iy as f64);
        let v = |x: usize, y: usize| contrast[y * cw + x];
        (v(ix, iy) * (1.0 - tx) + v(ix + 1, iy) * tx) * (1.0 - ty)
            + (v(ix, iy + 1) * (1.0 - tx) + v(ix + 1, iy + 1) * tx) * ty
    };
    const FINE: i64 = 4;
    let mut diameters: Vec<f64> = hairs
        .iter()
        .map(|&(hx, hy, _)| {
            let near: Vec<(f64, f64)> = hairs
                .iter()
                .map(|&(ox, oy, _)| (ox as f64, oy as f64))
                .filter(|&(ox, oy)| {
                    (ox - hx as f64).abs() <= 2.0 * reach as f64
                        && (oy - hy as f64).abs() <= 2.0 * reach as f64
                })
                .collect();
            // The peak, sub-pixel: the finest grid's darkest point near the centre.
            let mut peak = 0.0f64;
            for k in -FINE..=FINE {
                for l in -FINE..=FINE {
                    peak =
                        peak.max(at(hx as f64 + l as f64 / FINE as f64, hy as f64 + k as f64 / FINE as f64));
                }
            }
            let mut count = 0usize;
            for k in -reach * FINE..=reach * FINE {
                for l in -reach * FINE..=reach * FINE {
                    let (x, y) = (hx as f64 + l as f64 / FINE as f64, hy as f64 + k as f64 / FINE as f64);
                    let d2 = (x - hx as f64).powi(2) + (y - hy as f64).powi(2);
                    let nearest = near.iter().all(|&(ox, oy)| (x - ox).powi(2) + (y - oy).powi(2) >= d2);
                    if nearest && at(x, y) >= peak / 2.0 {
                        count += 1;
                    }
                }
            }
            2.0 * (count as f64 / (FINE * FINE) as f64 / std::f64::consts::PI).sqrt() * mm_per_px
        })
        .collect();
    diameters.sort_by(f64::total_cmp);

    let spacing: Vec<f64> = hairs
        .iter()
        .map(|&(x, y, _)| {
            hairs
                .iter()
                .filter(|&&(ox, oy, _)| (ox, oy) != (x, y))
                .map(|&(ox, oy, _)| (x as f64 - ox as f64).hypot(y as f64 - oy as f64))
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let mean = spacing.iter().sum::<f64>() / spacing.len() as f64;
    let spread = (spacing.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / spacing.len() as f64).sqrt();

    // Colour at the centres, as the photo shows it: the median of each
    // channel of CIELAB.
    let labs: Vec<Lab> = hairs
        .iter()
        .map(|&(x, y, _)| srgb8_to_lab(photo.get_pixel((x0 + x) as u32, (y0 + y) as u32).0))
        .collect();
    let median_of = |f: fn(&Lab) -> f64| {
        let mut v: Vec<f64> = labs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let color_lab = Lab { l: median_of(|c| c.l), a: median_of(|c| c.a), b: median_of(|c| c.b) };
    let area_cm2 = area_px as f64 * mm_per_px * mm_per_px / 100.0;
    Ok(Stubble {
        count: hairs.len(),
        area_cm2,
        density_per_cm2: hairs.len() as f64 / area_cm2,
        diameter_mm: diameters[diameters.len() / 2],
        spacing_cv: if mean > 0.0 { spread / mean } else { 0.0 },
        color_rgb: smp_optics::colour::lab_to_srgb8(color_lab),
        color_lab,
    })
}

/// The client's own stubble around the zones of `design` on `photo`, for
/// their feathered edges to continue ([`smp_pattern::Pattern::blended`]):
/// the hairs on the skin outside the zones, within
/// [`EdgeStubble::reach_mm`] of them. `None` for a design with no hair
/// sample: the practitioner has not said the client has stubble to match,
/// and a mole or a freckle by a zone should not thicken its edge.
pub fn edge_stubble(photo: &RgbImage, design: &smp_core::Design) -> Option<EdgeStubble> {
    design.client.hair_sample.as_ref()?;
    let mm_per_px = design.photo.mm_per_px;
    let reach_px = EdgeStubble::reach_mm(design) / mm_per_px;
    let bounds = design.zones.iter().map(|z| z.polygon.bounds()).reduce(smp_core::Rect::union)?;
    let crop = crop_around(photo, bounds.inflate(reach_px), mm_per_px)?;
    // Each row's spans inside a zone, found once per row rather than by a
    // containment test per pixel.
    let inside_rows: Vec<Vec<(f64, f64)>> = (crop.1..crop.3)
        .map(|y| {
            let spans = design.zones.iter().flat_map(|zone| {
                let xs = zone.polygon.crossings_at(y as f64 + 0.5);
                xs.chunks_exact(2).map(|span| (span[0], span[1])).collect::<Vec<_>>()
            });
            spans.collect()
        })
        .collect();
    let in_zone = |x: usize, y: usize| {
        let px = x as f64 + 0.5;
        inside_rows[y - crop.1 as usize].iter().any(|&(from, to)| from <= px && px < to)
    };
    let found = find_hairs(photo, crop, mm_per_px, |x, y| !in_zone(x, y))?;
    let hairs: Vec<Point> = found
        .hairs
        .iter()
        .map(|&(x, y, _)| Point::new((found.x0 + x) as f64 + 0.5, (found.y0 + y) as f64 + 0.5) * mm_per_px)
        .collect();
    let searched = smp_core::Rect {
        min: Point::new(crop.0 as f64, crop.1 as f64) * mm_per_px,
        max: Point::new(crop.2 as f64, crop.3 as f64) * mm_per_px,
    };
    Some(EdgeStubble::new(design, &hairs, searched))
}

/// A 3 x 3 binomial blur: peaks of one pixel of grain fall below a hair's.
fn blur3(v: &[f64], w: usize, h: usize) -> Vec<f64> {
    let at = |x: i64, y: i64| v[(y.clamp(0, h as i64 - 1) as usize) * w + x.clamp(0, w as i64 - 1) as usize];
    let mut out = vec![0.0; v.len()];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let y = y as i64;
        for (x, o) in row.iter_mut().enumerate() {
            let x = x as i64;
            let mut sum = 0.0;
            for (dy, wy) in [(-1, 1.0), (0, 2.0), (1, 1.0)] {
                for (dx, wx) in [(-1, 1.0), (0, 2.0), (1, 1.0)] {
                    sum += wy * wx * at(x + dx, y + dy);
                }
            }
            *o = sum / 16.0;
        }
    });
    out
}

/// Where the design departs from the client's own hair.
fn departures(
    design: &smp_core::Design,
    stubble: &Stubble,
    healed: Lab,
    closest: (f64, Lab, f64),
) -> Vec<String> {
    let mut warnings = Vec::new();
    for zone in &design.zones {
        let off = zone.density_per_cm2 / stubble.density_per_cm2 - 1.0;
        if off.abs() > DENSITY_TOLERANCE {
            warnings.push(format!(
                "zone {:?}: {:.0} impressions per cm2 is {:.0} % {} than the client's own {:.0} hairs per cm2",
                zone.name,
                zone.density_per_cm2,
                100.0 * off.abs(),
                if off > 0.0 { "denser" } else { "sparser" },
                stubble.density_per_cm2
            ));
        }
    }
    let larger = design.impressions.diameter_mm / stubble.diameter_mm - 1.0;
    if larger > LARGER_TOLERANCE {
        warnings.push(format!(
            "dots of {:.2} mm are {:.0} % larger than the client's hairs ({:.2} mm): they will read as dots, not stubble",
            design.impressions.diameter_mm,
            100.0 * larger,
            stubble.diameter_mm
        ));
    }
    let healed_e00 = ciede2000(healed, stubble.color_lab);
    if healed_e00 > COLOUR_TOLERANCE_E00 {
        warnings.push(format!(
            "the healed dot at dilution {:.2} is CIEDE2000 {healed_e00:.1} from the stubble's colour",
            design.pigment.dilution
        ));
    }
    let (dilution, dot, e00) = closest;
    if e00 > COLOUR_TOLERANCE_E00 {
        let target = stubble.color_lab;
        let mut differs = Vec::new();
        if (dot.l - target.l).abs() > 3.0 {
            differs.push(if dot.l > target.l { "lighter" } else { "darker" });
        }
        let hue = |c: Lab| c.b.atan2(c.a).to_degrees();
        if (hue(dot) - hue(target)).abs() > 15.0 && target.a.hypot(target.b) > 4.0 {
            differs.push("of another hue");
        }
        warnings.push(format!(
            "no dilution of this pigment comes within CIEDE2000 {COLOUR_TOLERANCE_E00:.0} of the stubble: the closest, {dilution:.2}, heals {} (CIEDE2000 {e00:.1}); another pigment shade would be needed",
            if differs.is_empty() { "different".to_string() } else { differs.join(" and ") }
        ));
    }
    warnings
}
