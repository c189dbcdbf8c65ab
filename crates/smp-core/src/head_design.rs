//! The design file, schema 2: a design on the client's head, seen on any
//! number of photos. One serde type, read and written the same way, then
//! checked into a [`HeadDesign`].
//!
//! The head comes from the tape measurements, each photo's camera is fitted
//! to the points tapped on it ([`HeadDesign::fit`]); the hairline and the
//! zones are each drawn on one photo (`smp-pattern::head` samples them on
//! the head's surface).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::design::{DesignError, MAX_POINTS, MAX_ZONES, View, check_point, check_points};
use crate::design_file::{ClientSection, ImpressionsSection, PigmentSection, PixelPoint, SessionsSection};
use crate::head::{Head, HeadMeasurements};
use crate::pose::PhotoMarks;
use crate::source::{Locator, Step};

/// The schema of designs on the head model.
pub const HEAD_SCHEMA_VERSION: u32 = 2;

/// Most photos in one design: the five views, and a few more.
pub const MAX_PHOTOS: usize = 12;

/// The whole schema 2 file, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadDesignFile {
    /// Always 2.
    pub schema: u32,
    /// Random seed: the same design and seed give the same impressions.
    pub seed: u64,
    /// `[head]`: the tape measurements; absent assumes a typical head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<HeadMeasurements>,
    /// `[[photos]]`: views of the same head, one or more.
    pub photos: Vec<PhotoEntry>,
    /// `[client]`, as in schema 1.
    pub client: ClientSection,
    /// `[hairline]`, drawn on one of the photos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hairline: Option<HeadHairlineSection>,
    /// `[[zones]]`, each drawn on one of the photos.
    pub zones: Vec<HeadZoneSection>,
    /// `[impressions]`, as in schema 1.
    pub impressions: ImpressionsSection,
    /// `[pigment]`, as in schema 1.
    pub pigment: PigmentSection,
    /// `[sessions]`, as in schema 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsSection>,
}

/// One `[[photos]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoEntry {
    /// How the design refers to it (`on = "top"`), unique.
    pub name: String,
    /// The file, relative to the design's folder.
    pub path: PathBuf,
    /// The view it shows.
    pub view: View,
    /// Where hair lies over the scalp on it (as `[photo] hair_mask` of
    /// schema 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair_mask: Option<PathBuf>,
    /// Points tapped on it, in its pixels after EXIF orientation: the
    /// landmarks `glabella`, `right_ear`, `left_ear`, and tie points (any
    /// other name: a mark on the client's head seen on two or more photos).
    pub points: BTreeMap<String, PixelPoint>,
}

/// `[hairline]` of schema 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadHairlineSection {
    /// The photo whose pixels the points are given in.
    pub on: String,
    /// Its character.
    pub style: crate::HairlineStyle,
    /// The points the line passes through, left to right on that photo.
    pub points: Vec<PixelPoint>,
    /// Depth of the density gradient behind the line, in millimetres.
    pub transition_mm: f64,
}

/// One `[[zones]]` entry of schema 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadZoneSection {
    /// Its name, unique in the design.
    pub name: String,
    /// The photo whose pixels the polygon is given in.
    pub on: String,
    /// Its outline on that photo.
    pub polygon: Vec<PixelPoint>,
    /// Impressions per cm2 of scalp surface.
    pub density: f64,
    /// Distance inside the edge over which density ramps up, in millimetres.
    pub feather_mm: f64,
}

/// A checked schema 2 design, as far as it is built.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadDesign {
    /// The random seed.
    pub seed: u64,
    /// The head model.
    pub head: Head,
    /// Whether the head comes from the client's own measurements (else a
    /// typical head is assumed).
    pub measured: bool,
    /// Each photo's path and the points tapped on it.
    pub photos: Vec<(PathBuf, PhotoMarks)>,
    /// The file as read, for what is not built on yet.
    pub file: HeadDesignFile,
}

