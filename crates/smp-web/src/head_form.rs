//! The head editor's form: the drawing (points tapped on each photo, the
//! hairline and the zones each on one photo) as the page sends it, turned
//! into a design file of schema 2 with the chart's head measurements, and a
//! saved file back into the form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smp_core::design_file::{ClientSection, ZoneSection};
use smp_core::head::HeadMeasurements;
use smp_core::head_design::{
    HEAD_SCHEMA_VERSION, HeadDesignFile, HeadHairlineSection, HeadZoneSection, PhotoEntry,
};
use smp_store::Photo;

use crate::editor_form::{Parameters, number, tenth, view_of};

/// What the head editor sends: the drawing as JSON (see [`Drawing`]) and
/// the parameters as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HeadEditorForm {
    pub drawing: String,
    #[serde(flatten)]
    pub params: Parameters,
}

/// The drawing, in each photo's own pixels (upright, full size).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Drawing {
    /// By photo id: the landmarks and tie points tapped on it, by name.
    pub points: BTreeMap<String, BTreeMap<String, [f64; 2]>>,
    /// The hairline, on one photo.
    pub hairline: Option<Shape>,
    /// The zones, each on one photo, with its density as typed.
    pub zones: Vec<DrawnZone>,
}

/// A line or an outline drawn on one photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Shape {
    /// The photo's id.
    pub on: String,
    pub points: Vec<[f64; 2]>,
}

/// A zone drawn on one photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct DrawnZone {
    /// The photo's id.
    pub on: String,
    pub points: Vec<[f64; 2]>,
    /// Impressions per cm2 of scalp, as typed.
    pub density: String,
}

/// The names the design file gives the client's photos: the angle's, with
/// a number after the first of an angle ("top", "top 2").
pub(crate) fn photo_names(photos: &[Photo]) -> Vec<(String, &Photo)> {
    let mut named: Vec<(String, &Photo)> = Vec::with_capacity(photos.len());
    for photo in photos {
        let angle = photo.angle.as_str();
        let same = named.iter().filter(|(_, p)| p.angle == photo.angle).count();
        let name = if same == 0 { angle.to_string() } else { format!("{angle} {}", same + 1) };
        named.push((name, photo));
    }
    named
}

/// The file's path for a photo: its id (the store's name for it).
fn photo_path(photo: &Photo) -> String {
    format!("{}.jpg", photo.id)
}

/// The design file for the editor's state on the client's `photos` (not
/// withdrawn), with the head from `measured` when the chart has it. The
/// photos in the design are those with a point tapped or a shape drawn.
pub(crate) fn head_design_file(
    form: &HeadEditorForm,
    photos: &[Photo],
    measured: Option<HeadMeasurements>,
) -> Result<HeadDesignFile, String> {
    let drawing: Drawing = if form.drawing.trim().is_empty() {
        Drawing::default()
    } else {
        serde_json::from_str(&form.drawing).map_err(|_| "The drawing could not be read: reload the page.")?
    };
    let named = photo_names(photos);
    let name_of =
        |id: &str, what: &str| {
            named.iter().find(|(_, p)| p.id == id).map(|(name, _)| name.clone()).ok_or_else(|| {
                format!("{what} is drawn on a photo this client no longer has: draw it again.")
            })
        };
    let params = form.params.checked()?;
    let drawn_on = |id: &str| {
        drawing.points.get(id).is_some_and(|p| !p.is_empty())
            || drawing.hairline.as_ref().is_some_and(|h| h.on == id)
            || drawing.zones.iter().any(|z| z.on == id)
    };
    let entries: Vec<PhotoEntry> = named
        .iter()
        .filter(|(_, photo)| drawn_on(&photo.id))
        .map(|(name, photo)| PhotoEntry {
            name: name.clone(),
            path: photo_path(photo).into(),
            view: view_of(photo.angle),
            hair_mask: None,
            points: drawing
                .points
                .get(&photo.id)
                .map(|points| points.iter().map(|(k, p)| (k.clone(), tenth(*p))).collect())
                .unwrap_or_default(),
        })
        .collect();
    if entries.is_empty() {
        return Err(
            "Tap the points on at least one photo: between the brows, the ear tops, and marks on the scalp."
                .into(),
        );
    }
    let hairline = match &drawing.hairline {
        Some(line) if line.points.len() >= 2 => Some(HeadHairlineSection {
            on: name_of(&line.on, "The hairline")?,
            style: params.style,
            points: line.points.iter().copied().map(tenth).collect(),
            transition_mm: params.transition_mm,
        }),
        _ => None,
    };
    let mut zones = Vec::with_capacity(drawing.zones.len());
    for (i, zone) in drawing.zones.iter().enumerate() {
        let what = format!("Zone {}", i + 1);
        if zone.points.is_empty() {
            continue;
        }
        if zone.points.len() < 3 {
            return Err(format!("{what}: draw at least three points, or clear it."));
        }
        zones.push(HeadZoneSection {
            name: format!("zone {}", i + 1),
            on: name_of(&zone.on, &what)?,
            polygon: zone.points.iter().copied().map(tenth).collect(),
            density: number(&zone.density, &format!("{what}'s density"))?,
            feather_mm: params.feather_mm,
        });
    }
    if zones.is_empty() {
        return Err("Draw the zone to treat: at least three points on one of the photos.".into());
    }
    Ok(HeadDesignFile {
        schema: HEAD_SCHEMA_VERSION,
        seed: params.seed,
        head: measured,
        photos: entries,
        client: ClientSection {
            fitzpatrick: params.fitzpatrick,
            hair_color: params.hair_color,
            ..smp_core::DesignFile::default().client
        },
        hairline,
        zones,
        impressions: params.impressions,
        pigment: params.pigment,
        sessions: None,
    })
}

