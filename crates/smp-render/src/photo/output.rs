//! Result files: the output's format from its name, and whole-file writes
//! (a temporary file in the same folder, synced, renamed), so that a crash
//! or a failure never leaves half a picture under the name asked for.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use image::{ImageEncoder, ImageFormat, RgbImage};

use super::PhotoError;
use super::jpeg::encode_jpeg;

/// The format an output path asks for, by extension.
pub fn output_format(path: &Path) -> Result<ImageFormat, PhotoError> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => Ok(ImageFormat::Png),
        Some("jpg" | "jpeg") => Ok(ImageFormat::Jpeg),
        _ => Err(PhotoError::UnsupportedOutput(path.to_owned())),
    }
}

/// Checks that `path` can be written (known format, existing folder),
/// before any long work is done for it.
pub fn check_output(path: &Path) -> Result<(), PhotoError> {
    output_format(path)?;
    check_folder(path)
}

/// Checks that the folder `path` would be written into exists.
pub fn check_folder(path: &Path) -> Result<(), PhotoError> {
    if !folder_of(path).is_dir() {
        return Err(PhotoError::MissingFolder(path.to_owned()));
    }
    Ok(())
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// JPEG quality for results: high, since they are shown to clients.
pub(super) const JPEG_QUALITY: u8 = 92;

/// Writes `image` to `path` atomically: into a temporary file in the same
/// folder, flushed to disk, then renamed. A failure leaves no partial file.
pub fn save_image(image: &RgbImage, path: &Path) -> Result<(), PhotoError> {
    let format = output_format(path)?;
    write_atomically(path, |out| match format {
        ImageFormat::Jpeg => encode_jpeg(image, JPEG_QUALITY, out).map_err(|e| e.to_string()),
        _ => image::codecs::png::PngEncoder::new(out)
            .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
            .map_err(|e| e.to_string()),
    })
}

/// Writes whatever `fill` produces to `path` atomically (temporary file in
/// the same folder, fsync, rename): an ordinary file (0644), for results.
/// (Client photos are written by the photo store of `smp-store`, privately.)
pub fn write_atomically<E: std::fmt::Display>(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<&mut File>) -> Result<(), E>,
) -> Result<(), PhotoError> {
    check_folder(path)?;
    let folder = folder_of(path);
    let fail = |message: String| PhotoError::Write { path: path.to_owned(), message };
    let mut temp = tempfile::Builder::new()
        .prefix(PARTIAL_PREFIX)
        .tempfile_in(folder)
        .map_err(|e| fail(e.to_string()))?;
    {
        let mut writer = BufWriter::new(temp.as_file_mut());
        fill(&mut writer).map_err(|e| fail(e.to_string()))?;
        writer.flush().map_err(|e| fail(e.to_string()))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| fail(e.to_string()))?;
    }
    temp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    temp.persist(path).map_err(|e| fail(e.error.to_string()))?;
    // The rename itself is durable only once the folder is flushed too.
    #[cfg(unix)]
    File::open(folder).and_then(|f| f.sync_all()).map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// How the temporary files of [`write_atomically`] begin: one left by a
/// crash is never a finished file, and may be swept.
pub const PARTIAL_PREFIX: &str = ".smp-partial-";
