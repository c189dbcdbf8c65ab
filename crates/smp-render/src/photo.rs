//! Reading the client photo and writing results, with the safety checks a
//! file from a phone or a stranger needs.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits, RgbImage};

/// Largest photo accepted, in pixels (a 100-megapixel medium-format frame).
pub const MAX_PIXELS: u64 = 100_000_000;
/// Largest side accepted, in pixels.
pub const MAX_SIDE: u32 = 20_000;

/// Why a photo could not be read or a result not written.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The file does not exist.
    #[error("photo not found: {0}")]
    NotFound(PathBuf),
    /// It exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The content is not a PNG, JPEG or WebP image.
    #[error("{0} is not a PNG, JPEG or WebP image")]
    NotAnImage(PathBuf),
    /// The header claims more pixels than accepted (refused before decoding).
    #[error("{path} is {width} x {height} pixels; the limit is {MAX_SIDE} px a side and {} megapixels", MAX_PIXELS / 1_000_000)]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
    },
    /// The image data is damaged.
    #[error("cannot decode {path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The decoder's words.
        message: String,
    },
    /// The output's extension names no format we write.
    #[error("{0}: the output must end in .png, .jpg or .jpeg")]
    UnsupportedOutput(PathBuf),
    /// The output's folder does not exist.
    #[error("the folder of {0} does not exist")]
    MissingFolder(PathBuf),
    /// Writing failed.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Reads a photo, refusing oversized headers before any pixel buffer is
/// allocated, and turns it upright by its EXIF orientation.
pub fn load_photo(path: &Path) -> Result<RgbImage, PhotoError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PhotoError::NotFound(path.to_owned()),
        _ => PhotoError::Unreadable { path: path.to_owned(), source: e },
    })?;
    let mut reader = ImageReader::new(BufReader::new(file))
        .with_guessed_format()
        .map_err(|e| PhotoError::Unreadable { path: path.to_owned(), source: e })?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) {
        return Err(PhotoError::NotAnImage(path.to_owned()));
    }
    // Sides are checked below, against the header, so the message can name
    // them; the allocation cap backs that up inside the decoders.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PhotoError::TooLarge { path: path.to_owned(), width: 0, height: 0 },
        other => PhotoError::Corrupt { path: path.to_owned(), message: other.to_string() },
    };
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > MAX_PIXELS {
        return Err(PhotoError::TooLarge { path: path.to_owned(), width, height });
    }
    let orientation = decoder.orientation().map_err(corrupt)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match corrupt(e) {
        PhotoError::TooLarge { .. } => PhotoError::TooLarge { path: path.to_owned(), width, height },
        other => other,
    })?;
    image.apply_orientation(orientation);
    Ok(match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    })
}

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
const JPEG_QUALITY: u8 = 92;

/// Writes `image` to `path` atomically: into a temporary file in the same
/// folder, flushed to disk, then renamed. A failure leaves no partial file.
pub fn save_image(image: &RgbImage, path: &Path) -> Result<(), PhotoError> {
    let format = output_format(path)?;
    write_atomically(path, |out| match format {
        ImageFormat::Jpeg => image::codecs::jpeg::JpegEncoder::new_with_quality(out, JPEG_QUALITY)
            .encode_image(image)
            .map_err(|e| e.to_string()),
        _ => image::codecs::png::PngEncoder::new(out)
            .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
            .map_err(|e| e.to_string()),
    })
}

/// Writes whatever `fill` produces to `path` atomically (temporary file in
/// the same folder, fsync, rename).
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<&mut File>) -> Result<(), String>,
) -> Result<(), PhotoError> {
    check_folder(path)?;
    let folder = folder_of(path);
    let fail = |message: String| PhotoError::Write { path: path.to_owned(), message };
    let mut temp = tempfile::Builder::new()
        .prefix(".smp-partial-")
        .tempfile_in(folder)
        .map_err(|e| fail(e.to_string()))?;
    {
        let mut writer = BufWriter::new(temp.as_file_mut());
        fill(&mut writer).map_err(fail)?;
        writer.flush().map_err(|e| fail(e.to_string()))?;
    }
    // Temporary files are private (0600); a result is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| fail(e.to_string()))?;
    }
    temp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    temp.persist(path).map_err(|e| fail(e.error.to_string()))?;
    Ok(())
}
