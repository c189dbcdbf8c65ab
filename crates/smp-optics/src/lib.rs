//! How a healed pigment dot looks through the client's skin.
//!
//! The renderer asks one question through [`DotOptics`]: by how much does a
//! fully covered dot darken each linear RGB channel of the skin around it?
//! [`SimpleOptics`] answers with a small scattering model; a physically
//! based layered-skin model can replace it behind the same trait: [`skin`]
//! holds a Kubelka-Munk candidate, not yet wired in (see its module notes).
//! [`colour`] has the colour spaces and CIEDE2000, [`spectral`] the D65
//! illuminant and the CIE observer, and [`ageing`] the time model (fresh
//! work, healing, fading) for the stages still to be rendered.
#![warn(missing_docs)]

pub mod ageing;
pub mod colour;
pub mod forecast;
pub mod skin;
pub mod spectral;

use smp_core::{Fitzpatrick, Pigment};

pub use skin::InkState;

/// What the renderer needs to know about one healed dot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DotAppearance {
    /// Optical density per linear RGB channel at the centre of one dot:
    /// the skin's value there is multiplied by `exp(-absorbance)`.
    pub absorbance: [f32; 3],
    /// Width of the dot's soft edge as a share of its radius: light
    /// scattered in the skin above the ink blurs the edge.
    pub edge_softness: f32,
}

/// The skin the pigment is seen through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skin {
    /// Skin phototype.
    pub fitzpatrick: Fitzpatrick,
}

/// A model of pigment seen through skin.
pub trait DotOptics {
    /// A dot's appearance for this skin and this state of its ink.
    fn dot(&self, skin: &Skin, ink: &InkState) -> DotAppearance;

    /// The healed dot's appearance for this skin and pigment.
    fn healed_dot(&self, skin: &Skin, pigment: &Pigment) -> DotAppearance {
        self.dot(
            skin,
            &InkState { dilution: pigment.dilution, depth_mm: pigment.depth_mm, epidermal_share: 0.0 },
        )
    }
}

/// A deliberately simple model, adequate for a first preview.
///
/// Carbon black is grey (absorbs all wavelengths alike), with optical
/// density `FULL_STRENGTH_DENSITY * dilution`. Only the share `v(l)` of the
/// light that reaches the ink's depth and comes back "sees" it; the rest is
/// scattered back by the dermis above. With the dermis' reduced scattering
/// coefficient `mu_s'(l)` (Jacques 2013, via the domain brief:
/// `a = 4.36/mm, f_Ray = 0.41, b = 0.35`), `v(l) = exp(-k mu_s'(l) depth)`.
/// Blue scatters most, so it sees deep ink least: a deep dot darkens blue
/// least of the three channels, with no special rule. (It also lightens
/// overall, so its own b* rises with depth at a fixed amount of ink.) The per-channel ratio is `1 - v (1 - 10^-A)`-like,
/// taken at 610, 550 and 465 nm for R, G and B. Melanin above the ink
/// darkens skin and dot alike, so to first order it cancels from the ratio;
/// the photo already carries the skin's own tone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleOptics;

/// Optical density (natural log units) of full-strength carbon black in a
/// healed impression: near opaque.
const FULL_STRENGTH_DENSITY: f64 = 5.0;

/// Share of the dermal scattering path that counts against the ink: a
/// calibration so a 0.35 mm dot at dilution 0.6 reads as dark stubble.
const PATH_FACTOR: f64 = 0.15;

/// Effective wavelengths of the sRGB primaries, nm.
const CHANNEL_NM: [f64; 3] = [610.0, 550.0, 465.0];

/// Dermal reduced scattering coefficient in 1/mm at `nm` (Jacques 2013).
pub fn dermis_reduced_scattering(nm: f64) -> f64 {
    let x = nm / 500.0;
    4.36 * (0.41 * x.powf(-4.0) + 0.59 * x.powf(-0.35))
}

impl DotOptics for SimpleOptics {
    /// Ink still in the epidermis (fresh work) is seen whole, with nothing
    /// scattering above it: darker and sharper than the same ink in the
    /// dermis.
    fn dot(&self, _skin: &Skin, ink: &InkState) -> DotAppearance {
        let share = ink.epidermal_share.clamp(0.0, 1.0);
        let opacity = |amount: f64| 1.0 - (-FULL_STRENGTH_DENSITY * amount).exp();
        let epidermal = opacity(ink.dilution * share);
        let dermal = opacity(ink.dilution * (1.0 - share));
        let absorbance = CHANNEL_NM.map(|nm| {
            let seen = (-PATH_FACTOR * dermis_reduced_scattering(nm) * ink.depth_mm).exp();
            let ratio = (1.0 - epidermal) * (1.0 - seen * dermal);
            -(ratio.max(1e-4).ln()) as f32
        });
        let softness = 0.12 + 0.3 * ink.depth_mm * (1.0 - share);
        DotAppearance { absorbance, edge_softness: softness.min(0.6) as f32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(dilution: f64, depth_mm: f64) -> DotAppearance {
        let skin = Skin { fitzpatrick: Fitzpatrick::new(3).unwrap() };
        SimpleOptics.healed_dot(&skin, &Pigment { dilution, depth_mm })
    }

    #[test]
    fn more_pigment_is_darker() {
        let light = dot(0.3, 0.35);
        let dark = dot(0.9, 0.35);
        for c in 0..3 {
            assert!(dark.absorbance[c] > light.absorbance[c]);
        }
    }

    #[test]
    fn deeper_ink_is_bluer_and_softer() {
        let shallow = dot(0.6, 0.25);
        let deep = dot(0.6, 0.8);
        let blueness = |d: DotAppearance| d.absorbance[0] / d.absorbance[2];
        assert!(blueness(deep) > blueness(shallow), "red is absorbed more than blue as depth grows");
        assert!(deep.absorbance[1] < shallow.absorbance[1], "deeper ink shows less");
        assert!(deep.edge_softness > shallow.edge_softness);
    }

    #[test]
    fn fresh_epidermal_ink_is_darker_and_sharper() {
        let skin = Skin { fitzpatrick: Fitzpatrick::new(3).unwrap() };
        let healed =
            SimpleOptics.dot(&skin, &InkState { dilution: 0.6, depth_mm: 0.35, epidermal_share: 0.0 });
        let fresh =
            SimpleOptics.dot(&skin, &InkState { dilution: 0.6, depth_mm: 0.35, epidermal_share: 0.4 });
        for c in 0..3 {
            assert!(fresh.absorbance[c] > healed.absorbance[c], "channel {c}");
        }
        assert!(fresh.edge_softness < healed.edge_softness);
    }

    #[test]
    fn a_typical_dot_reads_as_dark_stubble() {
        // Green channel of skin at linear 0.30 (sRGB ~149) under the dot.
        let d = dot(0.6, 0.35);
        let under = 0.30 * (-d.absorbance[1]).exp();
        assert!((0.05..0.15).contains(&under), "{under}");
    }
}
