//! JPEG output with `jpeg-encoder`: whole images, and images still being
//! composited, encoded strip by strip while later strips are made on the
//! other cores.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock, mpsc};

use image::{ImageFormat, RgbImage};
use rayon::prelude::*;

use super::PhotoError;
use super::output::{JPEG_QUALITY, output_format, save_image, write_atomically};

/// Why an image could not be encoded as JPEG.
#[derive(Debug, thiserror::Error)]
pub enum JpegError {
    /// A JPEG holds at most 65535 pixels a side.
    #[error("{width} x {height} px is larger than a JPEG can hold (65535 px a side)")]
    TooLarge {
        /// The image's width, in pixels.
        width: u32,
        /// The image's height, in pixels.
        height: u32,
    },
    /// The encoder failed, or writing its output did.
    #[error("{0}")]
    Encoder(#[from] jpeg_encoder::EncodingError),
}

/// Encodes `image` as a baseline JPEG at `quality` (1-100; 4:4:4 chroma
/// from 90 up), with the `jpeg-encoder` crate rather than `image`'s own
/// encoder: it has AVX2 paths and encodes a 24 MP photo in about half the
/// time. The colour conversion runs on the other threads, strip by strip,
/// ahead of the (single-threaded) encoder.
pub fn encode_jpeg(image: &RgbImage, quality: u8, out: impl Write) -> Result<(), JpegError> {
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
fn jpeg_dimensions(image: &RgbImage) -> Result<(u16, u16), JpegError> {
    let (width, height) = image.dimensions();
    match (u16::try_from(width), u16::try_from(height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => Err(JpegError::TooLarge { width, height }),
    }
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
    let size = jpeg_dimensions(image)
        .map_err(|e| PhotoError::Write { path: path.to_owned(), message: e.to_string() })?;
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
) -> Result<(), JpegError> {
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
        Ok(jpeg_encoder::Encoder::new(out, quality).encode_image(rows)?)
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
        let message = encode_jpeg(&wide, JPEG_QUALITY, Vec::new()).unwrap_err().to_string();
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
}
