//! QR codes: token text to an image (PNG, SVG, terminal) and back.

#[cfg(feature = "render")]
pub(crate) mod render;
#[cfg(feature = "scan")]
pub(crate) mod scan;

#[cfg(feature = "render")]
pub use render::{Ecc, Qr, png_width};
#[cfg(feature = "scan")]
pub use scan::{decode_image, decode_image_file, read_image_file};
