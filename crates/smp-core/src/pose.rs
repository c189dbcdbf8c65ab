//! Where each photo was taken from: a camera per photo fitted, by least
//! squares, to the points tapped on it and the head model.
//!
//! The camera is a scaled orthographic one (orientation, scale and offset:
//! six numbers): a head 20 cm across seen from 40 cm or more is close to
//! it, and it needs only three points. The landmarks are fixed points of
//! the model; any other point is a tie point, a mark drawn on the client's
//! head, whose place on the model is fitted with the cameras.

use glam::{DMat3, DVec3};

use crate::design::View;
use crate::head::{Head, Landmark};

/// A fitted camera: head frame to photo pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Head frame to camera frame (x right in the photo, y up, z toward
    /// the camera).
    pub rotation: DMat3,
    /// Photo pixels per millimetre on the head.
    pub scale: f64,
    /// Where the head's centre is in the photo, pixels.
    pub offset: [f64; 2],
}

impl Camera {
    /// The pixel a head point shows at.
    pub fn project(&self, p: DVec3) -> [f64; 2] {
        let q = self.rotation * p;
        [self.offset[0] + self.scale * q.x, self.offset[1] - self.scale * q.y]
    }

    /// The unit vector from the head's centre toward the camera, head frame.
    pub fn view_direction(&self) -> DVec3 {
        self.rotation.row(2)
    }

    /// Whether the surface at `p` faces this camera.
    pub fn sees(&self, head: &Head, p: DVec3) -> bool {
        head.normal(p).dot(self.view_direction()) > 0.0
    }

    /// The point of the head a pixel shows, when the pixel is on the head.
    pub fn on_head(&self, head: &Head, pixel: [f64; 2]) -> Option<DVec3> {
        let (u, v) = ((pixel[0] - self.offset[0]) / self.scale, (self.offset[1] - pixel[1]) / self.scale);
        let toward = self.view_direction();
        let origin = self.rotation.transpose() * DVec3::new(u, v, 0.0) + toward * 10_000.0;
        head.first_hit(origin, -toward)
    }
}

/// A line drawn on one photo (`from`'s) as another photo (`to`'s) sees it
/// on the head: each edge cut in `steps` pieces, every point carried onto
/// the head along its ray and into `to`'s pixels; the runs of points `to`
/// sees, as separate lines (a point off the head or turned away breaks the
/// line). `closed` joins the last point to the first (an outline).
pub fn carry_line(
    head: &Head,
    from: &Camera,
    to: &Camera,
    points: &[[f64; 2]],
    closed: bool,
    steps: usize,
) -> Vec<Vec<[f64; 2]>> {
    let steps = steps.max(1);
    let ends = if closed { points.len() } else { points.len().saturating_sub(1) };
    let mut dense: Vec<[f64; 2]> = Vec::with_capacity(ends * steps + 1);
    for i in 0..ends {
        let (a, b) = (points[i], points[(i + 1) % points.len()]);
        for k in 0..steps {
            let t = k as f64 / steps as f64;
            dense.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
        }
    }
    if let (false, Some(last)) = (closed, points.last()) {
        dense.push(*last);
    } else if let Some(first) = points.first() {
        dense.push(*first);
    }
    let mut runs: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut run: Vec<[f64; 2]> = Vec::new();
    for pixel in dense {
        match from.on_head(head, pixel).filter(|p| to.sees(head, *p)) {
            Some(p) => run.push(to.project(p)),
            None if run.len() >= 2 => runs.push(std::mem::take(&mut run)),
            None => run.clear(),
        }
    }
    if run.len() >= 2 {
        runs.push(run);
    }
    runs
}

/// How far a photo's camera may turn from its view's direction freely
/// (about 30 degrees: a photo "from above" held at an angle).
const VIEW_FREEDOM_RADIANS: f64 = 0.5;
/// What turning further costs in the fit, in millimetres of residual per
/// radian.
const VIEW_PRIOR_MM_PER_RADIAN: f64 = 40.0;

/// The camera frame of a view before any fitting: which way the photo
/// looks at the head.
pub fn initial_rotation(view: View) -> DMat3 {
    // Rows: the photo's right, the photo's up, toward the camera.
    let (right, up) = match view {
        // Facing the client: their right ear on the photo's left.
        View::Front => (DVec3::NEG_X, DVec3::Z),
        // From above, the face at the top of the photo.
        View::Top => (DVec3::X, DVec3::Y),
        View::Back => (DVec3::X, DVec3::Z),
        // The client's right side: the face on the photo's right.
        View::Right => (DVec3::Y, DVec3::Z),
        View::Left => (DVec3::NEG_Y, DVec3::Z),
    };
    DMat3::from_cols(right, up, right.cross(up)).transpose()
}

