//! The consultation report: what a client takes home, as a PDF written
//! with `krilla` (fonts embedded and subset, photos as JPEG at 300 dpi at
//! their printed size). Pure: the caller renders the simulations and
//! gathers the words; this crate sets them on pages.
//!
//! The layout is a single column on a grid of margins, laid out before
//! anything is drawn: each block (a heading with its first lines, a
//! paragraph's line, a picture, a table row) is placed whole, and a block
//! that does not fit on what is left of a page starts the next, so a page
//! break never cuts a table row or a picture, and text never runs over a
//! picture. Written by hand because no maintained crate lays out a
//! document this small without bringing a typesetting language along.

mod layout;
pub mod sections;

use image::RgbImage;
pub use layout::Paper;

/// The studio, as the report's header shows it.
#[derive(Debug, Clone, Default)]
pub struct Studio {
    /// Its name.
    pub name: String,
    /// Contact lines (phone, e-mail, address).
    pub contact: Vec<String>,
    /// The studio's logo, set at the header's right (transparency kept).
    pub logo: Option<image::RgbaImage>,
}

/// A photo of the client before and as the design would look healed.
#[derive(Debug, Clone)]
pub struct PhotoPair {
    /// Which photo ("the top photo").
    pub label: String,
    /// As taken.
    pub before: RgbImage,
    /// The simulation, healed.
    pub healed: RgbImage,
}

/// A table: its head and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The column heads.
    pub head: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<String>>,
    /// Whether the last column holds amounts (set right-aligned), the last
    /// row their total (set in bold).
    pub amounts: bool,
}

/// A section of words: a heading, paragraphs, and a table after them.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Its heading.
    pub title: String,
    /// Its paragraphs.
    pub paragraphs: Vec<String>,
    /// A table after them.
    pub table: Option<Table>,
}

/// Everything the report says.
#[derive(Debug, Clone)]
pub struct Report {
    /// The paper.
    pub paper: Paper,
    /// The studio.
    pub studio: Studio,
    /// The client's name.
    pub client: String,
    /// The consultation's date, in words.
    pub date: String,
    /// The proposal in plain words (style, density, shade).
    pub proposal: Section,
    /// The simulation on each photo.
    pub photos: Vec<PhotoPair>,
    /// The progression on the main photo: before, each session, healed, 1,
    /// 3 and 5 years (the labelled strip).
    pub progression: Option<RgbImage>,
    /// The rest, in order: the plan, the quote, the forecast, aftercare,
    /// the instructions before a session, the consent.
    pub sections: Vec<Section>,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A picture could not be encoded.
    #[error("a picture could not be encoded: {0}")]
    Picture(String),
    /// The PDF could not be written.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The report as PDF bytes.
pub fn pdf(report: &Report) -> Result<Vec<u8>, ReportError> {
    let pages = layout::lay_out(report)?;
    layout::write(report.paper, &pages)
}
