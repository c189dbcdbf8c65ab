//! A design on the head (schema 2) as one of its photos sees it: the
//! impressions facing that photo, in its pixels, and a photo-plane design
//! at its scale for the render to work with.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use glam::DVec3;
use smp_core::Design;
use smp_pattern::Pattern;

/// One photo's view of a design on the head.
pub struct OnPhoto {
    /// A schema 1 design at the photo's scale (its zone is where the
    /// impressions this photo sees lie: the skin is read there).
    pub design: Design,
    /// The photo file.
    pub photo: PathBuf,
    /// The impressions facing the photo, in its pixels.
    pub pattern: Pattern,
    /// Each impression's id (the same in every photo) and place on the head.
    pub on_head: Vec<(usize, DVec3)>,
    /// What the render leaves out or assumes, said beside its summary.
    pub warnings: Vec<String>,
    /// The head model and this photo's camera.
    pub head: smp_core::head::Head,
    /// This photo's fitted camera.
    pub camera: smp_core::pose::Camera,
}

/// The view of the design at `path` from its photo `name` (the first photo
/// when none is named).
pub fn on_photo(path: &Path, name: Option<&str>) -> Result<OnPhoto> {
    let Some((design, fit)) = crate::pose::read_head_design(path)? else {
        bail!("{}: --photo names a photo of a design on the head model (schema 2)", path.display());
    };
    let index = match name {
        None => 0,
        Some(name) => design.photos.iter().position(|(_, marks)| marks.name == name).ok_or_else(|| {
            let names: Vec<&str> = design.photos.iter().map(|(_, m)| m.name.as_str()).collect();
            anyhow::anyhow!(
                "{}: no photo named {name:?}; the photos are: {}",
                path.display(),
                names.join(", ")
            )
        })?,
    };
    let (photo_file, marks) = &design.photos[index];
    let camera = fit.photos[index].camera;
    let head_pattern =
        smp_pattern::head::generate(&design, &fit).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let Some(view) = smp_pattern::head::view(&design, &head_pattern, &camera, &marks.name) else {
        bail!("{}: photo {:?} sees none of the design's impressions", path.display(), marks.name);
    };
    let on_head = view.ids.iter().map(|&id| (id, head_pattern.impressions[id].at)).collect();
    let warnings = design.warnings();
    Ok(OnPhoto {
        photo: path.parent().unwrap_or(Path::new("")).join(photo_file),
        design: view.design,
        pattern: view.pattern,
        on_head,
        warnings,
        head: design.head,
        camera,
    })
}
