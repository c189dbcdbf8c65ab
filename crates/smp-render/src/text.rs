//! Text set on images in a real typeface: Source Sans 3 (SIL Open Font
//! License, `fonts/SourceSans3-LICENSE.md`), shipped inside the binary so a
//! label looks the same on every machine. Glyphs are outlined and
//! rasterised by `ab_glyph` with kerning, and their coverage mixed in
//! linear light, so edges are smooth on any background.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{Rgb, RgbImage};

use crate::srgb::Codec;

/// Source Sans 3 Regular, for running text.
pub const REGULAR: &[u8] = include_bytes!("../fonts/SourceSans3-Regular.ttf");
/// Source Sans 3 Semibold, for labels.
pub const SEMIBOLD: &[u8] = include_bytes!("../fonts/SourceSans3-Semibold.ttf");

/// A typeface at a size.
pub struct Type {
    font: FontRef<'static>,
    scale: PxScale,
}

impl Type {
    /// Semibold at `px` pixels (the em, about 1.4 times a capital's height).
    pub fn label(px: f32) -> Self {
        Self::of(SEMIBOLD, px)
    }

    fn of(data: &'static [u8], px: f32) -> Self {
        // The fonts are the binary's own, checked by the tests: they parse.
        let font = FontRef::try_from_slice(data).expect("a shipped font parses");
        Self { font, scale: PxScale::from(px.max(1.0)) }
    }

    /// How far `text` reaches, pixels, kerned.
    pub fn width(&self, text: &str) -> f32 {
        let font = self.font.as_scaled(self.scale);
        let mut width = 0.0;
        let mut previous = None;
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            if let Some(p) = previous {
                width += font.kern(p, id);
            }
            width += font.h_advance(id);
            previous = Some(id);
        }
        width
    }

    /// The height of a line from its top to the baseline (the ascent).
    pub fn ascent(&self) -> f32 {
        self.font.as_scaled(self.scale).ascent()
    }

    /// The height of a line, ascent to descent.
    pub fn line_height(&self) -> f32 {
        let font = self.font.as_scaled(self.scale);
        font.ascent() - font.descent()
    }

    /// Sets `text` on `image` in `ink`, its line's top at `top` and its
    /// middle at `cx`; what falls outside the image is left out.
    pub fn draw_centred(&self, image: &mut RgbImage, text: &str, cx: f32, top: f32, ink: Rgb<u8>) {
        let left = cx - self.width(text) / 2.0;
        self.draw(image, text, left, top, ink);
    }

    /// Sets `text` on `image` in `ink` from `left`, its line's top at `top`.
    pub fn draw(&self, image: &mut RgbImage, text: &str, left: f32, top: f32, ink: Rgb<u8>) {
        let font = self.font.as_scaled(self.scale);
        let codec = Codec::get();
        let ink = ink.0.map(|c| codec.decode(c));
        let baseline = top + font.ascent();
        let (mut x, mut previous) = (left, None);
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            if let Some(p) = previous {
                x += font.kern(p, id);
            }
            let glyph = id.with_scale_and_position(self.scale, ab_glyph::point(x, baseline));
            x += font.h_advance(id);
            previous = Some(id);
            let Some(outlined) = self.font.outline_glyph(glyph) else { continue };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let (px, py) = (bounds.min.x as i64 + gx as i64, bounds.min.y as i64 + gy as i64);
                if px < 0 || py < 0 || px >= image.width() as i64 || py >= image.height() as i64 {
                    return;
                }
                let pixel = image.get_pixel_mut(px as u32, py as u32);
                let coverage = coverage.clamp(0.0, 1.0);
                for (c, &ink) in pixel.0.iter_mut().zip(&ink) {
                    *c = codec.encode(codec.decode(*c) * (1.0 - coverage) + ink * coverage);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_set_where_it_is_asked_with_smooth_edges() {
        let mut image = RgbImage::from_pixel(200, 60, Rgb([0, 0, 0]));
        let label = Type::label(32.0);
        let width = label.width("Healed");
        assert!((60.0..140.0).contains(&width), "{width}");
        label.draw_centred(&mut image, "Healed", 100.0, 10.0, Rgb([255, 255, 255]));
        let inked: Vec<(u32, u32)> =
            image.enumerate_pixels().filter(|(_, _, p)| p[0] > 0).map(|(x, y, _)| (x, y)).collect();
        let (min_x, max_x) =
            (inked.iter().map(|p| p.0).min().unwrap(), inked.iter().map(|p| p.0).max().unwrap());
        let (min_y, max_y) =
            (inked.iter().map(|p| p.1).min().unwrap(), inked.iter().map(|p| p.1).max().unwrap());
        // Centred, within the line, and about as wide as measured.
        assert!(((min_x + max_x) as f32 / 2.0 - 100.0).abs() < 3.0, "{min_x}..{max_x}");
        assert!(min_y >= 10 && (max_y as f32) <= 10.0 + label.line_height(), "{min_y}..{max_y}");
        assert!(((max_x - min_x) as f32 - width).abs() < 6.0);
        // Anti-aliased: edge pixels between ink and background.
        let grey = image.pixels().filter(|p| p[0] > 20 && p[0] < 235).count();
        assert!(grey > 40, "{grey} partly covered pixels");
        Type::of(REGULAR, 12.0).draw(&mut image, "x", -5.0, -5.0, Rgb([9, 9, 9]));
    }
}
