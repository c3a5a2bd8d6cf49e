//! Which layer of a list a list error is about.

/// Where in a list an `invalid_trust_list` error was found: in reading the
/// file, in a bare list, in a signed envelope or in the list a verified
/// envelope carries (see [`Error::InvalidList`](super::Error::InvalidList)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListLayer {
    /// The list file itself, before anything was parsed: its size, or a
    /// list of the wrong form for the setup (signed without a root key,
    /// unsigned with one).
    File,
    /// A trust or revocation list without a signed envelope: a bare list
    /// file or bytes, or a list being built.
    Bare,
    /// The signed envelope: its shape, root key, signature, kind and
    /// sequence.
    Envelope,
    /// The trust or revocation list carried by a verified signed envelope.
    Payload,
}
