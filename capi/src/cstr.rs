//! C strings in and out: bounded reads of caller strings, static strings
//! handed out by pointer, and copies into fixed-size buffers.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char};
use std::sync::OnceLock;

use medcode::verify::CodeKind;
use medcode::{Reason, Relation, Scheme, Status};

use crate::guard::Failure;
use crate::reason::MedcodeReason;

/// Every static string the ABI hands out, NUL-terminated once and kept for
/// the life of the process, so callers never free them and lookups take no
/// lock.
fn table() -> &'static HashMap<&'static str, CString> {
    static TABLE: OnceLock<HashMap<&'static str, CString>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut words: Vec<&'static str> = vec!["", "ok", "internal", "unknown"];
        words.extend(Reason::ALL.iter().map(|r| r.as_str()));
        words.extend(Status::ALL.iter().map(|s| s.as_str()));
        words.extend(Scheme::ALL.iter().map(|s| s.as_str()));
        words.extend(Relation::ALL.iter().map(|r| r.as_str()));
        words.extend(CodeKind::ALL.iter().map(|k| k.as_str()));
        words
            .into_iter()
            .filter_map(|w| CString::new(w).ok().map(|c| (w, c)))
            .collect()
    })
}

/// A pointer to a static NUL-terminated copy of `text`, which must be one of
/// the words in the table (every reason, status, scheme, relation and code kind name);
/// any other text yields the static empty string.
pub(crate) fn static_cstr(text: &'static str) -> *const c_char {
    const EMPTY: &CStr = c"";
    table().get(text).map_or(EMPTY.as_ptr(), |c| c.as_ptr())
}

/// Reads a caller's NUL-terminated string, looking at no more than
/// `max_len + 1` bytes: a string longer than `max_len` is refused without
/// scanning further.
///
/// # Safety
/// `ptr` is null or points to readable memory up to its NUL terminator or
/// `max_len + 1` bytes, whichever comes first.
pub(crate) unsafe fn read_str<'a>(
    ptr: *const c_char,
    max_len: usize,
    what: &str,
    too_long: MedcodeReason,
    not_utf8: MedcodeReason,
) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::new(
            MedcodeReason::InvalidArgument,
            format!("{what} is a null pointer"),
        ));
    }
    let bytes = ptr.cast::<u8>();
    let mut len = 0;
    // SAFETY: the caller guarantees the bytes up to the terminator (or the
    // limit) are readable; the loop stops at the first NUL or at the limit.
    while unsafe { *bytes.add(len) } != 0 {
        if len == max_len {
            return Err(Failure::new(
                too_long,
                format!("{what} is longer than {max_len} bytes"),
            ));
        }
        len += 1;
    }
    // SAFETY: the `len` bytes before the terminator were just read.
    let slice = unsafe { std::slice::from_raw_parts(bytes, len) };
    std::str::from_utf8(slice)
        .map_err(|e| Failure::new(not_utf8, format!("{what} is not valid UTF-8 ({e})")))
}

/// Longest path accepted, in bytes.
pub(crate) const MAX_PATH_LEN: usize = 4096;

/// Reads a caller's NUL-terminated UTF-8 path argument (at most
/// [`MAX_PATH_LEN`] bytes); every problem is `MEDCODE_REASON_INVALID_ARGUMENT`.
///
/// # Safety
/// As [`read_str`].
pub(crate) unsafe fn read_path<'a>(ptr: *const c_char) -> Result<&'a std::path::Path, Failure> {
    // SAFETY: the caller's contract is read_str's.
    let text = unsafe {
        read_str(
            ptr,
            MAX_PATH_LEN,
            "path",
            MedcodeReason::InvalidArgument,
            MedcodeReason::InvalidArgument,
        )
    }?;
    Ok(std::path::Path::new(text))
}

