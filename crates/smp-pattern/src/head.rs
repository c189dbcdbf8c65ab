//! Impressions on the client's head (designs of schema 2): sampled on the
//! photo the zones are drawn on, at the design's density per cm2 of scalp
//! surface, and placed on the head model, from where every other photo
//! sees them.
//!
//! The photo's plane is sampled with the density raised by 1 / cos of the
//! angle between the scalp's normal and the camera (a square centimetre of
//! scalp turned away covers less of the photo), so that the density on the
//! surface is the design's; each impression is then carried along its
//! pixel's ray onto the head. Scalp turned more than 78 degrees from the
//! drawing photo's camera is left out: it is drawn on another photo.

use glam::DVec3;
use smp_core::head::Head;
use smp_core::head_design::HeadDesign;
use smp_core::pose::{Camera, PoseFit};
use smp_core::{Design, Point};

use crate::{DensityField, Impression, Pattern};

/// The steepest the scalp may turn from the drawing photo's camera and
/// still be sampled there (cos 78 degrees).
const LEAST_COSINE: f64 = 0.2;

/// One impression on the head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadImpression {
    /// Its place on the head, mm, head frame.
    pub at: DVec3,
    /// Healed diameter, mm.
    pub diameter_mm: f64,
    /// Index into the pattern's zone names.
    pub zone: u16,
    /// 1-based session.
    pub session: u8,
}

/// All impressions of a design on the head.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadPattern {
    /// In a fixed order: an impression's index is its id in every photo.
    pub impressions: Vec<HeadImpression>,
    /// Zone names, by [`HeadImpression::zone`].
    pub zone_names: Vec<String>,
    /// Number of sessions.
    pub sessions: usize,
}

/// A design on the photo `name`'s plane (schema 1), at its scale at the
/// head's centre: the head design's client (with the hair sample only on
/// its own photo), dots, pigment and sessions, and no hairline or zone yet.
pub fn photo_plane(design: &HeadDesign, camera: &Camera, name: &str) -> smp_core::DesignFile {
    let file = &design.file;
    let (path, view) = design
        .photos
        .iter()
        .find(|(_, marks)| marks.name == name)
        .map_or((name.into(), smp_core::View::Top), |(path, marks)| (path.clone(), marks.view));
    smp_core::DesignFile {
        schema: smp_core::design::SCHEMA_VERSION,
        seed: file.seed,
        photo: smp_core::design_file::PhotoSection {
            path,
            view,
            scale: smp_core::design_file::ScaleSection {
                from: [0.0, 0.0],
                to: [camera.scale * 100.0, 0.0],
                mm: 100.0,
            },
            hair_mask: file.photos.iter().find(|p| p.name == name).and_then(|p| p.hair_mask.clone()),
        },
        client: smp_core::design_file::ClientSection {
            hair_sample: file
                .client
                .hair_sample
                .clone()
                .filter(|_| file.client.hair_sample_on.as_deref() == Some(name)),
            hair_sample_on: None,
            ..file.client.clone()
        },
        hairline: None,
        zones: Vec::new(),
        impressions: file.impressions,
        pigment: file.pigment,
        sessions: file.sessions.clone(),
        growth: Vec::new(),
    }
}

