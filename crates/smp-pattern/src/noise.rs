//! Seeded hashing and smooth value noise.
//!
//! Written here rather than taken from a noise crate: the sampler needs only a
//! stable integer hash and 1-D/2-D value noise, and their output must never
//! change with a dependency upgrade, or saved designs would render differently.

/// SplitMix64 finaliser: a well-mixed 64-bit hash of `x`.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform number in [0, 1) from a seed and two integer coordinates.
pub fn hash_unit(seed: u64, a: i64, b: i64) -> f64 {
    let h = mix64(seed ^ mix64((a as u64).wrapping_mul(0x8CB9_2BA7_2F3D_8DD7) ^ mix64(b as u64)));
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn smooth(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

/// Smooth 1-D value noise in [-1, 1] with features about `wavelength` apart.
pub fn value_noise_1d(seed: u64, x: f64, wavelength: f64) -> f64 {
    let u = x / wavelength;
    let i = u.floor();
    let t = smooth(u - i);
    let a = hash_unit(seed, i as i64, 0);
    let b = hash_unit(seed, i as i64 + 1, 0);
    (a + (b - a) * t) * 2.0 - 1.0
}

/// Smooth 2-D value noise in [-1, 1] with features about `wavelength` apart.
pub fn value_noise_2d(seed: u64, x: f64, y: f64, wavelength: f64) -> f64 {
    let (u, v) = (x / wavelength, y / wavelength);
    let (i, j) = (u.floor(), v.floor());
    let (tx, ty) = (smooth(u - i), smooth(v - j));
    let (i, j) = (i as i64, j as i64);
    let h = |a, b| hash_unit(seed, a, b);
    let top = h(i, j) + (h(i + 1, j) - h(i, j)) * tx;
    let bottom = h(i, j + 1) + (h(i + 1, j + 1) - h(i, j + 1)) * tx;
    (top + (bottom - top) * ty) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_stays_in_range_and_is_continuous() {
        let mut prev = value_noise_2d(3, 0.0, 0.0, 2.0);
        for k in 1..2000 {
            let x = k as f64 * 0.01;
            let v = value_noise_2d(3, x, 0.5 * x, 2.0);
            assert!((-1.0..=1.0).contains(&v));
            assert!((v - prev).abs() < 0.05, "jump at {x}");
            prev = v;
        }
    }

    #[test]
    fn hash_is_roughly_uniform() {
        let n = 100_000;
        let mean: f64 = (0..n).map(|i| hash_unit(42, i, -i)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }
}
