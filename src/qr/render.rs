//! Token text to QR code: the `MC1` prefix in an alphanumeric segment and
//! the digits in a numeric segment (never byte mode), in the smallest
//! version that holds them at the chosen error-correction level; rendered
//! as PNG (grayscale), SVG or terminal half blocks.

use std::fmt;
use std::io::Cursor;
use std::str::FromStr;

use image::{ImageFormat, Luma};
use qrcode::bits::Bits;
use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode, Version};

use crate::error::{Error, Result};
use crate::token::text::{DEVICE_PREFIX, MAX_TEXT_LEN, PREFIX};

/// Quiet zone around every rendering, in modules (the standard's minimum).
pub const QUIET_ZONE_MODULES: u32 = 4;
/// Default pixels per module of a PNG: a version-6 code is 392 px wide,
/// comfortably scannable from a phone screen.
pub const DEFAULT_MODULE_PX: u32 = 8;
/// Largest pixels per module accepted.
pub const MAX_MODULE_PX: u32 = 64;

/// QR error-correction level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Ecc {
    /// About 7% of codewords recoverable.
    L,
    /// About 15% (the default).
    #[default]
    M,
    /// About 25%.
    Q,
    /// About 30%.
    H,
}

impl Ecc {
    const fn level(self) -> EcLevel {
        match self {
            Ecc::L => EcLevel::L,
            Ecc::M => EcLevel::M,
            Ecc::Q => EcLevel::Q,
            Ecc::H => EcLevel::H,
        }
    }
}

impl FromStr for Ecc {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "L" | "l" => Ok(Ecc::L),
            "M" | "m" => Ok(Ecc::M),
            "Q" | "q" => Ok(Ecc::Q),
            "H" | "h" => Ok(Ecc::H),
            _ => Err(Error::InvalidArgument {
                what: "error-correction level",
                why: format!("{s:?} is not one of L, M, Q, H"),
            }),
        }
    }
}

impl fmt::Display for Ecc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ecc::L => "L",
            Ecc::M => "M",
            Ecc::Q => "Q",
            Ecc::H => "H",
        })
    }
}

/// A QR code holding one token text.
pub struct Qr {
    code: QrCode,
    version: u8,
}

impl fmt::Debug for Qr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Qr")
            .field("version", &self.version)
            .field("modules", &self.modules())
            .finish()
    }
}

fn qr_error(e: qrcode::types::QrError) -> Error {
    Error::InvalidArgument {
        what: "QR code",
        why: e.to_string(),
    }
}

/// Pushes the two segments into a bit stream for `version`; None when the
/// data does not fit.
fn segments(prefix: &[u8], digits: &[u8], version: i16, ecc: Ecc) -> Option<Bits> {
    let mut bits = Bits::new(Version::Normal(version));
    bits.push_alphanumeric_data(prefix).ok()?;
    bits.push_numeric_data(digits).ok()?;
    bits.push_terminator(ecc.level()).ok()?;
    Some(bits)
}

impl Qr {
    /// Encodes code text (`MC1` and digits, as the issuer writes it, or a
    /// device code's `MC2` and digits) in the smallest version that holds
    /// it at level `ecc`.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] (`malformed`) when `text` is longer than any token, is not
    /// `MC1` or `MC2` (any letter case) followed by digits, or fits no QR version at `ecc`;
    /// [`Error::InvalidArgument`] (`invalid_argument`) if the QR encoder refuses it.
    pub fn encode(text: &str, ecc: Ecc) -> Result<Self> {
        if text.len() > MAX_TEXT_LEN {
            return Err(Error::Malformed("token text is longer than any token"));
        }
        let bytes = text.as_bytes();
        let split = PREFIX.len().min(bytes.len());
        let (prefix, digits) = bytes.split_at(split);
        let known = prefix.eq_ignore_ascii_case(PREFIX.as_bytes())
            || prefix.eq_ignore_ascii_case(DEVICE_PREFIX.as_bytes());
        if !known || digits.is_empty() {
            return Err(Error::Malformed("not a medcode token text"));
        }
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(Error::Malformed("token digits contain a non-digit"));
        }
        let prefix = prefix.to_ascii_uppercase();
        for version in 1..=40i16 {
            if let Some(bits) = segments(&prefix, digits, version, ecc) {
                let code = QrCode::with_bits(bits, ecc.level()).map_err(qr_error)?;
                return Ok(Qr {
                    code,
                    version: u8::try_from(version).unwrap_or(u8::MAX),
                });
            }
        }
        Err(Error::Malformed("token text does not fit any QR version"))
    }

    /// The QR version (1-40).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Modules per side, without the quiet zone.
    pub fn modules(&self) -> usize {
        self.code.width()
    }

    /// A grayscale PNG with a 4-module quiet zone, `module_px` pixels per
    /// module (1 to [`MAX_MODULE_PX`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `module_px` is outside
    /// 1..=[`MAX_MODULE_PX`], or if PNG encoding fails.
    pub fn to_png(&self, module_px: u32) -> Result<Vec<u8>> {
        if !(1..=MAX_MODULE_PX).contains(&module_px) {
            return Err(Error::InvalidArgument {
                what: "module size",
                why: format!("{module_px} px is not within 1..={MAX_MODULE_PX}"),
            });
        }
        let img = self
            .code
            .render::<Luma<u8>>()
            .quiet_zone(true)
            .module_dimensions(module_px, module_px)
            .build();
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png)
            .map_err(|e| Error::InvalidArgument {
                what: "PNG",
                why: e.to_string(),
            })?;
        Ok(out.into_inner())
    }

    /// An SVG document, `module_px` user units per module, with quiet zone.
    pub fn to_svg(&self, module_px: u32) -> String {
        self.code
            .render::<svg::Color<'_>>()
            .quiet_zone(true)
            .module_dimensions(module_px.max(1), module_px.max(1))
            .build()
    }

    /// Unicode half blocks, two modules per character cell, dark modules on
    /// a light background with the quiet zone, for a terminal.
    pub fn to_terminal(&self) -> String {
        self.code
            .render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build()
    }
}

/// Width in pixels of the PNG of a code with `modules` per side.
pub fn png_width(modules: usize, module_px: u32) -> usize {
    (modules + 2 * QUIET_ZONE_MODULES as usize) * module_px as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecc_parses_and_prints() {
        for (s, e) in [("L", Ecc::L), ("M", Ecc::M), ("q", Ecc::Q), ("H", Ecc::H)] {
            assert_eq!(s.parse::<Ecc>().unwrap(), e);
        }
        assert_eq!(Ecc::default(), Ecc::M);
        assert_eq!(
            "X".parse::<Ecc>().unwrap_err().reason().as_str(),
            "invalid_argument"
        );
    }

    #[test]
    fn non_token_text_is_refused() {
        for bad in ["", "MC1", "hello", "MC1123a", "XX1123"] {
            assert_eq!(
                Qr::encode(bad, Ecc::M).unwrap_err().reason().as_str(),
                "malformed",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn digit_counts_map_to_exact_versions() {
        // "MC1" (30 bits) + numeric header (14 bits) + 10 bits per 3 digits.
        let v = |n: usize| Qr::encode(&format!("MC1{}", "7".repeat(n)), Ecc::M).unwrap();
        assert_eq!(v(246).version(), 6); // 864 bits: version 6-M exactly full
        assert_eq!(v(247).version(), 7);
        assert_eq!(v(282).version(), 7);
        assert_eq!(v(246).modules(), 41);
        assert_eq!(v(282).modules(), 45);
    }
}
