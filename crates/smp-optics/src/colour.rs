//! Colour spaces and differences: sRGB, CIE XYZ (D65), CIELAB, CIEDE2000,
//! and the Individual Typology Angle of skin.
//!
//! Written out rather than taken from a colour crate: each is a page of
//! well-known formulas, tested here against published values, and the
//! engine needs them in `f64` on plain arrays.

/// A CIELAB colour (D65 white).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Lab {
    /// Lightness, 0..100.
    #[serde(rename = "L")]
    pub l: f64,
    /// Green (-) to red (+).
    pub a: f64,
    /// Blue (-) to yellow (+).
    pub b: f64,
}

/// The D65 white point (Y = 1).
pub const D65_WHITE: [f64; 3] = [0.950_47, 1.0, 1.088_83];

/// sRGB code (0..1) to linear light.
pub fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

/// Linear light to sRGB code (0..1).
pub fn linear_to_srgb(v: f64) -> f64 {
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

/// Linear sRGB to XYZ (IEC 61966-2-1 matrix).
pub fn linear_rgb_to_xyz(rgb: [f64; 3]) -> [f64; 3] {
    let [r, g, b] = rgb;
    [
        0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b,
        0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b,
        0.019_333_9 * r + 0.119_192_0 * g + 0.950_304_1 * b,
    ]
}

/// XYZ to linear sRGB.
pub fn xyz_to_linear_rgb(xyz: [f64; 3]) -> [f64; 3] {
    let [x, y, z] = xyz;
    [
        3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z,
        -0.969_266_0 * x + 1.876_010_8 * y + 0.041_556_0 * z,
        0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z,
    ]
}

/// XYZ (Y = 1 for white) to CIELAB.
pub fn xyz_to_lab(xyz: [f64; 3]) -> Lab {
    let f = |t: f64| {
        let d = 6.0 / 29.0;
        if t > d * d * d { t.cbrt() } else { t / (3.0 * d * d) + 4.0 / 29.0 }
    };
    let [fx, fy, fz] = [0, 1, 2].map(|i| f(xyz[i] / D65_WHITE[i]));
    Lab { l: 116.0 * fy - 16.0, a: 500.0 * (fx - fy), b: 200.0 * (fy - fz) }
}

/// CIELAB to XYZ.
pub fn lab_to_xyz(lab: Lab) -> [f64; 3] {
    let fy = (lab.l + 16.0) / 116.0;
    let fx = fy + lab.a / 500.0;
    let fz = fy - lab.b / 200.0;
    let inv = |t: f64| {
        let d = 6.0 / 29.0;
        if t > d { t * t * t } else { 3.0 * d * d * (t - 4.0 / 29.0) }
    };
    [inv(fx) * D65_WHITE[0], inv(fy) * D65_WHITE[1], inv(fz) * D65_WHITE[2]]
}

/// 8-bit sRGB to CIELAB.
pub fn srgb8_to_lab(rgb: [u8; 3]) -> Lab {
    xyz_to_lab(linear_rgb_to_xyz(rgb.map(|v| srgb_to_linear(v as f64 / 255.0))))
}

/// CIELAB to 8-bit sRGB (clipped to the gamut).
pub fn lab_to_srgb8(lab: Lab) -> [u8; 3] {
    xyz_to_linear_rgb(lab_to_xyz(lab)).map(|v| (linear_to_srgb(v.clamp(0.0, 1.0)) * 255.0).round() as u8)
}

/// `#rrggbb` of a CIELAB colour.
pub fn lab_to_hex(lab: Lab) -> String {
    let [r, g, b] = lab_to_srgb8(lab);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// CIEDE2000 colour difference (kL = kC = kH = 1), after Sharma, Wu and
/// Dalal, "The CIEDE2000 color-difference formula: implementation notes,
/// supplementary test data, and mathematical observations", Color Research
/// and Application 30 (2005).
pub fn ciede2000(x: Lab, y: Lab) -> f64 {
    use std::f64::consts::PI;
    let rad = |deg: f64| deg * PI / 180.0;
    let deg = |rad: f64| rad * 180.0 / PI;
    let c_bar = (x.a.hypot(x.b) + y.a.hypot(y.b)) / 2.0;
    let c7 = c_bar.powi(7);
    let g = 0.5 * (1.0 - (c7 / (c7 + 25f64.powi(7))).sqrt());
    let (a1, a2) = ((1.0 + g) * x.a, (1.0 + g) * y.a);
    let (c1, c2) = (a1.hypot(x.b), a2.hypot(y.b));
    let hue = |a: f64, b: f64| {
        if a == 0.0 && b == 0.0 {
            0.0
        } else {
            let h = deg(b.atan2(a));
            if h < 0.0 { h + 360.0 } else { h }
        }
    };
    let (h1, h2) = (hue(a1, x.b), hue(a2, y.b));
    let dl = y.l - x.l;
    let dc = c2 - c1;
    let dh = if c1 * c2 == 0.0 {
        0.0
    } else if (h2 - h1).abs() <= 180.0 {
        h2 - h1
    } else if h2 - h1 > 180.0 {
        h2 - h1 - 360.0
    } else {
        h2 - h1 + 360.0
    };
    let d_big_h = 2.0 * (c1 * c2).sqrt() * rad(dh / 2.0).sin();
    let l_bar = (x.l + y.l) / 2.0;
    let c_bar_p = (c1 + c2) / 2.0;
    let h_bar = if c1 * c2 == 0.0 {
        h1 + h2
    } else if (h1 - h2).abs() <= 180.0 {
        (h1 + h2) / 2.0
    } else if h1 + h2 < 360.0 {
        (h1 + h2 + 360.0) / 2.0
    } else {
        (h1 + h2 - 360.0) / 2.0
    };
    let t = 1.0 - 0.17 * rad(h_bar - 30.0).cos()
        + 0.24 * rad(2.0 * h_bar).cos()
        + 0.32 * rad(3.0 * h_bar + 6.0).cos()
        - 0.20 * rad(4.0 * h_bar - 63.0).cos();
    let d_theta = 30.0 * (-((h_bar - 275.0) / 25.0).powi(2)).exp();
    let c7p = c_bar_p.powi(7);
    let r_c = 2.0 * (c7p / (c7p + 25f64.powi(7))).sqrt();
    let l50 = (l_bar - 50.0).powi(2);
    let s_l = 1.0 + 0.015 * l50 / (20.0 + l50).sqrt();
    let s_c = 1.0 + 0.045 * c_bar_p;
    let s_h = 1.0 + 0.015 * c_bar_p * t;
    let r_t = -rad(2.0 * d_theta).sin() * r_c;
    let (tl, tc, th) = (dl / s_l, dc / s_c, d_big_h / s_h);
    (tl * tl + tc * tc + th * th + r_t * tc * th).sqrt()
}

/// Individual Typology Angle in degrees: `atan((L* - 50) / b*)`.
pub fn ita(lab: Lab) -> f64 {
    ((lab.l - 50.0) / lab.b).atan().to_degrees()
}

/// A Fitzpatrick type estimated from the ITA bands of Chardon et al. 1991
/// (over 55 very light, 41-55 light, 28-41 intermediate, 10-28 tan,
/// -30..10 brown, under -30 dark). The bands are not a 1:1 map of
/// phototypes; this is the usual approximation, and a design's own
/// `fitzpatrick` wins.
pub fn fitzpatrick_from_ita(ita: f64) -> u8 {
    match ita {
        a if a > 55.0 => 1,
        a if a > 41.0 => 2,
        a if a > 28.0 => 3,
        a if a > 10.0 => 4,
        a if a > -30.0 => 5,
        _ => 6,
    }
}

/// A typical skin colour of a Fitzpatrick type: the middle of its ITA band
/// at a plausible lightness. For estimates made without a photo (a studio's
/// follow-up list); the client's photo is always better.
pub fn typical_skin(fitzpatrick: u8) -> Lab {
    let rgb = match fitzpatrick {
        1 => [236, 200, 180],
        2 => [220, 178, 152],
        3 => [196, 150, 124],
        4 => [160, 112, 84],
        5 => [120, 82, 62],
        _ => [88, 60, 46],
    };
    srgb8_to_lab(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 34 pairs of Sharma, Wu and Dalal (2005), table 1.
    const SHARMA: [[f64; 7]; 34] = [
        [50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425],
        [50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615],
        [50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412],
        [50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000],
        [50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669],
        [50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195],
        [50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045],
        [50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461],
        [50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065],
        [50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492],
        [50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977],
        [50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030],
        [50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000],
        [50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000],
        [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
        [63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630],
        [61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731],
        [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
        [22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373],
        [36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
        [90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441],
        [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
        [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
        [2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082],
    ];

    #[test]
    fn ciede2000_matches_all_34_sharma_pairs_both_ways() {
        for (i, p) in SHARMA.iter().enumerate() {
            let x = Lab { l: p[0], a: p[1], b: p[2] };
            let y = Lab { l: p[3], a: p[4], b: p[5] };
            assert!((ciede2000(x, y) - p[6]).abs() < 5e-5, "pair {}: {} vs {}", i + 1, ciede2000(x, y), p[6]);
            assert!((ciede2000(y, x) - p[6]).abs() < 5e-5, "pair {} reversed", i + 1);
        }
    }

    #[test]
    fn srgb_primaries_have_their_known_lab_values() {
        let close = |lab: Lab, l: f64, a: f64, b: f64| {
            (lab.l - l).abs() < 0.01 && (lab.a - a).abs() < 0.01 && (lab.b - b).abs() < 0.01
        };
        assert!(close(srgb8_to_lab([255, 255, 255]), 100.0, 0.0, 0.0));
        assert!(
            close(srgb8_to_lab([255, 0, 0]), 53.2408, 80.0925, 67.2032),
            "{:?}",
            srgb8_to_lab([255, 0, 0])
        );
        assert!(close(srgb8_to_lab([0, 0, 255]), 32.2970, 79.1875, -107.8602));
        for hex in [[42u8, 34, 29], [196, 150, 124], [0, 0, 0], [17, 200, 90]] {
            assert_eq!(lab_to_srgb8(srgb8_to_lab(hex)), hex);
        }
    }

    #[test]
    fn ita_bands() {
        // Very light (L 75, b 12), intermediate (L 60, b 17), dark (L 35, b 15).
        assert_eq!(fitzpatrick_from_ita(ita(Lab { l: 75.0, a: 8.0, b: 12.0 })), 1);
        assert_eq!(fitzpatrick_from_ita(ita(Lab { l: 60.0, a: 10.0, b: 17.0 })), 3);
        assert_eq!(fitzpatrick_from_ita(ita(Lab { l: 35.0, a: 10.0, b: 15.0 })), 6);
    }
}
