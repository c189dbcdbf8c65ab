//! Variable-density Poisson-disk sampling (Bridson 2007, with a radius that
//! follows the density field), and the progressive split into sessions.
//!
//! The full set is sampled once. Sessions are then chosen as nested,
//! evenly spread subsets: session 1 is a Poisson-disk subset at the radius
//! of its own (lower) density, sessions 1+2 extend it to theirs, and so on;
//! the last session takes what is left. So session 1 alone, sessions 1+2,
//! and all sessions together are each blue noise: a sparse base first,
//! density built after, as a technician works.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;
use smp_core::Point;

use crate::density::DensityField;
use crate::noise::{hash_unit, mix64};

/// Candidates tried around each active point before it retires.
const CANDIDATES: u32 = 12;

/// 2 pi (1 - 1/phi): successive candidate directions never line up.
const GOLDEN_ANGLE: f64 = 2.399_963_229_728_653;

/// Poisson-disk radius constant: this sampler, at minimum distance `r`,
/// places about `PACKING / r^2` points per unit area. Calibrated by
/// measuring interior densities (the `interior_density_*` tests hold it).
pub const PACKING: f64 = 0.588;

/// The same constant for picking a session subset out of the full set:
/// sequential picks from a fixed set pack a little looser.
const SUBSET_PACKING: f64 = 0.50;

/// Below this share of the peak density the radius stops growing and points
/// are thinned instead: keeps the neighbourhood search bounded where a zone
/// feathers out to nothing.
const THINNING_SHARE: f64 = 1.0 / 16.0;

/// One sampled point before sizes and zones are attached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Position in mm.
    pub position: Point,
    /// 1-based session number.
    pub session: u8,
}

/// A background grid holding at most one point per cell.
struct Grid {
    origin: Point,
    cell: f64,
    cols: usize,
    rows: usize,
    /// The point in each cell, NaN where empty: positions inline rather than
    /// indices keep the neighbourhood scan in cache.
    cells: Vec<Point>,
}

impl Grid {
    const EMPTY: Point = Point::new(f64::NAN, f64::NAN);

    fn new(field: &DensityField, cell: f64) -> Self {
        let bounds = field.bounds();
        let cols = (bounds.width() / cell).ceil() as usize + 1;
        let rows = (bounds.height() / cell).ceil() as usize + 1;
        Grid { origin: bounds.min, cell, cols, rows, cells: vec![Self::EMPTY; cols * rows] }
    }

    fn index(&self, p: Point) -> Option<usize> {
        let c = (p.x - self.origin.x) / self.cell;
        let r = (p.y - self.origin.y) / self.cell;
        if !(c >= 0.0 && r >= 0.0 && c < self.cols as f64 && r < self.rows as f64) {
            return None;
        }
        Some(r as usize * self.cols + c as usize)
    }

    fn insert(&mut self, p: Point) {
        let i = self.index(p).expect("only points that fit are inserted");
        self.cells[i] = p;
    }

    /// Whether `p` is on the grid and at least `r` from every point in it.
    fn fits(&self, p: Point, r: f64) -> bool {
        // A point in the same cell is always too close: the cheap check first.
        match self.index(p) {
            Some(own) if self.cells[own].x.is_nan() => {}
            _ => return false,
        }
        let reach = (r / self.cell).ceil() as isize;
        let c0 = ((p.x - self.origin.x) / self.cell) as isize;
        let r0 = ((p.y - self.origin.y) / self.cell) as isize;
        let r2 = r * r;
        for rr in (r0 - reach).max(0)..=(r0 + reach).min(self.rows as isize - 1) {
            let row = rr as usize * self.cols;
            for cc in (c0 - reach).max(0)..=(c0 + reach).min(self.cols as isize - 1) {
                let q = self.cells[row + cc as usize];
                // Empty cells hold NaN, which compares false.
                let (dx, dy) = (q.x - p.x, q.y - p.y);
                if dx * dx + dy * dy < r2 {
                    return false;
                }
            }
        }
        true
    }
}