/// The points tapped on one photo.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoMarks {
    /// The photo's name in the design.
    pub name: String,
    /// Its view.
    pub view: View,
    /// Each point's name (a landmark's, or a tie point's) and its pixel.
    pub points: Vec<(String, [f64; 2])>,
}

/// One photo's fitted camera and how well its points agree.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedPhoto {
    /// The photo's name.
    pub name: String,
    /// Its camera.
    pub camera: Camera,
    /// Root mean square distance, in millimetres on the head, between
    /// where the points were tapped and where the fit puts them.
    pub rms_mm: f64,
    /// The point that agrees least, and by how much (mm).
    pub worst: Option<(String, f64)>,
    /// Tie points tapped where the fit finds the head turned away.
    pub hidden: Vec<String>,
}

/// Every photo's camera and every tie point's place on the head.
#[derive(Debug, Clone, PartialEq)]
pub struct PoseFit {
    /// In the design's order.
    pub photos: Vec<FittedPhoto>,
    /// Tie points in the head frame, by name.
    pub tie_points: Vec<(String, DVec3)>,
}

/// Why photos cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PoseError {
    /// A photo needs at least three points, two of them landmarks.
    #[error(
        "photo {photo:?}: {points} points of which {landmarks} landmarks; a photo needs at least three points, two of them landmarks (glabella, right_ear, left_ear)"
    )]
    TooFewPoints {
        /// The photo's name.
        photo: String,
        /// Points tapped on it, landmarks included.
        points: usize,
        /// Landmarks among them.
        landmarks: usize,
    },
    /// The landmarks of a photo lie on one spot.
    #[error("photo {0:?}: its landmarks are tapped on top of each other")]
    Degenerate(String),
    /// A photo's points fit no camera of this head: tapped on the wrong
    /// photo, in the wrong places, or a photo of someone else.
    #[error(
        "photo {photo:?}: the points do not fit one head (they disagree by {rms_mm:.1} mm; {worst:?} is {off_mm:.1} mm off): check that each point is tapped where it belongs and that the photo is of this client"
    )]
    Disagree {
        /// The photo's name.
        photo: String,
        /// Its residual, mm on the head.
        rms_mm: f64,
        /// The point that agrees least.
        worst: String,
        /// How far off it is, mm.
        off_mm: f64,
    },
}

/// A photo whose points disagree by more than this (rms, mm on the head)
/// cannot be used: points on the wrong photo, or of someone else.
pub const HOPELESS_RMS_MM: f64 = 10.0;
/// A point further than this from where the others put it is worth a look.
pub const WARN_MM: f64 = 2.0;

impl FittedPhoto {
    /// What a practitioner should look at on this photo: a point far from
    /// where the others put it, a tie point on the side turned away.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some((point, off)) = &self.worst
            && *off > WARN_MM
        {
            warnings.push(format!(
                "{point:?} is {off:.1} mm from where the other points put it: tapped in the wrong place, or a photo of someone else?"
            ));
        }
        for hidden in &self.hidden {
            warnings.push(format!("{hidden:?} lies on the side of the head turned away from this photo"));
        }
        warnings
    }
}

/// [`fit`], refused when a photo's points fit no camera of the head (a
/// residual above [`HOPELESS_RMS_MM`]): a bad photo pulls the shared tie
/// points, and so the others, off too, so the one that agrees least is named.
pub fn fit_usable(head: &Head, photos: &[PhotoMarks]) -> Result<PoseFit, PoseError> {
    let fit = fit(head, photos)?;
    fit.usable()?;
    Ok(fit)
}

impl PoseFit {
    /// Refuses a fit in which a photo's points fit no camera of the head
    /// (see [`fit_usable`]), naming the photo that agrees least.
    pub fn usable(&self) -> Result<(), PoseError> {
        match self.photos.iter().max_by(|a, b| a.rms_mm.total_cmp(&b.rms_mm)) {
            Some(photo) if photo.rms_mm > HOPELESS_RMS_MM => {
                let (worst, off_mm) = photo.worst.clone().unwrap_or_default();
                Err(PoseError::Disagree { photo: photo.name.clone(), rms_mm: photo.rms_mm, worst, off_mm })
            }
            _ => Ok(()),
        }
    }

    /// A fitted photo's camera, by name.
    pub fn camera(&self, name: &str) -> Option<Camera> {
        self.photos.iter().find(|p| p.name == name).map(|p| p.camera)
    }
}

