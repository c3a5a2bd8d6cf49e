//! Bytes to a grey image, with the limits checked before any pixel is
//! decoded: the file's length, then the dimensions from the header, then
//! the decoder's allocations.

use std::io::Cursor;

use image::{GrayImage, ImageReader, Limits};

use crate::error::{Error, Result};

/// Largest image file accepted, in bytes.
pub const MAX_IMAGE_FILE_LEN: u64 = 16 * 1024 * 1024;
/// Largest width or height accepted, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 4096;
/// Most bytes the image decoder may allocate.
const MAX_DECODE_ALLOC: u64 = 96 * 1024 * 1024;

pub(super) fn unreadable(why: impl Into<String>) -> Error {
    Error::Unreadable { why: why.into() }
}

/// The PNG or JPEG `bytes` as a grey image of 1 to [`MAX_IMAGE_SIDE`]
/// pixels a side.
pub(super) fn grey(bytes: &[u8]) -> Result<GrayImage> {
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
    Ok(reader
        .decode()
        .map_err(|e| unreadable(format!("cannot decode the image: {e}")))?
        .into_luma8())
}
