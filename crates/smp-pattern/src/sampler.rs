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
    /// `1 / cell`: locating a point multiplies, on the sampler's hot path.
    per_cell: f64,
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
        Grid {
            origin: bounds.min,
            cell,
            per_cell: 1.0 / cell,
            cols,
            rows,
            cells: vec![Self::EMPTY; cols * rows],
        }
    }

    fn index(&self, p: Point) -> Option<usize> {
        let c = (p.x - self.origin.x) * self.per_cell;
        let r = (p.y - self.origin.y) * self.per_cell;
        if !(c >= 0.0 && r >= 0.0 && c < self.cols as f64 && r < self.rows as f64) {
            return None;
        }
        // Through `i64`: one instruction, where a float-to-`usize` cast takes
        // several (the values are in range, checked above).
        Some(r as i64 as usize * self.cols + c as i64 as usize)
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
    let bands = Bands::new(&grid, r_max);
    let mut cells = grid.cells;
    bands
        .run(&mut cells, |b, band| {
            let mut rng = Pcg64Mcg::seed_from_u64(mix64(seed ^ (b as u64 + 1).wrapping_mul(0x9E37_79B9)));
            band.sample(&mut rng, radius)
        })
        .concat()
}

/// The background grid's rows cut into bands for parallel work. The cut
/// depends on the geometry only, never on the thread count.
struct Bands {
    origin: Point,
    cell: f64,
    per_cell: f64,
    cols: usize,
    rows: usize,
    /// Rows per band: at least the halo and [`MIN_BAND_ROWS`].
    band_rows: usize,
    /// Rows of its neighbours a band sees on either side: `reach` and one.
    halo_rows: usize,
    /// The cells within `reach` of a cell, nearest first.
    nearby: Vec<Offset>,
}

/// A cell relative to another, and the least squared distance (in cells)
/// between a point in one and a point in the other.
#[derive(Debug, Clone, Copy)]
struct Offset {
    rows: isize,
    cols: isize,
    gap2: f64,
}

/// The cells within `reach` cells of a cell, by their least distance from
/// it: a neighbourhood scan meets the likeliest conflicts first and stops
/// where no point can be close enough.
fn nearby_cells(reach: isize) -> Vec<Offset> {
    let gap = |d: isize| (d.abs() - 1).max(0) as f64;
    let mut nearby: Vec<Offset> = (-reach..=reach)
        .flat_map(|rows| (-reach..=reach).map(move |cols| (rows, cols)))
        .map(|(rows, cols)| Offset { rows, cols, gap2: gap(rows).powi(2) + gap(cols).powi(2) })
        .collect();
    nearby.sort_by(|a, b| a.gap2.total_cmp(&b.gap2).then(a.rows.cmp(&b.rows)).then(a.cols.cmp(&b.cols)));
    nearby
}

impl Bands {
    /// Bands of `grid` for work whose largest radius is `reach`.
    fn new(grid: &Grid, reach: f64) -> Self {
        let halo_rows = (reach / grid.cell).ceil() as usize + 1;
        Bands {
            origin: grid.origin,
            cell: grid.cell,
            per_cell: grid.per_cell,
            cols: grid.cols,
            rows: grid.rows,
            band_rows: MIN_BAND_ROWS.max(halo_rows + 1),
            halo_rows,
            nearby: nearby_cells(halo_rows as isize),
        }
    }

    fn count(&self) -> usize {
        self.rows.div_ceil(self.band_rows)
    }

    /// Band number of a point on the grid.
    fn of(&self, p: Point) -> usize {
        let row = (((p.y - self.origin.y) * self.per_cell).max(0.0) as usize).min(self.rows - 1);
        row / self.band_rows
    }

