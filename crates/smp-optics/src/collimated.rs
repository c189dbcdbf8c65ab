//! A second, independent model of the same skin, for tests only: does what
//! [`crate::skin`] shows come from the physics, or from its calibration?
//!
//! [`crate::skin`] lights the skin with diffuse light and keeps a share
//! [`crate::skin::SCATTER_CALIBRATION`] of the literature's scattering. This
//! model keeps all of it (Jacques 2013, the same absorbers and layers) and
//! lights the skin the way a photo does, with a collimated beam: the
//! delta-Eddington two-stream model (Joseph, Wiscombe and Weinman 1976), in
//! which the beam loses `mu_a + mu_s'` per unit length and its scattered
//! light joins the two diffuse fluxes, half going up, half down. The diffuse
//! fluxes follow Kubelka-Munk (`K = 2 mu_a`, `S = 0.75 mu_s'`). Layers are
//! solved by adding-doubling (van de Hulst 1980; Prahl 1995): a slab thin
//! enough for first-order optics is doubled until it is as thick as the
//! layer, and layers are stacked with the adding equations. Diffuse light
//! meeting the skin's surface from inside is partly reflected back in
//! (`INTERNAL_REFLECTANCE`, for a refractive index of about 1.4).
//!
//! It is too slow to sit behind the renderer's tables for every dilution the
//! pigment match tries, and its bare skin at full scattering makes a dermal
//! dot fainter than healed SMP looks; it is here to check directions, not
//! values.

use crate::skin::{
    EPIDERMIS_MM, FULL_STRENGTH_OPTICAL_DEPTH, INK_LAYER_MM, bare_absorption, dermis_scattering,
    epidermis_scattering,
};
use crate::spectral::{SAMPLES, wavelengths};

/// Share of the diffuse light inside the skin that its surface reflects
/// back in (about 0.5-0.6 for a refractive index of 1.4).
const INTERNAL_REFLECTANCE: f64 = 0.6;

/// Optical thickness (`(mu_a + mu_s') dz`) of the slab doubling starts from.
const THIN: f64 = 1e-6;

/// What one slab does to light.
#[derive(Debug, Clone, Copy)]
struct Slab {
    /// Diffuse reflectance for light arriving from above, and from below.
    r_top: f64,
    r_bottom: f64,
    /// Diffuse transmittance downward and upward.
    t_down: f64,
    t_up: f64,
    /// The collimated beam's transmittance.
    t_beam: f64,
    /// Collimated light leaving as diffuse light from the top, and from the
    /// bottom.
    r_beam: f64,
    t_beam_diffuse: f64,
}

impl Slab {
    fn thin(mu_a: f64, mu_s: f64, dz: f64) -> Slab {
        let (k, s) = (2.0 * mu_a, 0.75 * mu_s);
        let half_scattered = 0.5 * mu_s * dz;
        Slab {
            r_top: s * dz,
            r_bottom: s * dz,
            t_down: 1.0 - (k + s) * dz,
            t_up: 1.0 - (k + s) * dz,
            t_beam: (-(mu_a + mu_s) * dz).exp(),
            r_beam: half_scattered,
            t_beam_diffuse: half_scattered,
        }
    }

    /// A homogeneous layer of thickness `d`, by doubling a thin slab.
    fn layer(mu_a: f64, mu_s: f64, d: f64) -> Slab {
        let mut doublings = 0;
        while d / f64::from(1u32 << doublings) * (mu_a + mu_s) > THIN {
            doublings += 1;
        }
        let mut slab = Slab::thin(mu_a, mu_s, d / f64::from(1u32 << doublings));
        for _ in 0..doublings {
            slab = slab.over(&slab);
        }
        slab
    }

    /// This slab on top of `below`: the adding equations, with the light
    /// bouncing between the two summed as a geometric series.
    fn over(&self, below: &Slab) -> Slab {
        let bounce = 1.0 / (1.0 - self.r_bottom * below.r_top);
        // Diffuse light going down, and up, at the interface.
        let down = (self.t_beam_diffuse + self.r_bottom * self.t_beam * below.r_beam) * bounce;
        let up = self.t_beam * below.r_beam + below.r_top * down;
        Slab {
            r_top: self.r_top + self.t_up * self.t_down * below.r_top * bounce,
            r_bottom: below.r_bottom + below.t_up * below.t_down * self.r_bottom * bounce,
            t_down: self.t_down * below.t_down * bounce,
            t_up: self.t_up * below.t_up * bounce,
            t_beam: self.t_beam * below.t_beam,
            r_beam: self.r_beam + self.t_up * up,
            t_beam_diffuse: self.t_beam * below.t_beam_diffuse + below.t_down * down,
        }
    }
}

/// Ink in the skin: pigment strength (1 = full-strength carbon black), the
/// depth of the dermal ink in mm, and the share still in the epidermis.
#[derive(Debug, Clone, Copy)]
pub struct Ink {
    pub dilution: f64,
    pub depth_mm: f64,
    pub epidermal_share: f64,
}

