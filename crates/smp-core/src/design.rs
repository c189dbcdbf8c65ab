//! The design file (schema 1): parsing and validation into a typed [`Design`].
//!
//! Parsing reads the file as a [`DesignFile`] (the TOML as written), then
//! every value is checked and turned into domain types. Errors name the key and the
//! line, so a practitioner can find the mistake in a text editor.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::design_file::DesignFile;
use crate::geometry::{Curve, Point, Polygon};
use crate::source::{Locator, Step};

/// The only schema this version reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Densities above this (impressions per cm2) are refused as absurd: natural
/// scalps peak near 110 follicular units per cm2 and SMP stays below that.
pub const MAX_DENSITY_PER_CM2: f64 = 200.0;

/// The largest number of impressions one design may ask for; a full head at
/// natural density is about 40,000.
pub const MAX_IMPRESSIONS: f64 = 2_000_000.0;
/// Most points in one outline (a zone, the skin sample, the hairline): a
/// hand-drawn outline has tens; the limit keeps validation and rendering
/// time bounded whatever a request carries.
pub const MAX_POINTS: usize = 1000;
/// Most zones in one design.
pub const MAX_ZONES: usize = 24;

/// Photo coordinates beyond this (in pixels, either sign) are refused.
pub const MAX_COORDINATE_PX: f64 = 100_000.0;

/// A validated design.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Random seed: the same design and seed give the same impressions.
    pub seed: u64,
    /// The photo and its scale.
    pub photo: Photo,
    /// The client's skin and hair.
    pub client: Client,
    /// The hairline, when the work has one.
    pub hairline: Option<Hairline>,
    /// Treated zones, at least one.
    pub zones: Vec<Zone>,
    /// Dot size.
    pub impressions: Impressions,
    /// Pigment mix and placement depth.
    pub pigment: Pigment,
    /// How the impressions are shared out between sessions.
    pub sessions: Sessions,
    /// The hair's growth, as arrows (from, towards) in photo pixels: what
    /// strokes follow.
    pub growth: Vec<(Point, Point)>,
}

impl Design {
    /// The hair's growth direction at `p` (photo pixels), as an angle in
    /// radians from the photo's +x axis toward +y (down): the arrows'
    /// directions averaged with weights falling as the square of their
    /// distance, so that each arrow rules near it and the field turns
    /// smoothly between them. `None` without arrows.
    pub fn growth_at(&self, p: Point) -> Option<f64> {
        let (mut x, mut y) = (0.0, 0.0);
        for (at, towards) in &self.growth {
            let d = *towards - *at;
            let length = d.length();
            let w = 1.0 / ((p - *at).length().powi(2) + 1e-6);
            x += w * d.x / length;
            y += w * d.y / length;
        }
        (!self.growth.is_empty()).then(|| y.atan2(x))
    }
}

/// The view of the head a photo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum View {
    Front,
    Top,
    Left,
    Right,
    Back,
}

/// The client photo the design is drawn on.
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    /// Path as written in the design: relative paths are relative to the
    /// design file's folder.
    pub path: PathBuf,
    /// Which view it shows.
    pub view: View,
    /// Millimetres per photo pixel.
    pub mm_per_px: f64,
    /// Where hair lies over the scalp (see `[photo] hair_mask`).
    pub hair_mask: Option<PathBuf>,
}

/// Fitzpatrick skin phototype, I to VI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fitzpatrick(u8);

impl Fitzpatrick {
    /// The type as a number from 1 to 6.
    pub fn get(self) -> u8 {
        self.0
    }

    /// A type from its number, when it is 1..=6.
    pub fn new(n: u8) -> Option<Self> {
        (1..=6).contains(&n).then_some(Self(n))
    }
}

/// An sRGB colour with 8-bit channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Srgb8(pub [u8; 3]);

impl Srgb8 {
    /// Parses `#rrggbb`.
    pub fn from_hex(s: &str) -> Option<Self> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Self([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// Formats as `#rrggbb`.
    pub fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }
}

/// Sun on the scalp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Uv {
    Low,
    #[default]
    Moderate,
    High,
}

/// Scalp condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Scalp {
    Dry,
    #[default]
    Normal,
    Oily,
}

