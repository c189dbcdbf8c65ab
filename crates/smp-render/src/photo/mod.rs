//! Reading the client photo and writing results, with the safety checks a
//! file from a phone or a stranger needs.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits, RgbImage};

mod jpeg;
mod output;

pub use jpeg::{JpegError, encode_jpeg, save_image_processing};
use output::JPEG_QUALITY;
pub use output::{PARTIAL_PREFIX, check_folder, check_output, output_format, save_image, write_atomically};

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
    #[error("{path} is {width} x {height} pixels; the limit is {MAX_SIDE} px a side and {} megapixels", max_pixels / 1_000_000)]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
        /// The limit that applied.
        max_pixels: u64,
    },
    /// The image data is damaged.
    #[error("cannot decode {path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The decoder's words.
        message: String,
    },
    /// A hair mask whose size is not its photo's.
    #[error("the hair mask {path} is {} x {} pixels; its photo is {} x {}", size.0, size.1, photo.0, photo.1)]
    MaskSize {
        /// The mask.
        path: PathBuf,
        /// Its size.
        size: (u32, u32),
        /// The photo's.
        photo: (u32, u32),
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
    decode(BufReader::new(file), path, MAX_PIXELS)
}

/// Decodes a photo held in memory (an upload) as [`load_photo`] does, with a
/// pixel limit of its own; `label` names it in messages.
pub fn decode_photo(bytes: &[u8], label: &str, max_pixels: u64) -> Result<RgbImage, PhotoError> {
    decode(Cursor::new(bytes), Path::new(label), max_pixels.min(MAX_PIXELS))
}

/// Whether a JPEG, PNG or WebP file is whole, by its ending: decoders fill
/// a file cut short (a dropped upload, a full disk) with grey and report
/// nothing, and a clinical photo must never be half grey. A JPEG ends with
/// its end-of-image marker (after any zero padding, and after any image a
/// camera appends), a PNG with its IEND chunk, a WebP's RIFF header states
/// its length. Other files are left to the decoder.
fn check_complete<R: Read + Seek>(file: &mut R, path: &Path) -> Result<(), PhotoError> {
    const TAIL: u64 = 4096;
    let unreadable = |e| PhotoError::Unreadable { path: path.to_owned(), source: e };
    let incomplete = || PhotoError::Corrupt {
        path: path.to_owned(),
        message: "the file ends before the image does (cut short)".into(),
    };
    let len = file.seek(SeekFrom::End(0)).map_err(unreadable)?;
    let mut head = [0u8; 12];
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let head_len = file.read(&mut head).map_err(unreadable)?;
    let head = &head[..head_len];
    let mut tail = vec![0u8; len.min(TAIL) as usize];
    file.seek(SeekFrom::Start(len - tail.len() as u64)).map_err(unreadable)?;
    file.read_exact(&mut tail).map_err(unreadable)?;
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let whole = if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let end = tail.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        tail[..end].ends_with(&[0xFF, 0xD9])
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        tail.ends_with(&[b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82])
    } else if head.len() == 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        let stated = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as u64;
        stated + 8 <= len
    } else {
        true
    };
    if whole { Ok(()) } else { Err(incomplete()) }
}

fn decode<R: BufRead + Seek>(mut file: R, path: &Path, max_pixels: u64) -> Result<RgbImage, PhotoError> {
    check_complete(&mut file, path)?;
    let mut reader = ImageReader::new(file)
        .with_guessed_format()
        .map_err(|e| PhotoError::Unreadable { path: path.to_owned(), source: e })?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) {
        return Err(PhotoError::NotAnImage(path.to_owned()));
    }
    // Sides are checked below, against the header, so the message can name
    // them; the allocation cap backs that up inside the decoders.
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_pixels * 4 + (64 << 20));
    reader.limits(limits);
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => {
            PhotoError::TooLarge { path: path.to_owned(), width: 0, height: 0, max_pixels }
        }
        other => PhotoError::Corrupt { path: path.to_owned(), message: other.to_string() },
    };
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > max_pixels {
        return Err(PhotoError::TooLarge { path: path.to_owned(), width, height, max_pixels });
    }
    let orientation = decoder.orientation().map_err(corrupt)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match corrupt(e) {
        PhotoError::TooLarge { .. } => {
            PhotoError::TooLarge { path: path.to_owned(), width, height, max_pixels }
        }
        other => other,
    })?;
    image.apply_orientation(orientation);
    Ok(match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    })
}