impl HeadDesign {
    /// Every photo's camera fitted to its points, refused when a photo's
    /// points fit no camera of the head ([`crate::pose::fit_usable`]).
    pub fn fit(&self) -> Result<crate::pose::PoseFit, crate::pose::PoseError> {
        let marks: Vec<PhotoMarks> = self.photos.iter().map(|(_, marks)| marks.clone()).collect();
        crate::pose::fit_usable(&self.head, &marks)
    }

    /// What the reader of every output should know about this design.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.measured {
            let t = HeadMeasurements::TYPICAL;
            warnings.push(format!(
                "no head measurements: a typical adult head is assumed (circumference {} mm, ear to ear {} mm, front to back {} mm); measure the client for true areas and counts",
                t.circumference_mm, t.ear_to_ear_mm, t.front_to_back_mm
            ));
        }
        warnings
    }
}

/// The schema a design file's text declares, if it declares one.
pub fn schema_of(text: &str) -> Option<u32> {
    toml::from_str::<toml::Table>(text).ok()?.get("schema")?.as_integer()?.try_into().ok()
}

/// Parses and checks a schema 2 design file's text.
pub fn parse_head_design(text: &str) -> Result<HeadDesign, DesignError> {
    use Step::{Index, Key};
    let loc = Locator::new(text);
    let file: HeadDesignFile = loc.deserialize()?;
    if file.schema != HEAD_SCHEMA_VERSION {
        return Err(loc.error(
            &[Key("schema")],
            format!(
                "schema {} is not a design on the head model (schema {HEAD_SCHEMA_VERSION})",
                file.schema
            ),
        ));
    }
    let (head, measured) = match &file.head {
        Some(m) => (Head::from_measurements(m).map_err(|e| loc.error(&[Key("head")], e.to_string()))?, true),
        None => {
            (Head::from_measurements(&HeadMeasurements::TYPICAL).expect("the typical head is a head"), false)
        }
    };
    if file.photos.is_empty() || file.photos.len() > MAX_PHOTOS {
        return Err(loc.error(
            &[Key("photos")],
            format!("a design on the head needs 1 to {MAX_PHOTOS} [[photos]], found {}", file.photos.len()),
        ));
    }
    // The same checks as a design on one photo's outlines.
    let check_point = |path: &[Step], p: PixelPoint| check_point(&loc, path, p).map(|_| p);
    let check_points = |path: &[Step], points: &[PixelPoint]| check_points(&loc, path, points).map(|_| ());
    let mut photos = Vec::with_capacity(file.photos.len());
    for (i, photo) in file.photos.iter().enumerate() {
        let name = photo.name.trim();
        if name.is_empty() {
            return Err(loc.error(&[Key("photos"), Index(i), Key("name")], "the photo's name is empty"));
        }
        if photos.iter().any(|(_, m): &(PathBuf, PhotoMarks)| m.name == name) {
            return Err(loc.error(
                &[Key("photos"), Index(i), Key("name")],
                format!("a photo named {name:?} already exists"),
            ));
        }
        if photo.path.as_os_str().is_empty() {
            return Err(loc.error(&[Key("photos"), Index(i), Key("path")], "the photo path is empty"));
        }
        if photo.points.len() > MAX_POINTS {
            return Err(loc.error(&[Key("photos"), Index(i), Key("points")], "too many points"));
        }
        let mut points = Vec::with_capacity(photo.points.len());
        for (point, at) in &photo.points {
            let at = check_point(&[Key("photos"), Index(i), Key("points")], *at).map_err(|e| {
                crate::source::SourceError { message: format!("{point}: {}", e.message), ..e }
            })?;
            points.push((point.clone(), at));
        }
        photos.push((photo.path.clone(), PhotoMarks { name: name.to_string(), view: photo.view, points }));
    }
    let names: Vec<&str> = photos.iter().map(|(_, m)| m.name.as_str()).collect();
    let known = |path: &[Step], on: &str| {
        if names.contains(&on) {
            Ok(())
        } else {
            Err(loc.error(
                path,
                format!("{on:?} names no photo of this design; the photos are: {}", names.join(", ")),
            ))
        }
    };
    if let Some(h) = &file.hairline {
        known(&[Key("hairline"), Key("on")], &h.on)?;
        check_points(&[Key("hairline"), Key("points")], &h.points)?;
    }
    match (&file.client.hair_sample, &file.client.hair_sample_on) {
        (Some(points), Some(on)) => {
            known(&[Key("client"), Key("hair_sample_on")], on)?;
            check_points(&[Key("client"), Key("hair_sample")], points)?;
        }
        (Some(_), None) => {
            return Err(loc.error(
                &[Key("client"), Key("hair_sample_on")],
                "name the photo the hair sample is drawn on (hair_sample_on = \"PHOTO\")",
            ));
        }
        _ => {}
    }
    if file.zones.is_empty() || file.zones.len() > MAX_ZONES {
        return Err(loc.error(&[Key("zones")], format!("a design needs 1 to {MAX_ZONES} [[zones]] entries")));
    }
    for (i, zone) in file.zones.iter().enumerate() {
        known(&[Key("zones"), Index(i), Key("on")], &zone.on)?;
        check_points(&[Key("zones"), Index(i), Key("polygon")], &zone.polygon)?;
    }
    Ok(HeadDesign { seed: file.seed, head, measured, photos, file })
}

