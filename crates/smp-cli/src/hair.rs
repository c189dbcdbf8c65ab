//! `smp hair`: the client's own stubble measured in the design's hair
//! sample, and the design that would continue it.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use smp_render::stubble::{HairReport, StubbleError, hair_match};

pub fn hair(path: &Path, photo_name: Option<&str>, as_json: bool) -> Result<String> {
    // A design on the head: the sample is on the photo it names (or the
    // one asked for), and its density is counted over its area of scalp.
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the design {}", path.display()))?;
    let photo_name = match smp_core::head_design::schema_of(&text) {
        Some(smp_core::head_design::HEAD_SCHEMA_VERSION) => photo_name.map(String::from).or_else(|| {
            smp_core::head_design::parse_head_design(&text).ok().and_then(|d| d.file.client.hair_sample_on)
        }),
        _ => photo_name.map(String::from),
    };
    let (design, photo_path, seen) = crate::design_on_photo(path, photo_name.as_deref())?;
    let Some(sample) = &design.client.hair_sample else {
        bail!(
            "{}: the design has no hair sample on this photo ([client] hair_sample): outline an area of the client's own shaved stubble (usually the sides or the back)",
            path.display()
        );
    };
    let photo = smp_render::load_photo(&photo_path)?;
    let scalp_cm2 =
        seen.as_ref().map(|s| smp_core::surface::zone_on_head(&s.head, &s.camera, sample, 0.0).area_cm2);
    let matched = match hair_match(&photo, &design, sample, scalp_cm2) {
        Ok(matched) => matched,
        Err(e @ StubbleError::TooFewHairs(_)) if as_json => {
            let none = HairReport::unmeasured(e.to_string());
            return Ok(serde_json::to_string_pretty(&none).expect("plain data serialises"));
        }
        Err(e) => bail!("{}: client.hair_sample: {e}", path.display()),
    };
    let report = matched.report();
    let (stubble, dilution, closest_e00) =
        (&matched.stubble, matched.suggested_dilution, matched.closest_e00);
    if as_json {
        return Ok(serde_json::to_string_pretty(&report).expect("plain data serialises"));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Stubble: {} hairs in {:.2} cm2, {:.1} per cm2, {:.2} mm across (median), spacing varies by {:.0} %",
        stubble.count,
        stubble.area_cm2,
        stubble.density_per_cm2,
        stubble.diameter_mm,
        100.0 * stubble.spacing_cv
    );
    let _ = writeln!(out, "Colour at the hairs' centres: {}", report.color_hex.as_deref().unwrap_or(""));
    let _ = writeln!(
        out,
        "To continue it: density {:.0} per cm2, dots of {:.2} mm, dilution {dilution:.2} (healed CIEDE2000 {closest_e00:.1} from the stubble)",
        stubble.density_per_cm2, stubble.diameter_mm
    );
    for w in &report.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    Ok(out.trim_end().to_string())
}

/// `smp hair mask`: a proposed mask of the hair over the scalp on the
/// design's photo, written as a greyscale PNG of the photo's size.
pub fn mask(path: &Path, photo_name: Option<&str>, out: &Path) -> Result<String> {
    smp_render::check_output(out)?;
    if !out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        bail!("{}: the mask is written as PNG (end the name in .png)", out.display());
    }
    let (design, photo_path, _) = crate::design_on_photo(path, photo_name)?;
    let photo = smp_render::load_photo(&photo_path)?;
    let mask = smp_render::hair_mask::propose(&photo, design.photo.mm_per_px);
    let covered = mask.image().pixels().filter(|p| p[0] >= 128).count() as f64 / mask.image().len() as f64;
    mask.save(out)?;
    Ok(format!(
        "wrote {}: hair over {:.0} % of the photo; check it (paint what it missed), then name it in the design as hair_mask",
        out.display(),
        100.0 * covered
    ))
}