/// Samples `field` and splits the samples into sessions with the given
/// shares (which sum to 1), deterministically from `seed`.
pub fn sample(field: &DensityField, session_shares: &[f64], seed: u64) -> Vec<Sample> {
    let peak = field.max_density();
    if peak <= 0.0 {
        return Vec::new();
    }
    let floor = peak * THINNING_SHARE;
    let radius = |p: Point| -> Option<f64> {
        let d = field.density_at(p);
        (d > 0.0).then(|| (PACKING / d.max(floor)).sqrt())
    };
    let points = poisson_disk(field, seed, &radius, (PACKING / peak).sqrt(), (PACKING / floor).sqrt());
    let mut rng = Pcg64Mcg::seed_from_u64(mix64(seed ^ 0x005A_3D1E));

    // Thin where the density is below the floor, keeping a share d/floor;
    // and keep strictly to the zones, which the interpolated grid blurs by
    // a fraction of a cell at sharp corners.
    let points: Vec<Point> = points
        .into_iter()
        .enumerate()
        .filter(|(i, p)| {
            let d = field.density_at(*p);
            (d >= floor || hash_unit(seed ^ 0x7417, *i as i64, 0) < d / floor) && field.in_zones(*p)
        })
        .map(|(_, p)| p)
        .collect();

    let sessions = split_sessions(field, &points, session_shares, floor, &mut rng);
    let mut samples: Vec<Sample> =
        points.into_iter().zip(sessions).map(|(position, session)| Sample { position, session }).collect();
    samples.sort_by_key(|s| s.session);
    samples
}

/// Grid rows per band, at the least: large enough that the work of a band
/// dwarfs the cost of starting it.
const MIN_BAND_ROWS: usize = 48;

/// Bridson's algorithm with a local radius, in parallel bands.
///
/// The grid's rows are cut into bands at least as tall as the largest
/// radius; the cut depends on the geometry only, never on the thread count.
/// Even bands are sampled first, all at once: no two of them are within
/// reach of each other. Odd bands follow, each seeing the edge rows of its
/// two sampled neighbours, so the spacing holds across every boundary. Each
/// band has its own seeded generator, and bands are joined in order: the
/// result is the same on any number of threads.
fn poisson_disk(
    field: &DensityField,
    seed: u64,
    radius: &(impl Fn(Point) -> Option<f64> + Sync),
    r_min: f64,
    r_max: f64,
) -> Vec<Point> {
    let grid = Grid::new(field, r_min / std::f64::consts::SQRT_2);
    let halo_rows = (r_max / grid.cell).ceil() as usize + 1;
    let band_rows = MIN_BAND_ROWS.max(halo_rows + 1);
    let (cols, rows, cell, origin) = (grid.cols, grid.rows, grid.cell, grid.origin);
    let mut cells = grid.cells;
    let bands = rows.div_ceil(band_rows);
    let mut found: Vec<Vec<Point>> = vec![Vec::new(); bands];
    for parity in [0, 1] {
        // What each band of this parity sees of its neighbours (already
        // sampled, or empty in the first round).
        let halos: Vec<(Vec<Point>, Vec<Point>)> = (0..bands)
            .map(|b| {
                if b % 2 != parity || parity == 0 {
                    return (Vec::new(), Vec::new());
                }
                let top = b * band_rows;
                let bottom = ((b + 1) * band_rows).min(rows);
                let above = cells[top.saturating_sub(halo_rows) * cols..top * cols].to_vec();
                let below = cells[bottom * cols..(bottom + halo_rows).min(rows) * cols].to_vec();
                (above, below)
            })
            .collect();
        let results: Vec<(usize, Vec<Point>)> = cells
            .par_chunks_mut(band_rows * cols)
            .zip(halos.par_iter())
            .enumerate()
            .filter(|(b, _)| b % 2 == parity)
            .map(|(b, (own, (above, below)))| {
                let mut band = Band { origin, cell, cols, first_row: b * band_rows, own, above, below };
                let mut rng = Pcg64Mcg::seed_from_u64(mix64(seed ^ (b as u64 + 1).wrapping_mul(0x9E37_79B9)));
                (b, band.sample(&mut rng, radius))
            })
            .collect();
        for (b, points) in results {
            found[b] = points;
        }
    }
    found.concat()
}

