//! Image to token text: find and decode the one QR code in a PNG or JPEG
//! (a photo or screenshot of a phone screen, a till camera's frame).
//!
//! Three steps, each in its own file:
//! - `load`: the file's size and the image's dimensions are checked from
//!   the header before any pixel is decoded, then the pixels are decoded to
//!   grey within a memory limit;
//! - `attempts`: the decoding attempts, cheapest first (a sharp render
//!   shrunk, the image as it is, its negative, a sharpened copy), the first
//!   that finds a code deciding;
//! - `sharp` (beside them): telling a sharp render and sharpening a
//!   blurred image;
//! - `reader`: one attempt, rxing's port of the zxing-cpp QR detector and
//!   decoder, with a cap on the finder patterns it combines.
//!
//! The numbers that chose this decoder (a corpus of degraded codes read by
//! rqrr, rxing, zxing-cpp and zbar): docs/PERFORMANCE.md, "Scanning".

mod attempts;
mod load;
mod reader;
mod sharp;

use std::path::Path;

pub use load::{MAX_IMAGE_FILE_LEN, MAX_IMAGE_SIDE};

use crate::error::Result;
use crate::files::read_bounded;

/// Decodes the single QR code in PNG or JPEG `bytes` into its text.
///
/// # Errors
///
/// [`Error::Unreadable`](crate::Error::Unreadable) (`unreadable`) when
/// `bytes` are over [`MAX_IMAGE_FILE_LEN`] bytes long, are not a PNG or JPEG
/// of 1 to [`MAX_IMAGE_SIDE`] pixels a side, or hold no code, several, or an
/// undecodable one.
pub fn decode_image(bytes: &[u8]) -> Result<String> {
    attempts::read_one(load::grey(bytes)?)
}

/// Reads an image file (bounded) and decodes its QR code.
///
/// # Errors
///
/// [`Error::Io`](crate::Error::Io) (`io`) when the file is missing, a
/// directory or unreadable; [`Error::InvalidArgument`](crate::Error::InvalidArgument)
/// (`invalid_argument`) when it is over [`MAX_IMAGE_FILE_LEN`] bytes;
/// [`Error::Unreadable`](crate::Error::Unreadable) (`unreadable`) as for
/// [`decode_image`].
pub fn decode_image_file(path: &Path) -> Result<String> {
    decode_image(&read_image_file(path)?)
}

/// Reads an image file, refusing directories and files above the limit.
///
/// # Errors
///
/// [`Error::Io`](crate::Error::Io) (`io`) when the file is missing, a
/// directory or unreadable; [`Error::InvalidArgument`](crate::Error::InvalidArgument)
/// (`invalid_argument`) when it is over [`MAX_IMAGE_FILE_LEN`] bytes.
pub fn read_image_file(path: &Path) -> Result<Vec<u8>> {
    read_bounded(path, MAX_IMAGE_FILE_LEN, "image file")
}
