//! Areas on the head: the scalp a zone drawn on a photo covers, measured on
//! the head model's surface, not on the picture.
//!
//! The surface is walked in small patches (a fine grid of the ellipsoid's
//! angles, each patch's exact area); a patch counts when it faces the
//! photo's camera and its centre's image lies inside the polygon. Walking
//! the surface rather than the pixels keeps the sum exact where the scalp
//! turns away from the camera (a pixel near the outline covers an unbounded
//! area of scalp; a patch never does).

use glam::DVec3;

use crate::geometry::{Point, Polygon};
use crate::head::Head;
use crate::pose::Camera;

/// Grid steps over the angle from the top (up to the ear plane and a
/// little beyond) and around the head.
const POLAR_STEPS: usize = 400;
const AROUND_STEPS: usize = 800;

/// How far below the ear plane the scalp is walked, as an angle from the
/// top: the back of the head and the nape reach below the ear tops.
const LOWEST_POLAR: f64 = 2.0;

/// A zone's measure on the head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoneOnHead {
    /// Its area of scalp, cm2.
    pub area_cm2: f64,
    /// Its area weighted by the feathering ramp (density rises over
    /// `feather_mm` inside the edge): times the density, the impressions
    /// it takes.
    pub effective_cm2: f64,
}

/// The scalp whose image on `camera`'s photo lies inside `polygon` (photo
/// pixels), facing the camera; `feather_mm` the ramp inside its edge.
pub fn zone_on_head(head: &Head, camera: &Camera, polygon: &Polygon, feather_mm: f64) -> ZoneOnHead {
    let bounds = polygon.bounds();
    let toward = camera.view_direction();
    let (d_polar, d_around) =
        (LOWEST_POLAR / POLAR_STEPS as f64, std::f64::consts::TAU / AROUND_STEPS as f64);
    let (mut area, mut effective) = (0.0, 0.0);
    for i in 0..POLAR_STEPS {
        let polar = (i as f64 + 0.5) * d_polar;
        let (sin_p, cos_p) = polar.sin_cos();
        for j in 0..AROUND_STEPS {
            let around = (j as f64 + 0.5) * d_around;
            let (sin_a, cos_a) = around.sin_cos();
            let p = DVec3::new(head.a * sin_p * cos_a, head.b * sin_p * sin_a, head.c * cos_p);
            if head.normal(p).dot(toward) <= 0.0 {
                continue;
            }
            let [x, y] = camera.project(p);
            let at = Point::new(x, y);
            if x < bounds.min.x
                || x > bounds.max.x
                || y < bounds.min.y
                || y > bounds.max.y
                || !polygon.contains(at)
            {
                continue;
            }
            // |dp/dpolar x dp/daround|, the patch's area per unit of angles.
            let d_dpolar = DVec3::new(head.a * cos_p * cos_a, head.b * cos_p * sin_a, -head.c * sin_p);
            let d_daround = DVec3::new(-head.a * sin_p * sin_a, head.b * sin_p * cos_a, 0.0);
            let patch_mm2 = d_dpolar.cross(d_daround).length() * d_polar * d_around;
            area += patch_mm2;
            let ramp = if feather_mm > 0.0 {
                smoothstep(polygon.boundary_distance(at) / camera.scale / feather_mm)
            } else {
                1.0
            };
            effective += patch_mm2 * ramp;
        }
    }
    ZoneOnHead { area_cm2: area / 100.0, effective_cm2: effective / 100.0 }
}