/// Fits every photo's camera and the tie points, by least squares on the
/// distances (mm on the head) between tapped and fitted points.
pub fn fit(head: &Head, photos: &[PhotoMarks]) -> Result<PoseFit, PoseError> {
    let mut cameras = Vec::with_capacity(photos.len());
    for photo in photos {
        let landmarks: Vec<(DVec3, [f64; 2])> = photo
            .points
            .iter()
            .filter_map(|(name, px)| Landmark::from_name(name).map(|l| (head.landmark(l), *px)))
            .collect();
        if photo.points.len() < 3 || landmarks.len() < 2 {
            return Err(PoseError::TooFewPoints {
                photo: photo.name.clone(),
                points: photo.points.len(),
                landmarks: landmarks.len(),
            });
        }
        cameras.push(
            first_camera(initial_rotation(photo.view), &landmarks)
                .ok_or_else(|| PoseError::Degenerate(photo.name.clone()))?,
        );
    }
    // Tie points: each named once, placed first where the first photo that
    // shows it sees it.
    let mut ties: Vec<(String, DVec3)> = Vec::new();
    for (photo, camera) in photos.iter().zip(&cameras) {
        for (name, px) in &photo.points {
            if Landmark::from_name(name).is_none() && !ties.iter().any(|(n, _)| n == name) {
                let start = camera.on_head(head, *px).unwrap_or_else(|| {
                    // Tapped off the outline: the head's nearest point.
                    let (u, v) = (
                        (px[0] - camera.offset[0]) / camera.scale,
                        (camera.offset[1] - px[1]) / camera.scale,
                    );
                    head.surface_toward(
                        camera.rotation.transpose() * DVec3::new(u, v, 0.0) + camera.view_direction(),
                    )
                });
                ties.push((name.clone(), start));
            }
        }
    }
    // Unknowns: per photo a small rotation, the log of the scale and the
    // offset; per tie point two offsets across the surface.
    let tangents: Vec<(DVec3, DVec3)> = ties
        .iter()
        .map(|(_, p)| {
            let n = head.normal(*p);
            let e1 = n.any_orthonormal_vector();
            (e1, n.cross(e1))
        })
        .collect();
    let unpack = |params: &[f64]| -> (Vec<Camera>, Vec<DVec3>) {
        let cams = cameras
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let p = &params[i * 6..i * 6 + 6];
                let turn = DVec3::new(p[0], p[1], p[2]);
                let rotation = match turn.length() {
                    0.0 => c.rotation,
                    angle => DMat3::from_axis_angle(turn / angle, angle) * c.rotation,
                };
                Camera {
                    rotation,
                    scale: c.scale * p[3].exp(),
                    offset: [c.offset[0] + p[4], c.offset[1] + p[5]],
                }
            })
            .collect();
        let base = cameras.len() * 6;
        let points = ties
            .iter()
            .zip(&tangents)
            .enumerate()
            .map(|(j, ((_, p), (e1, e2)))| {
                head.surface_toward(*p + *e1 * params[base + 2 * j] + *e2 * params[base + 2 * j + 1])
            })
            .collect();
        (cams, points)
    };
    let place = |name: &str, points: &[DVec3]| -> DVec3 {
        match Landmark::from_name(name) {
            Some(l) => head.landmark(l),
            None => points[ties.iter().position(|(n, _)| n == name).unwrap_or(0)],
        }
    };
    let residuals = |params: &[f64]| -> Vec<f64> {
        let (cams, points) = unpack(params);
        let mut out = Vec::new();
        for (photo, cam) in photos.iter().zip(&cams) {
            // A photo labelled "top" was taken from roughly above: turning
            // its camera further than a hand would costs, so that a point
            // tapped in the wrong place shows as a residual instead of
            // being explained away by a camera on the wrong side.
            let off = cam.view_direction().angle_between(initial_rotation(photo.view).row(2));
            out.push(VIEW_PRIOR_MM_PER_RADIAN * (off - VIEW_FREEDOM_RADIANS).max(0.0));
            for (name, px) in &photo.points {
                let at = cam.project(place(name, &points));
                out.extend([(at[0] - px[0]) / cam.scale, (at[1] - px[1]) / cam.scale]);
            }
        }
        out
    };
    let start = vec![0.0; cameras.len() * 6 + ties.len() * 2];
    let best = crate::solve::least_squares(start, residuals, 200);
    let (cams, points) = unpack(&best);
    let fitted = photos
        .iter()
        .zip(cams)
        .map(|(photo, camera)| {
            let misses: Vec<(String, f64)> = photo
                .points
                .iter()
                .map(|(name, px)| {
                    let at = camera.project(place(name, &points));
                    (name.clone(), ((at[0] - px[0]).hypot(at[1] - px[1])) / camera.scale)
                })
                .collect();
            let rms_mm = (misses.iter().map(|(_, d)| d * d).sum::<f64>() / misses.len() as f64).sqrt();
            let hidden = photo
                .points
                .iter()
                .filter(|(name, _)| {
                    Landmark::from_name(name).is_none() && !camera.sees(head, place(name, &points))
                })
                .map(|(name, _)| name.clone())
                .collect();
            let worst = misses.into_iter().max_by(|a, b| a.1.total_cmp(&b.1));
            FittedPhoto { name: photo.name.clone(), camera, rms_mm, worst, hidden }
        })
        .collect();
    let tie_points = ties.iter().map(|(name, _)| name.clone()).zip(points).collect();
    Ok(PoseFit { photos: fitted, tie_points })
}

