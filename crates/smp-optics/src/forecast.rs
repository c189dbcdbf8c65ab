//! What a practitioner asks of the optics: the healed colour of a dot and
//! the best dilution for the client's hair (pigment match), and how the
//! work's contrast fades over the years (touch-up forecast).

use serde::Serialize;
use smp_core::{Client, Pigment, Scalp, Uv};

use crate::ageing::{Factors, HEALED_DAY, ink_at};
use crate::colour::{
    Lab, ciede2000, fitzpatrick_from_ita, ita, lab_to_hex, lab_to_xyz, linear_rgb_to_xyz, srgb8_to_lab,
    xyz_to_lab, xyz_to_linear_rgb,
};
use crate::skin::InkState;
use crate::{DotOptics, Skin};

/// The touch-up is due when the work's contrast against the skin has
/// fallen below this share of its healed contrast: a convention (a third
/// of the contrast gone is when clients report the work "looks faded").
pub const TOUCH_UP_SHARE: f64 = 0.65;

/// The papillary dermis ends about here: deeper ink spreads and blurs.
pub const DEEPEST_PAPILLARY_MM: f64 = 0.5;

/// The depth a blue cast is measured from: the middle of the 0.25-0.5 mm
/// that clinics aim for.
pub const REFERENCE_DEPTH_MM: f64 = 0.3;

/// A depth cast (CIEDE2000) a client sees at a glance, not only side by
/// side: about three and a half times the just-noticeable difference.
/// With the layered model it is reached near 0.45 mm on types I-III, where
/// clinics say the papillary dermis ends.
pub const VISIBLE_CAST: f64 = 3.5;

/// The b* shift (below zero) from which a visible cast reads as blue
/// rather than as a change of warmth.
pub const BLUE_SHIFT: f64 = -1.0;

/// Contrast (CIEDE2000) below which dots hardly read on the skin.
pub const LOW_CONTRAST: f64 = 10.0;

/// The colour of skin fully covered by a dot in the state `ink`.
pub fn dot_colour(optics: &impl DotOptics, skin: &Skin, skin_lab: Lab, ink: &InkState) -> Lab {
    let appearance = optics.dot(skin, ink);
    let base = xyz_to_linear_rgb(lab_to_xyz(skin_lab));
    let dot = [0, 1, 2].map(|c| base[c].max(0.0) * (-(appearance.absorbance[c] as f64)).exp());
    xyz_to_lab(linear_rgb_to_xyz(dot))
}

/// The pigment match of `smp pigment`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PigmentReport {
    /// The healed dot's colour on this skin.
    pub healed_lab: Lab,
    /// The same as `#rrggbb`.
    pub healed_hex: String,
    /// Its CIEDE2000 difference from the hair colour.
    pub delta_e00: f64,
    /// The dilution that brings the healed dot closest to the hair colour
    /// at the design's depth.
    pub recommended_dilution: f64,
    /// What a practitioner would want to know.
    pub warnings: Vec<String>,
    /// How the depth alone changes the dot, against one just as light at
    /// [`REFERENCE_DEPTH_MM`]; `None` at or above that depth.
    pub depth_cast: Option<DepthCast>,
    /// The skin it was worked out for.
    pub skin_lab: Lab,
    /// The hair colour.
    pub target_lab: Lab,
    /// Contrast of the healed dot against the skin (CIEDE2000).
    pub contrast_e00: f64,
    /// The skin's Individual Typology Angle, degrees.
    pub skin_ita: f64,
    /// The Fitzpatrick type the ITA suggests (the design's own is used).
    pub estimated_fitzpatrick: u8,
}

/// The cast the depth itself gives a healed dot: how it differs from a dot
/// just as light placed at [`REFERENCE_DEPTH_MM`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DepthCast {
    /// CIEDE2000 between the two dots.
    pub delta_e00: f64,
    /// Their difference in b* (the dot's minus the reference's): below
    /// zero, the deeper dot is the bluer.
    pub delta_b: f64,
}