/// One band of the background grid, with read-only copies of the rows of
/// its neighbours that are within reach.
struct Band<'a> {
    origin: Point,
    cell: f64,
    cols: usize,
    first_row: usize,
    own: &'a mut [Point],
    above: &'a [Point],
    below: &'a [Point],
}

impl Band<'_> {
    fn rows(&self) -> usize {
        self.own.len() / self.cols
    }

    /// The cell of `p` among this band's own cells.
    fn own_index(&self, p: Point) -> Option<usize> {
        let c = (p.x - self.origin.x) / self.cell;
        let r = (p.y - self.origin.y) / self.cell - self.first_row as f64;
        if !(c >= 0.0 && r >= 0.0 && c < self.cols as f64 && r < self.rows() as f64) {
            return None;
        }
        Some(r as usize * self.cols + c as usize)
    }

    /// The point in global row `row` (as an offset from this band's first
    /// row, possibly negative), column `col`: NaN where empty or unseen.
    fn at(&self, row: isize, col: usize) -> Point {
        let own_rows = self.rows() as isize;
        let cols = self.cols as isize;
        let slice_row = |slice: &[Point], r: isize| slice[(r * cols) as usize + col];
        if row >= 0 && row < own_rows {
            slice_row(self.own, row)
        } else if row < 0 && -row <= self.above.len() as isize / cols {
            slice_row(self.above, self.above.len() as isize / cols + row)
        } else if row >= own_rows && row - own_rows < self.below.len() as isize / cols {
            slice_row(self.below, row - own_rows)
        } else {
            Grid::EMPTY
        }
    }

    /// Whether `p` lies in this band and keeps distance `r` from every point
    /// the band can see.
    fn fits(&self, p: Point, r: f64) -> bool {
        match self.own_index(p) {
            Some(own) if self.own[own].x.is_nan() => {}
            _ => return false,
        }
        let reach = (r / self.cell).ceil() as isize;
        let c0 = ((p.x - self.origin.x) / self.cell) as isize;
        let r0 = ((p.y - self.origin.y) / self.cell) as isize - self.first_row as isize;
        let r2 = r * r;
        for rr in r0 - reach..=r0 + reach {
            for cc in (c0 - reach).max(0)..=(c0 + reach).min(self.cols as isize - 1) {
                let q = self.at(rr, cc as usize);
                // Empty cells hold NaN, which compares false.
                let (dx, dy) = (q.x - p.x, q.y - p.y);
                if dx * dx + dy * dy < r2 {
                    return false;
                }
            }
        }
        true
    }

    fn sample(&mut self, rng: &mut Pcg64Mcg, radius: &impl Fn(Point) -> Option<f64>) -> Vec<Point> {
        let mut points: Vec<Point> = Vec::new();
        let mut active: Vec<u32> = Vec::new();
        let (step_sin, step_cos) = GOLDEN_ANGLE.sin_cos();
        let (cols, rows, cell) = (self.cols, self.rows(), self.cell);
        // Seeds are offered in row order, one in each 2 x 2 block of cells:
        // separate zones each get one, and most holes the growth left are
        // filled (scanning every cell finds few more, at four times the
        // cost). Growth runs to exhaustion after each seed.
        for r in (0..rows).step_by(2) {
            for c in (0..cols).step_by(2) {
                let seed_point = Point::new(
                    self.origin.x + (c as f64 + rng.random::<f64>() * 2.0) * cell,
                    self.origin.y + ((self.first_row + r) as f64 + rng.random::<f64>() * 2.0) * cell,
                );
                match radius(seed_point) {
                    Some(rs) if self.fits(seed_point, rs) => {
                        let i = self.own_index(seed_point).expect("fits() checked it is in the band");
                        self.own[i] = seed_point;
                        active.push(points.len() as u32);
                        points.push(seed_point);
                    }
                    _ => continue,
                }
                while !active.is_empty() {
                    let slot = rng.random_range(0..active.len());
                    let centre = points[active[slot] as usize];
                    let Some(rc) = radius(centre) else {
                        active.swap_remove(slot);
                        continue;
                    };
                    // Directions turn by the golden angle from a random start:
                    // evenly spread around the circle for any number of
                    // tries, and one sin/cos per point instead of one per
                    // candidate.
                    let (mut sin, mut cos) = (rng.random::<f64>() * std::f64::consts::TAU).sin_cos();
                    let mut placed = false;
                    for _ in 0..CANDIDATES {
                        // Uniform by area in the annulus [r, 2r].
                        let rho = rc * (1.0 + 3.0 * rng.random::<f64>()).sqrt();
                        let q = Point::new(centre.x + rho * cos, centre.y + rho * sin);
                        (sin, cos) = (sin * step_cos + cos * step_sin, cos * step_cos - sin * step_sin);
                        if let Some(rq) = radius(q)
                            && self.fits(q, rq)
                        {
                            let i = self.own_index(q).expect("fits() checked it is in the band");
                            self.own[i] = q;
                            active.push(points.len() as u32);
                            points.push(q);
                            placed = true;
                            break;
                        }
                    }
                    if !placed {
                        active.swap_remove(slot);
                    }
                }
            }
        }
        points
    }
}