/// Reflectance of the skin under a collimated beam, 380-780 nm at 10 nm,
/// with the layers, absorbers and ink of [`crate::skin::reflectance`].
pub fn reflectance(melanin: f64, ink: Option<Ink>) -> [f64; SAMPLES] {
    let ink = ink.unwrap_or(Ink { dilution: 0.0, depth_mm: 0.35, epidermal_share: 0.0 });
    let total = FULL_STRENGTH_OPTICAL_DEPTH * ink.dilution;
    let depth = ink.depth_mm.max(EPIDERMIS_MM + 0.01);
    let mut out = [0.0; SAMPLES];
    for (i, nm) in wavelengths().enumerate() {
        let (epidermis_a, dermis_a) = bare_absorption(i, nm, melanin);
        let dermis_s = dermis_scattering(nm);
        let epidermal_ink = total * ink.epidermal_share / EPIDERMIS_MM;
        let skin = Slab::layer(epidermis_a + epidermal_ink, epidermis_scattering(nm), EPIDERMIS_MM)
            .over(&Slab::layer(dermis_a, dermis_s, depth - EPIDERMIS_MM))
            .over(&Slab::layer(
                dermis_a + total * (1.0 - ink.epidermal_share) / INK_LAYER_MM,
                dermis_s,
                INK_LAYER_MM,
            ))
            // Ten transport lengths and more: as good as infinite.
            .over(&Slab::layer(dermis_a, dermis_s, 10.0));
        out[i] = skin.r_beam * (1.0 - INTERNAL_REFLECTANCE) / (1.0 - INTERNAL_REFLECTANCE * skin.r_top);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colour::{Lab, ciede2000};
    use crate::spectral::reflectance_to_lab;

    fn lab(melanin: f64, ink: Option<Ink>) -> Lab {
        reflectance_to_lab(&reflectance(melanin, ink))
    }

    fn healed(dilution: f64, depth_mm: f64) -> Option<Ink> {
        Some(Ink { dilution, depth_mm, epidermal_share: 0.0 })
    }

    #[test]
    fn doubling_matches_kubelkas_closed_form() {
        for (mu_a, mu_s, d) in [(0.1, 3.0, 0.3), (1.0, 5.0, 0.05), (0.02, 2.0, 2.0)] {
            let slab = Slab::layer(mu_a, mu_s, d);
            let (k, s) = (2.0 * mu_a, 0.75 * mu_s);
            let a = 1.0 + k / s;
            let b = (a * a - 1.0).sqrt();
            let (sh, ch) = ((b * s * d).sinh(), (b * s * d).cosh());
            let (r, t) = (sh / (a * sh + b * ch), b / (a * sh + b * ch));
            assert!((slab.r_top - r).abs() < 1e-4 && (slab.t_down - t).abs() < 1e-4, "{slab:?} {r} {t}");
            assert!((slab.t_beam - (-(mu_a + mu_s) * d).exp()).abs() < 1e-9);
        }
    }

    #[test]
    fn a_slab_that_absorbs_nothing_loses_no_light() {
        let slab = Slab::layer(0.0, 4.0, 0.4);
        let out = slab.t_beam + slab.r_beam + slab.t_beam_diffuse;
        assert!((out - 1.0).abs() < 1e-4, "{slab:?}: {out}");
        assert!((slab.r_top + slab.t_down - 1.0).abs() < 1e-4);
    }

    #[test]
    fn bare_skin_has_a_plausible_colour_at_full_scattering() {
        // Measured type I-II skin: L* about 60-70, b* about 10-20.
        let light = lab(0.02, None);
        assert!(light.l > 55.0 && light.l < 75.0 && light.b > 8.0, "{light:?}");
        assert!(lab(0.38, None).l < light.l - 25.0);
    }

    #[test]
    fn it_agrees_with_the_layered_model_on_water_skin_and_fresh_ink() {
        let mut last = 0.0;
        for dilution in [1.0, 0.6, 0.3] {
            let l = lab(0.08, healed(dilution, 0.3)).l;
            assert!(l > last, "more water is lighter: dilution {dilution}, L* {l}");
            last = l;
        }
        let mut last = f64::INFINITY;
        for melanin in [0.02, 0.08, 0.25, 0.38] {
            let contrast = ciede2000(lab(melanin, healed(0.6, 0.3)), lab(melanin, None));
            assert!(contrast < last, "darker skin, less contrast: melanin {melanin}, {contrast}");
            last = contrast;
        }
        let fresh = lab(0.08, Some(Ink { dilution: 0.6, depth_mm: 0.3, epidermal_share: 0.4 }));
        assert!(fresh.l < lab(0.08, healed(0.6, 0.3)).l - 5.0, "fresh epidermal ink is darker");
    }

    /// The point where the layered model and the words "deeper ink looks
    /// bluer" part: at a fixed amount of ink, this model too lightens the
    /// dot toward the skin's own yellow as the ink goes deeper, so its b*
    /// rises; only at equal lightness is the deeper dot the bluer one.
    #[test]
    fn deeper_ink_at_a_fixed_amount_fades_toward_the_skin_here_too() {
        for melanin in [0.02, 0.08, 0.25] {
            let mut last = lab(melanin, healed(0.6, 0.15));
            for depth in [0.25, 0.35, 0.5, 0.75, 1.0] {
                let dot = lab(melanin, healed(0.6, depth));
                assert!(
                    dot.l > last.l && dot.b > last.b,
                    "melanin {melanin}, {depth} mm: {dot:?} after {last:?}"
                );
                last = dot;
            }
        }
    }

    #[test]
    fn at_equal_lightness_deeper_ink_is_bluer_here_too() {
        // The dilution giving each depth's dot the same L* (within reach of
        // the deepest: at full scattering a deep dot cannot get very dark).
        let at_lightness = |depth: f64, target: f64| {
            let (mut lo, mut hi) = (0.0, 8.0);
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if lab(0.08, healed(mid, depth)).l > target { lo = mid } else { hi = mid }
            }
            lab(0.08, healed(lo, depth))
        };
        let mut last = f64::INFINITY;
        for depth in [0.12, 0.2, 0.35, 0.5] {
            let dot = at_lightness(depth, 44.0);
            assert!((dot.l - 44.0).abs() < 0.1, "{depth} mm: {dot:?}");
            assert!(dot.b < last, "{depth} mm: b* {} after {last}", dot.b);
            last = dot.b;
        }
    }
}
