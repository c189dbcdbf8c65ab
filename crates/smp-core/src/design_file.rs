//! The design file (schema 1) as it is written: one serde type, read and
//! written the same way. Values here are as typed, unchecked;
//! [`crate::design::parse`] checks them into a [`crate::Design`].
//!
//! The editor and any other tool that writes designs builds a
//! [`DesignFile`] and calls [`DesignFile::to_toml`], so that whatever a
//! person typed is escaped by construction and the file always has the
//! contract's shape.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::design::{HairlineStyle, SCHEMA_VERSION, Scalp, Uv, View};

/// A point in photo pixels, `[x, y]`, x to the right and y down.
pub type PixelPoint = [f64; 2];

/// The whole design file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignFile {
    /// The file format's version; this build reads [`SCHEMA_VERSION`].
    pub schema: u32,
    /// Random seed: the same design and seed give the same impressions.
    pub seed: u64,
    /// `[photo]`: the photo the design is drawn on, and its scale.
    pub photo: PhotoSection,
    /// `[client]`: skin, hair and habits.
    pub client: ClientSection,
    /// `[hairline]`, when the work has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hairline: Option<HairlineSection>,
    /// `[[zones]]`: the treated areas, at least one.
    pub zones: Vec<ZoneSection>,
    /// `[impressions]`: dot size.
    pub impressions: ImpressionsSection,
    /// `[pigment]`: mix and placement depth.
    pub pigment: PigmentSection,
    /// `[sessions]`: how the impressions are shared out; absent gives the
    /// protocol's usual 40 / 45 / 15 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsSection>,
    /// `[[growth]]`: the hair's growth direction, for strokes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub growth: Vec<GrowthArrow>,
}

/// `[photo]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoSection {
    /// Relative paths are relative to the design file's folder.
    pub path: PathBuf,
    /// The view of the head the photo shows.
    pub view: View,
    /// Two points on the photo and their distance on the head.
    pub scale: ScaleSection,
    /// Where hair lies over the scalp on the photo: a greyscale image of
    /// the photo's size, 255 where hair hides the scalp, 0 where the scalp
    /// shows (relative paths as for `path`). The render keeps the hair in
    /// front of the pigment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair_mask: Option<PathBuf>,
}

/// `photo.scale`: a known distance on the photo (a ruler held to the head).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSection {
    /// One end, in photo pixels.
    pub from: PixelPoint,
    /// The other end, in photo pixels.
    pub to: PixelPoint,
    /// Their distance on the head, in millimetres.
    pub mm: f64,
}

/// `[client]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSection {
    /// Skin phototype 1 to 6; absent leaves it to the photo's skin colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fitzpatrick: Option<i64>,
    /// The natural stubble colour as `#rrggbb`.
    pub hair_color: String,
    /// Sun on the scalp.
    #[serde(default, skip_serializing_if = "is_default")]
    pub uv_exposure: Uv,
    /// Scalp condition.
    #[serde(default, skip_serializing_if = "is_default")]
    pub scalp: Scalp,
    /// Habits from [`crate::LIFESTYLE_HABITS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifestyle: Vec<String>,
    /// Where to read the skin's colour, when not over the zones: a polygon
    /// in photo pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skin_region: Option<Vec<PixelPoint>>,
    /// An area of the client's own shaved stubble (usually the sides or the
    /// back), a polygon in photo pixels, for `smp hair` to measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair_sample: Option<Vec<PixelPoint>>,
    /// In a design on the head (schema 2): the photo the hair sample is
    /// drawn on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair_sample_on: Option<String>,
}

/// `[hairline]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HairlineSection {
    /// Its character.
    pub style: HairlineStyle,
    /// The points the line passes through, left to right, in photo pixels.
    pub points: Vec<PixelPoint>,
    /// Depth of the density gradient behind the line, in millimetres.
    pub transition_mm: f64,
    /// On a front photo, the point between the brows, in photo pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glabella: Option<PixelPoint>,
}

/// One `[[zones]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneSection {
    /// Its name, unique in the design, as the impressions file shows it.
    pub name: String,
    /// Its outline, in photo pixels.
    pub polygon: Vec<PixelPoint>,
    /// Impressions per cm2 at full strength.
    pub density: f64,
    /// Distance inside the edge over which density ramps up, in millimetres.
    pub feather_mm: f64,
    /// Dots or strokes in this zone (the `[impressions]` shape when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<ImpressionShape>,
}