/// The session of every point: nested Poisson-disk subsets with exactly the
/// requested cumulative counts.
fn split_sessions(
    field: &DensityField,
    points: &[Point],
    shares: &[f64],
    floor: f64,
    rng: &mut Pcg64Mcg,
) -> Vec<u8> {
    let last = shares.len() as u8;
    let mut session = vec![last; points.len()];
    if shares.len() < 2 || points.is_empty() {
        return session;
    }
    // A random visiting order (Fisher-Yates), the same for every level.
    let mut order: Vec<u32> = (0..points.len() as u32).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let peak = field.max_density();
    let mut cumulative = 0.0;
    let mut selected_total = 0usize;
    let mut unassigned = order;
    for level in 1..last {
        cumulative += shares[level as usize - 1];
        let target = ((cumulative * points.len() as f64).round() as usize).min(points.len());
        let fraction = target as f64 / points.len() as f64;
        // Start a little wide and narrow until the level is full: the count
        // comes out exact and the subset stays evenly spread.
        let mut scale = 1.02;
        let narrowest = 0.85;
        let mut grid = Grid::new(
            field,
            narrowest * (SUBSET_PACKING / (fraction * peak)).sqrt() / std::f64::consts::SQRT_2,
        );
        for (i, p) in points.iter().enumerate() {
            if session[i] < level {
                grid.insert(*p);
            }
        }
        while selected_total < target {
            unassigned.retain(|&i| {
                if selected_total >= target {
                    return true;
                }
                let p = points[i as usize];
                let d = field.density_at(p).max(floor);
                let r = scale * (SUBSET_PACKING / (fraction * d)).sqrt();
                if scale <= narrowest || grid.fits(p, r) {
                    grid.insert_or_keep(p);
                    session[i as usize] = level;
                    selected_total += 1;
                    false
                } else {
                    true
                }
            });
            scale = (scale * 0.97).max(narrowest);
        }
    }
    session
}

impl Grid {
    /// Inserts `p` unless its cell is taken (only possible in the last
    /// resort pass, where spacing is no longer checked).
    fn insert_or_keep(&mut self, p: Point) {
        if let Some(i) = self.index(p)
            && self.cells[i].x.is_nan()
        {
            self.cells[i] = p;
        }
    }
}