/// Habits a design may list under `client.lifestyle`.
pub const LIFESTYLE_HABITS: &[&str] = &["swimming", "gym", "sauna", "outdoor_work", "sunbathing"];

/// The client's skin, hair and habits.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    /// Skin phototype; `None` when the design leaves it to the photo (the
    /// skin's colour there gives it, through its Individual Typology Angle).
    pub fitzpatrick: Option<Fitzpatrick>,
    /// The natural stubble colour the dots should imitate.
    pub hair_color: Srgb8,
    /// Sun on the scalp (default moderate).
    pub uv_exposure: Uv,
    /// Scalp condition (default normal).
    pub scalp: Scalp,
    /// Habits from [`LIFESTYLE_HABITS`].
    pub lifestyle: Vec<String>,
    /// Where on the photo to read the skin's colour, in photo pixels, when
    /// not over the treated zones (say they still have hair, or a shadow).
    pub skin_region: Option<Polygon>,
    /// An area of the client's own shaved stubble, in photo pixels, for
    /// the stubble to be measured and matched.
    pub hair_sample: Option<Polygon>,
}

/// The character of a hairline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HairlineStyle {
    /// A crisp edge.
    Defined,
    /// A gradient with gentle waves and jitter.
    Soft,
    /// Like soft, more irregular.
    Broken,
    /// Soft, with recession at the temples.
    Mature,
}

impl HairlineStyle {
    /// Every style, in the order a practitioner is offered them (the usual
    /// choice first).
    pub const ALL: [HairlineStyle; 4] =
        [HairlineStyle::Soft, HairlineStyle::Broken, HairlineStyle::Defined, HairlineStyle::Mature];

    /// The style's word in the design file.
    pub fn as_str(self) -> &'static str {
        match self {
            HairlineStyle::Defined => "defined",
            HairlineStyle::Soft => "soft",
            HairlineStyle::Broken => "broken",
            HairlineStyle::Mature => "mature",
        }
    }
}

/// The hairline: a smooth curve through the given points, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Hairline {
    /// Its character.
    pub style: HairlineStyle,
    /// The points the curve passes through, in photo pixels.
    pub points: Vec<Point>,
    /// On a front photo, the point between the brows (glabella), when
    /// marked: the hairline's height above it is judged against the
    /// client's age.
    pub glabella: Option<Point>,
    /// The curve itself, in photo pixels.
    pub curve: Curve,
    /// Depth of the density gradient behind the line, in mm.
    pub transition_mm: f64,
}

/// A treated zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Its name, as shown in the impressions file.
    pub name: String,
    /// Its outline, in photo pixels.
    pub polygon: Polygon,
    /// Impressions per cm2 at full strength.
    pub density_per_cm2: f64,
    /// Distance inside the edge over which density ramps from 0 to full, in mm.
    pub feather_mm: f64,
    /// Dots or strokes.
    pub shape: crate::design_file::ImpressionShape,
}

/// Dot size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impressions {
    /// Healed mean diameter in mm.
    pub diameter_mm: f64,
    /// Relative standard deviation of the diameter.
    pub size_variation: f64,
    /// A stroke's healed length, mm.
    pub stroke_length_mm: f64,
    /// A stroke's healed width, mm.
    pub stroke_width_mm: f64,
}

/// Pigment mix and placement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pigment {
    /// 1.0 is full-strength carbon black; lower is more diluted.
    pub dilution: f64,
    /// Depth of the ink below the skin surface, in mm.
    pub depth_mm: f64,
}

/// How impressions are shared out between sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct Sessions {
    /// Share of all impressions placed in each session; they sum to 1.
    pub shares: Vec<f64>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self { shares: vec![0.40, 0.45, 0.15] }
    }
}

/// What is wrong with a design file, and where.
pub type DesignError = crate::source::SourceError;

/// Checks that `value` lies in `range`, naming the key otherwise.
fn check_range(
    loc: &Locator<'_>,
    path: &[Step],
    value: f64,
    range: std::ops::RangeInclusive<f64>,
    unit: &str,
) -> Result<f64, DesignError> {
    if !value.is_finite() || !range.contains(&value) {
        return Err(loc.error(
            path,
            format!("{value} is out of range: expected {} to {}{unit}", range.start(), range.end()),
        ));
    }
    Ok(value)
}

