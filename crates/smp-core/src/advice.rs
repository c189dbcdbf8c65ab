//! Advice on a valid design: what a practitioner would want to hear before
//! the client regrets it (the brief's common regrets: dots too big, merged
//! dots, a hard hairline). The pigment's colour is judged by the optics.

use crate::design::{Design, HairlineStyle};

/// Healed dots larger than this read as dots, not as shaved stubble
/// (healed SMP dots are typically 0.3-0.6 mm).
pub const LARGEST_NATURAL_DOT_MM: f64 = 0.6;

/// Dots wider than this share of the mean spacing between neighbours leave
/// too little skin between them once they spread over the years: the work
/// reads as a solid block.
pub const MERGING_SHARE: f64 = 0.55;

/// Plain-language warnings for a design, most important first.
pub fn warnings(design: &Design) -> Vec<String> {
    let mut out = Vec::new();
    let diameter = design.impressions.diameter_mm;
    if diameter > LARGEST_NATURAL_DOT_MM {
        out.push(format!(
            "Dots of {diameter:.2} mm are larger than stubble: healed SMP dots look natural at 0.3 to {LARGEST_NATURAL_DOT_MM} mm."
        ));
    }
    for zone in &design.zones {
        // Mean spacing of neighbours at this density, in mm (density per cm2).
        let spacing = (100.0 / zone.density_per_cm2).sqrt();
        if diameter > MERGING_SHARE * spacing {
            out.push(format!(
                "In \"{}\", {:.0} dots per cm2 of {diameter:.2} mm leave about {:.2} mm of skin between dots: \
                 as they spread over the years the area will read as a solid block. Lower the density or the dot size.",
                zone.name,
                zone.density_per_cm2,
                (spacing - diameter).max(0.0)
            ));
        }
    }
    if let Some(h) = &design.hairline
        && h.style == HairlineStyle::Defined
    {
        out.push(
            "A defined (crisp) hairline is the style clients most often regret as they age; \
             soft or broken lines look natural for longer."
                .into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(diameter: f64, density: f64, style: &str) -> Design {
        let text = crate::EXAMPLE_DESIGN
            .replace("diameter_mm = 0.45", &format!("diameter_mm = {diameter}"))
            .replace("style = \"soft\"", &format!("style = \"{style}\""));
        let mut d = crate::parse(&text).unwrap();
        for z in &mut d.zones {
            z.density_per_cm2 = density;
        }
        d
    }

    #[test]
    fn a_usual_design_gets_no_warning() {
        assert!(warnings(&design(0.45, 60.0, "soft")).is_empty());
    }

    #[test]
    fn large_merging_and_hard_designs_are_named() {
        let w = warnings(&design(0.8, 60.0, "soft"));
        assert!(w[0].contains("larger than stubble"), "{w:?}");
        let w = warnings(&design(0.5, 150.0, "soft"));
        assert!(w.iter().any(|w| w.contains("solid block")), "{w:?}");
        let w = warnings(&design(0.45, 60.0, "defined"));
        assert!(w.iter().any(|w| w.contains("regret")), "{w:?}");
    }
}
