//! The client's head as a model in millimetres, from three tape
//! measurements: the frame every schema 2 design lives in.
//!
//! Head frame (a contract): origin at the model's centre; +x toward the
//! client's right ear, +y toward the face, +z up (right-handed). The plane
//! z = 0 passes through the landmarks `glabella` (between the brows),
//! `right_ear` and `left_ear` (the top of each ear, where it meets the
//! head): the plane a tape follows around the head just above the ears.
//! The model is the ellipsoid x²/a² + y²/b² + z²/c² = 1, with glabella at
//! (0, b, 0) and the ears at (±a, 0, 0).

use glam::DVec3;

/// The three tape measurements a practitioner takes at the consultation,
/// in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadMeasurements {
    /// Around the head through the glabella and both ear tops: the
    /// perimeter of the ellipse with semi-axes a and b.
    pub circumference_mm: f64,
    /// From one ear top over the top of the head to the other: half the
    /// perimeter of the ellipse a, c.
    pub ear_to_ear_mm: f64,
    /// From the glabella over the top of the head to the back of the
    /// circumference line: half the perimeter of the ellipse b, c.
    pub front_to_back_mm: f64,
}

impl HeadMeasurements {
    /// A typical adult head (semi-axes 76, 98 and 110 mm: a head 152 mm
    /// wide and 196 mm long, near the adult means), used where the
    /// measurements were not taken, with a warning wherever it counts.
    pub const TYPICAL: HeadMeasurements =
        HeadMeasurements { circumference_mm: 549.0, ear_to_ear_mm: 295.0, front_to_back_mm: 327.0 };
}

/// Why measurements make no head.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeadError {
    /// A measurement outside what any adult or child head has.
    #[error("{what}: {value} mm is not a head measurement ({min} to {max} mm)")]
    OutOfRange {
        /// The measurement's key.
        what: &'static str,
        /// As given.
        value: f64,
        /// The smallest accepted.
        min: f64,
        /// The largest accepted.
        max: f64,
    },
    /// The three do not fit one ellipsoid (one was taken around the wrong
    /// line, or typed wrong).
    #[error(
        "the three measurements do not fit one head (circumference {0} mm, ear to ear {1} mm, front to back {2} mm): check where each tape went"
    )]
    Inconsistent(f64, f64, f64),
}

/// The head model: an ellipsoid in the head frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Head {
    /// Semi-axis toward the right ear (x), mm.
    pub a: f64,
    /// Semi-axis toward the face (y), mm.
    pub b: f64,
    /// Semi-axis up (z), mm.
    pub c: f64,
}

/// The perimeter of an ellipse with semi-axes `p` and `q` (Ramanujan's
/// second approximation: within a few parts per million for head shapes).
pub fn ellipse_perimeter(p: f64, q: f64) -> f64 {
    let h = ((p - q) / (p + q)).powi(2);
    std::f64::consts::PI * (p + q) * (1.0 + 3.0 * h / (10.0 + (4.0 - 3.0 * h).sqrt()))
}

/// A fixed point of the head model a photo's camera is fitted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Landmark {
    /// Between the brows.
    Glabella,
    /// The top of the right ear, where it meets the head.
    RightEar,
    /// The top of the left ear.
    LeftEar,
}

impl Landmark {
    /// Every landmark.
    pub const ALL: [Landmark; 3] = [Landmark::Glabella, Landmark::RightEar, Landmark::LeftEar];