/// An uploaded photo made safe to keep: upright, re-encoded from its pixels
/// alone (so no EXIF, GPS position, maker notes or comments survive), with a
/// thumbnail.
#[derive(Debug, Clone)]
pub struct CleanPhoto {
    /// The photo as JPEG.
    pub jpeg: Vec<u8>,
    /// A small JPEG for lists.
    pub thumbnail: Vec<u8>,
    /// A screen-size JPEG (long side [`SCREEN_SIDE`]) for editing and previews.
    pub screen: Vec<u8>,
    /// Width, upright.
    pub width: u32,
    /// Height, upright.
    pub height: u32,
}

/// Long side of a thumbnail, pixels: sharp on a tablet's high-density screen.
pub const THUMBNAIL_SIDE: u32 = 480;
/// Long side of the screen-size copy the design editor draws on and the
/// live preview renders: about a tablet's screen in device pixels.
pub const SCREEN_SIDE: u32 = 1600;

/// A copy of `image` whose long side is at most `side` (filtered in linear
/// light; the image itself when it is smaller).
pub fn fit_within(image: &RgbImage, side: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let target = if width >= height {
        side.min(width)
    } else {
        ((side as u64 * width as u64) / height as u64).clamp(1, width as u64) as u32
    };
    crate::preview::downscale(image, target)
}

/// Decodes an upload, turns it upright and re-encodes it without metadata.
pub fn clean_photo(bytes: &[u8], label: &str, max_pixels: u64) -> Result<CleanPhoto, PhotoError> {
    let image = decode_photo(bytes, label, max_pixels)?;
    let (width, height) = image.dimensions();
    let encode = |image: &RgbImage| {
        let mut out = Vec::new();
        encode_jpeg(image, JPEG_QUALITY, &mut out)
            .map(|()| out)
            .map_err(|e| PhotoError::Corrupt { path: PathBuf::from(label), message: e.to_string() })
    };
    let screen = fit_within(&image, SCREEN_SIDE);
    let thumbnail = fit_within(&screen, THUMBNAIL_SIDE);
    Ok(CleanPhoto {
        jpeg: encode(&image)?,
        thumbnail: encode(&thumbnail)?,
        screen: encode(&screen)?,
        width,
        height,
    })
}

/// Why a drawn signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not a PNG image.
    #[error("the signature is not a PNG image")]
    NotPng,
    /// Larger than any signature pad.
    #[error("the signature image is larger than {MAX_SIGNATURE_SIDE} pixels a side")]
    TooLarge,
    /// Nothing (or next to nothing) was drawn.
    #[error("the signature pad is empty")]
    Blank,
}

/// Largest side of a signature image.
pub const MAX_SIGNATURE_SIDE: u32 = 4096;
/// Inked pixels below which a signature counts as blank (a tap, not a name).
const MIN_SIGNATURE_INK: usize = 60;

