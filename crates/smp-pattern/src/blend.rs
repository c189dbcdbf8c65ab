//! The client's own stubble just outside the zones, as a density the
//! zones' feathered edges ramp to: where a zone meets stubble, its edge
//! continues the hair instead of fading to bare skin, so that the boundary
//! between real hair and SMP cannot be found.
//!
//! Built from the hairs found on the photo (positions in mm) around the
//! zones: at each point, the hairs within reach over the area of skin
//! outside the zones within the same reach that was searched. A point near
//! an edge that meets bare skin (the forehead, a scar) finds none, and its
//! edge fades as before.

use smp_core::{Design, Point, Polygon, Rect};

/// Grid spacing, mm: well below a feather's width.
const CELL_MM: f64 = 0.5;
/// How far beyond the widest feather the hairs are counted, mm: enough
/// skin for a few dozen hairs at the sparsest stubble.
const EXTRA_REACH_MM: f64 = 4.0;
/// Below this share of its window outside the zones, a point has too
/// little skin around it to count hairs on (deep inside a zone).
const LEAST_OUTSIDE_SHARE: f64 = 0.1;
/// Cap on grid cells, as for the density field.
const MAX_CELLS: f64 = 16_000_000.0;

/// Hairs per mm2 of the client's stubble around the zones, on a grid in mm.
#[derive(Debug, Clone)]
pub struct EdgeStubble {
    origin: Point,
    cell_mm: f64,
    cols: usize,
    rows: usize,
    /// Hairs per mm2 at each cell centre.
    density: Vec<f32>,
}

impl EdgeStubble {
    /// How far from the zones (mm) the hairs of `design` are looked for:
    /// the widest feather plus a margin.
    pub fn reach_mm(design: &Design) -> f64 {
        design.zones.iter().map(|z| z.feather_mm).fold(0.0, f64::max) + EXTRA_REACH_MM
    }

    /// The stubble density around the zones of `design`, from `hairs` (mm,
    /// the photo's plane) found by searching `searched` (mm) outside the
    /// zones.
    pub fn new(design: &Design, hairs: &[Point], searched: Rect) -> Self {
        let scale = design.photo.mm_per_px;
        let zones: Vec<Polygon> = design
            .zones
            .iter()
            .map(|z| {
                Polygon::new(z.polygon.vertices().iter().map(|&p| p * scale).collect())
                    .expect("scaling keeps a valid polygon valid")
            })
            .collect();
        let reach = Self::reach_mm(design);
        let bounds = zones.iter().map(Polygon::bounds).reduce(Rect::union).expect("a design has zones");
        let bounds = bounds.inflate(reach + CELL_MM);
        let cell_mm = CELL_MM.max((bounds.width() * bounds.height() / MAX_CELLS).sqrt());
        let cols = (bounds.width() / cell_mm).ceil() as usize + 1;
        let rows = (bounds.height() / cell_mm).ceil() as usize + 1;
        let origin = bounds.min;
        let centre =
            |c: usize, r: usize| Point::new(origin.x + c as f64 * cell_mm, origin.y + r as f64 * cell_mm);

        // Summed-area tables (one row and column of zeros first) of the
        // searched skin outside the zones, and of the hairs.
        let mut skin = vec![0u32; (cols + 1) * (rows + 1)];
        let mut found = vec![0u32; (cols + 1) * (rows + 1)];
        for r in 0..rows {
            for c in 0..cols {
                let p = centre(c, r);
                let outside = searched.contains(p) && !zones.iter().any(|z| z.contains(p));
                skin[(r + 1) * (cols + 1) + c + 1] = outside as u32;
            }
        }
        for hair in hairs {
            let (c, r) = (((hair.x - origin.x) / cell_mm).round(), ((hair.y - origin.y) / cell_mm).round());
            if c >= 0.0 && r >= 0.0 && (c as usize) < cols && (r as usize) < rows {
                let i = (r as usize + 1) * (cols + 1) + c as usize + 1;
                // Only hairs on the searched skin outside the zones.
                found[i] += skin[i];
            }
        }
        for table in [&mut skin, &mut found] {
            for r in 1..=rows {
                for c in 1..=cols {
                    let i = r * (cols + 1) + c;
                    table[i] += table[i - 1] + table[i - cols - 1] - table[i - cols - 2];
                }
            }
        }
        let sum = |table: &[u32], c0: usize, r0: usize, c1: usize, r1: usize| {
            let at = |c: usize, r: usize| table[r * (cols + 1) + c] as i64;
            at(c1, r1) - at(c0, r1) - at(c1, r0) + at(c0, r0)
        };
        // A square window of the area of a disc of radius `reach`.
        let half = ((reach * std::f64::consts::PI.sqrt() / 2.0) / cell_mm).round() as usize;
        let window_cells = ((2 * half + 1) * (2 * half + 1)) as f64;
        let density = (0..rows * cols)
            .map(|i| {
                let (c, r) = (i % cols, i / cols);
                let (c0, r0) = (c.saturating_sub(half), r.saturating_sub(half));
                let (c1, r1) = ((c + half + 1).min(cols), (r + half + 1).min(rows));
                let outside = sum(&skin, c0, r0, c1, r1) as f64;
                if outside < LEAST_OUTSIDE_SHARE * window_cells {
                    return 0.0;
                }
                (sum(&found, c0, r0, c1, r1) as f64 / (outside * cell_mm * cell_mm)) as f32
            })
            .collect();
        Self { origin, cell_mm, cols, rows, density }
    }

    /// Hairs per mm2 of stubble around `p` (mm); 0 away from any.
    pub fn density_at(&self, p: Point) -> f64 {
        let (c, r) =
            (((p.x - self.origin.x) / self.cell_mm).round(), ((p.y - self.origin.y) / self.cell_mm).round());
        if c < 0.0 || r < 0.0 || c as usize >= self.cols || r as usize >= self.rows {
            return 0.0;
        }
        self.density[r as usize * self.cols + c as usize] as f64
    }
}