    /// Runs `work` on every band of `cells`, even bands all at once, then
    /// odd ones, each on a copy of its rows and of its neighbours' rows
    /// within reach (no two bands of one parity are within reach of each
    /// other, so each sees all it must); each band's own rows are written
    /// back after its round. The results come in band order.
    fn run<T: Send>(&self, cells: &mut [Point], work: impl Fn(usize, &mut Band<'_>) -> T + Sync) -> Vec<T> {
        let cols = self.cols;
        let mut results: Vec<Option<T>> = (0..self.count()).map(|_| None).collect();
        for parity in [0, 1] {
            let done: Vec<(usize, Band<'_>, T)> = (0..self.count())
                .into_par_iter()
                .filter(|b| b % 2 == parity)
                .map(|b| {
                    let top = b * self.band_rows;
                    let bottom = (top + self.band_rows).min(self.rows);
                    let from = top.saturating_sub(self.halo_rows);
                    let to = (bottom + self.halo_rows).min(self.rows);
                    let mut band = Band {
                        origin: self.origin,
                        cell: self.cell,
                        per_cell: self.per_cell,
                        cols,
                        first_row: top,
                        above_rows: top - from,
                        own_rows: bottom - top,
                        cells: cells[from * cols..to * cols].to_vec(),
                        nearby: &self.nearby,
                    };
                    let result = work(b, &mut band);
                    (b, band, result)
                })
                .collect();
            for (b, band, result) in done {
                let own = &band.cells[band.above_rows * cols..(band.above_rows + band.own_rows) * cols];
                cells[band.first_row * cols..][..own.len()].copy_from_slice(own);
                results[b] = Some(result);
            }
        }
        results.into_iter().map(|r| r.expect("every band runs in one of the two rounds")).collect()
    }
}

/// One band of the background grid: a copy of its own rows, with the rows
/// of its neighbours within reach above and below them.
struct Band<'a> {
    origin: Point,
    cell: f64,
    per_cell: f64,
    cols: usize,
    /// The grid row of the band's first own row.
    first_row: usize,
    /// Neighbours' rows before the own rows in `cells`.
    above_rows: usize,
    own_rows: usize,
    /// Above, own and below rows; NaN where empty.
    cells: Vec<Point>,
    /// The cells within the halo's reach of a cell, nearest first.
    nearby: &'a [Offset],
}

impl Band<'_> {
    /// The row (counted from the first row in `cells`) and column of `p`'s
    /// cell, when it is one of the band's own.
    fn own_cell(&self, p: Point) -> Option<(usize, usize)> {
        let c = (p.x - self.origin.x) * self.per_cell;
        let r = (p.y - self.origin.y) * self.per_cell - self.first_row as f64;
        if !(c >= 0.0 && r >= 0.0 && c < self.cols as f64 && r < self.own_rows as f64) {
            return None;
        }
        // Through `i64`, as in `Grid::index`.
        Some((r as i64 as usize + self.above_rows, c as i64 as usize))
    }

    /// The index in `cells` of `p`'s cell, when it is one of the band's own.
    fn own_index(&self, p: Point) -> Option<usize> {
        self.own_cell(p).map(|(row, col)| row * self.cols + col)
    }

    /// The index in `cells` of `p`'s cell when `p` lies in this band, its
    /// cell is empty, and it keeps its radius (from `radius`, `None` where
    /// nothing may be placed) from every point the band can see; `None`
    /// otherwise. The radius is asked for last: most candidates fail on
    /// their own cell first, and the radius costs a density look-up.
    fn fits(&self, p: Point, radius: impl FnOnce() -> Option<f64>) -> Option<usize> {
        let (row, col) = self.own_cell(p)?;
        let own = row * self.cols + col;
        if !self.cells[own].x.is_nan() {
            return None;
        }
        let r = radius()?;
        let (r0, c0) = (row as isize, col as isize);
        let (seen_rows, cols) = ((self.cells.len() / self.cols) as isize, self.cols as isize);
        let r2 = r * r;
        let limit = r2 * (self.per_cell * self.per_cell);
        // Cells beyond the table are at least its reach away in one axis.
        debug_assert!(
            self.nearby.last().is_none_or(|o| (o.rows * o.rows) as f64 >= limit),
            "radius beyond the halo"
        );
        for offset in self.nearby {
            if offset.gap2 >= limit {
                break;
            }
            let (rr, cc) = (r0 + offset.rows, c0 + offset.cols);
            if rr < 0 || rr >= seen_rows || cc < 0 || cc >= cols {
                continue;
            }
            let q = self.cells[(rr * cols + cc) as usize];
            // Empty cells hold NaN, which compares false.
            let (dx, dy) = (q.x - p.x, q.y - p.y);
            if dx * dx + dy * dy < r2 {
                return None;
            }
        }
        Some(own)
    }

