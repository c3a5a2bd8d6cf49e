//! Reason codes as a C enum, numbered exactly like [`medcode::Reason`].

use std::ffi::c_char;

use medcode::Reason;

use crate::cstr;
use crate::guard::quiet;

/// Defines `MedcodeReason` from the library's reason table: `OK` (0), the
/// library's reasons with their numbers, `INTERNAL` (1000). The enum's tokens
/// are also kept as text ([`MedcodeReason::DECLARATION`]) for cbindgen,
/// which does not expand macros.
macro_rules! define_medcode_reason {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $text:literal, $rejection:literal; )*) => {
        declare_and_keep_text! {
            /// What a call did. `MEDCODE_REASON_OK` (0) means success (for
            /// `medcode_verify`: the code was accepted); 1 to 43 are the library's stable
            /// reason codes (`medcode::Reason::code`), never renumbered; 1000 reports a
            /// bug inside medcode caught at the boundary (a panic that did not unwind
            /// into the caller). `medcode_reason_str` gives the stable string form.
            #[repr(u32)]
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub enum MedcodeReason {
                /// Success; for a verification: accepted.
                Ok = 0,
                $( $(#[doc = $doc])* $variant = $code, )*
                /// A bug in medcode, caught at the boundary. Not a `medcode::Reason`.
                Internal = 1000,
            }
        }

        impl MedcodeReason {
            /// Every code, in numeric order: `Ok`, the library's reasons,
            /// `Internal`.
            pub const ALL: [MedcodeReason; [$($text),*].len() + 2] = [
                MedcodeReason::Ok,
                $(MedcodeReason::$variant,)*
                MedcodeReason::Internal,
            ];

            /// The C code of a library reason.
            pub fn from_reason(reason: Reason) -> MedcodeReason {
                match reason {
                    $(Reason::$variant => MedcodeReason::$variant,)*
                    // `Reason` is non-exhaustive; both enums come from one
                    // table, so this arm is never taken.
                    _ => MedcodeReason::Internal,
                }
            }
        }
    };
}

/// Emits an item and keeps its tokens as text in `DECLARATION`.
macro_rules! declare_and_keep_text {
    ($($item:tt)*) => {
        $($item)*

        impl MedcodeReason {
            /// The Rust declaration of this enum as text. cbindgen, which
            /// writes `include/medcode.h`, does not expand macros: the
            /// header test hands it this text as an extra source.
            pub const DECLARATION: &'static str = stringify!($($item)*);
        }
    };
}

medcode::reason_table!(define_medcode_reason);

impl MedcodeReason {
    /// The numeric code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The stable string form: `"ok"`, the library reason's string, or
    /// `"internal"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MedcodeReason::Ok => "ok",
            MedcodeReason::Internal => "internal",
            other => Reason::ALL
                .into_iter()
                .find(|r| r.code() == other.code())
                .map_or("internal", Reason::as_str),
        }
    }
}

/// The stable string form of a reason code, e.g. `"expired"` for 5, `"ok"`
/// for 0, `"internal"` for 1000 and `"unknown"` for any other number. The
/// string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn medcode_reason_str(code: u32) -> *const c_char {
    quiet(cstr::static_cstr(""), || {
        let text = if code == MedcodeReason::Ok.code() {
            "ok"
        } else if code == MedcodeReason::Internal.code() {
            "internal"
        } else {
            Reason::ALL
                .into_iter()
                .find(|r| r.code() == code)
                .map_or("unknown", Reason::as_str)
        };
        cstr::static_cstr(text)
    })
}