/// A first camera from the view's rotation and the landmarks: the turn
/// within the photo, the scale and the offset that map the landmarks best
/// (a similarity, linear least squares).
fn first_camera(rotation: DMat3, landmarks: &[(DVec3, [f64; 2])]) -> Option<Camera> {
    // x = a u - b v + tx; -y = b u + a v - ty, for (u, v) the landmark in
    // the view's frame: unknowns a, b, tx, ty.
    let mut normal = [0.0; 16];
    let mut rhs = [0.0; 4];
    for (p, px) in landmarks {
        let q = rotation * *p;
        for (row, value) in [([q.x, -q.y, 1.0, 0.0], px[0]), ([q.y, q.x, 0.0, -1.0], -px[1])] {
            for i in 0..4 {
                rhs[i] += row[i] * value;
                for j in 0..4 {
                    normal[i * 4 + j] += row[i] * row[j];
                }
            }
        }
    }
    let x = crate::solve::solve(&normal, &rhs, 4)?;
    let (a, b) = (x[0], x[1]);
    let scale = a.hypot(b);
    if scale < 1e-6 {
        return None;
    }
    // The photo is turned by the angle of (a, b) about the camera's axis.
    let turn = DMat3::from_axis_angle(DVec3::Z, b.atan2(a));
    Some(Camera { rotation: turn * rotation, scale, offset: [x[2], x[3]] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Head {
        Head { a: 76.0, b: 98.0, c: 110.0 }
    }

    /// A camera looking from `view`, turned a little, as a test's truth.
    fn true_camera(view: View, tilt: DVec3, scale: f64, offset: [f64; 2]) -> Camera {
        let turn = DMat3::from_axis_angle(tilt.normalize(), tilt.length());
        Camera { rotation: turn * initial_rotation(view), scale, offset }
    }

    fn marks(name: &str, view: View, camera: &Camera, points: &[(&str, DVec3)], noise: f64) -> PhotoMarks {
        let points = points
            .iter()
            .enumerate()
            .map(|(i, (n, p))| {
                let [x, y] = camera.project(*p);
                // A fixed pattern of small errors, as taps have.
                let e = noise * if i % 2 == 0 { 1.0 } else { -1.0 };
                (n.to_string(), [x + e, y - e * 0.5])
            })
            .collect();
        PhotoMarks { name: name.into(), view, points }
    }

    #[test]
    fn the_view_frames_are_right_handed_and_look_from_their_side() {
        for (view, toward) in [
            (View::Front, DVec3::Y),
            (View::Top, DVec3::Z),
            (View::Back, DVec3::NEG_Y),
            (View::Right, DVec3::X),
            (View::Left, DVec3::NEG_X),
        ] {
            let r = initial_rotation(view);
            assert!((r.determinant() - 1.0).abs() < 1e-12, "{view:?}");
            assert!(r.row(2).abs_diff_eq(toward, 1e-12), "{view:?}");
        }
        // From the front, the right ear shows on the photo's left.
        let cam = Camera { rotation: initial_rotation(View::Front), scale: 10.0, offset: [2000.0, 2000.0] };
        assert!(cam.project(head().landmark(Landmark::RightEar))[0] < 2000.0);
    }

    #[test]
    fn cameras_are_recovered_from_landmarks_and_tie_points() {
        let h = head();
        let crown = h.surface_toward(DVec3::new(0.1, -0.3, 1.0));
        let front_point = h.surface_toward(DVec3::new(0.0, 0.6, 0.7));
        let temple = h.surface_toward(DVec3::new(0.6, 0.6, 0.5));
        let top = true_camera(View::Top, DVec3::new(0.15, -0.1, 0.3), 18.0, [2000.0, 2100.0]);
        let front = true_camera(View::Front, DVec3::new(-0.25, 0.05, -0.1), 16.5, [1950.0, 2300.0]);
        let all = |with: &[(&'static str, DVec3)]| -> Vec<(&'static str, DVec3)> {
            let mut v = vec![
                ("glabella", h.landmark(Landmark::Glabella)),
                ("right_ear", h.landmark(Landmark::RightEar)),
                ("left_ear", h.landmark(Landmark::LeftEar)),
            ];
            v.extend_from_slice(with);
            v
        };
        let photos = [
            marks(
                "top",
                View::Top,
                &top,
                &all(&[("crown", crown), ("front", front_point), ("temple", temple)]),
                0.0,
            ),
            marks("front", View::Front, &front, &all(&[("front", front_point), ("temple", temple)]), 0.0),
        ];
        let fit = fit(&h, &photos).unwrap();
        for (fitted, truth) in fit.photos.iter().zip([top, front]) {
            assert!(fitted.rms_mm < 0.05, "{}: {}", fitted.name, fitted.rms_mm);
            assert!(
                fitted.camera.view_direction().angle_between(truth.view_direction()) < 0.01,
                "{}: {:?} against {:?}",
                fitted.name,
                fitted.camera.view_direction(),
                truth.view_direction()
            );
            assert!((fitted.camera.scale / truth.scale - 1.0).abs() < 0.005, "{}", fitted.name);
        }
        let front_fitted = fit.tie_points.iter().find(|(n, _)| n == "front").unwrap().1;
        assert!((front_fitted - front_point).length() < 0.5, "{front_fitted:?} against {front_point:?}");
    }

    #[test]
    fn a_point_tapped_in_the_wrong_place_shows_in_the_residual() {
        let h = head();
        // Two tie points seen on both photos: with fewer, any tap fits.
        let crown = h.surface_toward(DVec3::new(0.0, -0.2, 1.0));
        let whorl = h.surface_toward(DVec3::new(0.3, -0.5, 0.8));
        let top = true_camera(View::Top, DVec3::new(0.05, 0.05, 0.1), 15.0, [2000.0, 2000.0]);
        let back = true_camera(View::Back, DVec3::new(0.3, 0.0, 0.0), 15.0, [2000.0, 1800.0]);
        let photos = vec![
            marks(
                "top",
                View::Top,
                &top,
                &[
                    ("glabella", h.landmark(Landmark::Glabella)),
                    ("right_ear", h.landmark(Landmark::RightEar)),
                    ("left_ear", h.landmark(Landmark::LeftEar)),
                    ("crown", crown),
                    ("whorl", whorl),
                ],
                0.0,
            ),
            marks(
                "back",
                View::Back,
                &back,
                &[
                    ("right_ear", h.landmark(Landmark::RightEar)),
                    ("left_ear", h.landmark(Landmark::LeftEar)),
                    ("crown", crown),
                    ("whorl", whorl),
                ],
                0.0,
            ),
        ];
        let good = fit(&h, &photos).unwrap();
        assert!(good.photos.iter().all(|p| p.rms_mm < 0.05), "{good:?}");
        // The glabella tapped 20 mm off on the top photo, one way or another.
        for (dx, dy) in [(20.0, 0.0), (0.0, 20.0), (-14.0, -14.0)] {
            let mut wrong = photos.clone();
            wrong[0].points[0].1[0] += dx * 15.0;
            wrong[0].points[0].1[1] += dy * 15.0;
            let bad = fit(&h, &wrong).unwrap();
            // Least squares spreads an error over the points: the warning
            // (a point more than 2 mm off) fires, though not always on the
            // point that is wrong.
            let (worst, by_mm) = bad.photos[0].worst.clone().unwrap();
            assert!(by_mm > 2.0, "({dx}, {dy}): {:?}", bad.photos[0]);
            if dy == 0.0 {
                assert_eq!(worst, "glabella");
            }
        }
    }

    #[test]
    fn too_few_points_are_named() {
        let photos = [PhotoMarks {
            name: "side".into(),
            view: View::Right,
            points: vec![("right_ear".into(), [1.0, 2.0]), ("crown".into(), [5.0, 9.0])],
        }];
        let err = fit(&head(), &photos).unwrap_err().to_string();
        assert!(err.contains("\"side\"") && err.contains("at least three points"), "{err}");
    }
}
