//! Which list a signed envelope carries: part of the error vocabulary, so
//! that a list error can name its list without depending on the lists.

use super::Error;

text_enum!(
    /// Which list a signed envelope carries.
    ListKind, "list kind", Error::argument {
        /// The trust list of issuer keys.
        Trust => "trust",
        /// The revocation list.
        Revocation => "revocation",
    }
);

impl ListKind {
    /// Words for messages: "trust list" or "revocation list".
    pub const fn describe(self) -> &'static str {
        match self {
            ListKind::Trust => "trust list",
            ListKind::Revocation => "revocation list",
        }
    }
}
