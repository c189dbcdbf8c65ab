//! How pigment dots look through the client's skin.
//!
//! The renderer asks one question through [`DotOptics`]: by how much does a
//! fully covered dot darken each linear RGB channel of the skin around it?
//! The photo already carries the skin's own colour, so only that ratio is
//! needed, computed once per kind of dot (a few per render, each a pair of
//! spectra), never per pixel.
//!
//! The answer is [`LayeredOptics`]: a layered Kubelka-Munk model over the
//! visible spectrum ([`skin`]: epidermis with melanin, dermis with blood
//! above and below the ink, the ink layer), with melanin from the client's
//! skin. Dilution, skin type, depth and fresh epidermal ink all act through
//! the physics, with no rule per effect. What it shows and what it does not:
//! more water is lighter; darker skin shows less contrast; fresh epidermal
//! ink is darker and sharper; deeper ink removes relatively more red than
//! blue, so at the same lightness a deeper dot is bluer (lower b*). At a
//! fixed amount of ink, though, a deeper dot also lightens toward the skin's
//! own (yellow) colour, and its b* rises with depth: in a two-flux model
//! with opaque ink the backscatter of the more strongly scattered blue
//! light grows relatively slower with depth than that of red.
//!
//! [`colour`] has the colour spaces, CIEDE2000 and ITA, [`spectral`] the D65
//! illuminant and the CIE observer, [`ageing`] the time model (fresh work,
//! healing, fading) and [`forecast`] the pigment match and touch-up forecast.
#![warn(missing_docs)]

pub mod ageing;
#[cfg(test)]
mod collimated;
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

    /// The client's skin: their type when the design gives it, else the
    /// one the skin's colour on the photo (`skin_lab`) shows.
    pub fn of_client(fitzpatrick: Option<Fitzpatrick>, skin_lab: colour::Lab) -> Self {
        fitzpatrick.map_or_else(|| Skin::from_ita(colour::ita(skin_lab)), Skin::of_type)
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

/// The soft edge of a dot: light scattered in the skin above the ink blurs
/// it, the more so the deeper the ink (a calibration shared by both models).
fn edge_softness(ink: &InkState) -> f32 {
    let share = ink.epidermal_share.clamp(0.0, 1.0);
    (0.12 + 0.3 * ink.depth_mm * (1.0 - share)).min(0.6) as f32
}

impl DotOptics for LayeredOptics {
    fn dot(&self, skin: &Skin, ink: &InkState) -> DotAppearance {
        let layers = SkinLayers { melanin: skin.melanin };
        let bare = spectral::reflectance_to_camera_rgb(&skin::reflectance(layers, None));
        let inked = spectral::reflectance_to_camera_rgb(&skin::reflectance(layers, Some(*ink)));
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
        LayeredOptics.healed_dot(&skin, &Pigment { dilution, depth_mm })
    }

    #[test]
    fn the_designs_type_overrides_the_photo_which_decides_otherwise() {
        let fair = colour::srgb8_to_lab([226, 190, 170]);
        let dark = colour::srgb8_to_lab([110, 75, 55]);
        let iii = Fitzpatrick::new(3);
        assert_eq!(Skin::of_client(iii, fair), Skin::of_client(iii, dark));
        assert_eq!(Skin::of_client(iii, fair), Skin::of_type(iii.unwrap()));
        assert!(Skin::of_client(None, dark).melanin > 2.0 * Skin::of_client(None, fair).melanin);
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
                let dot = dot_at_lightness(depth, 55.0);
                assert!((dot.l - 55.0).abs() < 0.5, "{dot:?}");
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
        fn ink_darkens_every_channel_on_every_skin() {
            // The blue ratio of dark skin is where a ratio of exact sRGB
            // values breaks down (see `reflectance_to_camera_rgb`). On type
            // VI little blue light gets past the melanin to the ink at all,
            // so blue darkens least there, but it still darkens.
            for t in 1..=6 {
                let a = LayeredOptics.dot(&type_of(t), &healed(0.6, 0.35)).absorbance;
                let least = if t < 6 { 0.05 } else { 0.001 };
                assert!(a.iter().all(|&v| v > least), "type {t}: {a:?}");
            }
        }

        #[test]
        fn a_healed_dot_at_the_right_depth_is_neutral_grey_not_violet() {
            for t in [2, 3, 4] {
                let skin_lab = crate::colour::typical_skin(t);
                let dot = dot_colour(&LayeredOptics, &type_of(t), skin_lab, &healed(0.6, 0.35));
                assert!(dot.a.abs() < 4.0 && dot.b.abs() < 5.0, "type {t}: {dot:?}");
                assert!(dot.l < skin_lab.l - 15.0, "type {t}: {dot:?}");
            }
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