/// The cast of a healed dot at `pigment`'s depth against a dot of the same
/// lightness at [`REFERENCE_DEPTH_MM`]: what the depth changes once the
/// darkness, which the dilution sets, is taken out. `None` at or above
/// the reference depth.
pub fn depth_cast(
    optics: &impl DotOptics,
    skin: &Skin,
    skin_lab: Lab,
    pigment: &Pigment,
) -> Option<DepthCast> {
    if pigment.depth_mm <= REFERENCE_DEPTH_MM {
        return None;
    }
    let dot = dot_colour(optics, skin, skin_lab, &healed(pigment.dilution, pigment.depth_mm));
    let at_reference =
        |dilution: f64| dot_colour(optics, skin, skin_lab, &healed(dilution, REFERENCE_DEPTH_MM));
    // Shallower ink is darker for the same amount, so the match takes no
    // more ink than the dot has; lightness falls as the ink rises.
    let (mut lighter, mut darker) = (0.0, pigment.dilution);
    for _ in 0..40 {
        let mid = 0.5 * (lighter + darker);
        if at_reference(mid).l > dot.l {
            lighter = mid;
        } else {
            darker = mid;
        }
    }
    let reference = at_reference(0.5 * (lighter + darker));
    Some(DepthCast { delta_e00: ciede2000(dot, reference), delta_b: dot.b - reference.b })
}

/// The healed dot's colour on this skin at a dilution and depth.
pub fn healed_dot(optics: &impl DotOptics, skin: &Skin, skin_lab: Lab, dilution: f64, depth_mm: f64) -> Lab {
    dot_colour(optics, skin, skin_lab, &healed(dilution, depth_mm))
}

/// The dilution (0.05 to 1, in steps of 0.01) whose healed dot at
/// `depth_mm` comes closest to `target`, with that dot's colour and its
/// CIEDE2000 difference from the target.
pub fn closest_dilution(
    optics: &impl DotOptics,
    skin: &Skin,
    skin_lab: Lab,
    target: Lab,
    depth_mm: f64,
) -> (f64, Lab, f64) {
    (5..=100)
        .map(|i| {
            let dilution = i as f64 / 100.0;
            let dot = healed_dot(optics, skin, skin_lab, dilution, depth_mm);
            (dilution, dot, ciede2000(dot, target))
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .expect("a non-empty range")
}

fn healed(dilution: f64, depth_mm: f64) -> InkState {
    InkState { dilution, depth_mm, epidermal_share: 0.0 }
}

/// Matches the design's pigment to the client's hair colour on their skin.
pub fn pigment_report(
    optics: &impl DotOptics,
    skin: &Skin,
    skin_lab: Lab,
    client: &Client,
    pigment: &Pigment,
) -> PigmentReport {
    let target = srgb8_to_lab(client.hair_color.0);
    let dot = healed_dot(optics, skin, skin_lab, pigment.dilution, pigment.depth_mm);
    let delta_e00 = ciede2000(dot, target);
    let recommended_dilution = closest_dilution(optics, skin, skin_lab, target, pigment.depth_mm).0;
    let contrast_e00 = ciede2000(dot, skin_lab);
    let depth_cast = depth_cast(optics, skin, skin_lab, pigment);
    let mut warnings = Vec::new();
    if let Some(cast) = depth_cast.filter(|c| c.delta_e00 >= VISIBLE_CAST && c.delta_b <= BLUE_SHIFT) {
        warnings.push(format!(
            "at {:.2} mm the healed dot reads blue-grey: CIEDE2000 {:.1} from a dot as dark at {REFERENCE_DEPTH_MM} mm, b* {:.1} lower",
            pigment.depth_mm, cast.delta_e00, -cast.delta_b
        ));
    }
    if pigment.depth_mm > DEEPEST_PAPILLARY_MM {
        warnings.push(format!(
            "depth {:.2} mm is below the papillary dermis (0.25-0.5 mm): deep ink spreads and blurs over the years",
            pigment.depth_mm
        ));
    }
    if dot.l < target.l - 10.0 {
        warnings.push(format!(
            "the healed dot (L* {:.0}) will be much darker than the hair colour (L* {:.0}): dilute toward {:.2}",
            dot.l, target.l, recommended_dilution
        ));
    }
    // Measured skin spans about L* 25-75 with b* 5-30 (Chardon 1991; Del
    // Bino 2006); far outside, the sample is hair, shadow or background.
    if !(15.0..=90.0).contains(&skin_lab.l) || skin_lab.b < 2.0 {
        warnings.push(format!(
            "the skin read from the photo (L* {:.0}, b* {:.0}) does not look like skin: hair, shadow or background? \
             The colour advice needs bare scalp: mark a skin sample (client.skin_region in a design file)",
            skin_lab.l, skin_lab.b
        ));
    }
    let skin_ita = ita(skin_lab);
    let estimated_fitzpatrick = fitzpatrick_from_ita(skin_ita);
    if let Some(given) = client.fitzpatrick.map(|t| t.get())
        && given.abs_diff(estimated_fitzpatrick) >= 2
    {
        warnings.push(format!(
            "the skin on the photo looks like type {estimated_fitzpatrick}, the design says type {given}: \
             check the type (or the photo's lighting), it sets the dot's colour"
        ));
    }
    if contrast_e00 < LOW_CONTRAST {
        warnings.push(format!(
            "contrast against this skin is low (CIEDE2000 {contrast_e00:.1}): the dots will hardly read"
        ));
    }
    PigmentReport {
        healed_lab: dot,
        healed_hex: lab_to_hex(dot),
        delta_e00,
        recommended_dilution,
        warnings,
        depth_cast,
        skin_lab,
        target_lab: target,
        contrast_e00,
        skin_ita,
        estimated_fitzpatrick,
    }
}

/// One point of the fading curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Years after healing.
    pub years: f64,
    /// Contrast of the work against the skin (CIEDE2000).
    pub delta_e00: f64,
    /// Share of the healed contrast.
    pub share: f64,
}

/// How one client factor moved the touch-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorEffect {
    /// `uv_exposure`, `scalp` or `lifestyle`.
    pub factor: String,
    /// Its value for this client.
    pub value: String,
    /// Its multiplier on the fading rate.
    pub rate: f64,
    /// Years it moves the touch-up by, against the neutral value (negative:
    /// sooner); none when the touch-up falls beyond the forecast either way.
    pub moves_years: Option<f64>,
}