/// The editor's state back from a saved design file of schema 2; a file the
/// editor cannot read opens as a new design.
pub(crate) fn head_form_of(design_toml: &str) -> HeadEditorForm {
    let Ok(file) = toml::from_str::<HeadDesignFile>(design_toml) else { return HeadEditorForm::default() };
    // The file names photos; the page knows them by id (the path's stem).
    let id_of = |name: &str| {
        file.photos
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.path.file_stem())
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let drawing = Drawing {
        points: file
            .photos
            .iter()
            .map(|p| (id_of(&p.name), p.points.iter().map(|(k, v)| (k.clone(), *v)).collect()))
            .collect(),
        hairline: file.hairline.as_ref().map(|h| Shape { on: id_of(&h.on), points: h.points.clone() }),
        zones: file
            .zones
            .iter()
            .map(|z| DrawnZone {
                on: id_of(&z.on),
                points: z.polygon.clone(),
                density: z.density.to_string(),
            })
            .collect(),
    };
    let mut params = Parameters::of(&file.client, &file.impressions, &file.pigment, file.seed);
    if let Some(h) = &file.hairline {
        params.style = h.style.as_str().into();
        params.transition_mm = h.transition_mm.to_string();
    }
    if let Some(zone) = file.zones.first() {
        params.feather_mm = zone.feather_mm.to_string();
    }
    HeadEditorForm { drawing: serde_json::to_string(&drawing).unwrap_or_default(), params }
}

/// A new zone's density as the form shows it.
pub(crate) fn default_density() -> String {
    ZoneSection::default().density.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use smp_store::PhotoAngle;

    fn photo(id: &str, angle: PhotoAngle) -> Photo {
        Photo {
            id: id.into(),
            client_id: "c".into(),
            angle,
            width: 4000,
            height: 4000,
            bytes: 1,
            staff_name: "pia".into(),
            created_at: 0,
            withdrawn: None,
        }
    }

    /// The example design's points, on photos `p-top` and `p-front`.
    fn drawn() -> HeadEditorForm {
        let example =
            smp_core::head_design::parse_head_design(smp_core::head_design::EXAMPLE_HEAD_DESIGN).unwrap();
        let points = |i: usize| {
            example.photos[i].1.points.iter().map(|(k, p)| (k.clone(), *p)).collect::<BTreeMap<_, _>>()
        };
        let file = &example.file;
        let drawing = Drawing {
            points: [("p-top".to_string(), points(0)), ("p-front".to_string(), points(1))].into(),
            hairline: file
                .hairline
                .as_ref()
                .map(|h| Shape { on: "p-front".into(), points: h.points.clone() }),
            zones: vec![DrawnZone {
                on: "p-top".into(),
                points: file.zones[0].polygon.clone(),
                density: "60".into(),
            }],
        };
        HeadEditorForm { drawing: serde_json::to_string(&drawing).unwrap(), params: Parameters::default() }
    }

    #[test]
    fn the_drawing_becomes_a_design_on_the_head_and_back() {
        let photos = [
            photo("p-top", PhotoAngle::Top),
            photo("p-front", PhotoAngle::Front),
            photo("p-left", PhotoAngle::Left),
        ];
        let measured =
            HeadMeasurements { circumference_mm: 549.0, ear_to_ear_mm: 295.0, front_to_back_mm: 327.0 };
        let file = head_design_file(&drawn(), &photos, Some(measured)).unwrap();
        // The photo with nothing on it is left out; names come from the angles.
        let names: Vec<&str> = file.photos.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["top", "front"]);
        let text = toml::to_string(&file).unwrap();
        let design = smp_core::head_design::parse_head_design(&text).unwrap();
        assert!(design.measured);
        design.fit().unwrap();
        assert_eq!(design.file.zones[0].on, "top");
        assert_eq!(design.file.hairline.as_ref().unwrap().on, "front");
        // And back: the same drawing, by photo id.
        let back = head_form_of(&text);
        let (a, b): (Drawing, Drawing) =
            (serde_json::from_str(&back.drawing).unwrap(), serde_json::from_str(&drawn().drawing).unwrap());
        assert_eq!(a, b);
    }

    #[test]
    fn what_is_missing_or_gone_is_said() {
        let photos = [photo("p-top", PhotoAngle::Top)];
        // The front photo is gone from the chart.
        let err = head_design_file(&drawn(), &photos, None).unwrap_err();
        assert!(err.contains("no longer has"), "{err}");
        let empty = HeadEditorForm::default();
        assert!(head_design_file(&empty, &photos, None).unwrap_err().contains("Tap the points"));
        let garbled = HeadEditorForm { drawing: "{\"zones\": 7}".into(), ..HeadEditorForm::default() };
        assert!(head_design_file(&garbled, &photos, None).unwrap_err().contains("could not be read"));
    }

    #[test]
    fn two_photos_of_one_angle_get_their_own_names() {
        let photos =
            [photo("a", PhotoAngle::Top), photo("b", PhotoAngle::Top), photo("c", PhotoAngle::Front)];
        let names: Vec<String> = photo_names(&photos).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["top", "top 2", "front"]);
    }
}
