//! A layered model of skin with ink in it, after Kubelka and Munk.
//!
//! Layers, top down: the epidermis (melanin), the dermis above the ink, a
//! thin ink layer at `depth_mm`, and the dermis below it (thick enough to
//! count as infinite). Each layer has an absorption coefficient `mu_a` and
//! a reduced scattering coefficient `mu_s'` per wavelength, from Jacques,
//! "Optical properties of biological tissues: a review", Phys. Med. Biol.
//! 58 (2013) R37:
//!
//! - melanin: `mu_a = 51.9 (l / 500 nm)^-3.5` per mm, times the melanosome
//!   volume fraction (1.3% very light skin ... 43% very dark);
//! - baseline skin: `mu_a = 7.84e8 l^-3.255` per cm (l in nm);
//! - `mu_s' = a [f_Ray (l/500)^-4 + (1 - f_Ray)(l/500)^-b]`, epidermis
//!   a = 66.7/cm, f_Ray = 0.29, b = 0.689; dermis a = 43.6/cm, 0.41, 0.35.
//!
//! - blood: oxy- and deoxyhaemoglobin (Prahl's tables) at 150 g/L, 75%
//!   saturated, `DERMAL_BLOOD` of the dermis' volume.
//!
//! Blood matters for the dot even though the renderer only uses the ratio
//! of inked to bare skin: light that turns back above the ink has crossed
//! little blood, light from bare skin a lot, mostly in the green. Without
//! it the ratio keeps too little green and a healed dot on warm skin reads
//! violet-grey; with it, neutral dark grey.
//!
//! Kubelka-Munk coefficients: `K = 2 mu_a`, `S = 0.75 mu_s'` (the usual
//! diffuse-light conversion, van Gemert et al. 1987). A layer of thickness
//! `d` over a background of reflectance `Rg` reflects (Kubelka 1948)
//! `R = (1 - Rg (a - b coth(bSd))) / (a - Rg + b coth(bSd))` with
//! `a = 1 + K/S`, `b = sqrt(a^2 - 1)`; an infinitely thick layer reflects
//! `a - b`. Stacking from the bottom up gives the skin's reflectance.
//!
//! Carbon black absorbs evenly across the visible range. The ink's optical
//! depth is `FULL_STRENGTH_OPTICAL_DEPTH * dilution`, split between the
//! epidermis (fresh work, before it flakes off) and the ink layer.
//!
//! Nothing here is tuned per effect: darker skin shows less contrast because
//! melanin absorbs the light on its way to the ink and back; epidermal ink
//! is darker because nothing scatters above it; more water is lighter.
//!
//! What it shows about depth: deeper ink takes relatively more red than
//! blue (the layer above it sends blue back before it reaches the ink), so
//! at the same lightness a deeper dot is bluer. At a fixed amount of ink,
//! though, the dot's own b* *rises* with depth, because the dot also
//! lightens toward the skin's (yellow) colour: a two-flux model of a
//! scattering layer over an absorber does not darken and blue at once.
//!
//! The tests of the private `collimated` module check that none of this is
//! an artefact of the scattering calibration or of the diffuse light: a
//! model at the literature's full scattering, lit by a collimated beam and
//! solved by adding-doubling, moves the same way on every one of these
//! points, the fixed-amount depth sweep included.

use crate::spectral::{SAMPLES, wavelengths};

/// Epidermis thickness on the scalp, mm (60-100 um).
pub const EPIDERMIS_MM: f64 = 0.08;
/// Thickness of the layer the ink sits in, mm.
pub const INK_LAYER_MM: f64 = 0.05;
/// Optical depth (natural-log units, per pass) of full-strength carbon
/// black in a healed impression: a calibration, so that full-strength ink
/// is close to opaque while the dilutions practitioners use (0.15-1) still
/// differ visibly.
pub const FULL_STRENGTH_OPTICAL_DEPTH: f64 = 1.5;

/// The skin an impression sits in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkinLayers {
    /// Melanosome volume fraction of the epidermis (0.013 .. 0.43).
    pub melanin: f64,
}

/// Ink in the skin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InkState {
    /// Pigment strength: 1 is full-strength carbon black.
    pub dilution: f64,
    /// Depth of the dermal ink, mm.
    pub depth_mm: f64,
    /// Share of the pigment still in the epidermis (fresh work).
    pub epidermal_share: f64,
}

/// Melanosome volume fraction typical of a Fitzpatrick type, on Jacques'
/// 1.3%-43% scale. A convention for the model, not a measurement.
pub fn melanin_for_fitzpatrick(fitzpatrick: u8) -> f64 {
    match fitzpatrick {
        1 => 0.02,
        2 => 0.04,
        3 => 0.08,
        4 => 0.14,
        5 => 0.25,
        _ => 0.38,
    }
}

