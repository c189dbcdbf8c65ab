//! A photo as the studio's gallery shows it: cropped to the scalp, with
//! what shows of the face blurred beyond recognition unless the client's
//! consent allows faces.
//!
//! There is no face detector here: the practitioner sets where the face
//! begins (the "face line", a fraction of the photo's height, just under
//! the hairline on a front or side photo; the photo's foot on a top, crown
//! or back photo), which is both more reliable on shaved heads photographed
//! at the chair and the practitioner's decision to own.

use image::RgbImage;
use image::imageops::{FilterType, resize};

/// How much below the face line the crop reaches, as a fraction of the
/// photo's height: enough to show the hairline's edge against the forehead.
pub const FOREHEAD_MARGIN: f64 = 0.12;

/// How many times the face band is shrunk before it is enlarged back: at
/// 1/40 of a 1000 px photo, eyes and mouth are a pixel or two, so nothing
/// of them is left to recognise.
const BLUR_FACTOR: u32 = 40;

/// The photo cropped to the scalp, the face (below `face_line`, 0 to 1 of
/// its height) blurred unless `faces_allowed`. A face line at the foot (1)
/// leaves the photo whole.
pub fn for_gallery(photo: &RgbImage, face_line: f64, faces_allowed: bool) -> RgbImage {
    let (width, height) = photo.dimensions();
    // An unreadable line hides the most: everything below the top.
    let line = if face_line.is_nan() { 0.0 } else { face_line.clamp(0.0, 1.0) };
    if line >= 1.0 || height == 0 || width == 0 {
        return photo.clone();
    }
    let face_top = (line * height as f64).round() as u32;
    let bottom = (((line + FOREHEAD_MARGIN) * height as f64).round() as u32).clamp(face_top.max(1), height);
    let mut out = image::imageops::crop_imm(photo, 0, 0, width, bottom).to_image();
    let band = bottom - face_top;
    if faces_allowed || band == 0 {
        return out;
    }
    let face = image::imageops::crop_imm(photo, 0, face_top, width, band).to_image();
    let small =
        resize(&face, (width / BLUR_FACTOR).max(1), (band / BLUR_FACTOR).max(1), FilterType::Triangle);
    let blurred = resize(&small, width, band, FilterType::Triangle);
    image::imageops::replace(&mut out, &blurred, 0, i64::from(face_top));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo whose every pixel differs sharply from its neighbours, as
    /// the features of a face do.
    fn busy(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let v = if (x / 2 + y / 2) % 2 == 0 { 230 } else { 20 };
            image::Rgb([v, (x * 7 % 256) as u8, (y * 13 % 256) as u8])
        })
    }

    /// Mean absolute difference between horizontal neighbours in rows
    /// `rows`: high where there is detail, near 0 where it is blurred.
    fn detail(image: &RgbImage, rows: std::ops::Range<u32>) -> f64 {
        let mut sum = 0.0;
        let mut n = 0.0;
        for y in rows {
            for x in 1..image.width() {
                let (a, b) = (image.get_pixel(x, y), image.get_pixel(x - 1, y));
                sum += (a[0] as f64 - b[0] as f64).abs();
                n += 1.0;
            }
        }
        sum / n
    }

    #[test]
    fn the_face_is_cropped_and_blurred_and_the_scalp_kept_as_it_was() {
        let photo = busy(400, 500);
        let shown = for_gallery(&photo, 0.4, false);
        assert_eq!(shown.dimensions(), (400, 260), "cropped 12 % below the line at 200 px");
        for y in 0..200 {
            for x in 0..400 {
                assert_eq!(shown.get_pixel(x, y), photo.get_pixel(x, y), "scalp at {x},{y} changed");
            }
        }
        assert!(detail(&photo, 200..260) > 100.0);
        assert!(detail(&shown, 200..260) < 10.0, "the face keeps its detail: {}", detail(&shown, 200..260));
    }

    #[test]
    fn faces_allowed_are_cropped_but_not_blurred() {
        let photo = busy(300, 400);
        let shown = for_gallery(&photo, 0.5, true);
        assert_eq!(shown.dimensions(), (300, 248));
        assert_eq!(shown, image::imageops::crop_imm(&photo, 0, 0, 300, 248).to_image());
    }

    #[test]
    fn a_line_at_the_foot_leaves_a_top_photo_whole() {
        let photo = busy(120, 90);
        assert_eq!(for_gallery(&photo, 1.0, false), photo);
        assert_eq!(for_gallery(&photo, 7.0, false), photo);
    }

    #[test]
    fn a_line_near_the_foot_or_the_top_still_gives_a_picture() {
        let photo = busy(120, 90);
        assert_eq!(for_gallery(&photo, 0.95, false).dimensions(), (120, 90));
        let top = for_gallery(&photo, 0.0, false);
        assert_eq!(top.dimensions(), (120, 11));
        assert!(detail(&top, 0..11) < 20.0);
        assert_eq!(for_gallery(&photo, f64::NAN, false).height(), 11);
    }
}
