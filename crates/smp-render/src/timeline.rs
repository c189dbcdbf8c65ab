//! The consultation contact sheet: the same crop of the photo at each stage,
//! labelled, side by side.

use image::{Rgb, RgbImage};
use smp_core::{Design, Rect};
use smp_optics::DotOptics;
use smp_optics::ageing::Stage;
use smp_pattern::Pattern;

use crate::hair_mask::HairMask;
use crate::text::Type;
use crate::{preview, render_stage};

/// The stages of the sheet, with their labels.
pub const STAGES: [(&str, Stage); 8] = [
    ("Before", Stage::Before),
    ("Session 1", Stage::Session(1)),
    ("Session 2", Stage::Session(2)),
    ("Session 3", Stage::Session(3)),
    ("Healed", Stage::HEALED),
    ("1 year", Stage::Years(1.0)),
    ("3 years", Stage::Years(3.0)),
    ("5 years", Stage::Years(5.0)),
];

const COLUMNS: u32 = 4;
const GAP: u32 = 12;
const BACKGROUND: Rgb<u8> = Rgb([28, 30, 34]);
const INK: Rgb<u8> = Rgb([236, 236, 236]);

/// The region of the photo the design works on: its zones and hairline,
/// with a margin, inside the photo.
pub fn work_area(design: &Design, width: u32, height: u32) -> Option<(u32, u32, u32, u32)> {
    let points = design
        .zones
        .iter()
        .flat_map(|z| z.polygon.vertices().iter().copied())
        .chain(design.hairline.iter().flat_map(|h| h.points.iter().copied()));
    let area = Rect::bounding(points)?;
    let margin = 0.06 * area.width().max(area.height());
    let area = area.inflate(margin);
    let x0 = area.min.x.max(0.0).floor() as u32;
    let y0 = area.min.y.max(0.0).floor() as u32;
    let x1 = (area.max.x.ceil().max(0.0) as u32).min(width);
    let y1 = (area.max.y.ceil().max(0.0) as u32).min(height);
    (x1 > x0 + 8 && y1 > y0 + 8).then(|| (x0, y0, x1 - x0, y1 - y0))
}

/// The labels' size for panels `panel_width` pixels wide: readable on a
/// small sheet, never shouting on a large one.
fn label_type(panel_width: u32) -> Type {
    Type::label((panel_width as f32 / 11.0).clamp(15.0, 44.0))
}

/// The sheet: every stage of [`STAGES`] on the work area of `photo`, each
/// panel `panel_width` pixels wide, the client's hair kept in front where
/// `hair` says it lies. `progress` gets (panels done, panels).
#[allow(clippy::too_many_arguments)]
pub fn timeline(
    photo: &RgbImage,
    design: &Design,
    pattern: &Pattern,
    optics: &impl DotOptics,
    gaps: &[f64],
    hair: Option<&HairMask>,
    panel_width: u32,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Option<RgbImage> {
    let (x0, y0, w, h) = work_area(design, photo.width(), photo.height())?;
    let crop = image::imageops::crop_imm(photo, x0, y0, w, h).to_image();
    let hair =
        hair.map(|m| HairMask::from_image(image::imageops::crop_imm(m.image(), x0, y0, w, h).to_image()));
    // The pattern in the crop's coordinates: render the crop, not the photo.
    let mut shifted = pattern.clone();
    for imp in &mut shifted.impressions {
        imp.x_px -= x0 as f64;
        imp.y_px -= y0 as f64;
    }
    let panel_width = panel_width.min(w).max(64);
    let panel_height = ((h as u64 * panel_width as u64) / w as u64).max(1) as u32;
    let label = label_type(panel_width);
    // The label's line with half a line of air above and below it.
    let label_band = (label.line_height() * 1.6).ceil() as u32;
    let rows = (STAGES.len() as u32).div_ceil(COLUMNS);
    let sheet_w = COLUMNS * panel_width + (COLUMNS + 1) * GAP;
    let sheet_h = rows * (panel_height + label_band) + (rows + 1) * GAP;
    let mut sheet = RgbImage::from_pixel(sheet_w, sheet_h, BACKGROUND);
    for (i, (name, stage)) in STAGES.iter().enumerate() {
        let mut panel = crop.clone();
        if *stage != Stage::Before {
            render_stage(&mut panel, design, &shifted, optics, *stage, gaps, &|_, _| {});
            if let Some(hair) = &hair {
                hair.keep_hair(&crop, &mut panel);
            }
        }
        let small = preview::downscale(&panel, panel_width);
        let (col, row) = (i as u32 % COLUMNS, i as u32 / COLUMNS);
        let left = GAP + col * (panel_width + GAP);
        let top = GAP + row * (panel_height + label_band + GAP);
        image::imageops::replace(&mut sheet, &small, left as i64, top as i64);
        let line_top = (top + panel_height) as f32 + label.line_height() * 0.3;
        label.draw_centred(&mut sheet, name, (left + panel_width / 2) as f32, line_top, INK);
        progress(i + 1, STAGES.len());
    }
    Some(sheet)
}
