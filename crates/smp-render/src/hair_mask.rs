//! Hair over the scalp: where the client's longer hair hides the skin on a
//! photo (a greyscale mask, 255 where hair covers the scalp), so that the
//! render places pigment in the scalp that shows between the hairs and
//! keeps every strand in front of it, and a proposed mask read off the
//! photo for the practitioner to start from.
//!
//! The proposal finds hair darker than the skin: each pixel's darkness
//! against the skin around it (a grey closing of the luminance, which
//! strands narrower than its window vanish from, uneven light staying),
//! and areas where no skin shows within the window at all (the closing
//! itself far darker than the scalp elsewhere). Hair lighter than the skin
//! (blond or grey on a tanned scalp) is not found: the practitioner paints
//! it.

use std::path::Path;

use image::{GrayImage, RgbImage, RgbaImage};
use rayon::prelude::*;

use crate::morphology::closing;
use crate::photo::{PhotoError, load_photo};
use crate::srgb::Codec;

/// Hair over the scalp, one coverage byte per photo pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct HairMask(GrayImage);

/// The widest strand the skin estimate sees past, mm (a hair shaft is
/// 0.05-0.15 mm; a few lying together a little more).
const WIDEST_STRAND_MM: f64 = 0.6;
/// Darkness against the skin around below which a pixel is skin (grain,
/// pores), and above which it is wholly hair.
const SKIN_DARKNESS: f32 = 0.07;
const HAIR_DARKNESS: f32 = 0.25;
/// Where the skin estimate itself is this much darker than the scalp's
/// brightest usual level, no skin shows there: hair all over.
const COVERED_DARKNESS: f32 = 0.45;

impl HairMask {
    /// A mask from an image of the photo's size (its luminance).
    pub fn from_image(mask: GrayImage) -> Self {
        Self(mask)
    }

    /// Reads the mask at `path` for a photo of `size` (width, height):
    /// any image the photos may be, its luminance the coverage.
    pub fn load(path: &Path, size: (u32, u32)) -> Result<Self, PhotoError> {
        let rgb = load_photo(path)?;
        if rgb.dimensions() != size {
            return Err(PhotoError::MaskSize { path: path.to_owned(), size: rgb.dimensions(), photo: size });
        }
        Ok(Self(image::DynamicImage::ImageRgb8(rgb).to_luma8()))
    }

    /// Writes the mask as an image (whole, or not at all; PNG keeps it
    /// exact), grey as [`Self::load`] reads it back.
    pub fn save(&self, path: &Path) -> Result<(), PhotoError> {
        crate::save_image(&image::DynamicImage::ImageLuma8(self.0.clone()).to_rgb8(), path)
    }

    /// The mask as an image.
    pub fn image(&self) -> &GrayImage {
        &self.0
    }

    /// Puts the hair back in front of the pigment on `rows` (RGB rows of
    /// the photo, the first one `first_row`, as rendered), from `original`
    /// (the same rows before the render): mixed in linear light by the
    /// coverage, so a strand the mask covers fully is left as it was.
    pub fn keep_hair_rows(&self, first_row: usize, original: &[u8], rows: &mut [u8]) {
        let width = self.0.width() as usize;
        let codec = Codec::get();
        let coverage = &self.0.as_raw()[first_row * width..];
        for ((out, before), &m) in rows.chunks_exact_mut(3).zip(original.chunks_exact(3)).zip(coverage) {
            match m {
                0 => {}
                255 => out.copy_from_slice(before),
                m => {
                    let m = m as f32 / 255.0;
                    for (o, &b) in out.iter_mut().zip(before) {
                        let mixed = codec.decode(b) * m + codec.decode(*o) * (1.0 - m);
                        *o = codec.encode(mixed);
                    }
                }
            }
        }
    }

    /// The mask at `size` (a screen copy's, smaller than the photo's):
    /// each pixel the mean coverage of the photo pixels it stands for, so
    /// a strand too thin for the copy still hides its share of the pigment.
    pub fn shrunk_to(&self, (width, height): (u32, u32)) -> HairMask {
        let (w, h) = (self.0.width() as usize, self.0.height() as usize);
        let (tw, th) = ((width as usize).clamp(1, w.max(1)), (height as usize).clamp(1, h.max(1)));
        // Each target pixel's span of source pixels, never empty.
        let spans = |from: usize, to: usize| -> Vec<(usize, usize)> {
            (0..to).map(|i| (i * from / to, ((i + 1) * from / to).max(i * from / to + 1).min(from))).collect()
        };
        let (columns, rows) = (spans(w, tw), spans(h, th));
        let source = self.0.as_raw();
        let mut out = vec![0u8; tw * th];
        out.par_chunks_mut(tw).zip(rows.par_iter()).for_each(|(line, &(y0, y1))| {
            for (value, &(x0, x1)) in line.iter_mut().zip(&columns) {
                let sum: u32 =
                    (y0..y1).flat_map(|y| &source[y * w + x0..y * w + x1]).map(|&v| v as u32).sum();
                let n = ((y1 - y0) * (x1 - x0)) as u32;
                *value = ((sum + n / 2) / n) as u8;
            }
        });
        HairMask(GrayImage::from_raw(tw as u32, th as u32, out).expect("one byte per pixel"))
    }

