//! The design editor's form: what the page sends (the drawing in photo
//! pixels, the parameters as typed) turned into a design file, and a saved
//! design file back into the form.

use serde::Deserialize;
use smp_core::design_file::{
    ClientSection, DesignFile, HairlineSection, ImpressionsSection, PhotoSection, PigmentSection,
    ScaleSection, ZoneSection,
};
use smp_core::{HairlineStyle, View};
use smp_store::PhotoAngle;

/// What the editor sends: the drawing in the full photo's pixels and the
/// parameters, as typed (checked when turned into a design file). Points
/// are `x,y` pairs separated by spaces; a field left out takes a new
/// design's starting value.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct EditorForm {
    pub scale_from: String,
    pub scale_to: String,
    pub scale_mm: String,
    pub hairline: String,
    /// The point between the brows, on a front photo (optional).
    pub glabella: String,
    /// Where to read the skin's colour instead of the zones (optional):
    /// a polygon around bare scalp.
    pub skin_region: String,
    /// An area of the client's own stubble to measure (optional): a polygon.
    pub hair_sample: String,
    /// Where the mask of hair over the scalp starts: empty (no mask, or
    /// only what is painted), [`crate::hair_masks::PROPOSED`], or the
    /// stored mask of the version being edited.
    pub hair_mask: String,
    /// The brush's corrections over it: a PNG as a data URL, at the screen
    /// copy's size (see [`smp_render::hair_mask::HairMask::painted`]).
    pub hair_mask_paint: String,
    pub zone: String,
    pub density: String,
    /// Further zones: polygons separated by `|`.
    pub extra_zones: String,
    /// Their densities, in the same order, separated by `|`.
    pub extra_densities: String,
    #[serde(flatten)]
    pub params: Parameters,
}

/// A new design's starting values ([`DesignFile`]'s own).
impl Default for EditorForm {
    fn default() -> Self {
        Self {
            scale_from: String::new(),
            scale_to: String::new(),
            scale_mm: String::new(),
            hairline: String::new(),
            glabella: String::new(),
            skin_region: String::new(),
            hair_sample: String::new(),
            hair_mask: String::new(),
            hair_mask_paint: String::new(),
            zone: String::new(),
            density: ZoneSection::default().density.to_string(),
            extra_zones: String::new(),
            extra_densities: String::new(),
            params: Parameters::default(),
        }
    }
}

/// The parameters both editors (on one photo, and on the head) show beside
/// the drawing, as typed.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct Parameters {
    pub style: String,
    pub transition_mm: String,
    pub feather_mm: String,
    pub diameter_mm: String,
    pub dilution: String,
    pub depth_mm: String,
    /// 1 to 6, or `photo` to leave the type to the skin's colour on the photo.
    pub fitzpatrick: String,
    pub hair_color: String,
    pub seed: String,
}

/// A new design's starting values ([`DesignFile`]'s own), with skin type
/// III until the practitioner says otherwise.
impl Default for Parameters {
    fn default() -> Self {
        let file = DesignFile::default();
        let hairline = HairlineSection::default();
        let zone = ZoneSection::default();
        Self {
            style: hairline.style.as_str().into(),
            transition_mm: hairline.transition_mm.to_string(),
            feather_mm: zone.feather_mm.to_string(),
            diameter_mm: file.impressions.diameter_mm.to_string(),
            dilution: file.pigment.dilution.to_string(),
            depth_mm: file.pigment.depth_mm.to_string(),
            fitzpatrick: "3".into(),
            hair_color: file.client.hair_color,
            seed: file.seed.to_string(),
        }
    }
}

/// [`Parameters`] checked: values of the design file's own types.
pub(crate) struct CheckedParameters {
    pub style: HairlineStyle,
    pub transition_mm: f64,
    pub feather_mm: f64,
    pub fitzpatrick: Option<i64>,
    pub hair_color: String,
    pub seed: u64,
    pub impressions: ImpressionsSection,
    pub pigment: PigmentSection,
}

