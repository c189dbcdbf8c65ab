//! Plane geometry for designs: points, polygons and the hairline curve.
//!
//! Units are whatever the caller uses (pixels in a design file, millimetres
//! in the sampler); nothing here assumes one.

use std::ops::{Add, Mul, Sub};

/// A point or vector in the plane.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    /// Horizontal coordinate, growing to the right.
    pub x: f64,
    /// Vertical coordinate, growing downwards (image convention).
    pub y: f64,
}

impl Point {
    /// A point from its coordinates.
    pub const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    /// Dot product.
    pub fn dot(self, other: Self) -> f64 {
        self.x * other.x + self.y * other.y
    }

    /// The z component of the cross product: positive when `other` turns
    /// clockwise from `self` on screen (y grows downwards).
    pub fn cross(self, other: Self) -> f64 {
        self.x * other.y - self.y * other.x
    }

    /// Euclidean length.
    pub fn length(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// Distance to another point.
    pub fn distance(self, other: Self) -> f64 {
        (self - other).length()
    }
}

impl Add for Point {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::new(self.x + o.x, self.y + o.y)
    }
}

impl Sub for Point {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::new(self.x - o.x, self.y - o.y)
    }
}

impl Mul<f64> for Point {
    type Output = Self;
    fn mul(self, s: f64) -> Self {
        Self::new(self.x * s, self.y * s)
    }
}

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Smallest corner.
    pub min: Point,
    /// Largest corner.
    pub max: Point,
}

impl Rect {
    /// The smallest rectangle holding every point, or `None` for no points.
    pub fn bounding(points: impl IntoIterator<Item = Point>) -> Option<Self> {
        let mut it = points.into_iter();
        let first = it.next()?;
        let mut rect = Rect { min: first, max: first };
        for p in it {
            rect.min.x = rect.min.x.min(p.x);
            rect.min.y = rect.min.y.min(p.y);
            rect.max.x = rect.max.x.max(p.x);
            rect.max.y = rect.max.y.max(p.y);
        }
        Some(rect)
    }

    /// The union of two rectangles.
    pub fn union(self, other: Self) -> Self {
        Rect {
            min: Point::new(self.min.x.min(other.min.x), self.min.y.min(other.min.y)),
            max: Point::new(self.max.x.max(other.max.x), self.max.y.max(other.max.y)),
        }
    }

    /// The rectangle grown by `margin` on every side.
    pub fn inflate(self, margin: f64) -> Self {
        Rect {
            min: Point::new(self.min.x - margin, self.min.y - margin),
            max: Point::new(self.max.x + margin, self.max.y + margin),
        }
    }

    /// Width.
    pub fn width(&self) -> f64 {
        self.max.x - self.min.x
    }

    /// Height.
    pub fn height(&self) -> f64 {
        self.max.y - self.min.y
    }

    /// Whether `p` lies inside or on the edge.
    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.min.x && p.x <= self.max.x && p.y >= self.min.y && p.y <= self.max.y
    }
}

/// Distance from `p` to the segment `a`-`b`, and the segment parameter (0..1)
/// of the closest point.
pub fn segment_distance(p: Point, a: Point, b: Point) -> (f64, f64) {
    let ab = b - a;
    let len2 = ab.dot(ab);
    let t = if len2 > 0.0 { ((p - a).dot(ab) / len2).clamp(0.0, 1.0) } else { 0.0 };
    (p.distance(a + ab * t), t)
}

/// Whether the closed segments `a1`-`a2` and `b1`-`b2` share a point.
fn segments_intersect(a1: Point, a2: Point, b1: Point, b2: Point) -> bool {
    fn orient(a: Point, b: Point, c: Point) -> f64 {
        (b - a).cross(c - a)
    }
    fn on_segment(a: Point, b: Point, p: Point) -> bool {
        p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
    }
    let d1 = orient(b1, b2, a1);
    let d2 = orient(b1, b2, a2);
    let d3 = orient(a1, a2, b1);
    let d4 = orient(a1, a2, b2);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(b1, b2, a1))
        || (d2 == 0.0 && on_segment(b1, b2, a2))
        || (d3 == 0.0 && on_segment(a1, a2, b1))
        || (d4 == 0.0 && on_segment(a1, a2, b2))
}

