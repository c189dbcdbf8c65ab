//! The practitioner's assessment of the client's scalp, recorded at each
//! consultation: the pattern of hair loss (by the stages practitioners
//! name: Norwood-Hamilton for men, Ludwig for women), scars with their kind
//! and size, the scalp's condition and sensitivity, and active conditions
//! that bear on treatment. One serde type, kept as the record's document.

use serde::{Deserialize, Serialize};

/// The pattern of hair loss; written by its [`LossPattern::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum LossPattern {
    /// Norwood-Hamilton 1: no recession.
    Norwood1,
    /// 2: slight recession at the temples.
    Norwood2,
    /// 3: deep recession at the temples.
    Norwood3,
    /// 3 vertex: recession and a thinning crown.
    Norwood3Vertex,
    /// 4: a bald crown apart from the front, a band of hair between.
    Norwood4,
    /// 5: the band thinning.
    Norwood5,
    /// 6: front and crown joined.
    Norwood6,
    /// 7: a horseshoe at the sides and back only.
    Norwood7,
    /// Ludwig I: thinning on the top, the front line kept.
    Ludwig1,
    /// Ludwig II: marked thinning on the top.
    Ludwig2,
    /// Ludwig III: the top nearly bare.
    Ludwig3,
    /// Diffuse thinning all over.
    Diffuse,
    /// Alopecia areata: round patches.
    AlopeciaAreata,
    /// Scars only (the loss is theirs).
    ScarsOnly,
}

impl LossPattern {
    /// Every pattern, in the order the form shows them.
    pub const ALL: [LossPattern; 14] = [
        LossPattern::Norwood1,
        LossPattern::Norwood2,
        LossPattern::Norwood3,
        LossPattern::Norwood3Vertex,
        LossPattern::Norwood4,
        LossPattern::Norwood5,
        LossPattern::Norwood6,
        LossPattern::Norwood7,
        LossPattern::Ludwig1,
        LossPattern::Ludwig2,
        LossPattern::Ludwig3,
        LossPattern::Diffuse,
        LossPattern::AlopeciaAreata,
        LossPattern::ScarsOnly,
    ];