/// What a technician places: round dots (stubble seen end-on), or fine
/// hair-like strokes (hair lying flat, or under longer hair).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImpressionShape {
    /// A round dot.
    #[default]
    Dot,
    /// A fine stroke along the hair's growth.
    Stroke,
}

/// `[impressions]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpressionsSection {
    /// Healed mean dot diameter, in millimetres.
    pub diameter_mm: f64,
    /// Relative standard deviation of the diameter.
    pub size_variation: f64,
    /// Dots (the default) or strokes, for zones that do not say.
    #[serde(default, skip_serializing_if = "is_default")]
    pub shape: ImpressionShape,
    /// A stroke's healed length, mm (1.2 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke_length_mm: Option<f64>,
    /// A stroke's healed width, mm (0.2 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke_width_mm: Option<f64>,
}

/// One `[[growth]]` arrow: the hair at `at` grows toward `towards` (photo
/// pixels); strokes follow the arrows, interpolated between them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowthArrow {
    /// Where the arrow starts.
    pub at: PixelPoint,
    /// Where it points.
    pub towards: PixelPoint,
}

/// `[pigment]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PigmentSection {
    /// 1.0 is full-strength carbon black; lower is more diluted.
    pub dilution: f64,
    /// Depth of the ink below the skin's surface, in millimetres.
    pub depth_mm: f64,
}

/// `[sessions]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsSection {
    /// Share of all impressions placed in each session, summing to 1.
    pub shares: Vec<f64>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A new design's starting values: what a practitioner most often starts
/// from (a medium-dark brown stubble, dots of 0.45 mm, a 60 % dilution at
/// 0.35 mm), with no photo, scale or zones yet.
impl Default for DesignFile {
    fn default() -> Self {
        Self {
            schema: SCHEMA_VERSION,
            seed: 1,
            photo: PhotoSection {
                path: PathBuf::new(),
                view: View::Top,
                scale: ScaleSection { from: [0.0, 0.0], to: [0.0, 0.0], mm: 0.0 },
                hair_mask: None,
            },
            client: ClientSection {
                fitzpatrick: None,
                hair_color: "#2a221d".into(),
                uv_exposure: Uv::default(),
                scalp: Scalp::default(),
                lifestyle: Vec::new(),
                skin_region: None,
                hair_sample: None,
                hair_sample_on: None,
            },
            hairline: None,
            zones: Vec::new(),
            impressions: ImpressionsSection {
                diameter_mm: 0.45,
                size_variation: 0.15,
                shape: ImpressionShape::Dot,
                stroke_length_mm: None,
                stroke_width_mm: None,
            },
            pigment: PigmentSection { dilution: 0.6, depth_mm: 0.35 },
            sessions: None,
            growth: Vec::new(),
        }
    }
}

/// A new hairline's starting values: soft, with an 8 mm gradient.
impl Default for HairlineSection {
    fn default() -> Self {
        Self { style: HairlineStyle::Soft, points: Vec::new(), transition_mm: 8.0, glabella: None }
    }
}

/// A new zone's starting values: 60 impressions per cm2 (a natural-looking
/// shaved head), feathered over 4 mm.
impl Default for ZoneSection {
    fn default() -> Self {
        Self { name: String::new(), polygon: Vec::new(), density: 60.0, feather_mm: 4.0, shape: None }
    }
}

impl DesignFile {
    /// The file's text. Values are written as they are, unchecked: a
    /// caller that wants a usable design parses the text back.
    pub fn to_toml(&self) -> String {
        // Every field is a string, a number, a known word or a list of them:
        // nothing toml cannot write.
        toml::to_string(self).expect("a design file is plain TOML")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EXAMPLE_DESIGN;

    #[test]
    fn the_example_reads_and_writes_back_the_same() {
        let file: DesignFile = toml::from_str(EXAMPLE_DESIGN).unwrap();
        let again: DesignFile = toml::from_str(&file.to_toml()).unwrap();
        assert_eq!(file, again);
        assert_eq!(crate::parse(&file.to_toml()).unwrap(), crate::parse(EXAMPLE_DESIGN).unwrap());
    }

    #[test]
    fn typed_text_cannot_change_the_files_shape() {
        let mut file: DesignFile = toml::from_str(EXAMPLE_DESIGN).unwrap();
        file.zones[0].name = "top\"\n[pigment]\ndilution = 1.0\n#".into();
        let again: DesignFile = toml::from_str(&file.to_toml()).unwrap();
        assert_eq!(again.zones[0].name, file.zones[0].name);
        assert_eq!(again.pigment, file.pigment);
    }
}
