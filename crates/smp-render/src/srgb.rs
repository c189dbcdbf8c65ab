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

/// The 8-bit result of darkening an 8-bit sRGB code by an absorbance `a`,
/// `encode(decode(v) * exp(-a))`, tabulated for every code and for `a` in
/// steps of 1/128 (transmission within 0.4%, under half an 8-bit level):
/// one look-up per channel instead of two table look-ups, a multiply and
/// the clamping around them.
pub struct DarkenTable {
    table: Box<[u8; DARKEN_ROWS * 256]>,
}

/// Absorbance steps per unit.
const DARKEN_STEPS_PER_UNIT: f32 = 128.0;
/// Rows of the table: absorbance up to about 8, beyond which every code is
/// as dark as at 8 (exp(-8): black for 8-bit output). A power of two, so
/// that a look-up masked to it is in bounds without a check.
const DARKEN_ROWS: usize = 1024;

impl DarkenTable {
    /// The table, built on first use.
    pub fn get() -> &'static Self {
        static TABLE: OnceLock<DarkenTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            let codec = Codec::get();
            let mut table = Vec::with_capacity(DARKEN_ROWS * 256);
            for row in 0..DARKEN_ROWS {
                let t = (-(row as f32) / DARKEN_STEPS_PER_UNIT).exp();
                table.extend((0..=255u8).map(|v| codec.encode(codec.decode(v) * t)));
            }
            let table = table.into_boxed_slice().try_into().expect("the table has DARKEN_ROWS rows");
            DarkenTable { table }
        })
    }

    /// `v` darkened by absorbance `a` (negative counts as zero).
    #[inline]
    pub fn apply(&self, v: u8, a: f32) -> u8 {
        self.apply_row(v, Self::row(a))
    }

    /// The table's row for absorbance `a`, rounded: 0, no change, below
    /// 1/256. Rounds by adding 2^23, after which a float's low mantissa bits
    /// are the integer: unlike `as`, which must saturate and map NaN, this
    /// vectorises in a loop over a buffer.
    #[inline]
    pub fn row(a: f32) -> u16 {
        const ROUNDING: f32 = (1u32 << 23) as f32;
        let steps = (a.max(0.0) * DARKEN_STEPS_PER_UNIT).min((DARKEN_ROWS - 1) as f32);
        (steps + ROUNDING).to_bits() as u16
    }

    /// `v` darkened by the absorbance of table row `row` (see [`Self::row`]).
    #[inline]
    pub fn apply_row(&self, v: u8, row: u16) -> u8 {
        self.table[(row as usize & (DARKEN_ROWS - 1)) << 8 | v as usize]
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
    fn darkening_matches_the_exact_formula() {
        let table = DarkenTable::get();
        for v in [0u8, 1, 17, 90, 128, 200, 255] {
            for a in [0.0f32, 0.001, 0.05, 0.3, 1.0, 2.7, 7.5] {
                let exact = to_srgb(to_linear(v as f64 / 255.0) * (-a as f64).exp()) * 255.0;
                let got = table.apply(v, a) as f64;
                assert!((got - exact).abs() <= 1.0, "v {v}, a {a}: {got} vs {exact:.2}");
            }
            assert_eq!(table.apply(v, 0.0), v, "no absorbance, no change");
        }
        assert_eq!(DarkenTable::row(f32::NAN), 0);
        assert_eq!(DarkenTable::row(-3.0), 0);
        assert_eq!(DarkenTable::row(1.0 / 512.0), 0);
        assert_eq!(DarkenTable::row(1.0 / 128.0), 1);
        assert_eq!(DarkenTable::row(2.5 / 128.0 + 1e-4), 3);
        assert_eq!(DarkenTable::row(f32::INFINITY) as usize, DARKEN_ROWS - 1);
        assert_eq!(table.apply(200, 1e9), table.apply(200, 8.0));
    }
}
