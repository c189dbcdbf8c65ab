//! sRGB transfer functions as tables: compositing happens in linear light,
//! and per-pixel `powf` would cost more than everything else together.

use std::sync::OnceLock;

fn to_linear(v: f64) -> f64 {
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

fn to_srgb(v: f64) -> f64 {
    if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 }
}

/// Linear value of each 8-bit sRGB code.
fn decode_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|i| to_linear(i as f64 / 255.0) as f32))
}

/// Steps of the encode table: fine enough that every 8-bit code round-trips.
const ENCODE_STEPS: usize = 1 << 16;

fn encode_table() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=ENCODE_STEPS)
            .map(|i| (to_srgb(i as f64 / ENCODE_STEPS as f64) * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect()
    })
}

/// The linear-light value (0..1) of an 8-bit sRGB code.
#[inline]
pub fn decode(v: u8) -> f32 {
    Codec::get().decode(v)
}

/// The nearest 8-bit sRGB code of a linear-light value.
#[inline]
pub fn encode(linear: f32) -> u8 {
    Codec::get().encode(linear)
}

/// Both tables at hand, for loops over many pixels (saves the one-time
/// initialisation check on every value).
#[derive(Clone, Copy)]
pub struct Codec {
    decode: &'static [f32; 256],
    encode: &'static [u8],
}

impl Codec {
    /// The tables, built on first use.
    pub fn get() -> Self {
        Self { decode: decode_table(), encode: encode_table() }
    }

    /// The linear-light value (0..1) of an 8-bit sRGB code.
    #[inline]
    pub fn decode(self, v: u8) -> f32 {
        self.decode[v as usize]
    }

    /// The nearest 8-bit sRGB code of a linear-light value.
    #[inline]
    pub fn encode(self, linear: f32) -> u8 {
        self.encode[(linear.clamp(0.0, 1.0) * ENCODE_STEPS as f32 + 0.5) as usize]
    }
}

/// `exp(-d * absorbance)` per channel for optical densities `d`, tabulated
/// with the three channels side by side: one look-up per pixel.
pub struct TransmissionTable {
    table: Vec<[f32; 3]>,
}

/// Densities beyond this transmit less than exp(-8): black for 8-bit output.
const MAX_DENSITY: f32 = 8.0;
/// Fine enough that nearest-entry look-up is within 0.1% of the exact value.
const DENSITY_STEPS: usize = 16_384;

impl TransmissionTable {
    /// The table for one pigment's per-channel absorbance.
    pub fn new(absorbance: [f32; 3]) -> Self {
        let table = (0..=DENSITY_STEPS)
            .map(|i| {
                let d = i as f32 / DENSITY_STEPS as f32 * MAX_DENSITY;
                absorbance.map(|k| (-d * k).exp())
            })
            .collect();
        Self { table }
    }

    /// Transmission of each channel at optical density `d`.
    #[inline]
    pub fn at(&self, d: f32) -> [f32; 3] {
        let i = (d * (DENSITY_STEPS as f32 / MAX_DENSITY) + 0.5) as usize;
        self.table[i.min(DENSITY_STEPS)]
    }
}

/// `exp(-x)` tabulated, for absorbances that add up over several layers.
pub struct NegExpTable {
    table: Vec<f32>,
}

/// Beyond this, `exp(-x)` is black for 8-bit output.
const MAX_ABSORBANCE: f32 = 16.0;
/// Fine enough that nearest-entry look-up is within 0.05% of the exact value.
const ABSORBANCE_STEPS: usize = 32_768;

impl NegExpTable {
    /// The table, built on first use.
    pub fn get() -> &'static Self {
        static TABLE: OnceLock<NegExpTable> = OnceLock::new();
        TABLE.get_or_init(|| NegExpTable {
            table: (0..=ABSORBANCE_STEPS)
                .map(|i| (-(i as f32) / ABSORBANCE_STEPS as f32 * MAX_ABSORBANCE).exp())
                .collect(),
        })
    }

    /// `exp(-x)` for `x >= 0`.
    #[inline]
    pub fn at(&self, x: f32) -> f32 {
        let i = (x.max(0.0) * (ABSORBANCE_STEPS as f32 / MAX_ABSORBANCE) + 0.5) as usize;
        self.table[i.min(ABSORBANCE_STEPS)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for v in 0..=255u8 {
            assert_eq!(encode(decode(v)), v);
        }
    }

    #[test]
    fn negative_exponential_matches_exp() {
        let t = NegExpTable::get();
        for x in [0.0f32, 0.003, 0.5, 2.0, 9.7] {
            assert!((t.at(x) / (-x).exp() - 1.0).abs() < 5e-4, "{x}");
        }
        assert_eq!(t.at(1e9), t.at(16.0));
    }

    #[test]
    fn transmission_matches_exp() {
        let t = TransmissionTable::new([0.5, 1.0, 2.0]);
        for d in [0.0f32, 0.1, 0.77, 2.5, 7.9] {
            for (c, k) in [0.5f32, 1.0, 2.0].iter().enumerate() {
                assert!((t.at(d)[c] / (-d * k).exp() - 1.0).abs() < 1e-3);
            }
        }
    }
}