/// A simple closed polygon (the last vertex joins the first).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    vertices: Vec<Point>,
}

/// Why a list of vertices is not a usable polygon.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolygonError {
    /// Fewer than three vertices.
    #[error("a polygon needs at least 3 points, found {0}")]
    TooFewPoints(usize),
    /// Two edges cross or touch away from their shared vertex.
    #[error(
        "the polygon crosses itself: edge {first} (points {first}-{first_end}) meets edge {second} (points {second}-{second_end})"
    )]
    SelfIntersecting {
        /// Index of the first edge (its start vertex).
        first: usize,
        /// Index of the first edge's end vertex.
        first_end: usize,
        /// Index of the second edge.
        second: usize,
        /// Index of the second edge's end vertex.
        second_end: usize,
    },
    /// All vertices on one line (or repeated): it encloses nothing.
    #[error("the polygon encloses no area (its points are on one line)")]
    Degenerate,
}

impl Polygon {
    /// A polygon from its vertices, refused when it has fewer than three,
    /// crosses itself, or encloses no area.
    pub fn new(vertices: Vec<Point>) -> Result<Self, PolygonError> {
        let n = vertices.len();
        if n < 3 {
            return Err(PolygonError::TooFewPoints(n));
        }
        for i in 0..n {
            for j in i + 1..n {
                // Adjacent edges share a vertex by construction.
                if j == i + 1 || (i == 0 && j == n - 1) {
                    continue;
                }
                let (a1, a2) = (vertices[i], vertices[(i + 1) % n]);
                let (b1, b2) = (vertices[j], vertices[(j + 1) % n]);
                if segments_intersect(a1, a2, b1, b2) {
                    return Err(PolygonError::SelfIntersecting {
                        first: i,
                        first_end: (i + 1) % n,
                        second: j,
                        second_end: (j + 1) % n,
                    });
                }
            }
        }
        let polygon = Self { vertices };
        if polygon.area() <= f64::EPSILON {
            return Err(PolygonError::Degenerate);
        }
        Ok(polygon)
    }

    /// The vertices, in the order given.
    pub fn vertices(&self) -> &[Point] {
        &self.vertices
    }

    fn edges(&self) -> impl Iterator<Item = (Point, Point)> + '_ {
        let n = self.vertices.len();
        (0..n).map(move |i| (self.vertices[i], self.vertices[(i + 1) % n]))
    }

    /// Enclosed area (always positive).
    pub fn area(&self) -> f64 {
        self.edges().map(|(a, b)| a.cross(b)).sum::<f64>().abs() / 2.0
    }

    /// Whether `p` is inside (even-odd rule).
    pub fn contains(&self, p: Point) -> bool {
        let mut inside = false;
        for (a, b) in self.edges() {
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
                if p.x < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Where the edges cross the horizontal line at `y`, sorted: the x-spans
    /// `[xs[0], xs[1])`, `[xs[2], xs[3])`... of the line are exactly the
    /// points [`Self::contains`] says are inside (the same crossings, so the
    /// same answer to the last bit). A whole row of a grid costs one pass
    /// over the edges instead of one per cell.
    pub fn crossings_at(&self, y: f64) -> Vec<f64> {
        let mut xs: Vec<f64> = self
            .edges()
            .filter(|(a, b)| (a.y > y) != (b.y > y))
            .map(|(a, b)| a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs
    }

    /// Distance from `p` to the nearest edge.
    pub fn boundary_distance(&self, p: Point) -> f64 {
        self.edges().map(|(a, b)| segment_distance(p, a, b).0).fold(f64::INFINITY, f64::min)
    }

    /// Bounding rectangle.
    pub fn bounds(&self) -> Rect {
        Rect::bounding(self.vertices.iter().copied()).expect("a polygon has vertices")
    }
}

/// A smooth open curve through given points, kept as a dense polyline.
///
/// Centripetal Catmull-Rom: it passes through every point, never overshoots
/// into loops or cusps between close points, and needs no tangents from the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    polyline: Vec<Point>,
    /// Cumulative arc length at each polyline vertex.
    arc: Vec<f64>,
}

/// Where a point lies relative to a [`Curve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveProjection {
    /// Signed distance: positive on the curve's right-hand side when walking
    /// along it (on screen, with y downwards), negative on its left.
    pub signed_distance: f64,
    /// Arc length from the curve's start to the closest point; negative or
    /// beyond the length where the closest point is on an extension ray.
    pub arc_length: f64,
}

