//! Downscaled copies for screens, filtered in linear light so that fine
//! dark dots keep their true average tone instead of darkening.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

use crate::srgb;

/// A copy of `image` `width` pixels wide (height to scale), Lanczos-3
/// filtered in linear light. Returns the image itself when it is no wider.
pub fn downscale(image: &RgbImage, width: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if width == 0 || width >= w {
        return image.clone();
    }
    let height = ((h as u64 * width as u64 + w as u64 / 2) / w as u64).max(1) as u32;
    // First an exact box reduction by a whole factor, straight into 16-bit
    // linear: keeps memory at a fraction of the photo, and leaves Lanczos a
    // factor of at most two, where it is at its best.
    let factor = (w / width / 2).max(1);
    let (bw, bh) = (w / factor, h / factor);
    let mut linear = vec![0u16; bw as usize * bh as usize * 3];
    let raw = image.as_raw();
    let n = (factor * factor) as f32;
    let codec = srgb::Codec::get();
    for by in 0..bh as usize {
        for bx in 0..bw as usize {
            let mut sum = [0.0f32; 3];
            for y in by * factor as usize..(by + 1) * factor as usize {
                let row = &raw[(y * w as usize + bx * factor as usize) * 3..][..factor as usize * 3];
                for px in row.chunks_exact(3) {
                    for c in 0..3 {
                        sum[c] += codec.decode(px[c]);
                    }
                }
            }
            let out = &mut linear[(by * bw as usize + bx) * 3..][..3];
            for c in 0..3 {
                out[c] = (sum[c] / n * 65535.0 + 0.5) as u16;
            }
        }
    }
    let bytes: Vec<u8> = linear.iter().flat_map(|v| v.to_ne_bytes()).collect();
    let src = Image::from_vec_u8(bw, bh, bytes, PixelType::U16x3).expect("buffer sized for the image");
    let mut dst = Image::new(width, height, PixelType::U16x3);
    Resizer::new()
        .resize(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
        )
        .expect("same pixel type on both sides");
    let out: Vec<u8> = dst
        .buffer()
        .chunks_exact(2)
        .map(|b| codec.encode(u16::from_ne_bytes([b[0], b[1]]) as f32 / 65535.0))
        .collect();
    RgbImage::from_raw(width, height, out).expect("buffer sized for the image")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fine_checkerboard_keeps_its_linear_mean() {
        // Black and white pixels average to linear 0.5, which is sRGB 188,
        // not the 128 a gamma-space filter would give.
        let img = RgbImage::from_fn(400, 300, |x, y| {
            let v = if (x + y) % 2 == 0 { 255 } else { 0 };
            image::Rgb([v, v, v])
        });
        let small = downscale(&img, 100);
        assert_eq!(small.dimensions(), (100, 75));
        let p = small.get_pixel(50, 37)[0];
        assert!((186..=190).contains(&p), "{p}");
    }
}
