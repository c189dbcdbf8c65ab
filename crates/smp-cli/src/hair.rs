//! `smp hair`: the client's own stubble measured in the design's hair
//! sample, and the design that would continue it.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, bail};
use smp_render::stubble::{HairReport, StubbleError, hair_match};

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
    let matched = match hair_match(&photo, &design, sample) {
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