/// Molar extinction coefficients of oxy- and deoxyhaemoglobin, cm^-1/M,
/// 380-780 nm at 10 nm: Prahl's compilation (Oregon Medical Laser Center,
/// 1999, from Gratzer and Kollias), sampled at our wavelengths.
const HAEMOGLOBIN: [(f64, f64); SAMPLES] = [
    (109564.0, 145232.0),
    (167748.0, 167780.0),
    (266232.0, 223296.0),
    (466840.0, 303956.0),
    (480360.0, 407560.0),
    (246072.0, 528600.0),
    (102580.0, 413280.0),
    (62816.0, 103292.0),
    (44480.0, 23388.8),
    (33209.2, 16156.4),
    (26629.2, 14550.0),
    (23684.4, 16684.0),
    (20932.8, 20862.0),
    (20035.2, 25773.6),
    (24202.4, 31589.6),
    (39956.8, 39036.4),
    (53236.0, 46592.0),
    (43016.0, 53412.0),
    (32613.2, 53788.0),
    (44496.0, 45072.0),
    (50104.0, 37020.0),
    (14400.8, 28324.4),
    (3200.0, 14677.2),
    (1506.0, 9443.6),
    (942.0, 6509.6),
    (610.0, 5148.8),
    (442.0, 4345.2),
    (368.0, 3750.12),
    (319.6, 3226.56),
    (294.0, 2795.12),
    (277.6, 2407.92),
    (276.0, 2051.96),
    (290.0, 1794.28),
    (314.0, 1540.48),
    (348.0, 1325.88),
    (390.0, 1102.2),
    (446.0, 1115.88),
    (518.0, 1405.24),
    (586.0, 1548.52),
    (650.0, 1311.88),
    (710.0, 1075.44),
];

/// Haemoglobin in whole blood, g/L, and its molar mass, g/mol.
const BLOOD_HB_G_PER_L: f64 = 150.0;
const HB_G_PER_MOL: f64 = 64_500.0;
/// Oxygen saturation of the dermal blood (arterial and venous mixed).
const BLOOD_OXYGEN: f64 = 0.75;

/// Absorption coefficient of whole blood at sample `i`, per mm.
fn blood_absorption(i: usize) -> f64 {
    let (oxy, deoxy) = HAEMOGLOBIN[i];
    let molar = BLOOD_OXYGEN * oxy + (1.0 - BLOOD_OXYGEN) * deoxy;
    std::f64::consts::LN_10 * molar * BLOOD_HB_G_PER_L / HB_G_PER_MOL / 10.0
}

fn melanin_absorption(nm: f64) -> f64 {
    51.9 * (nm / 500.0).powf(-3.5)
}

fn baseline_absorption(nm: f64) -> f64 {
    7.84e8 * nm.powf(-3.255) / 10.0
}

fn reduced_scattering(nm: f64, a_per_cm: f64, f_ray: f64, b: f64) -> f64 {
    let x = nm / 500.0;
    a_per_cm / 10.0 * (f_ray * x.powi(-4) + (1.0 - f_ray) * x.powf(-b))
}

pub(crate) fn epidermis_scattering(nm: f64) -> f64 {
    reduced_scattering(nm, 66.7, 0.29, 0.689)
}

pub(crate) fn dermis_scattering(nm: f64) -> f64 {
    reduced_scattering(nm, 43.6, 0.41, 0.35)
}

/// Share of the diffuse-light backscattering `S = 0.75 mu_s'` that the
/// model keeps: a calibration. The ink lies within the first transport mean
/// free path (`1/mu_s'`, 0.2-0.3 mm), where light is still mostly forward
/// and the diffuse value overstates what turns back before the ink; with
/// it a healed dot at 0.35 mm would be a faint shadow, not the dark stubble
/// healed SMP is. The price: the model's bare skin is too dark in absolute
/// terms (L* about 40 for type I), which the renderer never uses (it keeps
/// only ratios; the skin's colour comes from the photo).
pub const SCATTER_CALIBRATION: f64 = 0.04;

/// Blood volume fraction of the dermis: 0.5%, inside the 0.2-5% that skin
/// models use (Jacques 2013; Meglinski and Matcher 2002 give 4% for the
/// papillary dermis, less deeper). A model choice within that range, not a
/// measurement of the scalp.
pub const DERMAL_BLOOD: f64 = 0.005;

/// Kubelka-Munk `a` and `b` of a medium.
fn km(mu_a: f64, mu_s: f64) -> (f64, f64, f64) {
    let k = 2.0 * mu_a;
    let s = 0.75 * SCATTER_CALIBRATION * mu_s;
    let a = 1.0 + k / s;
    (a, (a * a - 1.0).sqrt(), s)
}

/// Reflectance of a layer over a background of reflectance `rg`.
fn layer_over(mu_a: f64, mu_s: f64, thickness: f64, rg: f64) -> f64 {
    let (a, b, s) = km(mu_a, mu_s);
    let x = b * s * thickness;
    let coth = if x > 20.0 { 1.0 } else { 1.0 / x.tanh() };
    (1.0 - rg * (a - b * coth)) / (a - rg + b * coth)
}

