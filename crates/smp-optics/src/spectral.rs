//! Spectra to colour: the visible range at 10 nm, the D65 illuminant and
//! the CIE 1931 2-degree observer.

use crate::colour::{Lab, xyz_to_lab};

/// First wavelength, nm.
pub const FIRST_NM: f64 = 380.0;
/// Step, nm.
pub const STEP_NM: f64 = 10.0;
/// Number of samples (380..=780 nm).
pub const SAMPLES: usize = 41;

/// The sampled wavelengths, nm.
pub fn wavelengths() -> impl Iterator<Item = f64> {
    (0..SAMPLES).map(|i| FIRST_NM + i as f64 * STEP_NM)
}

/// CIE standard illuminant D65, relative spectral power, 380-780 nm at 10 nm
/// (CIE 015:2004, table T.1).
pub const D65: [f64; SAMPLES] = [
    49.9755, 54.6482, 82.7549, 91.4860, 93.4318, 86.6823, 104.865, 117.008, 117.812, 114.861, 115.923,
    108.811, 109.354, 107.802, 104.790, 107.689, 104.405, 104.046, 100.000, 96.3342, 95.7880, 88.6856,
    90.0062, 89.5991, 87.6987, 83.2886, 83.6992, 80.0268, 80.2146, 82.2778, 78.2842, 69.7213, 71.6091,
    74.3490, 61.6040, 69.8856, 75.0870, 63.5927, 46.4182, 66.8054, 63.3828,
];

/// The CIE 1931 colour-matching functions, by the multi-lobe Gaussian fit
/// of Wyman, Sloan and Shirley, "Simple analytic approximations to the CIE
/// XYZ color matching functions", JCGT 2(2), 2013 (within about 1% of the
/// tables; checked below against the D65 white point).
pub fn cmf(nm: f64) -> [f64; 3] {
    let g = |x: f64, mu: f64, s1: f64, s2: f64| {
        let s = if x < mu { s1 } else { s2 };
        (-0.5 * ((x - mu) / s).powi(2)).exp()
    };
    [
        1.056 * g(nm, 599.8, 37.9, 31.0) + 0.362 * g(nm, 442.0, 16.0, 26.7)
            - 0.065 * g(nm, 501.1, 20.4, 26.2),
        0.821 * g(nm, 568.8, 46.9, 40.5) + 0.286 * g(nm, 530.9, 16.3, 31.1),
        1.217 * g(nm, 437.0, 11.8, 36.0) + 0.681 * g(nm, 459.0, 26.0, 13.8),
    ]
}

/// XYZ (Y = 1 for a perfect white) of a reflectance spectrum under D65.
pub fn reflectance_to_xyz(reflectance: &[f64; SAMPLES]) -> [f64; 3] {
    let mut xyz = [0.0; 3];
    let mut white_y = 0.0;
    for (i, nm) in wavelengths().enumerate() {
        let m = cmf(nm);
        for c in 0..3 {
            xyz[c] += D65[i] * reflectance[i] * m[c];
        }
        white_y += D65[i] * m[1];
    }
    xyz.map(|v| v / white_y)
}

/// A camera-like linear RGB of a reflectance spectrum under D65 (white = 1
/// per channel). The sRGB colour-matching functions have negative lobes, so
/// the exact linear sRGB of a dark, reddish skin can have a blue channel
/// near zero or below it, and a ratio of two such values means nothing; a
/// camera's channels, like these (the sRGB functions clipped at zero), only
/// ever add light up. Used for ratios (ink over bare skin), never for a
/// colour shown as it is.
pub fn reflectance_to_camera_rgb(reflectance: &[f64; SAMPLES]) -> [f64; 3] {
    let mut rgb = [0.0; 3];
    let mut white = [0.0; 3];
    for (i, nm) in wavelengths().enumerate() {
        let sensitivity = crate::colour::xyz_to_linear_rgb(cmf(nm)).map(|v| v.max(0.0));
        for c in 0..3 {
            rgb[c] += D65[i] * reflectance[i] * sensitivity[c];
            white[c] += D65[i] * sensitivity[c];
        }
    }
    [0, 1, 2].map(|c| rgb[c] / white[c])
}

/// CIELAB of a reflectance spectrum under D65.
pub fn reflectance_to_lab(reflectance: &[f64; SAMPLES]) -> Lab {
    xyz_to_lab(reflectance_to_xyz(reflectance))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colour::D65_WHITE;

    #[test]
    fn a_perfect_white_lands_on_the_d65_white_point() {
        let xyz = reflectance_to_xyz(&[1.0; SAMPLES]);
        for c in 0..3 {
            assert!((xyz[c] / D65_WHITE[c] - 1.0).abs() < 0.01, "{xyz:?}");
        }
        let lab = reflectance_to_lab(&[0.5; SAMPLES]);
        assert!(lab.a.abs() < 1.0 && lab.b.abs() < 1.5, "a flat grey is neutral: {lab:?}");
    }

    #[test]
    fn the_observer_peaks_where_it_should() {
        // The luminosity function peaks at 555 nm, between two samples.
        let peak = wavelengths().max_by(|a, b| cmf(*a)[1].total_cmp(&cmf(*b)[1])).unwrap();
        assert!(peak == 550.0 || peak == 560.0, "{peak}");
        assert!((cmf(555.0)[1] - 1.0).abs() < 0.03);
    }
}