/// The photo-plane design of the zones drawn on the photo `on`: schema 1,
/// at that photo's scale at the head's centre. A hairline drawn on another
/// photo is carried there through the head: each of its points onto the
/// head along its photo's ray, then into this photo.
pub fn drawn_on(design: &HeadDesign, fit: &PoseFit, on: &str) -> Option<Design> {
    let file = &design.file;
    let camera = fit.camera(on)?;
    let hairline = file.hairline.as_ref().and_then(|h| {
        let points: Vec<[f64; 2]> = if h.on == on {
            h.points.clone()
        } else {
            let from = fit.camera(&h.on)?;
            let mut carried: Vec<[f64; 2]> = h
                .points
                .iter()
                .filter_map(|p| from.on_head(&design.head, *p))
                .map(|at| camera.project(at))
                .collect();
            // Left to right in this photo (a front view sees the client's
            // right on its left; a top view on its right).
            carried.sort_by(|a, b| a[0].total_cmp(&b[0]));
            carried
        };
        (points.len() >= 2).then_some(smp_core::design_file::HairlineSection {
            style: h.style,
            points,
            transition_mm: h.transition_mm,
            glabella: None,
        })
    });
    let zones: Vec<_> = file.zones.iter().filter(|z| z.on == on).collect();
    if zones.is_empty() {
        return None;
    }
    let flat = smp_core::DesignFile {
        hairline,
        zones: zones
            .iter()
            .map(|z| smp_core::design_file::ZoneSection {
                name: z.name.clone(),
                polygon: z.polygon.clone(),
                density: z.density,
                feather_mm: z.feather_mm,
                shape: None,
            })
            .collect(),
        ..photo_plane(design, &camera, on)
    };
    smp_core::parse(&flat.to_toml()).ok()
}

/// Samples the design's zones on the photos they are drawn on and places
/// the impressions on the head.
pub fn generate(design: &HeadDesign, fit: &PoseFit) -> Result<HeadPattern, String> {
    let head = &design.head;
    let mut impressions = Vec::new();
    let mut zone_names: Vec<String> = Vec::new();
    let mut photos: Vec<&str> = Vec::new();
    for zone in &design.file.zones {
        if !photos.contains(&zone.on.as_str()) {
            photos.push(&zone.on);
        }
    }
    let mut sessions = 0;
    for on in photos {
        let camera = fit.camera(on).ok_or_else(|| format!("the photo {on:?} has no fitted camera"))?;
        let Some(flat) = drawn_on(design, fit, on) else { continue };
        let mm_per_px = flat.photo.mm_per_px;
        let toward = camera.view_direction();
        let mut field = DensityField::new(&flat);
        field.scale_by(|mm| {
            let pixel = [mm.x / mm_per_px, mm.y / mm_per_px];
            match camera.on_head(head, pixel) {
                Some(p) => {
                    let cos = head.normal(p).dot(toward);
                    if cos >= LEAST_COSINE { 1.0 / cos } else { 0.0 }
                }
                None => 0.0,
            }
        });
        let pattern = Pattern::from_field(&flat, &field);
        let base = zone_names.len() as u16;
        zone_names.extend(pattern.zone_names.iter().cloned());
        sessions = sessions.max(pattern.sessions);
        impressions.extend(pattern.impressions.iter().filter_map(|i| {
            let at = camera.on_head(head, [i.x_px, i.y_px])?;
            Some(HeadImpression { at, diameter_mm: i.diameter_mm, zone: base + i.zone, session: i.session })
        }));
    }
    Ok(HeadPattern { impressions, zone_names, sessions })
}

impl HeadPattern {
    /// The impressions a photo's camera sees, as a pattern in its pixels,
    /// each with its id (index in [`HeadPattern::impressions`]). A dot on
    /// scalp turned from the camera keeps its diameter across the turn and
    /// narrows along it ([`Impression::tilt`]).
    pub fn seen_by(&self, head: &Head, camera: &Camera) -> (Pattern, Vec<usize>) {
        let mut ids = Vec::new();
        let impressions = self
            .impressions
            .iter()
            .enumerate()
            .filter_map(|(id, i)| {
                // The normal in the camera's frame: z toward the camera, y up.
                let normal = camera.rotation * head.normal(i.at);
                if normal.z <= 0.0 {
                    return None;
                }
                let [x_px, y_px] = camera.project(i.at);
                ids.push(id);
                Some(Impression {
                    x_px,
                    y_px,
                    diameter_mm: i.diameter_mm,
                    zone: i.zone,
                    session: i.session,
                    tilt: [normal.x, -normal.y],
                    stroke: None,
                })
            })
            .collect();
        (Pattern { impressions, zone_names: self.zone_names.clone(), sessions: self.sessions }, ids)
    }
}