pub(crate) fn check_point(loc: &Locator<'_>, path: &[Step], p: [f64; 2]) -> Result<Point, DesignError> {
    let ok = |v: f64| v.is_finite() && v.abs() <= MAX_COORDINATE_PX;
    if !ok(p[0]) || !ok(p[1]) {
        return Err(loc.error(
            path,
            format!(
                "point [{}, {}] is outside the plausible photo area (|x|, |y| <= {MAX_COORDINATE_PX} px)",
                p[0], p[1]
            ),
        ));
    }
    Ok(Point::new(p[0], p[1]))
}

pub(crate) fn check_points(
    loc: &Locator<'_>,
    path: &[Step],
    raw: &[[f64; 2]],
) -> Result<Vec<Point>, DesignError> {
    if raw.len() > MAX_POINTS {
        return Err(loc.error(
            path,
            format!("{} points is more than the {MAX_POINTS} a drawn outline needs: simplify it", raw.len()),
        ));
    }
    raw.iter().map(|&p| check_point(loc, path, p)).collect()
}

/// Parses and validates a design file's text.
pub fn parse(text: &str) -> Result<Design, DesignError> {
    let loc = Locator::new(text);
    let raw: DesignFile = loc.deserialize()?;
    use Step::{Index, Key};

    if raw.schema != SCHEMA_VERSION {
        return Err(loc.error(
            &[Key("schema")],
            format!(
                "schema {} is not supported: this version of smp reads schema {SCHEMA_VERSION}",
                raw.schema
            ),
        ));
    }

    let scale = &raw.photo.scale;
    let from = check_point(&loc, &[Key("photo"), Key("scale"), Key("from")], scale.from)?;
    let to = check_point(&loc, &[Key("photo"), Key("scale"), Key("to")], scale.to)?;
    let px = from.distance(to);
    if px < 10.0 {
        return Err(loc.error(
            &[Key("photo"), Key("scale")],
            format!("the two scale points are {px:.1} px apart; pick points at least 10 px apart (ideally far apart) for a usable scale"),
        ));
    }
    let mm = check_range(&loc, &[Key("photo"), Key("scale"), Key("mm")], scale.mm, 1.0..=1000.0, " mm")?;
    let mm_per_px = mm / px;
    if raw.photo.path.as_os_str().is_empty() {
        return Err(loc.error(&[Key("photo"), Key("path")], "the photo path is empty"));
    }

    let fitzpatrick = match raw.client.fitzpatrick {
        None => None,
        Some(n) => Some(u8::try_from(n).ok().and_then(Fitzpatrick::new).ok_or_else(|| {
            loc.error(
                &[Key("client"), Key("fitzpatrick")],
                format!("{n} is not a Fitzpatrick type: expected 1 to 6"),
            )
        })?),
    };
    for (i, habit) in raw.client.lifestyle.iter().enumerate() {
        if !LIFESTYLE_HABITS.contains(&habit.as_str()) {
            return Err(loc.error(
                &[Key("client"), Key("lifestyle"), Index(i)],
                format!("unknown habit {habit:?}; the known ones are: {}", LIFESTYLE_HABITS.join(", ")),
            ));
        }
    }
    // An outline the client section may hold: a polygon like a zone's.
    let outline =
        |key: &'static str, points: &Option<Vec<[f64; 2]>>| -> Result<Option<Polygon>, DesignError> {
            let Some(points) = points else { return Ok(None) };
            let path = [Key("client"), Key(key)];
            let vertices = check_points(&loc, &path, points)?;
            Ok(Some(Polygon::new(vertices).map_err(|e| loc.error(&path, e.to_string()))?))
        };
    if raw.client.hair_sample_on.is_some() {
        return Err(loc.error(
            &[Key("client"), Key("hair_sample_on")],
            "only a design on the head (schema 2) names the photo of its hair sample",
        ));
    }
    let skin_region = outline("skin_region", &raw.client.skin_region)?;
    let hair_sample = outline("hair_sample", &raw.client.hair_sample)?;
    let hair_color = Srgb8::from_hex(&raw.client.hair_color).ok_or_else(|| {
        loc.error(
            &[Key("client"), Key("hair_color")],
            format!("{:?} is not a colour: expected \"#rrggbb\"", raw.client.hair_color),
        )
    })?;

    let hairline = match raw.hairline {
        None => None,
        Some(h) => {
            let path = [Key("hairline"), Key("points")];
            let points = check_points(&loc, &path, &h.points)?;
            if points.len() < 2 {
                return Err(
                    loc.error(&path, format!("a hairline needs at least 2 points, found {}", points.len()))
                );
            }
            if points.windows(2).any(|w| w[1].x <= w[0].x) {
                return Err(loc.error(
                    &path,
                    "hairline points must run left to right (each x larger than the one before)",
                ));
            }
            let curve = Curve::through(&points, 24)
                .ok_or_else(|| loc.error(&path, "the hairline points do not make a curve"))?;
            let transition_mm = check_range(
                &loc,
                &[Key("hairline"), Key("transition_mm")],
                h.transition_mm,
                0.0..=50.0,
                " mm",
            )?;
            let glabella = match h.glabella {
                Some(p) => Some(check_point(&loc, &[Key("hairline"), Key("glabella")], p)?),
                None => None,
            };
            Some(Hairline { style: h.style, points, curve, transition_mm, glabella })
        }
    };

    if raw.zones.is_empty() {
        return Err(loc.error(&[Key("zones")], "a design needs at least one [[zones]] entry"));
    }
    if raw.zones.len() > MAX_ZONES {
        return Err(loc.error(
            &[Key("zones")],
            format!("{} zones is more than the {MAX_ZONES} a design may have", raw.zones.len()),
        ));
    }
    let mut zones = Vec::with_capacity(raw.zones.len());
    let mut expected_impressions = 0.0;
    for (i, z) in raw.zones.into_iter().enumerate() {
        let name = z.name.trim().to_string();
        if name.is_empty() {
            return Err(loc.error(&[Key("zones"), Index(i), Key("name")], "the zone name is empty"));
        }
        if zones.iter().any(|other: &Zone| other.name == name) {
            return Err(loc.error(
                &[Key("zones"), Index(i), Key("name")],
                format!("a zone named {name:?} already exists"),
            ));
        }
        let poly_path = [Key("zones"), Index(i), Key("polygon")];
        let vertices = check_points(&loc, &poly_path, &z.polygon)?;
        let polygon = Polygon::new(vertices).map_err(|e| loc.error(&poly_path, e.to_string()))?;
        let density_per_cm2 = check_range(
            &loc,
            &[Key("zones"), Index(i), Key("density")],
            z.density,
            0.1..=MAX_DENSITY_PER_CM2,
            " impressions per cm2",
        )?;
        let feather_mm =
            check_range(&loc, &[Key("zones"), Index(i), Key("feather_mm")], z.feather_mm, 0.0..=50.0, " mm")?;
        let area_cm2 = polygon.area() * mm_per_px * mm_per_px / 100.0;
        expected_impressions += area_cm2 * density_per_cm2;
        let shape = z.shape.unwrap_or(raw.impressions.shape);
        zones.push(Zone { name, polygon, density_per_cm2, feather_mm, shape });
    }
    if expected_impressions > MAX_IMPRESSIONS {
        return Err(loc.error(
            &[Key("zones")],
            format!(
                "the zones would hold about {expected_impressions:.0} impressions (more than {MAX_IMPRESSIONS:.0}); check photo.scale and the zone densities"
            ),
        ));
    }

    let impressions = Impressions {
        diameter_mm: check_range(
            &loc,
            &[Key("impressions"), Key("diameter_mm")],
            raw.impressions.diameter_mm,
            0.05..=3.0,
            " mm",
        )?,
        size_variation: check_range(
            &loc,
            &[Key("impressions"), Key("size_variation")],
            raw.impressions.size_variation,
            0.0..=0.5,
            "",
        )?,
        stroke_length_mm: check_range(
            &loc,
            &[Key("impressions"), Key("stroke_length_mm")],
            raw.impressions.stroke_length_mm.unwrap_or(1.2),
            0.3..=10.0,
            " mm",
        )?,
        stroke_width_mm: check_range(
            &loc,
            &[Key("impressions"), Key("stroke_width_mm")],
            raw.impressions.stroke_width_mm.unwrap_or(0.2),
            0.05..=1.0,
            " mm",
        )?,
    };
    if impressions.stroke_width_mm >= impressions.stroke_length_mm {
        return Err(loc.error(
            &[Key("impressions"), Key("stroke_width_mm")],
            "a stroke is longer than it is wide: make stroke_width_mm less than stroke_length_mm",
        ));
    }
    let mut growth = Vec::with_capacity(raw.growth.len());
    for (i, arrow) in raw.growth.iter().enumerate() {
        let at = check_point(&loc, &[Key("growth"), Index(i), Key("at")], arrow.at)?;
        let towards = check_point(&loc, &[Key("growth"), Index(i), Key("towards")], arrow.towards)?;
        if (towards - at).length() < 1.0 {
            return Err(loc.error(&[Key("growth"), Index(i)], "the arrow's two ends are the same point"));
        }
        growth.push((at, towards));
    }
    if growth.is_empty() && zones.iter().any(|z| z.shape == crate::design_file::ImpressionShape::Stroke) {
        return Err(loc.error(
            &[Key("growth")],
            "strokes follow the hair's growth: draw at least one [[growth]] arrow (at = [x, y], towards = [x, y])",
        ));
    }
    let pigment = Pigment {
        dilution: check_range(
            &loc,
            &[Key("pigment"), Key("dilution")],
            raw.pigment.dilution,
            0.01..=1.0,
            "",
        )?,
        depth_mm: check_range(
            &loc,
            &[Key("pigment"), Key("depth_mm")],
            raw.pigment.depth_mm,
            0.05..=2.0,
            " mm",
        )?,
    };

    let sessions = match raw.sessions {
        None => Sessions::default(),
        Some(s) => {
            let path = [Key("sessions"), Key("shares")];
            if s.shares.is_empty() || s.shares.len() > 4 {
                return Err(
                    loc.error(&path, format!("expected 1 to 4 session shares, found {}", s.shares.len()))
                );
            }
            if s.shares.iter().any(|&v| !(v.is_finite() && v > 0.0)) {
                return Err(loc.error(&path, "every session share must be a positive number"));
            }
            let sum: f64 = s.shares.iter().sum();
            if (sum - 1.0).abs() > 0.01 {
                return Err(
                    loc.error(&path, format!("session shares must add up to 1, they add up to {sum}"))
                );
            }
            Sessions { shares: s.shares.iter().map(|v| v / sum).collect() }
        }
    };

    Ok(Design {
        seed: raw.seed,
        photo: Photo {
            path: raw.photo.path,
            view: raw.photo.view,
            mm_per_px,
            hair_mask: raw.photo.hair_mask,
        },
        client: Client {
            fitzpatrick,
            hair_color,
            uv_exposure: raw.client.uv_exposure,
            scalp: raw.client.scalp,
            lifestyle: raw.client.lifestyle,
            skin_region,
            hair_sample,
        },
        hairline,
        zones,
        impressions,
        pigment,
        sessions,
        growth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EXAMPLE_DESIGN;

    #[test]
    fn the_example_parses() {
        let design = parse(EXAMPLE_DESIGN).unwrap();
        assert_eq!(design.zones.len(), 2);
        assert_eq!(design.sessions.shares, vec![0.40, 0.45, 0.15]);
        assert!(design.hairline.is_some());
    }

    fn with(replace: &str, by: &str) -> Result<Design, DesignError> {
        assert!(EXAMPLE_DESIGN.contains(replace), "{replace}");
        parse(&EXAMPLE_DESIGN.replacen(replace, by, 1))
    }

    fn line_of(needle: &str) -> usize {
        EXAMPLE_DESIGN.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn a_negative_density_names_key_and_line() {
        let err = with("density = 60.0", "density = -5.0").unwrap_err();
        assert_eq!(err.key, "zones[1].density");
        assert_eq!(err.line, Some(line_of("density = 60.0")));
        assert!(err.to_string().contains("out of range"), "{err}");
    }

    #[test]
    fn the_skin_type_may_be_left_to_the_photo() {
        assert_eq!(parse(EXAMPLE_DESIGN).unwrap().client.fitzpatrick, Fitzpatrick::new(3));
        let design = with("fitzpatrick = 3", "").unwrap();
        assert_eq!(design.client.fitzpatrick, None);
    }

    #[test]
    fn a_skin_region_is_a_polygon_like_a_zone() {
        let at = "lifestyle = []";
        let design = with(at, "lifestyle = []\nskin_region = [[100, 100], [400, 100], [400, 300]]").unwrap();
        assert_eq!(design.client.skin_region.map(|p| p.vertices().len()), Some(3));
        assert_eq!(parse(EXAMPLE_DESIGN).unwrap().client.skin_region, None);
        let err = with(at, "lifestyle = []\nskin_region = [[100, 100], [400, 100]]").unwrap_err();
        assert_eq!(err.key, "client.skin_region");
        assert_eq!(err.line, Some(line_of(at) + 1));
        let crossing = "lifestyle = []\nskin_region = [[0, 0], [100, 100], [100, 0], [0, 100]]";
        assert_eq!(with(at, crossing).unwrap_err().key, "client.skin_region");
    }

    #[test]
    fn a_value_of_the_wrong_kind_names_its_key() {
        let err = with("density = 60.0", "density = \"lots\"").unwrap_err();
        assert_eq!((err.key.as_str(), err.line), ("zones[1].density", Some(line_of("density = 60.0"))));
        assert!(err.message.contains("expected f64"), "{err}");
        let err = with("uv_exposure = \"moderate\"", "uv_exposure = \"extreme\"").unwrap_err();
        assert_eq!(err.key, "client.uv_exposure");
        let err = with("hair_color = \"#2a221d\"", "").unwrap_err();
        assert_eq!(err.key, "client");
        assert!(err.message.contains("missing field `hair_color`"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let err = with("feather_mm = 6.0", "feather_mm = 6.0\nfeathr = 1").unwrap_err();
        assert!(err.message.contains("unknown field `feathr`"), "{err}");
        assert_eq!(err.line, Some(line_of("feather_mm = 6.0") + 1));
    }

    #[test]
    fn malformed_toml_has_a_line() {
        let err = with("seed = 7", "seed = = 7").unwrap_err();
        assert_eq!(err.line, Some(line_of("seed = 7")));
    }

    #[test]
    fn a_missing_key_is_named() {
        let err = with("dilution = 0.6", "").unwrap_err();
        assert!(err.message.contains("missing field `dilution`"), "{err}");
    }

    #[test]
    fn a_crossing_polygon_is_refused() {
        let err = with(
            "polygon = [[560, 1350], [2640, 1350], [2600, 2650], [1600, 2780], [600, 2650]]",
            "polygon = [[560, 1350], [2600, 2650], [2640, 1350], [1600, 2780], [600, 2650]]",
        )
        .unwrap_err();
        assert_eq!(err.key, "zones[1].polygon");
        assert!(err.message.contains("crosses itself"), "{err}");
    }

    #[test]
    fn client_factors_default_and_are_checked() {
        let d = parse(EXAMPLE_DESIGN).unwrap();
        assert_eq!((d.client.uv_exposure, d.client.scalp), (Uv::Moderate, Scalp::Normal));
        let d = with("lifestyle = []", "lifestyle = [\"swimming\", \"gym\"]").unwrap();
        assert_eq!(d.client.lifestyle, ["swimming", "gym"]);
        let err = with("lifestyle = []", "lifestyle = [\"skydiving\"]").unwrap_err();
        assert_eq!(err.key, "client.lifestyle[0]");
        assert!(err.message.contains("swimming, gym"), "{err}");
        assert!(with("scalp = \"normal\"", "scalp = \"greasy\"").is_err());
        let minimal = EXAMPLE_DESIGN
            .lines()
            .filter(|l| {
                !l.starts_with("uv_exposure") && !l.starts_with("scalp") && !l.starts_with("lifestyle")
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(parse(&minimal).unwrap().client.uv_exposure, Uv::Moderate);
    }

    #[test]
    fn absurd_values_are_refused() {
        assert!(with("diameter_mm = 0.45", "diameter_mm = 40").is_err());
        assert!(with("fitzpatrick = 3", "fitzpatrick = 9").is_err());
        assert!(with("hair_color = \"#2a221d\"", "hair_color = \"brown\"").is_err());
        assert!(with("schema = 1", "schema = 2").is_err());
        assert!(with("mm = 120.0", "mm = 0.0").is_err());
    }
}