fn smoothstep(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::View;
    use crate::pose::initial_rotation;
    use glam::DMat3;

    /// A circle of `radius` px around `centre`, as a polygon of many sides.
    fn circle(centre: [f64; 2], radius: f64) -> Polygon {
        let n = 180;
        Polygon::new(
            (0..n)
                .map(|k| {
                    let t = k as f64 / n as f64 * std::f64::consts::TAU;
                    Point::new(centre[0] + radius * t.cos(), centre[1] + radius * t.sin())
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_cap_of_a_round_head_has_its_area_whatever_the_tilt() {
        // A round head of radius 100 mm: a circle of radius r on the photo
        // around the head's centre is a cap of area 2 pi R h, h = R - sqrt(R² - r²).
        let radius = 100.0;
        let head = Head { a: radius, b: radius, c: radius };
        for tilt_degrees in [0.0_f64, 35.0, 55.0] {
            let turn = DMat3::from_axis_angle(DVec3::X, tilt_degrees.to_radians());
            let camera = Camera {
                rotation: turn * initial_rotation(View::Top),
                scale: 10.0,
                offset: [2000.0, 2000.0],
            };
            let r_mm = 60.0;
            let zone = zone_on_head(&head, &camera, &circle([2000.0, 2000.0], r_mm * 10.0), 0.0);
            let h = radius - (radius * radius - r_mm * r_mm).sqrt();
            let truth = std::f64::consts::TAU * radius * h / 100.0;
            assert!(
                (zone.area_cm2 / truth - 1.0).abs() < 0.02,
                "tilt {tilt_degrees}: {} cm2 against {truth}",
                zone.area_cm2
            );
            // The flat picture's area is the disc's, well short of the cap's.
            let flat = std::f64::consts::PI * r_mm * r_mm / 100.0;
            assert!(zone.area_cm2 > flat * 1.1, "{} against {flat}", zone.area_cm2);
        }
    }

    #[test]
    fn the_whole_top_view_is_the_upper_half_of_the_head() {
        let head = Head { a: 76.0, b: 98.0, c: 110.0 };
        let camera = Camera { rotation: initial_rotation(View::Top), scale: 10.0, offset: [2000.0, 2000.0] };
        let everything = Polygon::new(vec![
            Point::new(0.0, 0.0),
            Point::new(4000.0, 0.0),
            Point::new(4000.0, 4000.0),
            Point::new(0.0, 4000.0),
        ])
        .unwrap();
        let zone = zone_on_head(&head, &camera, &everything, 0.0);
        // The upper half-ellipsoid by an independent sum: rings of the
        // surface of revolution's profile, integrated in height.
        let truth = upper_half_area_mm2(&head) / 100.0;
        assert!((zone.area_cm2 / truth - 1.0).abs() < 0.01, "{} against {truth}", zone.area_cm2);
        // Feathered over 5 mm inside the edge of a 100 x 100 mm square seen
        // from above: about a 2.5 mm strip of the edge goes, some 10 %.
        let square = Polygon::new(vec![
            Point::new(1500.0, 1500.0),
            Point::new(2500.0, 1500.0),
            Point::new(2500.0, 2500.0),
            Point::new(1500.0, 2500.0),
        ])
        .unwrap();
        let feathered = zone_on_head(&head, &camera, &square, 5.0);
        let share = feathered.effective_cm2 / feathered.area_cm2;
        assert!((0.85..0.95).contains(&share), "{share}");
    }

    /// The area of the half-ellipsoid above z = 0, by slicing it into thin
    /// elliptical bands in z (Ramanujan's perimeter times the slant width).
    fn upper_half_area_mm2(head: &Head) -> f64 {
        let n = 200_000;
        let mut total = 0.0;
        for k in 0..n {
            let (z0, z1) = (head.c * k as f64 / n as f64, head.c * (k + 1) as f64 / n as f64);
            let s = |z: f64| (1.0 - (z / head.c).powi(2)).max(0.0).sqrt();
            let (s0, s1) = (s(z0), s(z1));
            let perimeter =
                crate::head::ellipse_perimeter(head.a * (s0 + s1) / 2.0, head.b * (s0 + s1) / 2.0);
            // The band's slant: the radial change over the mean radius.
            let radial = ((head.a + head.b) / 2.0) * (s0 - s1);
            total += perimeter * (radial.powi(2) + (z1 - z0).powi(2)).sqrt();
        }
        total
    }
}
