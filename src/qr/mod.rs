//! QR codes: token text to an image (PNG, SVG, terminal) and back.

#[cfg(feature = "render")]
mod render;
#[cfg(feature = "scan")]
mod scan;

#[cfg(feature = "render")]
pub use render::{DEFAULT_MODULE_PX, Ecc, MAX_MODULE_PX, QUIET_ZONE_MODULES, Qr, png_width};
#[cfg(feature = "scan")]
pub use scan::{
    MAX_IMAGE_FILE_LEN, MAX_IMAGE_SIDE, decode_image, decode_image_file, read_image_file,
};
