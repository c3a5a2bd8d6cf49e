//! Escaping of text that comes from a token, a list or the registry before
//! it reaches a terminal.
//!
//! A control or format character (Unicode general categories Cc and Cf,
//! e.g. U+202E right-to-left override, U+200B zero-width space, U+2066
//! left-to-right isolate, ESC) printed raw can reorder, hide or recolour
//! what a cashier reads. [`escape`] writes each one as `\u{202e}`, the form
//! Rust's `escape_unicode` uses, and leaves every other character as it is.
//! Line and paragraph separators (U+2028, U+2029, categories Zl and Zp) are
//! escaped too: some terminals break the line at them.

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// True for a character [`escape`] writes as `\u{...}`.
fn needs_escape(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// `text` with every control and format character (Cc, Cf; and Zl, Zp)
/// written as `\u{hex}`; borrowed unchanged when there is none.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] of a value's `Display` form.
pub(crate) fn shown(value: &impl std::fmt::Display) -> String {
    escape(&value.to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_control_characters_are_escaped() {
        assert_eq!(escape("\u{202e}*"), "\\u{202e}*");
        assert_eq!(escape("\u{200b}*"), "\\u{200b}*");
        assert_eq!(escape("\u{2066}*"), "\\u{2066}*");
        assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("x\ny\rz\t"), "x\\u{a}y\\u{d}z\\u{9}");
        assert_eq!(escape("\u{85}\u{ad}\u{feff}"), "\\u{85}\\u{ad}\\u{feff}");
        assert_eq!(escape("\u{2028}\u{2029}"), "\\u{2028}\\u{2029}");
        assert_eq!(escape("\u{e0001}"), "\\u{e0001}");
    }

    #[test]
    fn printable_text_is_left_alone() {
        for text in [
            "张*",
            "欧阳**",
            "阿·*",
            "A1B2C3",
            "region 110000 · normal",
            "é ü",
            "",
        ] {
            assert!(matches!(escape(text), Cow::Borrowed(_)), "{text:?}");
            assert_eq!(escape(text), text);
        }
        assert_eq!(shown(&"\u{202e}*"), "\\u{202e}*");
    }
}
