//! `smp hair`: the client's own stubble measured in the design's hair
//! sample, and the design that would continue it.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use smp_optics::colour::{Lab, ciede2000};
use smp_render::stubble::{Stubble, StubbleError, measure};

/// How far the design may depart from the client's own hair before it is
/// said: density, dot size (larger only) and healed colour.
const DENSITY_TOLERANCE: f64 = 0.15;
const LARGER_TOLERANCE: f64 = 0.25;
const COLOUR_TOLERANCE_E00: f64 = 5.0;

#[derive(Serialize)]
struct HairReport {
    count: Option<usize>,
    area_cm2: Option<f64>,
    density_per_cm2: Option<f64>,
    diameter_mm: Option<f64>,
    spacing_cv: Option<f64>,
    color_hex: Option<String>,
    color_lab: Option<Lab>,
    suggested_density: Option<f64>,
    suggested_diameter_mm: Option<f64>,
    suggested_dilution: Option<f64>,
    warnings: Vec<String>,
}

fn round(v: f64, places: i32) -> f64 {
    (v * 10f64.powi(places)).round() / 10f64.powi(places)
}

pub fn hair(path: &Path, photo_name: Option<&str>, as_json: bool) -> Result<String> {
    if photo_name.is_some() {
        bail!(
            "{}: --photo names a photo of a design on the head (schema 2), whose hair samples are not built yet",
            path.display()
        );
    }
    let design = crate::read_design(path)?;
    let Some(sample) = &design.client.hair_sample else {
        bail!(
            "{}: the design has no [client] hair_sample: outline an area of the client's own shaved stubble (usually the sides or the back)",
            path.display()
        );
    };
    let photo = smp_render::load_photo(&crate::photo_path(path, &design))?;
    let stubble = match measure(&photo, sample, design.photo.mm_per_px) {
        Ok(stubble) => stubble,
        Err(e @ StubbleError::TooFewHairs(_)) if as_json => {
            let none = HairReport {
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
                warnings: vec![e.to_string()],
            };
            return Ok(serde_json::to_string_pretty(&none).expect("plain data serialises"));
        }
        Err(e) => bail!("{}: client.hair_sample: {e}", path.display()),
    };
    let skin_lab = smp_render::skin_tone(&photo, &design)
        .with_context(|| format!("{}: the zones hold no pixel of the photo", path.display()))?;
    let skin = smp_optics::Skin::of_client(design.client.fitzpatrick, skin_lab);
    let optics = smp_optics::LayeredOptics;
    let depth = design.pigment.depth_mm;
    let (dilution, closest, closest_e00) =
        smp_optics::forecast::closest_dilution(&optics, &skin, skin_lab, stubble.color_lab, depth);
    let healed = smp_optics::forecast::healed_dot(&optics, &skin, skin_lab, design.pigment.dilution, depth);
    let warnings = departures(&design, &stubble, healed, (dilution, closest, closest_e00));
    let report = HairReport {
        count: Some(stubble.count),
        area_cm2: Some(round(stubble.area_cm2, 2)),
        density_per_cm2: Some(round(stubble.density_per_cm2, 1)),
        diameter_mm: Some(round(stubble.diameter_mm, 3)),
        spacing_cv: Some(round(stubble.spacing_cv, 3)),
        color_hex: Some(smp_core::Srgb8(stubble.color_rgb).to_hex()),
        color_lab: Some(stubble.color_lab),
        suggested_density: Some(round(stubble.density_per_cm2, 0)),
        suggested_diameter_mm: Some(round(stubble.diameter_mm, 2)),
        suggested_dilution: Some(dilution),
        warnings,
    };
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