    /// Its name in forms and documents (`norwood-3-vertex`).
    pub fn as_str(self) -> &'static str {
        match self {
            LossPattern::Norwood1 => "norwood-1",
            LossPattern::Norwood2 => "norwood-2",
            LossPattern::Norwood3 => "norwood-3",
            LossPattern::Norwood3Vertex => "norwood-3-vertex",
            LossPattern::Norwood4 => "norwood-4",
            LossPattern::Norwood5 => "norwood-5",
            LossPattern::Norwood6 => "norwood-6",
            LossPattern::Norwood7 => "norwood-7",
            LossPattern::Ludwig1 => "ludwig-1",
            LossPattern::Ludwig2 => "ludwig-2",
            LossPattern::Ludwig3 => "ludwig-3",
            LossPattern::Diffuse => "diffuse",
            LossPattern::AlopeciaAreata => "alopecia-areata",
            LossPattern::ScarsOnly => "scars-only",
        }
    }

    /// Its name in words.
    pub fn label(self) -> &'static str {
        match self {
            LossPattern::Norwood1 => "Norwood 1",
            LossPattern::Norwood2 => "Norwood 2",
            LossPattern::Norwood3 => "Norwood 3",
            LossPattern::Norwood3Vertex => "Norwood 3 vertex",
            LossPattern::Norwood4 => "Norwood 4",
            LossPattern::Norwood5 => "Norwood 5",
            LossPattern::Norwood6 => "Norwood 6",
            LossPattern::Norwood7 => "Norwood 7",
            LossPattern::Ludwig1 => "Ludwig I",
            LossPattern::Ludwig2 => "Ludwig II",
            LossPattern::Ludwig3 => "Ludwig III",
            LossPattern::Diffuse => "Diffuse thinning",
            LossPattern::AlopeciaAreata => "Alopecia areata",
            LossPattern::ScarsOnly => "Scars only",
        }
    }

    /// The pattern named `name` ([`Self::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// A small drawing of the pattern: the head seen from above, the face
    /// at the top, hair dark, bare scalp light, thinning half-tone. SVG,
    /// with presentation attributes only (the pages allow no inline style).
    pub fn drawing(self) -> String {
        const HAIR: &str = "#4a3a32";
        const SKIN: &str = "#e8c4ac";
        // Bare (or thinning, `opacity` < 1) areas over the hair.
        let bare = |shapes: &[&str], opacity: f64| {
            shapes
                .iter()
                .map(|d| format!(r#"<path d="{d}" fill="{SKIN}" fill-opacity="{opacity}"/>"#))
                .collect::<String>()
        };
        let temples_slight = ["M14 12 Q20 10 22 20 Q16 18 14 12Z", "M46 12 Q40 10 38 20 Q44 18 46 12Z"];
        let temples_deep = ["M13 14 Q20 6 26 28 Q16 24 13 14Z", "M47 14 Q40 6 34 28 Q44 24 47 14Z"];
        let front_bald = "M12 16 Q30 2 48 16 Q46 34 30 36 Q14 34 12 16Z";
        let crown =
            |r: f64| format!("M{} 50 a{r} {r} 0 1 0 {} 0 a{r} {r} 0 1 0 {} 0Z", 30.0 - r, 2.0 * r, -2.0 * r);
        let top = "M11 18 Q30 0 49 18 Q52 46 44 58 Q30 66 16 58 Q8 46 11 18Z";
        let ludwig = |rx: f64, ry: f64| {
            format!("M{} 38 a{rx} {ry} 0 1 0 {} 0 a{rx} {ry} 0 1 0 {} 0Z", 30.0 - rx, 2.0 * rx, -2.0 * rx)
        };
        let spots = "M18 30 a4 4 0 1 0 8 0 a4 4 0 1 0 -8 0Z M34 46 a5 5 0 1 0 10 0 a5 5 0 1 0 -10 0Z M36 22 a3 3 0 1 0 6 0 a3 3 0 1 0 -6 0Z";
        let scar =
            r##"<path d="M22 44 L40 40" stroke="#9b5a48" stroke-width="2.5" stroke-linecap="round"/>"##;
        let over = match self {
            LossPattern::Norwood1 => String::new(),
            LossPattern::Norwood2 => bare(&temples_slight, 1.0),
            LossPattern::Norwood3 => bare(&temples_deep, 1.0),
            LossPattern::Norwood3Vertex => bare(&temples_deep, 1.0) + &bare(&[&crown(5.0)], 1.0),
            LossPattern::Norwood4 => bare(&[front_bald, &crown(7.0)], 1.0),
            LossPattern::Norwood5 => {
                bare(&[front_bald, &crown(10.0)], 1.0)
                    + &bare(&["M16 36 Q30 42 44 36 L44 42 Q30 46 16 42Z"], 0.6)
            }
            LossPattern::Norwood6 => {
                bare(&["M11 18 Q30 0 49 18 Q50 44 40 56 Q30 60 20 56 Q10 44 11 18Z"], 1.0)
            }
            LossPattern::Norwood7 => bare(&[top], 1.0),
            LossPattern::Ludwig1 => bare(&[&ludwig(7.0, 12.0)], 0.55),
            LossPattern::Ludwig2 => bare(&[&ludwig(11.0, 18.0)], 0.7),
            LossPattern::Ludwig3 => bare(&[&ludwig(15.0, 22.0)], 0.9),
            LossPattern::Diffuse => bare(&[top], 0.5),
            LossPattern::AlopeciaAreata => bare(&[spots], 1.0),
            LossPattern::ScarsOnly => scar.to_string(),
        };
        format!(
            r#"<svg viewBox="0 0 60 70" width="60" height="70" aria-hidden="true"><ellipse cx="30" cy="36" rx="24" ry="31" fill="{SKIN}"/><path d="M8 30 Q6 8 30 5 Q54 8 52 30 Q56 56 44 64 Q30 70 16 64 Q4 56 8 30Z" fill="{HAIR}"/>{over}<path d="M26 3 L30 -2 L34 3" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>"#
        )
    }
}

impl From<LossPattern> for String {
    fn from(p: LossPattern) -> String {
        p.as_str().into()
    }
}

impl TryFrom<String> for LossPattern {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        LossPattern::from_name(&name).ok_or_else(|| format!("{name:?} is not a pattern of hair loss"))
    }
}