impl Curve {
    /// The curve through `points` (at least two), with `samples_per_span`
    /// polyline vertices between consecutive points.
    pub fn through(points: &[Point], samples_per_span: usize) -> Option<Self> {
        if points.len() < 2 {
            return None;
        }
        let samples = samples_per_span.max(1);
        let n = points.len();
        // Mirror the end points so the first and last spans have neighbours.
        let get = |i: isize| -> Point {
            if i < 0 {
                points[0] * 2.0 - points[1]
            } else if i as usize >= n {
                points[n - 1] * 2.0 - points[n - 2]
            } else {
                points[i as usize]
            }
        };
        let mut polyline = Vec::with_capacity((n - 1) * samples + 1);
        for i in 0..n - 1 {
            let i = i as isize;
            let (p0, p1, p2, p3) = (get(i - 1), get(i), get(i + 1), get(i + 2));
            for s in 0..samples {
                polyline.push(centripetal_catmull_rom(p0, p1, p2, p3, s as f64 / samples as f64));
            }
        }
        polyline.push(points[n - 1]);
        polyline.dedup();
        if polyline.len() < 2 {
            return None;
        }
        let mut arc = Vec::with_capacity(polyline.len());
        let mut total = 0.0;
        arc.push(0.0);
        for w in polyline.windows(2) {
            total += w[0].distance(w[1]);
            arc.push(total);
        }
        Some(Self { polyline, arc })
    }

    /// The dense polyline.
    pub fn polyline(&self) -> &[Point] {
        &self.polyline
    }

    /// Total arc length.
    pub fn length(&self) -> f64 {
        *self.arc.last().expect("a curve has vertices")
    }

    /// The same curve with every coordinate multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            polyline: self.polyline.iter().map(|&p| p * factor).collect(),
            arc: self.arc.iter().map(|&a| a * factor).collect(),
        }
    }

    /// Signed distance and arc position of `p`. The curve is extended past
    /// both ends along its end tangents, so it divides the whole plane in two.
    pub fn project(&self, p: Point) -> CurveProjection {
        self.project_among(p, 0..self.polyline.len() - 1)
    }

    /// The segments (by index, ascending) that may hold the nearest point
    /// of the curve to any point within `radius` of `centre`: for many
    /// points close together, [`Self::project_among`] them gives what
    /// [`Self::project`] gives, at a fraction of the cost.
    pub fn segments_near(&self, centre: Point, radius: f64) -> Vec<usize> {
        let distances: Vec<f64> =
            self.polyline.windows(2).map(|w| segment_distance(centre, w[0], w[1]).0).collect();
        let nearest = distances.iter().copied().fold(f64::INFINITY, f64::min);
        // A point within `radius` of the centre is at most `nearest + radius`
        // from the curve, and at least `d - radius` from a segment at `d`.
        (0..distances.len()).filter(|&i| distances[i] <= nearest + 2.0 * radius).collect()
    }

    /// [`Self::project`] with the nearest segment sought among `segments`
    /// only (ascending indices, holding the nearest: see
    /// [`Self::segments_near`]).
    pub fn project_among(&self, p: Point, segments: impl IntoIterator<Item = usize>) -> CurveProjection {
        let n = self.polyline.len();
        let mut best = (f64::INFINITY, 0usize, 0.0f64);
        for i in segments {
            let (d, t) = segment_distance(p, self.polyline[i], self.polyline[i + 1]);
            if d < best.0 {
                best = (d, i, t);
            }
        }
        let (mut dist, i, mut t) = best;
        let (a, b) = (self.polyline[i], self.polyline[i + 1]);
        let seg = b - a;
        let seg_len = seg.length();
        // On an end ray, measure to the infinite line instead of the end point.
        let on_start_ray = i == 0 && t == 0.0;
        let on_end_ray = i == n - 2 && t == 1.0;
        if (on_start_ray || on_end_ray) && seg_len > 0.0 {
            t = (p - a).dot(seg) / (seg_len * seg_len);
            dist = (seg.cross(p - a) / seg_len).abs();
        }
        let side = seg.cross(p - a);
        let sign = if side >= 0.0 { 1.0 } else { -1.0 };
        CurveProjection { signed_distance: sign * dist, arc_length: self.arc[i] + t * seg_len }
    }
}

