//! Reading the client photo and writing results, with the safety checks a
//! file from a phone or a stranger needs.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, mpsc};

use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits, RgbImage};
use rayon::prelude::*;

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
            .map_err(|message| PhotoError::Corrupt { path: PathBuf::from(label), message })
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
        ImageFormat::Jpeg => encode_jpeg(image, JPEG_QUALITY, out),
        _ => image::codecs::png::PngEncoder::new(out)
            .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
            .map_err(|e| e.to_string()),
    })
}

/// Encodes `image` as a baseline JPEG at `quality` (1-100; 4:4:4 chroma
/// from 90 up), with the `jpeg-encoder` crate rather than `image`'s own
/// encoder: it has AVX2 paths and encodes a 24 MP photo in about half the
/// time. The colour conversion runs on the other threads, strip by strip,
/// ahead of the (single-threaded) encoder.
pub fn encode_jpeg(image: &RgbImage, quality: u8, out: impl Write) -> Result<(), String> {
    let size = jpeg_dimensions(image)?;
    let strip_bytes = (image.width() as usize * 3 * PLAIN_STRIP_ROWS).max(1);
    let strips: Vec<&[u8]> = image.as_raw().chunks(strip_bytes).collect();
    encode_jpeg_strips(
        helper_pool(),
        size,
        PLAIN_STRIP_ROWS,
        strips.len(),
        &|i| Planes::of(strips[i]),
        quality,
        out,
    )
}

/// Rows per strip when nothing else decides.
const PLAIN_STRIP_ROWS: usize = 32;

/// The dimensions of `image` as a JPEG can hold them.
fn jpeg_dimensions(image: &RgbImage) -> Result<(u16, u16), String> {
    let (width, height) = image.dimensions();
    let too_large = || format!("{width} x {height} px is larger than a JPEG can hold (65535 px a side)");
    Ok((u16::try_from(width).map_err(|_| too_large())?, u16::try_from(height).map_err(|_| too_large())?))
}

/// Processes `image` strip by strip (`strip_rows` rows each; `process`
/// gets the strip's number and its RGB bytes) and saves it to `path`
/// atomically, like [`save_image`]. A JPEG is encoded while the strips are
/// still being processed: they are done in parallel, a few at a time and in
/// order, and the encoder takes each one as soon as it is ready, so the
/// processing hides behind the encoding.
pub fn save_image_processing(
    image: &mut RgbImage,
    path: &Path,
    strip_rows: usize,
    process: &(dyn Fn(usize, &mut [u8]) + Sync),
) -> Result<(), PhotoError> {
    let strip_rows = strip_rows.max(1);
    let strip_bytes = image.width() as usize * 3 * strip_rows;
    if output_format(path)? != ImageFormat::Jpeg || strip_bytes == 0 {
        if strip_bytes > 0 {
            image.par_chunks_mut(strip_bytes).enumerate().for_each(|(i, strip)| process(i, strip));
        }
        return save_image(image, path);
    }
    let fail = |message| PhotoError::Write { path: path.to_owned(), message };
    let size = jpeg_dimensions(image).map_err(fail)?;
    // Each strip is taken by exactly one thread; the locks are never contended.
    let strips: Vec<Mutex<&mut [u8]>> = image.chunks_mut(strip_bytes).map(Mutex::new).collect();
    let planes_of = |i: usize| {
        let mut strip = strips[i].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        process(i, &mut strip);
        Planes::of(&strip)
    };
    write_atomically(path, |out| {
        encode_jpeg_strips(helper_pool(), size, strip_rows, strips.len(), &planes_of, JPEG_QUALITY, out)
    })
}

/// One strip as the encoder takes it: luma and chroma planes.
struct Planes {
    luma: Vec<u8>,
    blue: Vec<u8>,
    red: Vec<u8>,
}

impl Planes {
    fn of(rgb: &[u8]) -> Self {
        let n = rgb.len() / 3;
        let mut planes = Planes { luma: vec![0; n], blue: vec![0; n], red: vec![0; n] };
        // Sixteen pixels at a time, into fixed-size slices: the loop
        // vectorises.
        const CHUNK: usize = 16;
        let whole = n / CHUNK * CHUNK;
        let convert = |rgb: &[u8], l: &mut [u8], b: &mut [u8], r: &mut [u8]| {
            for (i, px) in rgb.chunks_exact(3).enumerate() {
                (l[i], b[i], r[i]) = jpeg_encoder::rgb_to_ycbcr(px[0], px[1], px[2]);
            }
        };
        for (((px, l), b), r) in rgb[..whole * 3]
            .chunks_exact(3 * CHUNK)
            .zip(planes.luma.chunks_exact_mut(CHUNK))
            .zip(planes.blue.chunks_exact_mut(CHUNK))
            .zip(planes.red.chunks_exact_mut(CHUNK))
        {
            convert(px, l, b, r);
        }
        convert(
            &rgb[whole * 3..],
            &mut planes.luma[whole..],
            &mut planes.blue[whole..],
            &mut planes.red[whole..],
        );
        planes
    }
}