/// Checks a drawn signature (PNG from the signature pad) and re-encodes it
/// from its pixels as grey with alpha, dropping anything else the file held.
pub fn clean_signature(png: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let mut reader = ImageReader::with_format(Cursor::new(png), ImageFormat::Png);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIGNATURE_SIDE);
    limits.max_image_height = Some(MAX_SIGNATURE_SIDE);
    limits.max_alloc = Some(MAX_SIGNATURE_SIDE as u64 * MAX_SIGNATURE_SIDE as u64 * 4);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => SignatureError::TooLarge,
        _ => SignatureError::NotPng,
    })?;
    let grey = image.to_luma_alpha8();
    let ink = grey.pixels().filter(|p| p[1] > 128 && p[0] < 128).count();
    if ink < MIN_SIGNATURE_INK {
        return Err(SignatureError::Blank);
    }
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(grey.as_raw(), grey.width(), grey.height(), image::ExtendedColorType::La8)
        .map_err(|_| SignatureError::NotPng)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG as a phone writes one: EXIF saying "rotate 90° clockwise" and
    /// a comment naming where it was taken.
    pub(crate) fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, _| image::Rgb([(x * 255 / width) as u8, 90, 40]));
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&image).unwrap();
        // TIFF header, one IFD entry: Orientation (0x0112) SHORT 1 = 6.
        let tiff: &[u8] =
            &[b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(tiff);
        let comment = b"GPS 48.8584 N 2.2945 E";
        let mut out = plain[..2].to_vec();
        for (marker, body) in [(0xE1u8, &app1[..]), (0xFE, &comment[..])] {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(body);
        }
        out.extend_from_slice(&plain[2..]);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn uploads_are_turned_upright_and_stripped_of_metadata() {
        let upload = phone_jpeg(64, 40);
        assert!(contains(&upload, b"Exif") && contains(&upload, b"GPS 48.8584"));
        let clean = clean_photo(&upload, "upload", 1_000_000).unwrap();
        assert_eq!((clean.width, clean.height), (40, 64), "EXIF orientation applied");
        for stored in [&clean.jpeg, &clean.thumbnail] {
            assert!(!contains(stored, b"Exif") && !contains(stored, b"GPS"), "no metadata kept");
            let back = image::load_from_memory(stored).unwrap();
            assert!(back.width() <= back.height());
        }
        // The gradient ran left to right; upright, it runs top to bottom.
        let back = image::load_from_memory(&clean.jpeg).unwrap().to_rgb8();
        assert!(back.get_pixel(20, 2)[0] < 40 && back.get_pixel(20, 61)[0] > 200);
    }

    #[test]
    fn uploads_over_the_limit_or_not_images_are_refused_by_name() {
        let upload = phone_jpeg(64, 40);
        let err = clean_photo(&upload, "scalp.jpg", 1000).unwrap_err();
        assert!(matches!(err, PhotoError::TooLarge { width: 64, height: 40, max_pixels: 1000, .. }), "{err}");
        let err = clean_photo(b"%PDF-1.4 not a photo", "notes.pdf", 1_000_000).unwrap_err();
        assert!(matches!(err, PhotoError::NotAnImage(_)));
        assert!(err.to_string().contains("notes.pdf"));
        let err = clean_photo(&upload[..upload.len() / 2], "cut.jpg", 1_000_000).unwrap_err();
        assert!(matches!(err, PhotoError::Corrupt { .. }), "{err}");
    }

    /// A photo cut short decodes without an error, its missing part grey:
    /// refused instead, for each format, at 60% and at its first 2 KB.
    #[test]
    fn photos_cut_short_are_refused() {
        let photo = RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x * 7 + y * 3) as u8, (x ^ y) as u8, ((x * y) % 251) as u8])
        });
        let mut jpeg = Vec::new();
        encode_jpeg(&photo, 90, &mut jpeg).unwrap();
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(photo.as_raw(), 640, 480, image::ExtendedColorType::Rgb8)
            .unwrap();
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .write_image(photo.as_raw(), 640, 480, image::ExtendedColorType::Rgb8)
            .unwrap();
        for (name, bytes) in [("a.jpg", &jpeg), ("a.png", &png), ("a.webp", &webp)] {
            assert!(clean_photo(bytes, name, 10_000_000).is_ok(), "{name} whole");
            for cut in [bytes.len() * 6 / 10, 2048] {
                let refused = clean_photo(&bytes[..cut], name, 10_000_000).err();
                assert!(
                    matches!(refused, Some(PhotoError::Corrupt { .. })),
                    "{name} cut at {cut}: {refused:?}"
                );
            }
        }
        // Zero padding after the end is not a cut.
        let mut padded = jpeg.clone();
        padded.extend_from_slice(&[0; 300]);
        assert!(clean_photo(&padded, "padded.jpg", 10_000_000).is_ok());
    }

    #[test]
    fn signatures_must_be_drawn_pngs() {
        let encode = |image: &image::RgbaImage| {
            let mut png = Vec::new();
            image::codecs::png::PngEncoder::new(&mut png)
                .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgba8)
                .unwrap();
            png
        };
        let mut pad = image::RgbaImage::new(300, 100);
        assert_eq!(clean_signature(&encode(&pad)), Err(SignatureError::Blank));
        for x in 20..280 {
            pad.put_pixel(x, 50 + (x % 20), image::Rgba([17, 17, 17, 255]));
        }
        let clean = clean_signature(&encode(&pad)).unwrap();
        let back = image::load_from_memory(&clean).unwrap();
        assert_eq!((back.width(), back.height()), (300, 100));
        assert_eq!(clean_signature(b"not a png"), Err(SignatureError::NotPng));
        assert_eq!(clean_signature(&phone_jpeg(40, 40)), Err(SignatureError::NotPng));
    }

    #[test]
    fn thumbnails_keep_the_aspect_and_fit_the_side() {
        let tall = RgbImage::from_pixel(300, 1200, image::Rgb([10, 20, 30]));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(tall.as_raw(), 300, 1200, image::ExtendedColorType::Rgb8)
            .unwrap();
        let clean = clean_photo(&png, "tall.png", 10_000_000).unwrap();
        let thumb = image::load_from_memory(&clean.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (120, THUMBNAIL_SIDE));
    }
}