    /// Its name in a design file.
    pub fn name(self) -> &'static str {
        match self {
            Landmark::Glabella => "glabella",
            Landmark::RightEar => "right_ear",
            Landmark::LeftEar => "left_ear",
        }
    }

    /// The landmark a name in a design file is, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl Head {
    /// The ellipsoid whose perimeters are the three measurements.
    pub fn from_measurements(m: &HeadMeasurements) -> Result<Self, HeadError> {
        let check = |what, value: f64, min, max| {
            if value.is_finite() && (min..=max).contains(&value) {
                Ok(value)
            } else {
                Err(HeadError::OutOfRange { what, value, min, max })
            }
        };
        let around = check("circumference_mm", m.circumference_mm, 300.0, 800.0)?;
        let across = check("ear_to_ear_mm", m.ear_to_ear_mm, 150.0, 500.0)?;
        let along = check("front_to_back_mm", m.front_to_back_mm, 150.0, 550.0)?;
        let inconsistent = || HeadError::Inconsistent(around, across, along);
        // Newton's method on the three perimeters, from the circles that
        // give each one alone; the Jacobian by central differences (the
        // perimeter is smooth and this runs once per design).
        let residual = |h: [f64; 3]| {
            [
                ellipse_perimeter(h[0], h[1]) - around,
                ellipse_perimeter(h[0], h[2]) / 2.0 - across,
                ellipse_perimeter(h[1], h[2]) / 2.0 - along,
            ]
        };
        let mut h = [around / (2.0 * std::f64::consts::PI), 0.0, across / std::f64::consts::PI];
        h[1] = h[0];
        h[2] = (h[2] + along / std::f64::consts::PI) / 2.0;
        for _ in 0..50 {
            let r = residual(h);
            if r.iter().all(|v| v.abs() < 1e-9) {
                break;
            }
            let mut jacobian = [[0.0; 3]; 3];
            for (k, column) in (0..3).map(|k| (k, 1e-4)) {
                let (mut up, mut down) = (h, h);
                up[k] += column;
                down[k] -= column;
                let (ru, rd) = (residual(up), residual(down));
                for row in 0..3 {
                    jacobian[row][k] = (ru[row] - rd[row]) / (2.0 * column);
                }
            }
            let step = crate::solve::solve(&jacobian.iter().flatten().copied().collect::<Vec<_>>(), &r, 3)
                .ok_or_else(inconsistent)?;
            for k in 0..3 {
                h[k] -= step[k];
            }
            if h.iter().any(|v| !v.is_finite() || *v <= 10.0) {
                return Err(inconsistent());
            }
        }
        let r = residual(h);
        if r.iter().any(|v| v.abs() > 0.01) {
            return Err(inconsistent());
        }
        Ok(Head { a: h[0], b: h[1], c: h[2] })
    }

    /// A landmark's place on the model.
    pub fn landmark(&self, landmark: Landmark) -> DVec3 {
        match landmark {
            Landmark::Glabella => DVec3::new(0.0, self.b, 0.0),
            Landmark::RightEar => DVec3::new(self.a, 0.0, 0.0),
            Landmark::LeftEar => DVec3::new(-self.a, 0.0, 0.0),
        }
    }

    /// The point of the surface in the direction `d` from the centre.
    pub fn surface_toward(&self, d: DVec3) -> DVec3 {
        let scale = ((d.x / self.a).powi(2) + (d.y / self.b).powi(2) + (d.z / self.c).powi(2)).sqrt();
        d / scale
    }

    /// The outward unit normal at a surface point.
    pub fn normal(&self, p: DVec3) -> DVec3 {
        DVec3::new(p.x / (self.a * self.a), p.y / (self.b * self.b), p.z / (self.c * self.c)).normalize()
    }

    /// Where the ray from `origin` along `direction` first meets the
    /// surface, if it does.
    pub fn first_hit(&self, origin: DVec3, direction: DVec3) -> Option<DVec3> {
        // In coordinates where the ellipsoid is the unit sphere.
        let scale = DVec3::new(1.0 / self.a, 1.0 / self.b, 1.0 / self.c);
        let (o, d) = (origin * scale, direction * scale);
        let (qa, qb, qc) = (d.dot(d), 2.0 * o.dot(d), o.dot(o) - 1.0);
        let disc = qb * qb - 4.0 * qa * qc;
        if disc < 0.0 || qa == 0.0 {
            return None;
        }
        let t = (-qb - disc.sqrt()) / (2.0 * qa);
        (t >= 0.0).then(|| origin + direction * t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_gives_its_semi_axes() {
        let head = Head::from_measurements(&HeadMeasurements::TYPICAL).unwrap();
        assert!((head.a - 76.0).abs() < 1.0, "{head:?}");
        assert!((head.b - 98.0).abs() < 1.0, "{head:?}");
        assert!((head.c - 110.0).abs() < 1.0, "{head:?}");
    }

    #[test]
    fn the_perimeters_are_the_measurements() {
        let m = HeadMeasurements { circumference_mm: 575.0, ear_to_ear_mm: 330.0, front_to_back_mm: 350.0 };
        let h = Head::from_measurements(&m).unwrap();
        assert!((ellipse_perimeter(h.a, h.b) - 575.0).abs() < 1e-6);
        assert!((ellipse_perimeter(h.a, h.c) / 2.0 - 330.0).abs() < 1e-6);
        assert!((ellipse_perimeter(h.b, h.c) / 2.0 - 350.0).abs() < 1e-6);
        // A circle's perimeter, to check the approximation itself.
        assert!((ellipse_perimeter(50.0, 50.0) - 100.0 * std::f64::consts::PI).abs() < 1e-9);
    }

    #[test]
    fn impossible_measurements_are_refused_by_name() {
        let m = HeadMeasurements { circumference_mm: 90.0, ..HeadMeasurements::TYPICAL };
        assert!(Head::from_measurements(&m).unwrap_err().to_string().contains("circumference_mm"));
        let m = HeadMeasurements { circumference_mm: 780.0, ear_to_ear_mm: 160.0, front_to_back_mm: 160.0 };
        assert!(matches!(Head::from_measurements(&m), Err(HeadError::Inconsistent(..))));
    }

    #[test]
    fn rays_meet_the_surface_on_the_near_side() {
        let head = Head { a: 76.0, b: 98.0, c: 110.0 };
        let hit = head.first_hit(DVec3::new(0.0, 0.0, 500.0), DVec3::new(0.0, 0.0, -1.0)).unwrap();
        assert!((hit - DVec3::new(0.0, 0.0, 110.0)).length() < 1e-9);
        assert!(head.first_hit(DVec3::new(200.0, 0.0, 500.0), DVec3::new(0.0, 0.0, -1.0)).is_none());
        let p = head.surface_toward(DVec3::new(1.0, 1.0, 1.0));
        let on = (p.x / 76.0).powi(2) + (p.y / 98.0).powi(2) + (p.z / 110.0).powi(2);
        assert!((on - 1.0).abs() < 1e-12);
        assert!(head.normal(DVec3::new(0.0, 98.0, 0.0)).abs_diff_eq(DVec3::Y, 1e-12));
    }
}