/// A commented example of a schema 2 design.
pub const EXAMPLE_HEAD_DESIGN: &str = include_str!("example-head.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_reads_and_writes_back_the_same() {
        let design = parse_head_design(EXAMPLE_HEAD_DESIGN).unwrap();
        assert_eq!(design.photos.len(), 2);
        assert!(design.measured && (design.head.b - 98.0).abs() < 1.0, "{:?}", design.head);
        let again = toml::to_string(&design.file).unwrap();
        assert_eq!(parse_head_design(&again).unwrap(), design);
        assert_eq!(schema_of(EXAMPLE_HEAD_DESIGN), Some(2));
        assert_eq!(schema_of(crate::EXAMPLE_DESIGN), Some(1));
    }

    #[test]
    fn a_shape_on_a_photo_that_is_not_there_is_named() {
        let text = EXAMPLE_HEAD_DESIGN.replacen("on = \"top\"", "on = \"crown\"", 1);
        let err = parse_head_design(&text).unwrap_err();
        assert_eq!(err.key, "zones[0].on");
        assert!(
            err.message.contains("\"crown\" names no photo") && err.message.contains("top, front"),
            "{err}"
        );
    }

    #[test]
    fn without_measurements_a_typical_head_is_assumed_and_said() {
        let start = EXAMPLE_HEAD_DESIGN.find("[head]").unwrap();
        let end = EXAMPLE_HEAD_DESIGN[start..].find("\n\n").unwrap() + start;
        let text = format!("{}{}", &EXAMPLE_HEAD_DESIGN[..start], &EXAMPLE_HEAD_DESIGN[end..]);
        let design = parse_head_design(&text).unwrap();
        assert!(!design.measured);
        assert!(design.warnings()[0].contains("typical adult head"), "{:?}", design.warnings());
        let bad = EXAMPLE_HEAD_DESIGN.replace("circumference_mm = 549.0", "circumference_mm = 54.9");
        assert_eq!(parse_head_design(&bad).unwrap_err().key, "head");
    }

    #[test]
    fn a_hair_sample_names_its_photo() {
        let with = |extra: &str| {
            EXAMPLE_HEAD_DESIGN
                .replace("hair_color = \"#2a221d\"", &format!("hair_color = \"#2a221d\"\n{extra}"))
        };
        let sample = "hair_sample = [[100, 1500], [400, 1500], [400, 1800], [100, 1800]]";
        assert_eq!(parse_head_design(&with(sample)).unwrap_err().key, "client.hair_sample_on");
        let named = format!("{sample}\nhair_sample_on = \"back\"");
        assert!(parse_head_design(&with(&named)).unwrap_err().message.contains("\"back\" names no photo"));
        assert!(parse_head_design(&with(&named.replace("back", "top"))).is_ok());
        // A design on one photo has nothing to name.
        let flat =
            crate::EXAMPLE_DESIGN.replace("lifestyle = []", "lifestyle = []\nhair_sample_on = \"top\"");
        assert_eq!(crate::parse(&flat).unwrap_err().key, "client.hair_sample_on");
    }
}
