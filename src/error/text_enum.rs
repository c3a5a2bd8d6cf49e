//! One mechanism for the crate's string enums: a closed set of values, each
//! with a stable lower-case name used in JSON, files and flags.
//!
//! `text_enum!(Doc Name, "what", Error::ctor { Variant => "text", .. })`
//! defines the enum with `ALL`, `as_str`, `Display`, `FromStr` (refusing an
//! unknown name with `ctor("what", "\"x\" is not one of: ..")`) and
//! `Serialize`. The enum derives `Clone, Copy, Debug, PartialEq, Eq, Hash`;
//! attributes written before the name (docs, `#[non_exhaustive]`, a further
//! `#[derive(Default)]`) and before a variant (docs, `#[default]`) are kept.

#[doc(hidden)]
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, $err:path { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The stable lower-case name used in JSON, in files and on the
            /// command line.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($err(
                        $what,
                        format!(
                            "{other:?} is not one of: {}",
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