/// The kind of a scar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScarKind {
    /// A linear scar from strip harvesting (FUT).
    FutStrip,
    /// Dot scars from follicular unit extraction (FUE).
    Fue,
    /// From an injury.
    Injury,
    /// From a burn.
    Burn,
}

impl ScarKind {
    /// Every kind, in the order the form shows them.
    pub const ALL: [ScarKind; 4] = [ScarKind::FutStrip, ScarKind::Fue, ScarKind::Injury, ScarKind::Burn];

    /// Its name in forms and documents.
    pub fn as_str(self) -> &'static str {
        match self {
            ScarKind::FutStrip => "fut-strip",
            ScarKind::Fue => "fue",
            ScarKind::Injury => "injury",
            ScarKind::Burn => "burn",
        }
    }

    /// Its name in words.
    pub fn label(self) -> &'static str {
        match self {
            ScarKind::FutStrip => "FUT strip",
            ScarKind::Fue => "FUE dots",
            ScarKind::Injury => "Injury",
            ScarKind::Burn => "Burn",
        }
    }

    /// The kind named `name` ([`Self::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One scar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scar {
    /// Its kind.
    pub kind: ScarKind,
    /// Its length (a strip, an injury) or the width of the scarred area
    /// (FUE dots, a burn), mm.
    pub size_mm: f64,
}

/// How oily the scalp is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScalpCondition {
    /// Dry.
    Dry,
    /// Normal.
    Normal,
    /// Oily (pigment tends to spread; the protocol's gaps matter more).
    Oily,
}

/// How the scalp reacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sensitivity {
    /// Little reaction.
    Low,
    /// Usual.
    Normal,
    /// Reddens and swells easily.
    High,
}

/// A condition of the scalp active at the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActiveCondition {
    /// Psoriasis on the scalp.
    Psoriasis,
    /// Seborrhoeic dermatitis.
    SeborrhoeicDermatitis,
    /// Folliculitis.
    Folliculitis,
    /// Eczema.
    Eczema,
    /// An infection or an open wound.
    Infection,
    /// Sunburn.
    Sunburn,
}

impl ActiveCondition {
    /// Every condition, in the order the form shows them.
    pub const ALL: [ActiveCondition; 6] = [
        ActiveCondition::Psoriasis,
        ActiveCondition::SeborrhoeicDermatitis,
        ActiveCondition::Folliculitis,
        ActiveCondition::Eczema,
        ActiveCondition::Infection,
        ActiveCondition::Sunburn,
    ];

    /// Its name in forms and documents.
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveCondition::Psoriasis => "psoriasis",
            ActiveCondition::SeborrhoeicDermatitis => "seborrhoeic-dermatitis",
            ActiveCondition::Folliculitis => "folliculitis",
            ActiveCondition::Eczema => "eczema",
            ActiveCondition::Infection => "infection",
            ActiveCondition::Sunburn => "sunburn",
        }
    }

    /// Its name in words.
    pub fn label(self) -> &'static str {
        match self {
            ActiveCondition::Psoriasis => "Psoriasis",
            ActiveCondition::SeborrhoeicDermatitis => "Seborrhoeic dermatitis",
            ActiveCondition::Folliculitis => "Folliculitis",
            ActiveCondition::Eczema => "Eczema",
            ActiveCondition::Infection => "Infection or open wound",
            ActiveCondition::Sunburn => "Sunburn",
        }
    }

    /// The condition named `name` ([`Self::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The assessment of the client's scalp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalpAssessment {
    /// The pattern of loss.
    pub pattern: LossPattern,
    /// Scars, if any.
    #[serde(default)]
    pub scars: Vec<Scar>,
    /// How oily the scalp is.
    pub condition: ScalpCondition,
    /// How it reacts.
    pub sensitivity: Sensitivity,
    /// Conditions active now.
    #[serde(default)]
    pub active: Vec<ActiveCondition>,
    /// Anything else, in the practitioner's words.
    #[serde(default)]
    pub notes: String,
    /// The client's own stubble, as the hair sample of their latest design
    /// measured it when the assessment was made (none without a sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair: Option<HairFigures>,
}

