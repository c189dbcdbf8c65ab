//! How pigment dots look through the client's skin.
//!
//! The renderer asks one question through [`DotOptics`]: by how much does a
//! fully covered dot darken each linear RGB channel of the skin around it?
//! The photo already carries the skin's own colour, so only that ratio is
//! needed, computed once per kind of dot (a few per render), never per
//! pixel. Two answers:
//!
//! - [`SimpleOptics`], used by the renderer: a calibrated scattering
//!   approximation whose healed dots read as the dark grey stubble healed
//!   SMP is, turning lighter and bluer-edged as the ink sinks.
//! - [`LayeredOptics`], the physically based candidate: a layered
//!   Kubelka-Munk model over the visible spectrum ([`skin`]), with melanin
//!   from the client's skin. It shows dilution, skin type, depth and fresh
//!   epidermal ink without any rule per effect, but its healed dots at the
//!   usual depth keep too much blue (blue-to-green transmission ratio about
//!   1.6): on warm skin they read violet-grey, which practitioners do not
//!   see at a correct depth. Until that is resolved (blood in the papillary
//!   dermis and the non-diffuse light above the ink are the suspects), it is
//!   not the renderer's default.
//!
//! [`colour`] has the colour spaces, CIEDE2000 and ITA, [`spectral`] the D65
//! illuminant and the CIE observer, [`ageing`] the time model (fresh work,
//! healing, fading) and [`forecast`] the pigment match and touch-up forecast.
#![warn(missing_docs)]

pub mod ageing;
pub mod colour;
pub mod forecast;
pub mod skin;
pub mod spectral;

use smp_core::{Fitzpatrick, Pigment};

pub use skin::{InkState, SkinLayers};

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
    /// Melanosome volume fraction of the epidermis (0.013 light .. 0.43 dark).
    pub melanin: f64,
}

impl Skin {
    /// The skin typical of a Fitzpatrick type.
    pub fn of_type(fitzpatrick: Fitzpatrick) -> Self {
        Skin { melanin: skin::melanin_for_fitzpatrick(fitzpatrick.get()) }
    }

    /// The skin whose colour on a photo has this Individual Typology Angle
    /// (degrees): the melanin of the types whose ITA bands (Chardon 1991)
    /// hold it, interpolated between the bands' middles, so that skin tones
    /// between two types get melanin between theirs.
    pub fn from_ita(ita: f64) -> Self {
        // (ITA at the middle of the band, type); the outer bands are open,
        // so their "middles" sit a half-band beyond the inner edge.
        const MIDDLES: [(f64, u8); 6] = [(62.0, 1), (48.0, 2), (34.5, 3), (19.0, 4), (-10.0, 5), (-45.0, 6)];
        let melanin = |t: u8| skin::melanin_for_fitzpatrick(t).ln();
        let ln = if ita >= MIDDLES[0].0 {
            melanin(1)
        } else if ita <= MIDDLES[5].0 {
            melanin(6)
        } else {
            let i = MIDDLES.windows(2).position(|w| ita <= w[0].0 && ita >= w[1].0).unwrap_or(0);
            let ((a, ta), (b, tb)) = (MIDDLES[i], MIDDLES[i + 1]);
            let t = (a - ita) / (a - b);
            melanin(ta) * (1.0 - t) + melanin(tb) * t
        };
        Skin { melanin: ln.exp() }
    }
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
        DotAppearance { absorbance, edge_softness: edge_softness(ink) }
    }
}

/// The physically based model: the skin's diffuse reflectance with and
/// without the ink, from the layered Kubelka-Munk model of [`skin`] under
/// D65, turned into linear sRGB; a channel's absorbance is
/// `-ln(R_ink / R_bare)`. Nothing in it is tuned per effect: deeper ink
/// removes relatively more red than blue (the layer above it sends blue back
/// before it reaches the ink), more water is lighter, darker skin shows less
/// contrast (melanin absorbs on the way to the ink and back), ink still in
/// the epidermis is darker.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayeredOptics;

/// Linear sRGB of a reflectance spectrum under D65 (white = 1).
fn spectrum_rgb(reflectance: &[f64; spectral::SAMPLES]) -> [f64; 3] {
    colour::xyz_to_linear_rgb(spectral::reflectance_to_xyz(reflectance))
}

/// The soft edge of a dot: light scattered in the skin above the ink blurs
/// it, the more so the deeper the ink (a calibration shared by both models).
fn edge_softness(ink: &InkState) -> f32 {
    let share = ink.epidermal_share.clamp(0.0, 1.0);
    (0.12 + 0.3 * ink.depth_mm * (1.0 - share)).min(0.6) as f32
}

