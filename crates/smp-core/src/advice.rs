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

/// Lowest natural hairline above the glabella, mm: about 5.5 cm in women,
/// 6-8 cm in men (the brief, after Garg 2017 and Shapiro 2004).
pub const LOWEST_HAIRLINE_MM: f64 = 55.0;
/// From this age on, a hairline below [`MATURE_HAIRLINE_MM`] tends to look
/// too young: hairlines recede with age, and a design should age with its
/// client.
pub const MATURE_AGE: u32 = 35;
/// Height above the glabella that ages well for a mature client, mm.
pub const MATURE_HAIRLINE_MM: f64 = 65.0;

/// Plain-language warnings for a design, most important first; `age` is
/// the client's age in years when known.
pub fn warnings(design: &Design, age: Option<u32>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(h) = &design.hairline
        && let Some(g) = h.glabella
    {
        // The lowest point of the line is the one nearest the brows (y grows downwards).
        let lowest = h.points.iter().map(|p| p.y).fold(f64::NEG_INFINITY, f64::max);
        let height_mm = (g.y - lowest) * design.photo.mm_per_px;
        if height_mm < LOWEST_HAIRLINE_MM {
            out.push(format!(
                "The hairline comes down to {:.1} cm above the brows: lower than natural hairlines \
                 (about 5.5 cm in women, 6 to 8 cm in men). Raise it.",
                height_mm / 10.0
            ));
        } else if let Some(age) = age.filter(|a| *a >= MATURE_AGE)
            && height_mm < MATURE_HAIRLINE_MM
        {
            out.push(format!(
                "At {age}, a hairline {:.1} cm above the brows may look too young as the years pass; \
                 {:.1} cm or more ages with the client.",
                height_mm / 10.0,
                MATURE_HAIRLINE_MM / 10.0
            ));
        }
    }
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
        assert!(warnings(&design(0.45, 60.0, "soft"), Some(40)).is_empty());
    }

    #[test]
    fn a_hairline_too_low_for_the_client_is_named() {
        // The example's lowest hairline point is at y = 980: put the brows
        // the given distance below it.
        let mut d = design(0.45, 60.0, "soft");
        let per_px = d.photo.mm_per_px;
        let at = |mm: f64| crate::Point { x: 1600.0, y: 980.0 + mm / per_px };
        d.hairline.as_mut().unwrap().glabella = Some(at(50.0));
        assert!(warnings(&d, Some(25))[0].contains("lower than natural"), "{:?}", warnings(&d, Some(25)));
        d.hairline.as_mut().unwrap().glabella = Some(at(60.0));
        assert!(warnings(&d, Some(25)).is_empty(), "fine for a young client");
        assert!(warnings(&d, Some(52))[0].contains("At 52"), "{:?}", warnings(&d, Some(52)));
        assert!(warnings(&d, None).is_empty(), "no age, no age advice");
        d.hairline.as_mut().unwrap().glabella = Some(at(70.0));
        assert!(warnings(&d, Some(52)).is_empty());
    }

    #[test]
    fn large_merging_and_hard_designs_are_named() {
        let w = warnings(&design(0.8, 60.0, "soft"), None);
        assert!(w[0].contains("larger than stubble"), "{w:?}");
        let w = warnings(&design(0.5, 150.0, "soft"), None);
        assert!(w.iter().any(|w| w.contains("solid block")), "{w:?}");
        let w = warnings(&design(0.45, 60.0, "defined"), None);
        assert!(w.iter().any(|w| w.contains("regret")), "{w:?}");
    }
}