/// The client's stubble measured in a design's hair sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HairFigures {
    /// Hairs per cm2.
    pub density_per_cm2: f64,
    /// Median visible diameter, mm.
    pub diameter_mm: f64,
    /// Median colour, `#rrggbb`.
    pub color_hex: String,
    /// The version of the design whose sample it is.
    pub design_version: i64,
}

/// Most scars one assessment records.
pub const MAX_SCARS: usize = 6;
/// The longest notes.
pub const MAX_NOTES_CHARS: usize = 2000;
/// The largest scar size, mm (across the whole head and more).
pub const MAX_SCAR_MM: f64 = 400.0;

impl ScalpAssessment {
    /// What, if anything, is out of range: the field and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.scars.len() > MAX_SCARS {
            return Err(("scars", format!("At most {MAX_SCARS} scars.")));
        }
        for scar in &self.scars {
            if !(scar.size_mm.is_finite() && scar.size_mm > 0.0 && scar.size_mm <= MAX_SCAR_MM) {
                return Err((
                    "scars",
                    format!("A scar's size is 1 to {MAX_SCAR_MM:.0} mm, not {} mm.", scar.size_mm),
                ));
            }
        }
        if self.notes.chars().count() > MAX_NOTES_CHARS {
            return Err(("notes", format!("Notes of at most {MAX_NOTES_CHARS} characters.")));
        }
        Ok(())
    }

    /// Whether a condition active now stands in the way of a session (the
    /// practitioner's reading; the health screening has its own rules).
    pub fn treat_after_healing(&self) -> bool {
        self.active.iter().any(|c| {
            matches!(c, ActiveCondition::Infection | ActiveCondition::Sunburn | ActiveCondition::Folliculitis)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_every_pattern_has_a_drawing() {
        for p in LossPattern::ALL {
            assert_eq!(LossPattern::from_name(p.as_str()), Some(p));
            let svg = p.drawing();
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>") && !svg.contains("style="), "{svg}");
        }
        // The drawings differ: each stage is told apart by its picture.
        let drawings: std::collections::BTreeSet<String> =
            LossPattern::ALL.iter().map(|p| p.drawing()).collect();
        assert_eq!(drawings.len(), LossPattern::ALL.len());
        for k in ScarKind::ALL {
            assert_eq!(ScarKind::from_name(k.as_str()), Some(k));
        }
        for c in ActiveCondition::ALL {
            assert_eq!(ActiveCondition::from_name(c.as_str()), Some(c));
        }
    }

    #[test]
    fn the_document_reads_back_and_sizes_are_checked() {
        let a = ScalpAssessment {
            pattern: LossPattern::Norwood3Vertex,
            scars: vec![Scar { kind: ScarKind::FutStrip, size_mm: 180.0 }],
            condition: ScalpCondition::Oily,
            sensitivity: Sensitivity::High,
            active: vec![ActiveCondition::SeborrhoeicDermatitis],
            notes: "Strip scar from 2019".into(),
            hair: Some(HairFigures {
                density_per_cm2: 52.0,
                diameter_mm: 0.28,
                color_hex: "#2a221d".into(),
                design_version: 3,
            }),
        };
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("\"norwood-3-vertex\"") && json.contains("\"fut-strip\""), "{json}");
        assert_eq!(serde_json::from_str::<ScalpAssessment>(&json).unwrap(), a);
        assert!(a.check().is_ok());
        let huge =
            ScalpAssessment { scars: vec![Scar { kind: ScarKind::Burn, size_mm: 900.0 }], ..a.clone() };
        assert_eq!(huge.check().unwrap_err().0, "scars");
        assert!(!a.treat_after_healing());
    }
}