/// The forecast of `smp forecast`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Years after healing when the touch-up is due; none within 10 years.
    pub touch_up_due_years: Option<f64>,
    /// Year 0 to 10.
    pub curve: Vec<CurvePoint>,
    /// Each factor's effect.
    pub factors: Vec<FactorEffect>,
    /// The threshold used, as a share of the healed contrast.
    pub threshold_share: f64,
}

/// Forecast horizon, years.
const HORIZON_YEARS: f64 = 10.0;
const STEP_YEARS: f64 = 0.25;

fn curve(
    optics: &impl DotOptics,
    skin: &Skin,
    skin_lab: Lab,
    pigment: &Pigment,
    factors: &Factors,
) -> Vec<CurvePoint> {
    let contrast = |years: f64| {
        let state = ink_at(HEALED_DAY + years * 365.25, pigment.dilution, pigment.depth_mm, factors);
        ciede2000(dot_colour(optics, skin, skin_lab, &state.ink), skin_lab)
    };
    let healed = contrast(0.0);
    let steps = (HORIZON_YEARS / STEP_YEARS).round() as usize;
    (0..=steps)
        .map(|i| {
            let years = i as f64 * STEP_YEARS;
            let d = contrast(years);
            CurvePoint { years, delta_e00: d, share: d / healed }
        })
        .collect()
}

fn due(curve: &[CurvePoint]) -> Option<f64> {
    curve.windows(2).find(|w| w[1].share < TOUCH_UP_SHARE).map(|w| {
        let f = (w[0].share - TOUCH_UP_SHARE) / (w[0].share - w[1].share);
        ((w[0].years + f * (w[1].years - w[0].years)) * 10.0).round() / 10.0
    })
}