/// Copies `text` into a fixed buffer as a NUL-terminated string, cutting it
/// at a character boundary if it does not fit.
pub(crate) fn fill(buf: &mut [c_char], text: &str) {
    let Some(room) = buf.len().checked_sub(1) else {
        return;
    };
    let mut end = text.len().min(room);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    for (dst, &src) in buf.iter_mut().zip(&text.as_bytes()[..end]) {
        *dst = c_char::from_ne_bytes([src]);
    }
    for dst in &mut buf[end..] {
        *dst = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(buf: &[c_char]) -> String {
        // SAFETY: `fill` always leaves a NUL inside the buffer.
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn fill_cuts_at_char_boundaries() {
        let mut buf = [1 as c_char; 6];
        fill(&mut buf, "ab");
        assert_eq!(read(&buf), "ab");
        assert!(buf[2..].iter().all(|&b| b == 0));
        // "张*张" is 3 + 1 + 3 bytes; 5 bytes of room keep "张*" only.
        fill(&mut buf, "张*张");
        assert_eq!(read(&buf), "张*");
        fill(&mut buf, "abcdefgh");
        assert_eq!(read(&buf), "abcde");
    }

    #[test]
    fn reads_are_bounded_and_checked() {
        let ok = c"MC1123";
        // SAFETY: `ok` is a C string literal: 'static, NUL-terminated, 7 readable bytes, and
        // read_str looks at no more than max_len + 1 = 7.
        let got = unsafe {
            read_str(
                ok.as_ptr(),
                6,
                "token",
                MedcodeReason::Malformed,
                MedcodeReason::Malformed,
            )
        };
        assert_eq!(got.unwrap(), "MC1123");
        // SAFETY: the same literal; with max_len 5 read_str looks at 6 of its 7 bytes and stops.
        let long = unsafe {
            read_str(
                ok.as_ptr(),
                5,
                "token",
                MedcodeReason::Malformed,
                MedcodeReason::Malformed,
            )
        };
        let err = long.unwrap_err();
        assert_eq!(err.code, MedcodeReason::Malformed);
        assert_eq!(err.detail, "token is longer than 5 bytes");
        let bad = [0xC3u8 as c_char, 0x28, 0];
        // SAFETY: `bad` is a live 3-byte local array whose NUL is at index 2.
        let err = unsafe {
            read_str(
                bad.as_ptr(),
                10,
                "path",
                MedcodeReason::InvalidArgument,
                MedcodeReason::InvalidArgument,
            )
        }
        .unwrap_err();
        assert_eq!(err.code, MedcodeReason::InvalidArgument);
        assert!(
            err.detail.starts_with("path is not valid UTF-8"),
            "{}",
            err.detail
        );
        // SAFETY: read_str's contract allows a null pointer; it is refused before any read.
        let err = unsafe {
            read_str(
                std::ptr::null(),
                10,
                "path",
                MedcodeReason::Io,
                MedcodeReason::Io,
            )
        }
        .unwrap_err();
        assert_eq!(err.code, MedcodeReason::InvalidArgument);
        assert_eq!(err.detail, "path is a null pointer");
    }

    #[test]
    fn every_word_has_a_static_string() {
        let words = Reason::ALL
            .iter()
            .map(|r| r.as_str())
            .chain(Status::ALL.iter().map(|s| s.as_str()))
            .chain(Scheme::ALL.iter().map(|s| s.as_str()))
            .chain(Relation::ALL.iter().map(|r| r.as_str()));
        for w in words {
            let p = static_cstr(w);
            // SAFETY: static_cstr returns a pointer into the process-lifetime table of
            // NUL-terminated CStrings, never freed.
            let got = unsafe { CStr::from_ptr(p) }.to_str().unwrap();
            assert_eq!(got, w);
            // The same pointer every time: static, never freed.
            assert_eq!(p, static_cstr(w));
        }
        // SAFETY: for an unknown word static_cstr returns the 'static empty C string literal.
        let none = unsafe { CStr::from_ptr(static_cstr("not a word")) };
        assert_eq!(none.to_bytes(), b"");
    }
}