/// Absorption coefficients at sample `i` (`nm`), per mm, of the bare
/// epidermis with `melanin` and of the dermis; shared with the tests'
/// independent model, so both see the same absorbers.
pub(crate) fn bare_absorption(i: usize, nm: f64, melanin: f64) -> (f64, f64) {
    let dermis = baseline_absorption(nm) + DERMAL_BLOOD * blood_absorption(i);
    (melanin * melanin_absorption(nm) + (1.0 - melanin) * dermis, dermis)
}

/// Diffuse reflectance of the skin, 380-780 nm at 10 nm, with or without ink.
pub fn reflectance(skin: SkinLayers, ink: Option<InkState>) -> [f64; SAMPLES] {
    let mut out = [0.0; SAMPLES];
    let (ink_depth, epidermal_ink, dermal_ink) = match ink {
        Some(i) => {
            let total = FULL_STRENGTH_OPTICAL_DEPTH * i.dilution.max(0.0);
            let share = i.epidermal_share.clamp(0.0, 1.0);
            (
                i.depth_mm.max(EPIDERMIS_MM + 0.01),
                total * share / EPIDERMIS_MM,
                total * (1.0 - share) / INK_LAYER_MM,
            )
        }
        None => (0.35, 0.0, 0.0),
    };
    for (i, nm) in wavelengths().enumerate() {
        let (epidermis, base) = bare_absorption(i, nm, skin.melanin);
        let dermis_mu_s = dermis_scattering(nm);
        // Bottom up: deep dermis, ink layer, dermis above the ink, epidermis.
        let (a, b, _) = km(base, dermis_mu_s);
        let mut r = a - b;
        r = layer_over(base + dermal_ink, dermis_mu_s, INK_LAYER_MM, r);
        r = layer_over(base, dermis_mu_s, ink_depth - EPIDERMIS_MM, r);
        r = layer_over(epidermis + epidermal_ink, epidermis_scattering(nm), EPIDERMIS_MM, r);
        out[i] = r;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::reflectance_to_lab;

    #[test]
    fn bare_skin_darkens_with_melanin() {
        // The absolute level is low (the scattering calibration is set for
        // light that turns back above the ink); the renderer uses ratios.
        let light = reflectance_to_lab(&reflectance(SkinLayers { melanin: 0.02 }, None));
        let dark = reflectance_to_lab(&reflectance(SkinLayers { melanin: 0.38 }, None));
        assert!(light.l > 30.0 && dark.l < light.l - 20.0, "{light:?} {dark:?}");
        assert!(light.b > 5.0, "skin is yellowish, not grey: {light:?}");
    }

    fn dot_lab(melanin: f64, ink: InkState) -> crate::colour::Lab {
        reflectance_to_lab(&reflectance(SkinLayers { melanin }, Some(ink)))
    }

    fn healed(dilution: f64, depth_mm: f64) -> InkState {
        InkState { dilution, depth_mm, epidermal_share: 0.0 }
    }

    #[test]
    fn more_water_is_lighter() {
        let mut last = 0.0;
        for dilution in [1.0, 0.8, 0.6, 0.4, 0.2] {
            let l = dot_lab(0.08, healed(dilution, 0.35)).l;
            assert!(l > last, "dilution {dilution}: L* {l}");
            last = l;
        }
    }

    #[test]
    fn darker_skin_shows_less_contrast() {
        let mut last = f64::INFINITY;
        for melanin in [0.02, 0.08, 0.14, 0.25, 0.38] {
            let bare = reflectance_to_lab(&reflectance(SkinLayers { melanin }, None));
            let contrast = crate::colour::ciede2000(dot_lab(melanin, healed(0.6, 0.35)), bare);
            assert!(contrast < last, "melanin {melanin}: contrast {contrast}");
            last = contrast;
        }
    }

    #[test]
    fn epidermal_ink_is_darker_than_dermal() {
        let fresh = dot_lab(0.08, InkState { dilution: 0.6, depth_mm: 0.35, epidermal_share: 0.4 });
        assert!(fresh.l < dot_lab(0.08, healed(0.6, 0.35)).l);
    }

    #[test]
    fn the_healed_dot_is_cooler_than_the_skin() {
        for melanin in [0.02, 0.08] {
            let bare = reflectance_to_lab(&reflectance(SkinLayers { melanin }, None));
            assert!(dot_lab(melanin, healed(0.6, 0.35)).b < bare.b - 5.0);
        }
    }

    #[test]
    fn ink_only_lowers_reflectance() {
        let skin = SkinLayers { melanin: 0.08 };
        let bare = reflectance(skin, None);
        let inked = reflectance(skin, Some(InkState { dilution: 0.6, depth_mm: 0.35, epidermal_share: 0.0 }));
        for i in 0..SAMPLES {
            assert!(inked[i] < bare[i] && inked[i] > 0.0);
        }
    }
}
