//! Blocks placed on pages, then drawn. Points throughout (1/72 inch), the
//! origin at a page's top left, y downwards.

use std::sync::Arc;

use ab_glyph::{Font as _, FontRef};
use image::RgbImage;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla::{Data, Document};
use smp_render::text::{REGULAR, SEMIBOLD};

use crate::{PhotoPair, Report, ReportError, Section, Table};

/// The paper a report is printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// ISO A4, 210 x 297 mm.
    A4,
    /// US Letter, 8.5 x 11 in.
    Letter,
}

impl Paper {
    /// Width and height, points.
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

const MARGIN_X: f32 = 56.0;
const MARGIN_TOP: f32 = 56.0;
/// Room below the content for the footer.
const MARGIN_BOTTOM: f32 = 64.0;
const BODY: f32 = 10.5;
const LEADING: f32 = 15.0;
const SMALL: f32 = 8.5;
const GUTTER: f32 = 12.0;
/// Photos are embedded at this many pixels per inch of their printed size.
const PRINT_DPI: f32 = 300.0;
const INK: (u8, u8, u8) = (29, 29, 31);
const MUTED: (u8, u8, u8) = (95, 99, 104);
const LINE: (u8, u8, u8) = (200, 202, 206);

/// A thing placed on a page.
pub(crate) enum Item {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        colour: (u8, u8, u8),
        text: String,
    },
    /// A photo as JPEG, or (`png`) a logo with its transparency.
    Picture {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        data: Arc<Vec<u8>>,
        png: bool,
    },
    Rule {
        x: f32,
        y: f32,
        w: f32,
        thickness: f32,
    },
}

/// Text measured as the PDF will set it (the fonts' advances and kerning).
struct Measure {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Measure {
    fn new() -> Self {
        // The fonts are the binary's own; the tests check they parse.
        let font = |data| FontRef::try_from_slice(data).expect("a shipped font parses");
        Self { regular: font(REGULAR), bold: font(SEMIBOLD) }
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let font = if bold { &self.bold } else { &self.regular };
        let em = font.units_per_em().unwrap_or(1000.0);
        let mut units = 0.0;
        let mut previous = None;
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            if let Some(p) = previous {
                units += font.kern_unscaled(p, id);
            }
            units += font.h_advance_unscaled(id);
            previous = Some(id);
        }
        units / em * size
    }

