//! Image to token text: find and decode the one QR code in a PNG or JPEG
//! (a photo or screenshot of a phone screen), with limits checked before
//! any pixel is decoded.

use std::io::Cursor;
use std::path::Path;

use image::{ImageReader, Limits};

use crate::error::{Error, Result};
use crate::files::read_bounded;

/// Largest image file accepted, in bytes.
pub const MAX_IMAGE_FILE_LEN: u64 = 16 * 1024 * 1024;
/// Largest width or height accepted, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 4096;
/// Most bytes the image decoder may allocate.
const MAX_DECODE_ALLOC: u64 = 96 * 1024 * 1024;

fn unreadable(why: impl Into<String>) -> Error {
    Error::Unreadable { why: why.into() }
}

/// Decodes the single QR code in PNG or JPEG `bytes` into its text.
///
/// # Errors
///
/// [`Error::Unreadable`] (`unreadable`) when `bytes` are over
/// [`MAX_IMAGE_FILE_LEN`] bytes long, are not a PNG or JPEG of 1 to
/// [`MAX_IMAGE_SIDE`] pixels a side, or hold no code, several or an undecodable one.
pub fn decode_image(bytes: &[u8]) -> Result<String> {
    if bytes.len() as u64 > MAX_IMAGE_FILE_LEN {
        return Err(unreadable(format!(
            "the image is {} bytes, above the {MAX_IMAGE_FILE_LEN}-byte limit",
            bytes.len()
        )));
    }
    let open = || {
        let reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| unreadable(format!("cannot read the image: {e}")))?;
        if reader.format().is_none() {
            return Err(unreadable("not a PNG or JPEG image"));
        }
        Ok(reader)
    };
    // Dimensions come from the header, before any pixel is decoded.
    let (w, h) = open()?
        .into_dimensions()
        .map_err(|e| unreadable(format!("cannot read the image header: {e}")))?;
    if w == 0 || h == 0 || w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(unreadable(format!(
            "the image is {w} x {h} pixels; accepted: 1 to {MAX_IMAGE_SIDE} on each side"
        )));
    }
    let mut reader = open()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let gray = reader
        .decode()
        .map_err(|e| unreadable(format!("cannot decode the image: {e}")))?
        .into_luma8();
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| gray.as_raw()[y * w + x]);
    let grids = prepared.detect_grids();
    match grids.len() {
        0 => return Err(unreadable("no QR code found in the image")),
        1 => {}
        n => return Err(unreadable(format!("{n} QR codes in the image; show one"))),
    }
    let (_, text) = grids[0]
        .decode()
        .map_err(|e| unreadable(format!("the QR code cannot be decoded: {e}")))?;
    Ok(text)
}

/// Reads an image file (bounded) and decodes its QR code.
///
/// # Errors
///
/// [`Error::Io`] (`io`) when the file is missing, a directory or unreadable;
/// [`Error::InvalidArgument`] (`invalid_argument`) when it is over
/// [`MAX_IMAGE_FILE_LEN`] bytes; [`Error::Unreadable`] (`unreadable`) as for
/// [`decode_image`].
pub fn decode_image_file(path: &Path) -> Result<String> {
    decode_image(&read_image_file(path)?)
}

/// Reads an image file, refusing directories and files above the limit.
///
/// # Errors
///
/// [`Error::Io`] (`io`) when the file is missing, a directory or unreadable;
/// [`Error::InvalidArgument`] (`invalid_argument`) when it is over
/// [`MAX_IMAGE_FILE_LEN`] bytes.
pub fn read_image_file(path: &Path) -> Result<Vec<u8>> {
    read_bounded(path, MAX_IMAGE_FILE_LEN, "image file")
}