impl Parameters {
    /// Typed words become values of the file's own types (a style, a
    /// colour, a number), so nothing typed can change the document's shape.
    pub(crate) fn checked(&self) -> Result<CheckedParameters, String> {
        let style = HairlineStyle::ALL
            .into_iter()
            .find(|s| s.as_str() == self.style)
            .ok_or_else(|| format!("{:?} is not a hairline style", self.style))?;
        let hair = smp_core::Srgb8::from_hex(self.hair_color.trim())
            .ok_or_else(|| format!("The hair colour {:?} is not a colour like #2a221d", self.hair_color))?;
        let seed = self
            .seed
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("The seed {:?} is not a whole number", self.seed))?;
        // "photo": no type in the design, so the skin's colour on the photo gives it.
        let fitzpatrick = match self.fitzpatrick.trim() {
            "photo" => None,
            t => match t.parse::<i64>() {
                Ok(n @ 1..=6) => Some(n),
                _ => return Err(format!("The skin type {:?} is not 1 to 6", self.fitzpatrick)),
            },
        };
        Ok(CheckedParameters {
            style,
            transition_mm: number(&self.transition_mm, "The transition")?,
            feather_mm: number(&self.feather_mm, "The feather")?,
            fitzpatrick,
            hair_color: hair.to_hex(),
            seed,
            impressions: ImpressionsSection {
                diameter_mm: number(&self.diameter_mm, "The dot size")?,
                ..DesignFile::default().impressions
            },
            pigment: PigmentSection {
                dilution: number(&self.dilution, "The dilution")?,
                depth_mm: number(&self.depth_mm, "The depth")?,
            },
        })
    }

    /// The parameters of a saved design, as the form shows them.
    pub(crate) fn of(
        client: &ClientSection,
        impressions: &ImpressionsSection,
        pigment: &PigmentSection,
        seed: u64,
    ) -> Self {
        Self {
            fitzpatrick: client.fitzpatrick.map_or_else(|| "photo".into(), |n| n.to_string()),
            hair_color: client.hair_color.clone(),
            diameter_mm: impressions.diameter_mm.to_string(),
            dilution: pigment.dilution.to_string(),
            depth_mm: pigment.depth_mm.to_string(),
            seed: seed.to_string(),
            ..Self::default()
        }
    }
}

/// Points from `x,y x,y ...`, scaled by `factor`; `what` names them in errors.
pub(crate) fn points(text: &str, factor: f64, what: &str) -> Result<Vec<[f64; 2]>, String> {
    text.split_whitespace()
        .map(|pair| {
            let (x, y) =
                pair.split_once(',').ok_or_else(|| format!("{what}: {pair:?} is not a point x,y"))?;
            let parse = |v: &str| v.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            match (parse(x), parse(y)) {
                (Some(x), Some(y)) => Ok([x * factor, y * factor]),
                _ => Err(format!("{what}: {pair:?} is not a point x,y")),
            }
        })
        .collect()
}

pub(crate) fn number(text: &str, what: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{what}: {:?} is not a number", text.trim()))
}

/// The photo's view in the design file, from its angle label.
pub(crate) fn view_of(angle: PhotoAngle) -> View {
    match angle {
        PhotoAngle::Front => View::Front,
        PhotoAngle::Left => View::Left,
        PhotoAngle::Right => View::Right,
        PhotoAngle::Top | PhotoAngle::Crown => View::Top,
        PhotoAngle::Back => View::Back,
    }
}

/// Coordinates are kept to a tenth of a pixel: finer is noise of the
/// scaling, and the saved file stays readable.
pub(crate) fn tenth(point: [f64; 2]) -> [f64; 2] {
    point.map(|v| (v * 10.0).round() / 10.0)
}

/// The scale's two points (scaled by `factor`) and their distance in mm.
fn scale(form: &EditorForm, factor: f64) -> Result<([f64; 2], [f64; 2], f64), String> {
    let scale_from = points(&form.scale_from, factor, "The scale's first point")?;
    let scale_to = points(&form.scale_to, factor, "The scale's second point")?;
    let (Some(&from), Some(&to)) = (scale_from.first(), scale_to.first()) else {
        return Err("Set the scale: click two points on the photo and type their distance in mm.".into());
    };
    Ok((from, to, number(&form.scale_mm, "The scale's distance")?))
}

/// Millimetres per photo pixel, from the scale alone (what a proposed hair
/// mask needs before anything else is drawn).
pub(crate) fn mm_per_px(form: &EditorForm) -> Result<f64, String> {
    let (from, to, mm) = scale(form, 1.0)?;
    let px = (to[0] - from[0]).hypot(to[1] - from[1]);
    if px >= 1.0 && mm > 0.0 {
        Ok(mm / px)
    } else {
        Err("Set the scale: two points apart on the photo, and their distance in mm.".into())
    }
}