/// The touch-up forecast for a client.
pub fn forecast(
    optics: &impl DotOptics,
    skin: &Skin,
    skin_lab: Lab,
    client: &Client,
    pigment: &Pigment,
) -> Forecast {
    let factors = Factors::of_client(client);
    let points = curve(optics, skin, skin_lab, pigment, &factors);
    let due_years = due(&points);
    let without = |f: Factors| due(&curve(optics, skin, skin_lab, pigment, &f));
    let moved = |neutral: Option<f64>| match (due_years, neutral) {
        (Some(a), Some(b)) => Some(((a - b) * 10.0).round() / 10.0),
        _ => None,
    };
    let mut effects = vec![
        FactorEffect {
            factor: "uv_exposure".into(),
            value: format!("{:?}", factors.uv).to_lowercase(),
            rate: factors.uv_rate(),
            moves_years: moved(without(Factors { uv: Uv::Moderate, ..factors.clone() })),
        },
        FactorEffect {
            factor: "scalp".into(),
            value: format!("{:?}", factors.scalp).to_lowercase(),
            rate: factors.scalp_rate(),
            moves_years: moved(without(Factors { scalp: Scalp::Normal, ..factors.clone() })),
        },
    ];
    for habit in &factors.lifestyle {
        let others = factors.lifestyle.iter().filter(|h| *h != habit).cloned().collect();
        effects.push(FactorEffect {
            factor: "lifestyle".into(),
            value: habit.clone(),
            rate: Factors::habit_rate(habit),
            moves_years: moved(without(Factors { lifestyle: others, ..factors.clone() })),
        });
    }
    Forecast {
        touch_up_due_years: due_years,
        curve: points,
        factors: effects,
        threshold_share: TOUCH_UP_SHARE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LayeredOptics;
    use smp_core::{Fitzpatrick, Srgb8};

    fn client(uv: Uv, scalp: Scalp, lifestyle: &[&str]) -> Client {
        Client {
            fitzpatrick: Fitzpatrick::new(3),
            hair_color: Srgb8([0x2a, 0x22, 0x1d]),
            uv_exposure: uv,
            scalp,
            lifestyle: lifestyle.iter().map(|s| s.to_string()).collect(),
            skin_region: None,
            hair_sample: None,
        }
    }

    fn skin_iii() -> (Skin, Lab) {
        (Skin::of_type(Fitzpatrick::new(3).unwrap()), srgb8_to_lab([196, 150, 124]))
    }

    const PIGMENT: Pigment = Pigment { dilution: 0.6, depth_mm: 0.35 };

    #[test]
    fn the_default_client_needs_a_touch_up_in_three_to_five_years() {
        let (skin, lab) = skin_iii();
        let f = forecast(&LayeredOptics, &skin, lab, &client(Uv::Moderate, Scalp::Normal, &[]), &PIGMENT);
        let due = f.touch_up_due_years.expect("due within 10 years");
        assert!((3.0..=5.0).contains(&due), "{due}");
        assert_eq!(f.curve[0].share, 1.0);
        assert!(f.curve.windows(2).all(|w| w[1].delta_e00 < w[0].delta_e00), "contrast only falls");
        assert!(f.factors.iter().all(|e| e.moves_years == Some(0.0)));
    }

    #[test]
    fn sun_and_habits_bring_the_touch_up_forward() {
        let (skin, lab) = skin_iii();
        let due =
            |c: Client| forecast(&LayeredOptics, &skin, lab, &c, &PIGMENT).touch_up_due_years.unwrap_or(99.0);
        let base = due(client(Uv::Moderate, Scalp::Normal, &[]));
        assert!(due(client(Uv::High, Scalp::Normal, &[])) < base);
        assert!(due(client(Uv::Low, Scalp::Normal, &[])) > base);
        assert!(due(client(Uv::Moderate, Scalp::Dry, &[])) < base);
        assert!(due(client(Uv::Moderate, Scalp::Normal, &["swimming", "gym"])) < base);
        let f =
            forecast(&LayeredOptics, &skin, lab, &client(Uv::High, Scalp::Normal, &["swimming"]), &PIGMENT);
        let uv = f.factors.iter().find(|e| e.factor == "uv_exposure").unwrap();
        assert!(uv.moves_years.unwrap() < 0.0 && uv.rate > 1.0, "{uv:?}");
        assert!(f.factors.iter().any(|e| e.factor == "lifestyle" && e.value == "swimming"));
    }

    #[test]
    fn the_pigment_match_recommends_the_closest_dilution() {
        let (skin, lab) = skin_iii();
        let c = client(Uv::Moderate, Scalp::Normal, &[]);
        let report = pigment_report(&LayeredOptics, &skin, lab, &c, &PIGMENT);
        let at = |d: f64| {
            ciede2000(dot_colour(&LayeredOptics, &skin, lab, &healed(d, 0.35)), srgb8_to_lab(c.hair_color.0))
        };
        let best = at(report.recommended_dilution);
        for d in [0.1, 0.3, 0.5, 0.7, 0.9, 1.0] {
            assert!(best <= at(d) + 1e-9, "{d}");
        }
        assert!(report.healed_hex.starts_with('#') && report.healed_hex.len() == 7);
        assert!((report.delta_e00 - at(0.6)).abs() < 1e-9);
    }

    #[test]
    fn warnings_where_a_practitioner_wants_them() {
        let (skin, lab) = skin_iii();
        let c = client(Uv::Moderate, Scalp::Normal, &[]);
        let deep = pigment_report(&LayeredOptics, &skin, lab, &c, &Pigment { dilution: 0.6, depth_mm: 1.2 });
        assert!(deep.warnings.iter().any(|w| w.contains("blue-grey")), "{:?}", deep.warnings);
        let pale_hair = Client { hair_color: Srgb8([0xb8, 0x9a, 0x7a]), ..c.clone() };
        let dark = pigment_report(
            &LayeredOptics,
            &skin,
            lab,
            &pale_hair,
            &Pigment { dilution: 1.0, depth_mm: 0.35 },
        );
        assert!(dark.warnings.iter().any(|w| w.contains("much darker")), "{:?}", dark.warnings);
        let dark_skin = srgb8_to_lab([62, 42, 32]);
        let low =
            pigment_report(&LayeredOptics, &skin, dark_skin, &c, &Pigment { dilution: 0.2, depth_mm: 0.35 });
        assert!(low.warnings.iter().any(|w| w.contains("contrast")), "{:?}", low.warnings);
        let fine = pigment_report(&LayeredOptics, &skin, lab, &c, &PIGMENT);
        assert!(!fine.warnings.iter().any(|w| w.contains("blue-grey")), "{:?}", fine.warnings);
        // On very dark skin melanin takes the blue before it gets back out:
        // deep ink still spreads, but its cast is not a blue one.
        let (skin_v, lab_v) = (Skin::of_type(Fitzpatrick::new(5).unwrap()), srgb8_to_lab([120, 80, 60]));
        let deep_v =
            pigment_report(&LayeredOptics, &skin_v, lab_v, &c, &Pigment { dilution: 0.6, depth_mm: 1.2 });
        assert!(!deep_v.warnings.iter().any(|w| w.contains("blue-grey")), "{:?}", deep_v.warnings);
        assert!(deep_v.warnings.iter().any(|w| w.contains("spreads")), "{:?}", deep_v.warnings);
        // A type the photo contradicts.
        let pale = pigment_report(&LayeredOptics, &skin, srgb8_to_lab([235, 205, 190]), &c, &PIGMENT);
        assert_eq!(pale.estimated_fitzpatrick, 1);
        assert!(pale.warnings.iter().any(|w| w.contains("looks like type 1")), "{:?}", pale.warnings);
        assert!(!fine.warnings.iter().any(|w| w.contains("looks like type")), "{:?}", fine.warnings);
        // A sample of dark background, not skin.
        let grey = pigment_report(&LayeredOptics, &skin, srgb8_to_lab([40, 42, 45]), &c, &PIGMENT);
        assert!(grey.warnings.iter().any(|w| w.contains("does not look like skin")), "{:?}", grey.warnings);
        assert!(!fine.warnings.iter().any(|w| w.contains("does not look like skin")), "{:?}", fine.warnings);
    }

    #[test]
    fn the_depth_cast_grows_with_depth_and_is_blue() {
        let (skin, lab) = skin_iii();
        let cast =
            |depth_mm: f64| depth_cast(&LayeredOptics, &skin, lab, &Pigment { dilution: 0.6, depth_mm });
        assert_eq!(cast(REFERENCE_DEPTH_MM), None);
        assert_eq!(cast(0.2), None);
        // Deeper, bluer: b* falls as the depth grows, the darkness held.
        let (mut last_e, mut last_b) = (0.0, 0.0);
        for depth in [0.35, 0.45, 0.6, 0.8, 1.0] {
            let c = cast(depth).expect("below the reference");
            assert!(c.delta_e00 > last_e && c.delta_b < last_b, "{depth} mm: {c:?}");
            (last_e, last_b) = (c.delta_e00, c.delta_b);
        }
        // The clinics' range stays clear of the warning, beyond it does not.
        assert!(cast(0.4).unwrap().delta_e00 < VISIBLE_CAST);
        assert!(cast(0.55).unwrap().delta_e00 > VISIBLE_CAST);
    }
}