    fn sample(&mut self, rng: &mut Pcg64Mcg, radius: &impl Fn(Point) -> Option<f64>) -> Vec<Point> {
        let mut points: Vec<Point> = Vec::new();
        let mut active: Vec<u32> = Vec::new();
        let (step_sin, step_cos) = GOLDEN_ANGLE.sin_cos();
        let (cols, rows, cell) = (self.cols, self.own_rows, self.cell);
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
                match self.fits(seed_point, || radius(seed_point)) {
                    Some(i) => {
                        self.cells[i] = seed_point;
                        active.push(points.len() as u32);
                        points.push(seed_point);
                    }
                    None => continue,
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
                    // tries, and one random direction per visit instead of
                    // one per candidate.
                    let (mut sin, mut cos) = random_direction(rng);
                    let mut placed = false;
                    for _ in 0..CANDIDATES {
                        // Uniform by area in the annulus [r, 2r].
                        let rho = rc * (1.0 + 3.0 * rng.random::<f64>()).sqrt();
                        let q = Point::new(centre.x + rho * cos, centre.y + rho * sin);
                        (sin, cos) = (sin * step_cos + cos * step_sin, cos * step_cos - sin * step_sin);
                        if let Some(i) = self.fits(q, || radius(q)) {
                            self.cells[i] = q;
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

/// A uniformly random direction as (sine, cosine): a point drawn in the
/// unit disk by rejection, normalised; cheaper than `sin_cos` of a random
/// angle, and it runs once per visit of an active point.
fn random_direction(rng: &mut Pcg64Mcg) -> (f64, f64) {
    loop {
        let (x, y) = (2.0 * rng.random::<f64>() - 1.0, 2.0 * rng.random::<f64>() - 1.0);
        let r2 = x * x + y * y;
        if r2 > 1e-6 && r2 <= 1.0 {
            let inv = 1.0 / r2.sqrt();
            return (y * inv, x * inv);
        }
    }
}

/// The session of every point: nested Poisson-disk subsets with exactly the
/// requested cumulative counts.
///
/// Each level is picked in parallel bands the way [`poisson_disk`] samples:
/// every band takes its share of the level's count (by the number of points
/// it still has), even bands first, then odd ones, each seeing the points
/// already picked in its neighbours' edge rows. Points are visited in one
/// random order drawn from `rng`, and bands depend on the geometry only: the
/// result is the same on any number of threads.
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
    for level in 1..last {
        cumulative += shares[level as usize - 1];
        let target = ((cumulative * points.len() as f64).round() as usize).min(points.len());
        let fraction = target as f64 / points.len() as f64;
        let radius_at = |density: f64| (SUBSET_PACKING / (fraction * density)).sqrt();
        let mut grid = Grid::new(field, SUBSET_NARROWEST * radius_at(peak) / std::f64::consts::SQRT_2);
        for (p, _) in points.iter().zip(&session).filter(|(_, s)| **s < level) {
            if let Some(i) = grid.index(*p) {
                grid.cells[i] = *p;
            }
        }
        let bands = Bands::new(&grid, SUBSET_WIDEST * radius_at(floor));
        let mut cells = grid.cells;

        // The rest by band in visiting order, each with its radius at this
        // level before narrowing.
        let mut todo: Vec<Vec<(u32, f64)>> = vec![Vec::new(); bands.count()];
        for &i in &order {
            if session[i as usize] == last {
                let p = points[i as usize];
                todo[bands.of(p)].push((i, radius_at(field.density_at(p).max(floor))));
            }
        }
        let quotas = split_by_largest_remainder(target - selected_total, &todo);
        let picked = bands.run(&mut cells, |b, band| band.pick(points, &todo[b], quotas[b]));
        for i in picked.into_iter().flatten() {
            session[i as usize] = level;
            selected_total += 1;
        }
    }
    session
}

/// Widest and narrowest radius of a session subset, as a share of the
/// radius its density calls for: picking starts a little wide and narrows
/// until the level is full, so the count comes out exact and the subset
/// stays evenly spread; at the narrowest every point visited is taken.
const SUBSET_WIDEST: f64 = 1.02;
const SUBSET_NARROWEST: f64 = 0.85;

/// `total` split over the bands in proportion to the points each has left
/// (Hamilton's method: whole parts first, then the largest remainders, ties
/// to the first band), so the shares add up to exactly `total`.
fn split_by_largest_remainder(total: usize, bands: &[Vec<(u32, f64)>]) -> Vec<usize> {
    let all: usize = bands.iter().map(Vec::len).sum();
    if all == 0 {
        return vec![0; bands.len()];
    }
    let exact = |b: &Vec<(u32, f64)>| total as u128 * b.len() as u128;
    let mut quotas: Vec<usize> = bands.iter().map(|b| (exact(b) / all as u128) as usize).collect();
    let mut by_remainder: Vec<usize> = (0..bands.len()).collect();
    by_remainder.sort_by_key(|&b| std::cmp::Reverse(exact(&bands[b]) % all as u128));
    let short = total - quotas.iter().sum::<usize>();
    for &b in by_remainder.iter().take(short) {
        quotas[b] += 1;
    }
    quotas
}

impl Band<'_> {
    /// Picks `quota` of the `candidates` (point index, radius), visiting
    /// them in order, each at least its radius (narrowing pass by pass)
    /// from every point the band sees; returns their indices.
    fn pick(&mut self, points: &[Point], candidates: &[(u32, f64)], quota: usize) -> Vec<u32> {
        let quota = quota.min(candidates.len());
        let mut picked = Vec::with_capacity(quota);
        let mut left = candidates.to_vec();
        let mut scale = SUBSET_WIDEST;
        while picked.len() < quota {
            left.retain(|&(i, radius)| {
                if picked.len() >= quota {
                    return true;
                }
                let p = points[i as usize];
                let cell = if scale <= SUBSET_NARROWEST {
                    // At the narrowest, spacing is no longer checked and the
                    // cell may be taken: the first point keeps it.
                    self.own_index(p).filter(|&c| self.cells[c].x.is_nan())
                } else {
                    match self.fits(p, || Some(scale * radius)) {
                        Some(c) => Some(c),
                        None => return true,
                    }
                };
                if let Some(c) = cell {
                    self.cells[c] = p;
                }
                picked.push(i);
                false
            });
            scale = (scale * 0.97).max(SUBSET_NARROWEST);
        }
        picked
    }
}