/// Encodes `strips` strips of `strip_rows` rows of an image of `size`
/// (width, height), strip `i` made by `planes_of(i)` on `pool` (see
/// [`helper_pool`]) or one by one on a single helper thread, a batch at a
/// time and in order, while this thread encodes the strips already made.
fn encode_jpeg_strips(
    pool: Option<&rayon::ThreadPool>,
    size: (u16, u16),
    strip_rows: usize,
    strips: usize,
    planes_of: &(dyn Fn(usize) -> Planes + Sync),
    quality: u8,
    out: impl Write,
) -> Result<(), String> {
    let (width, height) = size;
    std::thread::scope(|scope| {
        // Enough strips at a time to keep every helper busy, few enough
        // that the encoder starts early; and a bounded queue, so that
        // helpers running ahead of the encoder never hold the whole image
        // in planes.
        let batch = pool.map_or(1, |pool| 2 * pool.current_num_threads());
        let (ready, arrived) = mpsc::sync_channel::<Planes>(2 * batch + 4);
        scope.spawn(move || {
            for first in (0..strips).step_by(batch) {
                let range = first..(first + batch).min(strips);
                let made: Vec<Planes> = match pool {
                    Some(pool) => pool.install(|| range.into_par_iter().map(planes_of).collect()),
                    None => range.map(planes_of).collect(),
                };
                for planes in made {
                    if ready.send(planes).is_err() {
                        return; // The encoder gave up (a write error).
                    }
                }
            }
        });
        let rows = StreamedRows { width, height, strip_rows, arrived, current: RefCell::new(None) };
        jpeg_encoder::Encoder::new(out, quality).encode_image(rows).map_err(|e| e.to_string())
    })
}

/// The threads that make strips for JPEG encoders: one fewer than the
/// cores, shared by every encoding; `None` on two cores or fewer, where a
/// single helper thread per encoding makes them. The encoder keeps one
/// core busy on its own, and the strips are never made on its core. That
/// also holds when encoding runs on a worker of the global pool, where
/// waiting for strips made on that same pool could leave every worker
/// waiting and none making them.
fn helper_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let helpers = std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1);
        (helpers > 1)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(helpers)
                    .thread_name(|i| format!("jpeg-helper-{i}"))
                    .build()
                    .ok()
            })
            .flatten()
    })
    .as_ref()
}

/// Rows for the JPEG encoder, taken from strips as they arrive in order.
struct StreamedRows {
    width: u16,
    height: u16,
    strip_rows: usize,
    arrived: mpsc::Receiver<Planes>,
    /// The strip at hand and its number.
    current: RefCell<Option<(usize, Planes)>>,
}

impl jpeg_encoder::ImageBuffer for StreamedRows {
    fn get_jpeg_color_type(&self) -> jpeg_encoder::JpegColorType {
        jpeg_encoder::JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, y: u16, buffers: &mut [Vec<u8>; 4]) {
        // The encoder asks for rows in order (repeating the last one to
        // pad), so strips are only ever waited for, never gone back to.
        let wanted = usize::from(y) / self.strip_rows;
        let mut current = self.current.borrow_mut();
        while current.as_ref().is_none_or(|(at, _)| *at < wanted) {
            let next = current.as_ref().map_or(0, |(at, _)| at + 1);
            // A closed channel means the processing panicked; the scope
            // re-raises that panic once the encoder returns.
            let Ok(planes) = self.arrived.recv() else { break };
            *current = Some((next, planes));
        }
        let width = usize::from(self.width);
        let start = (usize::from(y) % self.strip_rows) * width;
        match current.as_ref().filter(|(at, _)| *at == wanted) {
            Some((_, planes)) if planes.luma.len() >= start + width => {
                buffers[0].extend_from_slice(&planes.luma[start..start + width]);
                buffers[1].extend_from_slice(&planes.blue[start..start + width]);
                buffers[2].extend_from_slice(&planes.red[start..start + width]);
            }
            // Only after a panic elsewhere: keep the row's length right.
            _ => {
                buffers[0].resize(buffers[0].len() + width, 0);
                buffers[1].resize(buffers[1].len() + width, 128);
                buffers[2].resize(buffers[2].len() + width, 128);
            }
        }
    }
}

/// Writes whatever `fill` produces to `path` atomically (temporary file in
/// the same folder, fsync, rename): an ordinary file (0644), for results.
/// (Client photos are written by the photo store of `smp-store`, privately.)
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<&mut File>) -> Result<(), String>,
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
        fill(&mut writer).map_err(fail)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_round_trips_and_refuses_what_it_cannot_hold() {
        let image = RgbImage::from_fn(37, 21, |x, y| image::Rgb([(x * 6) as u8, (y * 11) as u8, 128]));
        let mut out = Vec::new();
        encode_jpeg(&image, JPEG_QUALITY, &mut out).unwrap();
        let back = image::load_from_memory(&out).unwrap().to_rgb8();
        assert_eq!(back.dimensions(), (37, 21));
        let worst = image.as_raw().iter().zip(back.as_raw()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(worst < 12, "worst channel difference {worst}");
        let wide = RgbImage::new(70_000, 1);
        let message = encode_jpeg(&wide, JPEG_QUALITY, Vec::new()).unwrap_err();
        assert!(message.contains("70000 x 1"), "{message}");
    }

    #[test]
    fn helper_threads_make_the_same_jpeg_as_one() {
        // Machines with more cores make strips on a pool of helpers; the
        // bytes must not depend on it.
        let image =
            RgbImage::from_fn(301, 157, |x, y| image::Rgb([(x * 7 + y) as u8, (y * 5) as u8, (x ^ y) as u8]));
        let strips: Vec<&[u8]> = image.as_raw().chunks(301 * 3 * 16).collect();
        let encode = |pool: Option<&rayon::ThreadPool>| {
            let mut out = Vec::new();
            encode_jpeg_strips(pool, (301, 157), 16, strips.len(), &|i| Planes::of(strips[i]), 90, &mut out)
                .unwrap();
            out
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let one = encode(None);
        assert_eq!(encode(Some(&pool)), one);
        let back = image::load_from_memory(&one).unwrap().to_rgb8();
        assert_eq!(back.dimensions(), (301, 157));
    }

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
