//! Strokes that never cross: a technician lays hair-like strokes side by
//! side, as hairs lie, never one across another.

use smp_core::Point;

use crate::Impression;

/// A stroke's two ends in photo pixels (`px_per_mm` the photo's scale);
/// `None` for a dot.
pub fn segment_of(i: &Impression, px_per_mm: f64) -> Option<(Point, Point)> {
    let stroke = i.stroke?;
    let half = stroke.length_mm * px_per_mm / 2.0;
    let (dx, dy) = (stroke.angle.cos() * half, stroke.angle.sin() * half);
    Some((Point::new(i.x_px - dx, i.y_px - dy), Point::new(i.x_px + dx, i.y_px + dy)))
}

/// Whether the segments `a` and `b` cross (touching ends count).
fn cross(a: (Point, Point), b: (Point, Point)) -> bool {
    let side = |p: Point, q: Point, r: Point| (q - p).cross(r - p);
    let (d1, d2) = (side(b.0, b.1, a.0), side(b.0, b.1, a.1));
    let (d3, d4) = (side(a.0, a.1, b.0), side(a.0, a.1, b.1));
    d1 * d2 <= 0.0 && d3 * d4 <= 0.0 && !(d1 == 0.0 && d2 == 0.0)
}

/// The impressions with every stroke that would cross one placed before it
/// (earlier sessions first, as the technician works) shortened to half
/// its length, or left out where even that crosses. Dots pass unchanged.
/// A grid of cells a longest stroke wide finds the neighbours to check.
pub fn uncrossed(impressions: Vec<Impression>, px_per_mm: f64) -> Vec<Impression> {
    let longest =
        impressions.iter().filter_map(|i| i.stroke.map(|s| s.length_mm * px_per_mm)).fold(0.0f64, f64::max);
    if longest == 0.0 {
        return impressions;
    }
    let cell = longest.max(1.0);
    let key = |p: Point| ((p.x / cell).floor() as i64, (p.y / cell).floor() as i64);
    let mut grid: std::collections::HashMap<(i64, i64), Vec<(Point, Point)>> = Default::default();
    let mut kept = Vec::with_capacity(impressions.len());
    for mut i in impressions {
        let Some(mut segment) = segment_of(&i, px_per_mm) else {
            kept.push(i);
            continue;
        };
        let (cx, cy) = key(Point::new(i.x_px, i.y_px));
        let crosses =
            |s: (Point, Point), grid: &std::collections::HashMap<(i64, i64), Vec<(Point, Point)>>| {
                (-1..=1).any(|dx| {
                    (-1..=1).any(|dy| {
                        grid.get(&(cx + dx, cy + dy)).is_some_and(|v| v.iter().any(|o| cross(s, *o)))
                    })
                })
            };
        if crosses(segment, &grid) {
            if let Some(stroke) = &mut i.stroke {
                stroke.length_mm /= 2.0;
            }
            segment = segment_of(&i, px_per_mm).expect("a stroke");
            if crosses(segment, &grid) {
                continue;
            }
        }
        grid.entry((cx, cy)).or_default().push(segment);
        kept.push(i);
    }
    kept
}
