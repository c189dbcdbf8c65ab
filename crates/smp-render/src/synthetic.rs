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
                stretch: crate::raster::ROUND,
            });
        }
    }
    composite(&mut img, &dots, [1.6, 1.7, 1.8], 0.35, &|_, _| {});
    img
}

/// Stubble of known density, size and colour on grainy, unevenly lit skin:
/// what the stubble measurement is tested against.
#[derive(Debug, Clone, PartialEq)]
pub struct StubbleTruth {
    /// Every hair's centre, photo pixels.
    pub centres: Vec<[f64; 2]>,
    /// The visible diameter at half contrast, mm.
    pub diameter_mm: f64,
}

/// A square photo `side` pixels wide at `mm_per_px`, of skin `skin` with
/// hairs of colour `hair` cut short (seen end-on, `diameter_mm` across) at
/// `density_per_cm2`, set no closer than real follicles are; with grain,
/// blotches and light falling off across the photo.
pub fn stubble_photo(
    side: u32,
    mm_per_px: f64,
    density_per_cm2: f64,
    diameter_mm: f64,
    skin: [u8; 3],
    hair: [u8; 3],
    seed: u64,
) -> (RgbImage, StubbleTruth) {
    let side_mm = side as f64 * mm_per_px;
    let wanted = (density_per_cm2 * side_mm * side_mm / 100.0).round() as usize;
    // Dart throwing: follicles keep some distance from each other.
    let closest = 0.55 * 10.0 / density_per_cm2.sqrt() / mm_per_px;
    let mut centres: Vec<[f64; 2]> = Vec::with_capacity(wanted);
    let mut attempt = 0i64;
    while centres.len() < wanted && attempt < 200 * wanted as i64 {
        let p = [hash_unit(seed, attempt, 1) * side as f64, hash_unit(seed, attempt, 2) * side as f64];
        attempt += 1;
        if centres.iter().all(|q| (p[0] - q[0]).hypot(p[1] - q[1]) >= closest) {
            centres.push(p);
        }
    }
    // The spot: dark at the core, its edge soft over the outer 30 %: half
    // its darkness at 85 % of the radius.
    let radius = diameter_mm / 2.0 / mm_per_px;
    let core = 0.9;
    let alpha = |r: f64| {
        let t = ((r - 0.7 * radius) / (0.3 * radius)).clamp(0.0, 1.0);
        core * (1.0 - t * t * (3.0 - 2.0 * t))
    };
    let (skin_lin, hair_lin) = (skin.map(srgb::decode), hair.map(srgb::decode));
    let mut img = RgbImage::new(side, side);
    let cell = (radius * 2.0).max(1.0);
    let grid = (side as f64 / cell).ceil() as usize + 1;
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); grid * grid];
    for (i, c) in centres.iter().enumerate() {
        buckets[(c[1] / cell) as usize * grid + (c[0] / cell) as usize].push(i);
    }
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (xf, yf) = (x as f64 + 0.5, y as f64 + 0.5);
        let light = 0.7 + 0.4 * (xf + 0.5 * yf) / (1.5 * side as f64);
        let grain = 1.0
            + 0.06 * (hash_unit(seed ^ 5, x as i64, y as i64) - 0.5)
            + 0.05 * fbm(seed ^ 3, xf, yf, 4.0 / mm_per_px);
        let (gx, gy) = ((xf / cell) as usize, (yf / cell) as usize);
        // Coverage averaged over the pixel (3 x 3 samples), as a sensor
        // integrates light: a hair smaller than a pixel still shows.
        let mut a = 0.0f64;
        for (sx, sy) in (0..9).map(|k| ((k % 3) as f64 / 3.0 - 1.0 / 3.0, (k / 3) as f64 / 3.0 - 1.0 / 3.0)) {
            let mut here = 0.0f64;
            for by in gy.saturating_sub(1)..=(gy + 1).min(grid - 1) {
                for bx in gx.saturating_sub(1)..=(gx + 1).min(grid - 1) {
                    for &i in &buckets[by * grid + bx] {
                        let c = centres[i];
                        here = here.max(alpha((xf + sx - c[0]).hypot(yf + sy - c[1])));
                    }
                }
            }
            a += here / 9.0;
        }
        let rgb = std::array::from_fn::<f32, 3, _>(|k| {
            ((skin_lin[k] as f64 * grain * (1.0 - a) + hair_lin[k] as f64 * a) * light) as f32
        });
        *px = image::Rgb(rgb.map(srgb::encode));
    }
    (img, StubbleTruth { centres, diameter_mm: diameter_mm * 0.85 })
}