    /// `text` broken into lines no wider than `width`, at word spaces (a
    /// word wider than the line stands alone).
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph_line in text.lines() {
            let mut line = String::new();
            for word in paragraph_line.split_whitespace() {
                let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
                if !line.is_empty() && self.width(&candidate, size, bold) > width {
                    lines.push(std::mem::replace(&mut line, word.to_string()));
                } else {
                    line = candidate;
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// Pages being filled, top to bottom.
struct Flow {
    pages: Vec<Vec<Item>>,
    y: f32,
    bottom: f32,
    width: f32,
    measure: Measure,
}

impl Flow {
    fn new(paper: Paper) -> Self {
        let (w, h) = paper.size();
        Self {
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
            bottom: h - MARGIN_BOTTOM,
            width: w - 2.0 * MARGIN_X,
            measure: Measure::new(),
        }
    }

    /// Room for a block of `height`: the rest of this page, or a new one.
    fn room(&mut self, height: f32) {
        if self.y + height > self.bottom && self.y > MARGIN_TOP {
            self.pages.push(Vec::new());
            self.y = MARGIN_TOP;
        }
    }

    fn put(&mut self, item: Item) {
        self.pages.last_mut().expect("a page").push(item);
    }

    fn text_line(&mut self, x: f32, text: &str, size: f32, bold: bool, colour: (u8, u8, u8), leading: f32) {
        self.room(leading);
        let baseline = self.y + size;
        self.put(Item::Text { x, baseline, size, bold, colour, text: text.to_string() });
        self.y += leading;
    }

    fn paragraph(&mut self, text: &str, size: f32, colour: (u8, u8, u8)) {
        for line in self.measure.wrap(text, size, false, self.width) {
            self.text_line(MARGIN_X, &line, size, false, colour, LEADING * size / BODY);
        }
        self.y += 6.0;
    }

    /// A heading, kept with at least `next` points of what follows it.
    fn heading(&mut self, text: &str, next: f32) {
        self.y += 10.0;
        self.room(22.0 + next);
        self.text_line(MARGIN_X, text, 13.5, true, INK, 19.0);
        let y = self.y;
        self.put(Item::Rule { x: MARGIN_X, y, w: self.width, thickness: 0.6 });
        self.y += 8.0;
    }

    /// The width of each of `pictures` side by side, and the row's height
    /// (captions under it included).
    fn picture_row(&self, pictures: &[(&RgbImage, &str)]) -> (f32, f32) {
        let n = pictures.len().max(1) as f32;
        let mut w = (self.width - GUTTER * (n - 1.0)) / n;
        let aspect =
            pictures.iter().map(|(p, _)| p.height() as f32 / p.width().max(1) as f32).fold(0.0, f32::max);
        // Never taller than half the page's content: a tall photo narrows.
        let max_h = (self.bottom - MARGIN_TOP) * 0.5;
        if w * aspect > max_h {
            w = max_h / aspect;
        }
        (w, w * aspect + 22.0)
    }

    /// Pictures side by side, their captions under them.
    fn pictures(&mut self, pictures: &[(&RgbImage, &str)]) -> Result<(), ReportError> {
        let n = pictures.len().max(1) as f32;
        let (w, row) = self.picture_row(pictures);
        let h = row - 22.0;
        self.room(row);
        let total = w * n + GUTTER * (n - 1.0);
        let mut x = MARGIN_X + (self.width - total) / 2.0;
        for (picture, caption) in pictures {
            let jpeg = Arc::new(print_jpeg(picture, w)?);
            let ph = w * picture.height() as f32 / picture.width().max(1) as f32;
            self.put(Item::Picture { x, y: self.y, w, h: ph, data: jpeg, png: false });
            let cw = self.measure.width(caption, SMALL, false);
            let baseline = self.y + h + 4.0 + SMALL;
            self.put(Item::Text {
                x: x + (w - cw) / 2.0,
                baseline,
                size: SMALL,
                bold: false,
                colour: MUTED,
                text: caption.to_string(),
            });
            x += w + GUTTER;
        }
        self.y += h + 22.0;
        Ok(())
    }

    /// A table, a row at a time (a row is never cut by a page break; the
    /// head is repeated on a new page).
    fn table(&mut self, table: &Table) {
        let columns = table.head.len().max(table.rows.iter().map(Vec::len).max().unwrap_or(0)).max(1);
        // Each column as wide as its widest cell needs, shared out.
        let need: Vec<f32> = (0..columns)
            .map(|c| {
                let cells = table.head.get(c).into_iter().chain(table.rows.iter().filter_map(|r| r.get(c)));
                cells.map(|t| self.measure.width(t, BODY, false)).fold(24.0, f32::max)
            })
            .collect();
        // Each column its natural width; when they do not all fit, the
        // widest takes what the others leave (and wraps).
        let natural: Vec<f32> = need.iter().map(|w| w + 12.0).collect();
        let sum: f32 = natural.iter().sum();
        let mut widths = natural.clone();
        if sum <= self.width {
            if let Some(last) = widths.last_mut() {
                *last += self.width - sum;
            }
        } else {
            let widest = (0..columns).max_by(|a, b| natural[*a].total_cmp(&natural[*b])).unwrap_or(0);
            let others: f32 = sum - natural[widest];
            widths[widest] = (self.width - others).max(self.width * 0.25);
            let scale = self.width / widths.iter().sum::<f32>();
            widths.iter_mut().for_each(|w| *w *= scale.min(1.0));
        }
        let row_height = |flow: &Flow, row: &[String]| {
            row.iter()
                .enumerate()
                .map(|(c, t)| flow.measure.wrap(t, BODY, false, widths[c] - 8.0).len())
                .max()
                .unwrap_or(1) as f32
                * LEADING
                + 6.0
        };
        let head = |flow: &mut Flow| {
            let mut x = MARGIN_X;
            let baseline = flow.y + 9.5;
            for (c, t) in table.head.iter().enumerate() {
                flow.put(Item::Text { x, baseline, size: 9.5, bold: true, colour: MUTED, text: t.clone() });
                x += widths[c];
            }
            flow.y += 15.0;
            let y = flow.y;
            flow.put(Item::Rule { x: MARGIN_X, y, w: flow.width, thickness: 0.8 });
            flow.y += 5.0;
        };
        let has_head = table.head.iter().any(|h| !h.is_empty());
        self.room(20.0 + table.rows.first().map(|r| row_height(self, r)).unwrap_or(0.0));
        if has_head {
            head(self);
        }
        for (r, row) in table.rows.iter().enumerate() {
            // A table of amounts ends with its total, set in bold.
            let bold = table.amounts && r + 1 == table.rows.len();
            let h = row_height(self, row);
            let page = self.pages.len();
            self.room(h);
            if self.pages.len() != page && has_head {
                head(self);
            }
            let mut x = MARGIN_X;
            for (c, t) in row.iter().enumerate() {
                let right = table.amounts && c + 1 == row.len();
                for (i, line) in self.measure.wrap(t, BODY, bold, widths[c] - 8.0).into_iter().enumerate() {
                    let baseline = self.y + BODY + i as f32 * LEADING;
                    let at = if right { x + widths[c] - self.measure.width(&line, BODY, bold) } else { x };
                    self.put(Item::Text { x: at, baseline, size: BODY, bold, colour: INK, text: line });
                }
                x += widths[c];
            }
            self.y += h;
            let y = self.y - 3.0;
            self.put(Item::Rule { x: MARGIN_X, y, w: self.width, thickness: 0.3 });
        }
        self.y += 8.0;
    }

    fn section(&mut self, section: &Section) {
        let first = section.paragraphs.first().map(|_| 2.0 * LEADING).unwrap_or(40.0);
        self.heading(&section.title, first);
        for p in &section.paragraphs {
            self.paragraph(p, BODY, INK);
        }
        if let Some(table) = &section.table {
            self.table(table);
        }
    }
}

/// The box a logo is fitted into at the header's right, points.
const LOGO_BOX: (f32, f32) = (150.0, 48.0);

impl Flow {
    /// The studio's logo, fitted into [`LOGO_BOX`] at the first page's top
    /// right, beside the studio's name; embedded as PNG with its
    /// transparency (the app keeps logos at most 600 x 200 pixels).
    fn logo(&mut self, logo: &image::RgbaImage) -> Result<(), ReportError> {
        let (pw, ph) = (logo.width().max(1) as f32, logo.height().max(1) as f32);
        let scale = (LOGO_BOX.0 / pw).min(LOGO_BOX.1 / ph);
        let (w, h) = (pw * scale, ph * scale);
        let mut png = Vec::new();
        logo.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| ReportError::Picture(e.to_string()))?;
        let x = MARGIN_X + self.width - w;
        self.put(Item::Picture { x, y: MARGIN_TOP - 6.0, w, h, data: Arc::new(png), png: true });
        Ok(())
    }
}

/// A picture as JPEG at [`PRINT_DPI`] for `width` points (never enlarged).
fn print_jpeg(picture: &RgbImage, width: f32) -> Result<Vec<u8>, ReportError> {
    let pixels = (width / 72.0 * PRINT_DPI).round() as u32;
    let sized = if picture.width() > pixels {
        smp_render::preview::downscale(picture, pixels)
    } else {
        picture.clone()
    };
    let mut out = Vec::new();
    smp_render::photo::encode_jpeg(&sized, 90, &mut out).map_err(|e| ReportError::Picture(e.to_string()))?;
    Ok(out)
}

/// The report's blocks, page by page.
pub(crate) fn lay_out(report: &Report) -> Result<Vec<Vec<Item>>, ReportError> {
    let mut flow = Flow::new(report.paper);
    // The header: the studio (its logo at the right), then whom and when.
    if let Some(logo) = &report.studio.logo {
        flow.logo(logo)?;
    }
    flow.text_line(MARGIN_X, &report.studio.name, 20.0, true, INK, 26.0);
    for line in &report.studio.contact {
        flow.text_line(MARGIN_X, line, 9.0, false, MUTED, 12.0);
    }
    flow.y += 14.0;
    flow.text_line(MARGIN_X, &format!("Consultation for {}", report.client), 16.0, true, INK, 22.0);
    flow.text_line(MARGIN_X, &report.date, BODY, false, MUTED, LEADING);
    flow.section(&report.proposal);
    for (i, PhotoPair { label, before, healed }) in report.photos.iter().enumerate() {
        let before_caption = format!("{label}: before");
        let healed_caption = format!("{label}: healed, as simulated");
        let row = [(before, before_caption.as_str()), (healed, healed_caption.as_str())];
        if i == 0 {
            let (_, height) = flow.picture_row(&row);
            flow.heading("The simulation on your photos", height);
        }
        flow.pictures(&row)?;
    }
    if let Some(strip) = &report.progression {
        let row = [(strip, "Before, after each session, healed, and after 1, 3 and 5 years")];
        let (_, height) = flow.picture_row(&row);
        flow.heading("Through the sessions and the years", height);
        flow.pictures(&row)?;
    }
    for section in &report.sections {
        flow.section(section);
    }
    Ok(flow.pages)
}

/// The pages drawn into a PDF, each with its footer.
pub(crate) fn write(paper: Paper, pages: &[Vec<Item>]) -> Result<Vec<u8>, ReportError> {
    let (w, h) = paper.size();
    let font =
        |data: &'static [u8]| Font::new(Data::from(data), 0).ok_or_else(|| ReportError::Pdf("a font".into()));
    let (regular, bold) = (font(REGULAR)?, font(SEMIBOLD)?);
    let measure = Measure::new();
    let mut document = Document::new();
    let size = Size::from_wh(w, h).ok_or_else(|| ReportError::Pdf("the paper's size".into()))?;
    for (n, items) in pages.iter().enumerate() {
        let mut page = document.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();
        let fill = |c: (u8, u8, u8)| Fill { paint: rgb::Color::new(c.0, c.1, c.2).into(), ..Fill::default() };
        let footer = format!("Page {} of {}", n + 1, pages.len());
        let footer_x = w - MARGIN_X - measure.width(&footer, SMALL, false);
        let footer_item = Item::Text {
            x: footer_x,
            baseline: h - 36.0,
            size: SMALL,
            bold: false,
            colour: MUTED,
            text: footer,
        };
        for item in items.iter().chain(std::iter::once(&footer_item)) {
            match item {
                Item::Text { x, baseline, size, bold: b, colour, text } => {
                    surface.set_fill(Some(fill(*colour)));
                    let font = if *b { bold.clone() } else { regular.clone() };
                    surface.draw_text(
                        Point::from_xy(*x, *baseline),
                        font,
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Item::Picture { x, y, w, h, data, png } => {
                    let data = Data::from(data.as_ref().clone());
                    let image = if *png { Image::from_png(data, true) } else { Image::from_jpeg(data, true) }
                        .map_err(ReportError::Picture)?;
                    let picture =
                        Size::from_wh(*w, *h).ok_or_else(|| ReportError::Pdf("a picture's size".into()))?;
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image, picture);
                    surface.pop();
                }
                Item::Rule { x, y, w, thickness } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *thickness) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_fill(Some(fill(LINE)));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}
