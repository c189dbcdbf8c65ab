//! Grey-level closing of an image held as numbers: the largest value
//! within a square window, then the smallest of those. Dark features
//! narrower than the window vanish; broad light and shade stay. The stubble
//! and hair-mask readings estimate the skin around each hair with it.
//!
//! Written here because the image crate's morphology works on bytes and
//! would quantise the linear luminance the readings divide by; and it is
//! the van Herk / Gil-Werman filter, three comparisons a pixel whatever the
//! window, rows and columns in parallel: on a 24 MP photo a window of 20
//! pixels costs what one of 2 would.

use rayon::prelude::*;

/// The closing of `v` (`w` x `h`, row by row) with a square window of
/// `2 radius + 1` pixels.
pub fn closing<T: Float>(v: &[T], w: usize, h: usize, radius: usize) -> Vec<T> {
    let opened = separable(v, w, h, radius, T::max, T::LOWEST);
    separable(&opened, w, h, radius, T::min, T::HIGHEST)
}

/// The numbers the filter works on.
pub trait Float: Copy + Send + Sync + PartialOrd {
    /// Below every value.
    const LOWEST: Self;
    /// Above every value.
    const HIGHEST: Self;
    /// The larger.
    fn max(self, other: Self) -> Self;
    /// The smaller.
    fn min(self, other: Self) -> Self;
}

impl Float for f32 {
    const LOWEST: Self = f32::NEG_INFINITY;
    const HIGHEST: Self = f32::INFINITY;
    fn max(self, other: Self) -> Self {
        f32::max(self, other)
    }
    fn min(self, other: Self) -> Self {
        f32::min(self, other)
    }
}

impl Float for f64 {
    const LOWEST: Self = f64::NEG_INFINITY;
    const HIGHEST: Self = f64::INFINITY;
    fn max(self, other: Self) -> Self {
        f64::max(self, other)
    }
    fn min(self, other: Self) -> Self {
        f64::min(self, other)
    }
}

/// The window's extreme by `pick` over rows, then over columns (through a
/// transposed copy, so that both passes read memory in order).
fn separable<T: Float>(v: &[T], w: usize, h: usize, radius: usize, pick: fn(T, T) -> T, none: T) -> Vec<T> {
    let mut rows = vec![none; v.len()];
    rows.par_chunks_mut(w).zip(v.par_chunks(w)).for_each(|(out, row)| running(row, out, radius, pick, none));
    let mut columns = vec![none; v.len()];
    columns.par_chunks_mut(h).enumerate().for_each(|(x, col)| {
        for (y, c) in col.iter_mut().enumerate() {
            *c = rows[y * w + x];
        }
    });
    let mut filtered = vec![none; v.len()];
    filtered
        .par_chunks_mut(h)
        .zip(columns.par_chunks(h))
        .for_each(|(out, col)| running(col, out, radius, pick, none));
    let mut out = vec![none; v.len()];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for (x, o) in row.iter_mut().enumerate() {
            *o = filtered[x * h + y];
        }
    });
    out
}

/// One line: blocks of `2 radius + 1`, a running extreme forward from each
/// block's start and backward from its end; the window at `i` is the
/// backward run at its start and the forward run at its end. Beyond the
/// line's ends the window holds `none` (it is cut to the line).
fn running<T: Float>(line: &[T], out: &mut [T], radius: usize, pick: fn(T, T) -> T, none: T) {
    let n = line.len();
    let k = 2 * radius + 1;
    let padded: Vec<T> = (0..n + 2 * radius)
        .map(|i| if i < radius || i >= n + radius { none } else { line[i - radius] })
        .collect();
    let m = padded.len();
    let mut forward = vec![none; m];
    let mut backward = vec![none; m];
    for i in 0..m {
        forward[i] = if i % k == 0 { padded[i] } else { pick(forward[i - 1], padded[i]) };
    }
    for i in (0..m).rev() {
        backward[i] = if i % k == k - 1 || i == m - 1 { padded[i] } else { pick(backward[i + 1], padded[i]) };
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = pick(backward[i], forward[i + k - 1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closing by brute force: each window's extreme, cut to the image.
    fn brute(v: &[f64], w: usize, h: usize, r: usize) -> Vec<f64> {
        let window = |src: &[f64], pick: fn(f64, f64) -> f64, none: f64| {
            (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    let mut acc = none;
                    for yy in y.saturating_sub(r)..=(y + r).min(h - 1) {
                        for xx in x.saturating_sub(r)..=(x + r).min(w - 1) {
                            acc = pick(acc, src[yy * w + xx]);
                        }
                    }
                    acc
                })
                .collect::<Vec<f64>>()
        };
        let opened = window(v, f64::max, f64::NEG_INFINITY);
        window(&opened, f64::min, f64::INFINITY)
    }

    #[test]
    fn the_running_filter_gives_each_windows_extreme() {
        let (w, h) = (23, 17);
        let v: Vec<f64> = (0..w * h).map(|i| ((i * 7919) % 31) as f64 / 7.0).collect();
        for r in [1, 2, 5, 12] {
            assert_eq!(closing(&v, w, h, r), brute(&v, w, h, r), "radius {r}");
        }
    }
}