/// The design file for the editor's state, with every coordinate scaled by
/// `factor` (1 for the photo itself; the preview draws on a smaller copy).
/// Typed words become values of the file's own types (a style, a colour, a
/// number), so nothing typed can change the document's shape; the design
/// parser then checks every value as it checks a file.
pub(crate) fn design_file(
    form: &EditorForm,
    photo_file: &str,
    angle: PhotoAngle,
    factor: f64,
) -> Result<DesignFile, String> {
    let (from, to, mm) = scale(form, factor)?;
    let zone = points(&form.zone, factor, "The zone")?;
    if zone.len() < 3 {
        return Err("Draw the zone to treat: at least three points on the photo.".into());
    }
    let mut zones = vec![(zone, number(&form.density, "The density")?)];
    let extra_densities: Vec<&str> =
        form.extra_densities.split('|').filter(|d| !d.trim().is_empty()).collect();
    for (i, polygon) in form.extra_zones.split('|').filter(|z| !z.trim().is_empty()).enumerate() {
        let what = format!("Zone {}", i + 2);
        let polygon = points(polygon, factor, &what)?;
        if polygon.len() < 3 {
            return Err(format!("{what}: draw at least three points, or clear it."));
        }
        let density = extra_densities.get(i).ok_or_else(|| format!("{what} has no density"))?;
        zones.push((polygon, number(density, &format!("{what}'s density"))?));
    }
    let hairline = points(&form.hairline, factor, "The hairline")?;
    let skin_region = match points(&form.skin_region, factor, "The skin sample")? {
        skin if skin.is_empty() => None,
        skin if skin.len() < 3 => {
            return Err("The skin sample: tap at least three points around bare scalp, or clear it.".into());
        }
        skin => Some(skin),
    };
    let hair_sample = match points(&form.hair_sample, factor, "The hair sample")? {
        sample if sample.is_empty() => None,
        sample if sample.len() < 3 => {
            return Err(
                "The hair sample: tap at least three points around the client's stubble, or clear it.".into(),
            );
        }
        sample => Some(sample),
    };
    let params = form.params.checked()?;
    let hairline = if hairline.len() >= 2 {
        let glabella = points(&form.glabella, factor, "The point between the brows")?.first().copied();
        Some(HairlineSection {
            style: params.style,
            points: hairline.into_iter().map(tenth).collect(),
            transition_mm: params.transition_mm,
            glabella: glabella.map(tenth),
        })
    } else {
        None
    };
    let defaults = DesignFile::default();
    Ok(DesignFile {
        seed: params.seed,
        photo: PhotoSection {
            path: photo_file.into(),
            view: view_of(angle),
            scale: ScaleSection { from: tenth(from), to: tenth(to), mm },
            hair_mask: crate::hair_masks::stored_name(&form.hair_mask).map(Into::into),
        },
        client: ClientSection {
            fitzpatrick: params.fitzpatrick,
            hair_color: params.hair_color,
            skin_region: skin_region.map(|skin| skin.into_iter().map(tenth).collect()),
            hair_sample: hair_sample.map(|sample| sample.into_iter().map(tenth).collect()),
            ..defaults.client
        },
        hairline,
        zones: zones
            .into_iter()
            .enumerate()
            .map(|(i, (polygon, density))| ZoneSection {
                name: format!("zone {}", i + 1),
                polygon: polygon.into_iter().map(tenth).collect(),
                density,
                feather_mm: params.feather_mm,
                shape: None,
            })
            .collect(),
        impressions: params.impressions,
        pigment: params.pigment,
        ..defaults
    })
}

/// The design file's text for the editor's state (see [`design_file`]).
pub(crate) fn design_toml(
    form: &EditorForm,
    photo_file: &str,
    angle: PhotoAngle,
    factor: f64,
) -> Result<String, String> {
    design_file(form, photo_file, angle, factor).map(|file| file.to_toml())
}