impl DotOptics for LayeredOptics {
    fn dot(&self, skin: &Skin, ink: &InkState) -> DotAppearance {
        let layers = SkinLayers { melanin: skin.melanin };
        let bare = spectrum_rgb(&skin::reflectance(layers, None));
        let inked = spectrum_rgb(&skin::reflectance(layers, Some(*ink)));
        let absorbance = [0, 1, 2].map(|c| {
            let ratio = (inked[c] / bare[c].max(1e-9)).clamp(1e-4, 1.0);
            -(ratio.ln()) as f32
        });
        DotAppearance { absorbance, edge_softness: edge_softness(ink) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(dilution: f64, depth_mm: f64) -> DotAppearance {
        let skin = Skin::of_type(Fitzpatrick::new(3).unwrap());
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
        let skin = Skin::of_type(Fitzpatrick::new(3).unwrap());
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

    mod layered {
        use super::*;
        use crate::colour::{ciede2000, srgb8_to_lab};
        use crate::forecast::dot_colour;

        fn healed(dilution: f64, depth_mm: f64) -> InkState {
            InkState { dilution, depth_mm, epidermal_share: 0.0 }
        }

        fn type_of(t: u8) -> Skin {
            Skin::of_type(Fitzpatrick::new(t).unwrap())
        }

        #[test]
        fn more_pigment_is_darker_and_more_water_lighter() {
            let mut last = [0.0f32; 3];
            for dilution in [0.2, 0.4, 0.6, 0.8, 1.0] {
                let a = LayeredOptics.dot(&type_of(3), &healed(dilution, 0.35)).absorbance;
                for c in 0..3 {
                    assert!(a[c] > last[c], "dilution {dilution} channel {c}");
                }
                last = a;
            }
        }

        #[test]
        fn deeper_ink_takes_more_red_than_blue() {
            let mut last = 0.0;
            for depth in [0.15, 0.25, 0.35, 0.5, 0.75, 1.0] {
                let a = LayeredOptics.dot(&type_of(3), &healed(0.6, depth)).absorbance;
                let red_over_blue = a[0] / a[2];
                assert!(red_over_blue > last, "depth {depth}: {red_over_blue}");
                last = red_over_blue;
            }
        }

        /// The dot's colour on a type III skin at `depth`, with the dilution
        /// that makes it as light as `target_l`.
        fn dot_at_lightness(depth: f64, target_l: f64) -> crate::colour::Lab {
            let skin_lab = srgb8_to_lab([196, 150, 124]);
            let (mut lo, mut hi) = (0.0, 3.0);
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if dot_colour(&LayeredOptics, &type_of(3), skin_lab, &healed(mid, depth)).l > target_l {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            dot_colour(&LayeredOptics, &type_of(3), skin_lab, &healed(lo, depth))
        }

        #[test]
        fn deeper_ink_looks_bluer_at_the_same_lightness() {
            let mut last = f64::INFINITY;
            for depth in [0.15, 0.25, 0.35, 0.5, 0.75] {
                let dot = dot_at_lightness(depth, 50.0);
                assert!((dot.l - 50.0).abs() < 0.5, "{dot:?}");
                assert!(dot.b < last, "depth {depth}: b* {} after {last}", dot.b);
                last = dot.b;
            }
        }

        #[test]
        fn darker_skin_shows_less_contrast() {
            let mut last = f64::INFINITY;
            for t in [1, 3, 4, 6] {
                let skin_lab = crate::colour::typical_skin(t);
                let dot = dot_colour(&LayeredOptics, &type_of(t), skin_lab, &healed(0.6, 0.35));
                let contrast = ciede2000(dot, skin_lab);
                assert!(contrast < last, "type {t}: contrast {contrast}");
                last = contrast;
            }
        }

        #[test]
        fn fresh_epidermal_ink_is_darker_and_sharper() {
            let healed_dot = LayeredOptics.dot(&type_of(3), &healed(0.6, 0.35));
            let fresh = LayeredOptics
                .dot(&type_of(3), &InkState { dilution: 0.6, depth_mm: 0.35, epidermal_share: 0.4 });
            for c in 0..3 {
                assert!(fresh.absorbance[c] > healed_dot.absorbance[c], "channel {c}");
            }
            assert!(fresh.edge_softness < healed_dot.edge_softness);
        }

        #[test]
        fn a_typical_dot_reads_as_dark_stubble() {
            let d = LayeredOptics.healed_dot(&type_of(3), &Pigment { dilution: 0.6, depth_mm: 0.35 });
            let under = 0.30 * (-d.absorbance[1]).exp();
            assert!((0.05..0.15).contains(&under), "{under}");
        }

        #[test]
        fn skin_from_the_photo_follows_the_ita_bands() {
            let close = |a: Skin, b: Skin| (a.melanin - b.melanin).abs() < 1e-9;
            assert!(close(Skin::from_ita(34.5), type_of(3)));
            assert!(close(Skin::from_ita(90.0), type_of(1)));
            assert!(close(Skin::from_ita(-80.0), type_of(6)));
            let mut last = 0.0;
            for ita in (-60..=70).rev().step_by(5) {
                let m = Skin::from_ita(ita as f64).melanin;
                assert!(m >= last, "ITA {ita}: melanin {m}");
                last = m;
            }
        }
    }
}
