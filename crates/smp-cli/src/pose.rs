//! `smp pose`: where each photo of a design on the head was taken from,
//! and how well the points tapped on it agree.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use smp_core::head_design::{HEAD_SCHEMA_VERSION, HeadDesign, parse_head_design, schema_of};
use smp_core::pose::PoseFit;

#[derive(Serialize)]
struct PoseReport {
    head: HeadReport,
    photos: Vec<PhotoReport>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct HeadReport {
    a_mm: f64,
    b_mm: f64,
    c_mm: f64,
    measured: bool,
}

#[derive(Serialize)]
struct PhotoReport {
    name: String,
    view_direction: [f64; 3],
    mm_per_px: f64,
    rms_mm: f64,
    warnings: Vec<String>,
}

/// A design on the head model with its photos' cameras fitted, when the
/// file at `path` is one (schema 2); `None` for any other design.
pub fn read_head_design(path: &Path) -> Result<Option<(HeadDesign, PoseFit)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the design {}", path.display()))?;
    if schema_of(&text) != Some(HEAD_SCHEMA_VERSION) {
        return Ok(None);
    }
    let design = parse_head_design(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let fit = design.fit().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Some((design, fit)))
}

pub fn pose(path: &Path, as_json: bool) -> Result<String> {
    let Some((design, fit)) = read_head_design(path)? else {
        bail!("{}: not a design on the head model (schema 2), whose photos `smp pose` fits", path.display());
    };
    let round = |v: f64, places: i32| (v * 10f64.powi(places)).round() / 10f64.powi(places);
    let mut photos = Vec::new();
    for photo in &fit.photos {
        let warnings = photo.warnings();
        let d = photo.camera.view_direction();
        photos.push(PhotoReport {
            name: photo.name.clone(),
            view_direction: [round(d.x, 4), round(d.y, 4), round(d.z, 4)],
            mm_per_px: round(1.0 / photo.camera.scale, 5),
            rms_mm: round(photo.rms_mm, 2),
            warnings,
        });
    }
    let head = &design.head;
    let report = PoseReport {
        head: HeadReport {
            a_mm: round(head.a, 1),
            b_mm: round(head.b, 1),
            c_mm: round(head.c, 1),
            measured: design.measured,
        },
        photos,
        warnings: design.warnings(),
    };
    if as_json {
        return Ok(serde_json::to_string_pretty(&report).expect("plain data serialises"));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Head model: {:.0} x {:.0} x {:.0} mm (semi-axes to the ear, the face, the top){}",
        report.head.a_mm,
        report.head.b_mm,
        report.head.c_mm,
        if design.measured { "" } else { ", a typical head" }
    );
    for photo in &report.photos {
        let [x, y, z] = photo.view_direction;
        let _ = writeln!(
            out,
            "{}: seen from ({x:+.2}, {y:+.2}, {z:+.2}), {:.3} mm per pixel, points agree within {:.1} mm",
            photo.name, photo.mm_per_px, photo.rms_mm
        );
        for warning in &photo.warnings {
            let _ = writeln!(out, "  warning: {warning}");
        }
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    Ok(out.trim_end().to_string())
}