fn centripetal_catmull_rom(p0: Point, p1: Point, p2: Point, p3: Point, t: f64) -> Point {
    // Knot spacing |p_i+1 - p_i|^0.5 (centripetal), Barry-Goldman pyramid.
    let knot = |a: Point, b: Point| a.distance(b).sqrt().max(1e-9);
    let t0 = 0.0;
    let t1 = t0 + knot(p0, p1);
    let t2 = t1 + knot(p1, p2);
    let t3 = t2 + knot(p2, p3);
    let t = t1 + (t2 - t1) * t;
    let lerp = |pa: Point, pb: Point, ta: f64, tb: f64| -> Point {
        pa * ((tb - t) / (tb - ta)) + pb * ((t - ta) / (tb - ta))
    };
    let a1 = lerp(p0, p1, t0, t1);
    let a2 = lerp(p1, p2, t1, t2);
    let a3 = lerp(p2, p3, t2, t3);
    let b1 = lerp(a1, a2, t0, t2);
    let b2 = lerp(a2, a3, t1, t3);
    lerp(b1, b2, t1, t2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square() -> Polygon {
        Polygon::new(vec![
            Point::new(0.0, 0.0),
            Point::new(10.0, 0.0),
            Point::new(10.0, 10.0),
            Point::new(0.0, 10.0),
        ])
        .unwrap()
    }

    #[test]
    fn square_area_and_containment() {
        let sq = square();
        assert_eq!(sq.area(), 100.0);
        assert!(sq.contains(Point::new(5.0, 5.0)));
        assert!(!sq.contains(Point::new(15.0, 5.0)));
        assert_eq!(sq.boundary_distance(Point::new(5.0, 3.0)), 3.0);
    }

    #[test]
    fn bow_tie_is_refused() {
        let err = Polygon::new(vec![
            Point::new(0.0, 0.0),
            Point::new(10.0, 10.0),
            Point::new(10.0, 0.0),
            Point::new(0.0, 10.0),
        ])
        .unwrap_err();
        assert!(matches!(err, PolygonError::SelfIntersecting { first: 0, second: 2, .. }), "{err:?}");
    }

    #[test]
    fn too_few_and_collinear_points_are_refused() {
        assert_eq!(
            Polygon::new(vec![Point::new(0.0, 0.0), Point::new(1.0, 1.0)]),
            Err(PolygonError::TooFewPoints(2))
        );
        let line = vec![Point::new(0.0, 0.0), Point::new(1.0, 0.0), Point::new(2.0, 0.0)];
        assert!(Polygon::new(line).is_err());
    }

    #[test]
    fn curve_passes_through_its_points_and_has_sides() {
        let pts = [Point::new(0.0, 10.0), Point::new(50.0, 0.0), Point::new(100.0, 10.0)];
        let curve = Curve::through(&pts, 16).unwrap();
        for p in pts {
            assert!(curve.project(p).signed_distance.abs() < 1e-9);
        }
        // Walking left to right, "below" on screen (larger y) is the right-hand side.
        assert!(curve.project(Point::new(50.0, 20.0)).signed_distance > 0.0);
        assert!(curve.project(Point::new(50.0, -20.0)).signed_distance < 0.0);
        // The end rays extend the curve: far to the right, below is still positive.
        assert!(curve.project(Point::new(300.0, 60.0)).signed_distance > 0.0);
        assert!(curve.project(Point::new(300.0, -60.0)).signed_distance < 0.0);
    }

    proptest! {
        #[test]
        fn convex_polygon_contains_its_centroid(
            n in 3usize..12, r in 1.0f64..1000.0, cx in -500.0f64..500.0, cy in -500.0f64..500.0
        ) {
            let verts: Vec<Point> = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    Point::new(cx + r * a.cos(), cy + r * a.sin())
                })
                .collect();
            let poly = Polygon::new(verts).unwrap();
            prop_assert!(poly.contains(Point::new(cx, cy)));
            prop_assert!(!poly.contains(Point::new(cx + 2.0 * r, cy)));
            let inscribed = r * (std::f64::consts::PI / n as f64).cos();
            prop_assert!((poly.boundary_distance(Point::new(cx, cy)) - inscribed).abs() < 1e-6 * r);
        }

        /// A star (concave, many crossings per line): the spans between the
        /// crossings hold exactly the points `contains` says are inside.
        #[test]
        fn crossings_give_the_same_inside_as_contains(
            radii in proptest::collection::vec(5.0f64..100.0, 3..40),
            ys in proptest::collection::vec(-110.0f64..110.0, 1..8),
            xs in proptest::collection::vec(-110.0f64..110.0, 1..40),
        ) {
            let n = radii.len();
            let verts: Vec<Point> = radii
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    Point::new(r * a.cos(), r * a.sin())
                })
                .collect();
            let poly = Polygon::new(verts).unwrap();
            for &y in &ys {
                let crossings = poly.crossings_at(y);
                prop_assert_eq!(crossings.len() % 2, 0);
                for &x in xs.iter().chain(&crossings) {
                    let in_span = crossings.chunks_exact(2).any(|s| x >= s[0] && x < s[1]);
                    prop_assert_eq!(in_span, poly.contains(Point::new(x, y)), "({}, {})", x, y);
                }
            }
        }

        #[test]
        fn curve_distance_is_never_more_than_distance_to_a_through_point(
            ys in proptest::collection::vec(-100.0f64..100.0, 2..8),
            px in -200.0f64..1000.0, py in -300.0f64..300.0,
        ) {
            let pts: Vec<Point> = ys.iter().enumerate().map(|(i, &y)| Point::new(i as f64 * 100.0, y)).collect();
            let curve = Curve::through(&pts, 12).unwrap();
            let p = Point::new(px, py);
            let d = curve.project(p).signed_distance.abs();
            let nearest_point = pts.iter().map(|q| q.distance(p)).fold(f64::INFINITY, f64::min);
            prop_assert!(d <= nearest_point + 1e-6);
        }

        #[test]
        fn projecting_among_the_segments_near_gives_the_full_projection(
            ys in proptest::collection::vec(-100.0f64..100.0, 2..8),
            cx in -200.0f64..800.0, cy in -300.0f64..300.0, radius in 0.1f64..40.0,
            offsets in proptest::collection::vec((-1.0f64..1.0, -1.0f64..1.0), 1..12),
        ) {
            let pts: Vec<Point> = ys.iter().enumerate().map(|(i, &y)| Point::new(i as f64 * 100.0, y)).collect();
            let curve = Curve::through(&pts, 12).unwrap();
            let centre = Point::new(cx, cy);
            let near = curve.segments_near(centre, radius);
            prop_assert!(!near.is_empty());
            for (dx, dy) in offsets {
                // Within `radius` of the centre.
                let p = Point::new(cx + dx * radius * 0.7, cy + dy * radius * 0.7);
                prop_assert_eq!(curve.project_among(p, near.iter().copied()), curve.project(p));
            }
        }
    }
}