    /// A mask of `size` from `base` (none: no hair anywhere) with a
    /// practitioner's corrections painted over it. `paint` is a layer of
    /// any size stretched over the whole photo (a brush works on the screen
    /// copy): its grey the coverage painted (white hair, black bare scalp),
    /// its alpha how much of it replaces the base (a soft brush's edge
    /// between 0 and 1). Where nothing was painted the base stays exact, to
    /// the strand.
    pub fn painted(base: Option<&HairMask>, (width, height): (u32, u32), paint: &RgbaImage) -> HairMask {
        let (pw, ph) = (paint.width() as f32, paint.height() as f32);
        let (sx, sy) = (pw / width.max(1) as f32, ph / height.max(1) as f32);
        let mut out = match base {
            Some(base) if base.0.dimensions() == (width, height) => base.0.as_raw().clone(),
            _ => vec![0u8; width as usize * height as usize],
        };
        out.par_chunks_mut(width.max(1) as usize).enumerate().for_each(|(y, line)| {
            let py = ((y as f32 + 0.5) * sy - 0.5).clamp(0.0, ph - 1.0);
            for (x, value) in line.iter_mut().enumerate() {
                let px = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, pw - 1.0);
                let [grey, alpha] = bilinear(paint, px, py);
                if alpha > 0.0 {
                    *value = (*value as f32 * (1.0 - alpha) + grey * alpha).round().clamp(0.0, 255.0) as u8;
                }
            }
        });
        HairMask(GrayImage::from_raw(width, height, out).expect("one byte per pixel"))
    }

    /// [`Self::keep_hair_rows`] over a whole rendered photo.
    pub fn keep_hair(&self, original: &RgbImage, rendered: &mut RgbImage) {
        let row = original.width() as usize * 3;
        rendered.par_chunks_mut(row).zip(original.par_chunks(row)).enumerate().for_each(
            |(y, (out, before))| {
                self.keep_hair_rows(y, before, out);
            },
        );
    }
}

/// A proposed mask of the hair over the scalp on `photo` at `mm_per_px`
/// (see the module's note on what it finds).
pub fn propose(photo: &RgbImage, mm_per_px: f64) -> HairMask {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let codec = Codec::get();
    let luminance: Vec<f32> = photo
        .pixels()
        .map(|p| 0.2126 * codec.decode(p[0]) + 0.7152 * codec.decode(p[1]) + 0.0722 * codec.decode(p[2]))
        .collect();
    let radius = ((WIDEST_STRAND_MM / mm_per_px) / 2.0).ceil().max(1.0) as usize;
    let skin = closing(&luminance, w, h, radius);
    // The scalp's usual level where it shows: a high percentile of the
    // skin estimate (the brightest few per cent are highlights).
    let mut levels: Vec<f32> = skin.iter().step_by(7).copied().collect();
    levels.sort_by(f32::total_cmp);
    let scalp = levels.get(levels.len() * 9 / 10).copied().unwrap_or(1.0).max(1e-4);
    let coverage: Vec<u8> = luminance
        .par_iter()
        .zip(skin.par_iter())
        .map(|(&l, &s)| {
            let strand = ramp(1.0 - l / s.max(1e-4), SKIN_DARKNESS, HAIR_DARKNESS);
            let covered = ramp(1.0 - s / scalp, COVERED_DARKNESS - 0.1, COVERED_DARKNESS + 0.1);
            (strand.max(covered) * 255.0).round() as u8
        })
        .collect();
    HairMask(GrayImage::from_raw(w as u32, h as u32, coverage).expect("one byte per pixel"))
}

/// A paint layer's grey (0-255, of the red channel: the brush paints
/// black or white) and alpha (0-1) at a point between its pixels. The grey
/// is weighted by alpha, so an unpainted pixel's colour (black, by
/// convention) never bleeds into a painted one's.
fn bilinear(paint: &RgbaImage, x: f32, y: f32) -> [f32; 2] {
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(paint.width() - 1), (y0 + 1).min(paint.height() - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let mut grey_alpha = 0.0;
    let mut alpha = 0.0;
    for (px, py, weight) in [
        (x0, y0, (1.0 - fx) * (1.0 - fy)),
        (x1, y0, fx * (1.0 - fy)),
        (x0, y1, (1.0 - fx) * fy),
        (x1, y1, fx * fy),
    ] {
        let p = paint.get_pixel(px, py);
        let a = p[3] as f32 / 255.0 * weight;
        grey_alpha += p[0] as f32 * a;
        alpha += a;
    }
    if alpha <= 0.0 { [0.0, 0.0] } else { [grey_alpha / alpha, alpha] }
}

/// 0 below `from`, 1 above `to`, smooth between.
fn ramp(v: f32, from: f32, to: f32) -> f32 {
    let t = ((v - from) / (to - from)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}
