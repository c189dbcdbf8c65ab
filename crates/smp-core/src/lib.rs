//! Domain types of SMP Studio: the design file, its validation, and the plane
//! geometry designs are drawn with. No I/O happens here.
#![warn(missing_docs)]

pub mod advice;
pub mod design;
pub mod design_file;
pub mod geometry;
pub mod head;
pub mod head_design;
pub mod pose;
pub mod solve;
pub mod source;
pub mod surface;

pub use design::{
    Client, Design, DesignError, Fitzpatrick, Hairline, HairlineStyle, Impressions, LIFESTYLE_HABITS, Photo,
    Pigment, Scalp, Sessions, Srgb8, Uv, View, Zone, parse,
};
pub use design_file::DesignFile;
pub use geometry::{Curve, CurveProjection, Point, Polygon, PolygonError, Rect};
pub use source::{Locator, SourceError, Step};

/// A commented example design, as `smp design example` prints it.
pub const EXAMPLE_DESIGN: &str = include_str!("example.toml");