/// The editor's state back from a saved design file, in the photo's pixels;
/// a file the editor cannot read opens as a new design.
pub(crate) fn form_of(design_toml: &str) -> EditorForm {
    let Ok(file) = toml::from_str::<DesignFile>(design_toml) else { return EditorForm::default() };
    let pair = |[x, y]: [f64; 2]| format!("{x},{y}");
    let list = |points: &[[f64; 2]]| points.iter().copied().map(pair).collect::<Vec<_>>().join(" ");
    let mut form = EditorForm {
        scale_from: pair(file.photo.scale.from),
        scale_to: pair(file.photo.scale.to),
        scale_mm: file.photo.scale.mm.to_string(),
        skin_region: file.client.skin_region.as_deref().map(list).unwrap_or_default(),
        hair_sample: file.client.hair_sample.as_deref().map(list).unwrap_or_default(),
        hair_mask: file.photo.hair_mask.map(|name| name.display().to_string()).unwrap_or_default(),
        params: Parameters::of(&file.client, &file.impressions, &file.pigment, file.seed),
        ..EditorForm::default()
    };
    if let Some(h) = file.hairline {
        form.hairline = list(&h.points);
        form.glabella = h.glabella.map(pair).unwrap_or_default();
        form.params.style = h.style.as_str().into();
        form.params.transition_mm = h.transition_mm.to_string();
    }
    if let Some((first, rest)) = file.zones.split_first() {
        form.zone = list(&first.polygon);
        form.density = first.density.to_string();
        form.params.feather_mm = first.feather_mm.to_string();
        form.extra_zones = rest.iter().map(|z| list(&z.polygon)).collect::<Vec<_>>().join("|");
        form.extra_densities = rest.iter().map(|z| z.density.to_string()).collect::<Vec<_>>().join("|");
    }
    form
}

pub(crate) fn explain(e: &smp_core::design::DesignError) -> String {
    if e.key.is_empty() { e.message.clone() } else { format!("{}: {}", e.key, e.message) }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use smp_core::design::parse;

    pub(crate) fn drawn() -> EditorForm {
        EditorForm {
            scale_from: "100,900".into(),
            scale_to: "1100,900".into(),
            scale_mm: "100".into(),
            hairline: "200,300 600,200 1000,300".into(),
            zone: "150,250 1050,250 1050,800 150,800".into(),
            ..EditorForm::default()
        }
    }

    #[test]
    fn the_editors_state_becomes_a_valid_design_and_back() {
        let text = design_toml(&drawn(), "p.jpg", PhotoAngle::Front, 1.0).unwrap();
        let design = parse(&text).unwrap();
        assert!((design.photo.mm_per_px - 0.1).abs() < 1e-9);
        assert_eq!(design.zones[0].polygon.vertices().len(), 4);
        let back = form_of(&text);
        assert_eq!(
            (back.zone.as_str(), back.scale_mm.as_str()),
            ("150,250 1050,250 1050,800 150,800", "100")
        );
        assert_eq!(back.hairline, "200,300 600,200 1000,300");
        // Scaled for a half-size copy: the same millimetres.
        let half = parse(&design_toml(&drawn(), "p.jpg", PhotoAngle::Front, 0.5).unwrap()).unwrap();
        assert!((half.photo.mm_per_px - 0.2).abs() < 1e-9);
    }

    #[test]
    fn several_zones_keep_their_own_density() {
        let form = EditorForm {
            extra_zones: "150,820 1050,820 1050,1000 150,1000".into(),
            extra_densities: "90".into(),
            ..drawn()
        };
        let text = design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap();
        let design = parse(&text).unwrap();
        assert_eq!(design.zones.len(), 2);
        assert_eq!((design.zones[0].density_per_cm2, design.zones[1].density_per_cm2), (60.0, 90.0));
        let back = form_of(&text);
        assert_eq!(
            (back.extra_zones.as_str(), back.extra_densities.as_str()),
            (form.extra_zones.as_str(), "90")
        );
        let bad = EditorForm { extra_zones: "1,1 2,2".into(), extra_densities: "90".into(), ..drawn() };
        assert!(design_toml(&bad, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("Zone 2"));
    }

    #[test]
    fn nothing_typed_changes_the_documents_shape() {
        let mut form = drawn();
        form.params.style = "soft\"\n[evil]".into();
        assert!(
            design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("not a hairline style")
        );
        let mut form = drawn();
        form.params.hair_color = "#123456\"\nx = 1".into();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).is_err());
        let mut form = drawn();
        form.density = "60\n[x]".into();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("density"));
        let mut form = drawn();
        form.zone = "1,1 2,2".into();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("zone"));
        let mut form = drawn();
        form.scale_from.clear();
        assert!(design_toml(&form, "p.jpg", PhotoAngle::Top, 1.0).unwrap_err().contains("scale"));
    }
}