/// One photo's view of a design on the head.
#[derive(Debug, Clone)]
pub struct View {
    /// A design on the photo's plane at its scale at the head's centre,
    /// whose one zone outlines the impressions the photo sees (the render
    /// reads the skin there).
    pub design: Design,
    /// The impressions facing the photo, in its pixels.
    pub pattern: Pattern,
    /// Each one's id: its index in [`HeadPattern::impressions`].
    pub ids: Vec<usize>,
}

/// What the photo `name` (seen by `camera`) shows of `pattern`, a design
/// on the head; `None` when it sees none of the impressions.
pub fn view(design: &HeadDesign, pattern: &HeadPattern, camera: &Camera, name: &str) -> Option<View> {
    let (seen, ids) = pattern.seen_by(&design.head, camera);
    let outline = outline_of(&seen)?;
    let flat = smp_core::DesignFile {
        zones: vec![smp_core::design_file::ZoneSection {
            name: "seen".into(),
            polygon: outline.iter().map(|p| [p.x, p.y]).collect(),
            ..smp_core::design_file::ZoneSection::default()
        }],
        ..photo_plane(design, camera, name)
    };
    let flat = smp_core::parse(&flat.to_toml()).ok()?;
    Some(View { design: flat, pattern: seen, ids })
}

/// Where the impressions of a photo lie, as one outline in its pixels (for
/// what the render reads off the photo there, such as the skin's colour).
pub fn outline_of(pattern: &Pattern) -> Option<[Point; 4]> {
    let xs = pattern.impressions.iter().map(|i| i.x_px);
    let ys = pattern.impressions.iter().map(|i| i.y_px);
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    (x1 > x0 && y1 > y0)
        .then(|| [Point::new(x0, y0), Point::new(x1, y0), Point::new(x1, y1), Point::new(x0, y1)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use smp_core::head_design::parse_head_design;
    use smp_core::pose::{FittedPhoto, initial_rotation};

    /// A design of one zone over the whole top view, 40 per cm2, seen by a
    /// camera straight above at 10 px per mm.
    fn whole_top() -> (HeadDesign, PoseFit) {
        let text = smp_core::head_design::EXAMPLE_HEAD_DESIGN
            .replace(
                "polygon = [[900, 700], [3100, 700], [3300, 2600], [700, 2600]]",
                "polygon = [[0, 0], [4000, 0], [4000, 4000], [0, 4000]]",
            )
            .replace("density = 60.0 ", "density = 40.0 ")
            .replace(
                "on = \"front\"                 # the photo",
                "on = \"top\"                 # the photo",
            );
        let mut design = parse_head_design(&text).unwrap();
        design.file.hairline = None;
        design.head = Head { a: 76.0, b: 98.0, c: 110.0 };
        let top =
            Camera { rotation: initial_rotation(smp_core::View::Top), scale: 10.0, offset: [2000.0, 2000.0] };
        let front = Camera {
            rotation: initial_rotation(smp_core::View::Front),
            scale: 10.0,
            offset: [2000.0, 2000.0],
        };
        let photo = |name: &str, camera| FittedPhoto {
            name: name.into(),
            camera,
            rms_mm: 0.0,
            worst: None,
            hidden: vec![],
        };
        (design, PoseFit { photos: vec![photo("top", top), photo("front", front)], tie_points: vec![] })
    }

    #[test]
    fn the_density_on_the_scalp_is_the_designs_however_it_turns_from_the_camera() {
        let (design, fit) = whole_top();
        let pattern = generate(&design, &fit).unwrap();
        let head = design.head;
        let radius = 12.0;
        let patch_cm2 = std::f64::consts::PI * radius * radius / 100.0;
        for degrees in [0.0f64, 35.0, 55.0] {
            // A point of the surface whose normal is `degrees` from straight
            // up, toward the face (found along the meridian x = 0).
            let centre = (0..=9000)
                .map(|k| {
                    head.surface_toward(DVec3::new(
                        0.0,
                        (k as f64 / 100.0).to_radians().sin(),
                        (k as f64 / 100.0).to_radians().cos(),
                    ))
                })
                .min_by(|p, q| {
                    let off =
                        |p: &DVec3| (head.normal(*p).angle_between(DVec3::Z).to_degrees() - degrees).abs();
                    off(p).total_cmp(&off(q))
                })
                .unwrap();
            let count = pattern.impressions.iter().filter(|i| (i.at - centre).length() <= radius).count();
            let density = count as f64 / patch_cm2;
            assert!(
                (density / 40.0 - 1.0).abs() <= 0.05,
                "{degrees} degrees: {density:.1} per cm2 of scalp ({count} in {patch_cm2:.2} cm2)"
            );
        }
    }

    #[test]
    fn every_photo_sees_the_same_impressions_where_they_are_and_none_behind() {
        let (design, fit) = whole_top();
        let pattern = generate(&design, &fit).unwrap();
        let (front, ids) = pattern.seen_by(&design.head, &fit.photos[1].camera);
        assert!(
            !ids.is_empty() && ids.len() < pattern.impressions.len(),
            "{} of {}",
            ids.len(),
            pattern.impressions.len()
        );
        for (seen, &id) in front.impressions.iter().zip(&ids) {
            let on_head = pattern.impressions[id].at;
            // The face side only, and where the camera puts that point.
            assert!(design.head.normal(on_head).dot(DVec3::Y) > 0.0);
            let [x, y] = fit.photos[1].camera.project(on_head);
            assert!((seen.x_px - x).abs() < 1e-9 && (seen.y_px - y).abs() < 1e-9);
            // Narrowed by the cosine of the turn, across the turn: near
            // the top of the head the normal seen in the photo points up.
            let cos = design.head.normal(on_head).dot(fit.photos[1].camera.view_direction());
            let [tx, ty] = seen.tilt;
            assert!((tx * tx + ty * ty + cos * cos - 1.0).abs() < 1e-9);
            if on_head.z > 95.0 && on_head.x.abs() < 10.0 {
                assert!(ty < -0.8 && tx.abs() < 0.2, "at {on_head}: tilt {:?}", seen.tilt);
            }
        }
        // Seen from the top, every impression is there.
        let (top, ids) = pattern.seen_by(&design.head, &fit.photos[0].camera);
        assert_eq!(
            (top.impressions.len(), ids.len()),
            (pattern.impressions.len(), pattern.impressions.len())
        );
    }

    #[test]
    fn a_hairline_drawn_on_the_front_photo_shapes_the_zone_drawn_on_the_top_one() {
        let text = smp_core::head_design::EXAMPLE_HEAD_DESIGN.replace(
            "points = [[1350, 1880], [2000, 1760], [2650, 1880]]",
            "points = [[1350, 1500], [2000, 1400], [2650, 1500]]",
        );
        let design = parse_head_design(&text).unwrap();
        let marks: Vec<_> = design.photos.iter().map(|(_, m)| m.clone()).collect();
        let fit = smp_core::pose::fit(&design.head, &marks).unwrap();
        // Carried into the top photo: left to right, across the zone.
        let top = drawn_on(&design, &fit, "top").unwrap();
        let line = top.hairline.as_ref().expect("the hairline reaches the top photo");
        let xs: Vec<f64> = line.points.iter().map(|p| p.x).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
        assert!(line.points.iter().all(|p| (700.0..2600.0).contains(&p.y)), "{:?}", line.points);
        // It takes the impressions ahead of it away.
        let with = generate(&design, &fit).unwrap().impressions.len();
        let mut bare = design.clone();
        bare.file.hairline = None;
        let without = generate(&bare, &fit).unwrap().impressions.len();
        assert!(with < without * 9 / 10, "{with} with the hairline, {without} without");
    }
}
