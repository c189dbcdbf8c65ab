//! A synthetic top-view photo of a shaved scalp, made by the project for the
//! demo and the tests: no downloaded images, and the same pixels every time.

use image::RgbImage;
use rayon::prelude::*;
use smp_pattern::{hash_unit, mix64, value_noise_2d};

use crate::raster::{Dot, composite};
use crate::srgb;

/// Fractal value noise in [-1, 1].
fn fbm(seed: u64, x: f64, y: f64, wavelength: f64) -> f64 {
    let mut sum = 0.0;
    let mut amp = 0.5;
    let mut wl = wavelength;
    for octave in 0..4 {
        sum += amp * value_noise_2d(seed ^ mix64(octave), x, y, wl);
        amp *= 0.5;
        wl *= 0.5;
    }
    sum / 0.9375
}

/// The head's outline in a photo of the given size: centre and semi-axes.
pub fn head_ellipse(width: u32, height: u32) -> ([f64; 2], [f64; 2]) {
    let (w, h) = (width as f64, height as f64);
    ([0.5 * w, 0.625 * h], [0.39 * w, 0.59 * h])
}

/// A shaved, balding scalp seen from above, forehead at the top, with
/// short existing stubble on the sides and back; `skin` is its sRGB tone.
pub fn scalp_photo(width: u32, height: u32, skin: [u8; 3], seed: u64) -> RgbImage {
    let ([cx, cy], [ax, ay]) = head_ellipse(width, height);
    let albedo = skin.map(srgb::decode);
    let scale = width as f64 / 3200.0;
    let mut img = RgbImage::new(width, height);
    img.par_chunks_mut(width as usize * 3).enumerate().for_each(|(y, row)| {
        let yf = y as f64;
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let xf = x as f64;
            let (u, v) = ((xf - cx) / ax, (yf - cy) / ay);
            let r2 = u * u + v * v;
            let rgb = if r2 < 1.0 {
                // A dome lit from the upper left, with a soft sheen on top.
                let nz = (1.0 - r2).sqrt();
                let (nx, ny) = (u, v);
                let light = [-0.35f64, -0.45, 0.82];
                let lambert = (nx * light[0] + ny * light[1] + nz * light[2]).max(0.0);
                let half = [light[0], light[1], light[2] + 1.0];
                let hn = (half[0] * half[0] + half[1] * half[1] + half[2] * half[2]).sqrt();
                let spec = ((nx * half[0] + ny * half[1] + nz * half[2]) / hn).max(0.0).powf(40.0) * 0.22;
                let mottling = 1.0 + 0.05 * fbm(seed, xf, yf, 220.0 * scale);
                let redness = 0.03 * fbm(seed ^ 9, xf, yf, 500.0 * scale);
                let pore = if hash_unit(seed ^ 77, x as i64, y as i64) < 0.002 { 0.82 } else { 1.0 };
                let edge = ((1.0 - r2) * 25.0).min(1.0);
                let shade = (0.18 + 0.82 * lambert) * mottling * pore;
                [
                    albedo[0] as f64 * shade * (1.0 + redness) + spec,
                    albedo[1] as f64 * shade + spec,
                    albedo[2] as f64 * shade * (1.0 - redness) + spec,
                ]
                .map(|c| c * edge + (1.0 - edge) * 0.02)
            } else {
                // A dark studio backdrop.
                let g = 0.015 + 0.01 * (1.0 - yf / height as f64);
                [g, g * 1.05, g * 1.15]
            };
            for c in 0..3 {
                px[c] = srgb::encode(rgb[c] as f32);
            }
        }
    });
    // Existing short hair on the sides and back: a jittered grid of dots whose
    // density fades toward the bald top.
    let spacing = 19.0 * scale;
    let mut dots = Vec::new();
    let (cols, rows) = ((width as f64 / spacing) as i64, (height as f64 / spacing) as i64);
    for j in 0..rows {
        for i in 0..cols {
            let x = (i as f64 + hash_unit(seed ^ 1, i, j)) * spacing;
            let y = (j as f64 + hash_unit(seed ^ 2, i, j)) * spacing;
            let (u, v) = ((x - cx) / ax, (y - cy) / ay);
            let r2 = u * u + v * v;
            if r2 >= 0.97 {
                continue;
            }
            let side = ((u.abs() - 0.74) / 0.12).clamp(0.0, 1.0);
            let back = ((v - 0.45) / 0.12).clamp(0.0, 1.0);
            let keep = side.max(back);
            if hash_unit(seed ^ 3, i, j) >= keep {
                continue;
            }
            let k = mix64(seed ^ (i as u64) << 20 ^ j as u64);
            let jitter = |n: u32| ((k >> (n * 8)) & 0xFF) as f32 / 255.0 - 0.5;
            dots.push(Dot {
                x: x as f32,
                y: y as f32,
                radius: (3.4 * scale) as f32 * (1.0 + 0.3 * jitter(0)),
                strength: 1.0 + 0.3 * jitter(1),
                shape: [0.3 * jitter(2), 0.3 * jitter(3), 0.2 * jitter(4), 0.2 * jitter(5)],
            });
        }
    }
    composite(&mut img, &dots, [1.6, 1.7, 1.8], 0.35, &|_, _| {});
    img
}