/// A photo `width` x `height` of the head model `head` seen by `camera`:
/// every pixel's ray cast onto the ellipsoid, the skin `skin` (sRGB) lit
/// from the camera's upper left with fine mottling, on a grey backdrop.
/// What the head model's pixel tests render designs onto: the true place
/// on the head of every pixel is known.
pub fn head_photo(
    width: u32,
    height: u32,
    head: &smp_core::head::Head,
    camera: &smp_core::pose::Camera,
    skin: [u8; 3],
    seed: u64,
) -> RgbImage {
    let albedo = skin.map(srgb::decode);
    // The light, in the head frame: from the camera, up and to the left.
    let light = (camera.rotation.transpose() * glam::DVec3::new(-0.35, 0.45, 0.82)).normalize();
    let mut img = RgbImage::new(width, height);
    img.par_chunks_mut(width as usize * 3).enumerate().for_each(|(y, row)| {
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let (xf, yf) = (x as f64 + 0.5, y as f64 + 0.5);
            let rgb = match camera.on_head(head, [xf, yf]) {
                Some(p) => {
                    let lambert = head.normal(p).dot(light).max(0.0);
                    // Mottling fixed to the skin (the head frame), not to
                    // the picture: every view sees the same blotches.
                    let mottling = 1.0 + 0.05 * fbm(seed, p.x + 3.0 * p.z, p.y - 2.0 * p.z, 9.0);
                    let shade = (0.2 + 0.8 * lambert) * mottling;
                    albedo.map(|a| (a as f64 * shade) as f32)
                }
                None => [0.18, 0.19, 0.2],
            };
            px.copy_from_slice(&rgb.map(srgb::encode));
        }
    });
    img
}

/// A square photo `side` pixels wide at `mm_per_px` of a scalp under
/// longer, thinning hair: the skin of [`stubble_photo`] (grain, blotches,
/// light falling off) crossed by `strands` hairs of colour `hair` (each
/// strand up to 1.6 times as light, as light catches it differently),
/// 0.05-0.09 mm across and 50-100 mm long, combed one way with a gentle
/// curve.
/// With it, each pixel's true coverage by hair (255 where a strand hides
/// the skin entirely).
pub fn long_hair_photo(
    side: u32,
    mm_per_px: f64,
    strands: usize,
    skin: [u8; 3],
    hair: [u8; 3],
    seed: u64,
) -> (RgbImage, image::GrayImage) {
    let (mut img, _) = stubble_photo(side, mm_per_px, 0.001, 0.3, skin, hair, seed);
    let n = side as usize;
    let mut bare = vec![1.0f32; n * n];
    // Each pixel's strand shade: the hair colour's linear value times this.
    let mut shade = vec![1.0f32; n * n];
    let s = side as f64;
    for k in 0..strands {
        let u = |j: i64| hash_unit(seed ^ 0x5754, k as i64, j);
        // Combed from the top left toward the bottom right, each its own way.
        let angle = 0.6 + 0.5 * (u(0) - 0.5);
        let half_width = (0.025 + 0.02 * u(5)) / mm_per_px;
        let lighter = 1.0 + 0.6 * u(6) as f32;
        let length = (50.0 + 50.0 * u(1)) / mm_per_px;
        let start = [u(2) * 1.4 * s - 0.6 * s, u(3) * 1.4 * s - 0.6 * s];
        let bend = (u(4) - 0.5) * 0.4 * length;
        let (dx, dy) = (angle.cos(), angle.sin());
        let end = [start[0] + dx * length, start[1] + dy * length];
        let mid = [(start[0] + end[0]) / 2.0 - dy * bend, (start[1] + end[1]) / 2.0 + dx * bend];
        let steps = (length / 2.0).ceil() as usize;
        let at = |t: f64| {
            let a = (1.0 - t) * (1.0 - t);
            let b = 2.0 * t * (1.0 - t);
            let c = t * t;
            [a * start[0] + b * mid[0] + c * end[0], a * start[1] + b * mid[1] + c * end[1]]
        };
        for i in 0..steps {
            let (p, q) = (at(i as f64 / steps as f64), at((i + 1) as f64 / steps as f64));
            let (x0, x1) = (p[0].min(q[0]) - 2.0, p[0].max(q[0]) + 2.0);
            let (y0, y1) = (p[1].min(q[1]) - 2.0, p[1].max(q[1]) + 2.0);
            if x1 < 0.0 || y1 < 0.0 || x0 >= s || y0 >= s {
                continue;
            }
            for y in (y0.max(0.0) as usize)..(y1.min(s - 1.0) as usize + 1) {
                for x in (x0.max(0.0) as usize)..(x1.min(s - 1.0) as usize + 1) {
                    let c = [x as f64 + 0.5, y as f64 + 0.5];
                    let (ex, ey) = (q[0] - p[0], q[1] - p[1]);
                    let t = (((c[0] - p[0]) * ex + (c[1] - p[1]) * ey) / (ex * ex + ey * ey).max(1e-9))
                        .clamp(0.0, 1.0);
                    let d = (c[0] - p[0] - t * ex).hypot(c[1] - p[1] - t * ey);
                    // The pixel's share under the strand (a box filter of its edge).
                    let cover = (half_width + 0.5 - d).clamp(0.0, 1.0).min(2.0 * half_width) as f32;
                    // Along a strand, its own segments overlap: the most of them counts.
                    let i = y * n + x;
                    if 1.0 - cover < bare[i] {
                        bare[i] = 1.0 - cover;
                        shade[i] = lighter;
                    }
                }
            }
        }
    }
    let hair_lin = hair.map(srgb::decode);
    for (i, px) in img.pixels_mut().enumerate() {
        let m = 1.0 - bare[i];
        if m > 0.0 {
            *px = image::Rgb(std::array::from_fn(|c| {
                srgb::encode(srgb::decode(px[c]) * (1.0 - m) + hair_lin[c] * shade[i] * m)
            }));
        }
    }
    let coverage = bare.iter().map(|b| ((1.0 - b) * 255.0).round() as u8).collect();
    (img, image::GrayImage::from_raw(side, side, coverage).expect("one byte per pixel"))
}
