//! What is wrong with a trust, revocation or signed list.

use std::fmt;
use std::path::Path;

use super::{KeyProblem, ListKind, ListLayer};
use crate::time::UnixTime;

/// Why a list was refused ([`Error::InvalidList`](super::Error::InvalidList),
/// reason `invalid_trust_list`). A till tells the cases apart by matching,
/// for example a rollback ([`ListProblem::Rollback`]) from a list that does
/// not verify under the pinned root ([`ListProblem::BadSignature`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListProblem {
    /// The file, list or envelope is larger than its limit.
    TooLarge {
        /// Its size in bytes.
        len: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The bytes are not JSON of the expected shape.
    NotJson {
        /// The parser's message.
        detail: String,
    },
    /// A trust list without keys.
    NoKeys,
    /// A trust list with more keys than allowed.
    TooManyKeys {
        /// The number of keys.
        count: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A trusted key whose `not_before` is after its `not_after`.
    InvertedWindow {
        /// The key id, in hex.
        kid: String,
        /// The key's label.
        label: String,
    },
    /// The same public key is listed twice.
    DuplicateKey {
        /// The key id, in hex.
        kid: String,
    },
    /// One key entry of a trust list is unusable.
    BadKey {
        /// The key id the entry gives.
        kid: String,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// A revocation list would hold more key ids than allowed.
    TooManyRevokedKeys {
        /// The most allowed.
        limit: usize,
    },
    /// A revocation list would hold more device credential ids than allowed.
    TooManyRevokedCredentials {
        /// The most allowed.
        limit: usize,
    },
    /// A revocation list would hold more insured identifiers than allowed.
    TooManyRevokedInsured {
        /// The most allowed.
        limit: usize,
    },
    /// A signed list's `format` is not the one this build reads.
    UnknownFormat {
        /// The format given.
        found: String,
        /// The format expected.
        expected: &'static str,
    },
    /// A signed list's `kind` is neither `trust` nor `revocation`.
    UnknownKind {
        /// The kind given.
        found: String,
    },
    /// A signed list's time field is not an RFC 3339 time.
    BadTime {
        /// `issued_at` or `next_update`.
        field: &'static str,
        /// The text given.
        text: String,
    },
    /// A signed list's `root_kid` is not 8 lower-case hex digits.
    BadRootKid {
        /// The text given.
        found: String,
    },
    /// A signed list's payload is larger than the limit of its kind.
    PayloadTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A signed list's field is not base64.
    NotBase64 {
        /// `payload` or `signature`.
        field: &'static str,
    },
    /// A signed list's signature has the wrong length.
    SignatureLength {
        /// Its length in bytes.
        len: usize,
        /// The length of an Ed25519 signature.
        expected: usize,
    },
    /// A signed list's sequence number is 0.
    ZeroSequence,
    /// A signed list's next update is not after its issue time.
    NextUpdateNotAfterIssued {
        /// When it was signed.
        issued_at: UnixTime,
        /// When a newer list is due.
        next_update: UnixTime,
    },
    /// A signed list is signed by another root key than the pinned one.
    WrongRoot {
        /// The pinned root key id, in hex.
        expected: String,
        /// The root key id the list names, in hex.
        found: String,
    },
    /// A signed list's signature does not verify under the pinned root key.
    BadSignature {
        /// The pinned root key id, in hex.
        root: String,
    },
    /// A signed list of one kind was given where the other is expected.
    WrongKind {
        /// The kind expected.
        expected: ListKind,
        /// The kind given.
        found: ListKind,
    },
    /// A signed list was given to a verifier that pins no root key: to a
    /// till setup without one (at the layer [`ListLayer::File`], naming
    /// the list's file if it has one), or installed in a running verifier
    /// built without one (at the layer [`ListLayer::Envelope`]).
    NoRootKey,
    /// A list that is not signed was given to a till setup that pins a
    /// root key (naming the list's file if it has one): with a root key,
    /// every list must be signed by it.
    NotSigned,
    /// A signed list older than the one already installed (or already used,
    /// per a rollback state file) was refused.
    Rollback {
        /// The sequence number installed or used before.
        installed: u64,
        /// The sequence number offered.
        offered: u64,
        /// The rollback state file that recorded `installed`, if that is
        /// where it came from (rather than the verifier itself).
        state_file: Option<std::path::PathBuf>,
    },
    /// A signed list with the sequence number of the installed one but
    /// other content.
    SameSequence {
        /// The sequence number.
        sequence: u64,
    },
    /// Publishing: the previous list is not a signed list at all (it is
    /// refused rather than replaced: it may be a list someone still needs).
    PreviousNotSigned,
    /// Publishing: the previous list is not a list of this kind signed by
    /// this root (another root, damaged, the other kind) and no sequence
    /// number was given to replace it.
    PreviousForeign {
        /// Why the previous list does not verify.
        why: String,
    },
    /// Publishing: the sequence number asked for does not go above the
    /// previous list's, so verifiers holding the previous list would refuse
    /// the new one.
    SequenceNotAbove {
        /// The previous list's sequence number.
        previous: u64,
        /// The sequence number asked for.
        requested: u64,
    },
    /// Publishing: the previous list's sequence number is the largest
    /// there is.
    SequenceExhausted,
}

/// A list as a file-layer message names it: its file, else "the trust
/// list" or "the revocation list", else "the list file".
struct ListName<'a>(Option<&'a Path>, Option<ListKind>);

impl fmt::Display for ListName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListName(Some(path), _) => write!(f, "{}", path.display()),
            ListName(None, Some(kind)) => write!(f, "the {}", kind.describe()),
            ListName(None, None) => f.write_str("the list file"),
        }
    }
}

/// "signed trust list", "signed revocation list" or "signed list".
struct Signed(Option<ListKind>);

impl fmt::Display for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(kind) => write!(f, "signed {}", kind.describe()),
            None => f.write_str("signed list"),
        }
    }
}

impl ListProblem {
    /// Writes the message of this problem in `list` at `layer` (without the
    /// `invalid trust list: ` and `PATH: ` prefixes, except that a file's
    /// size names the file itself).
    pub(super) fn describe(
        &self,
        f: &mut fmt::Formatter<'_>,
        list: Option<ListKind>,
        layer: ListLayer,
        file: Option<&Path>,
    ) -> fmt::Result {
        let payload = layer == ListLayer::Payload;
        // What a trust list's entry problems are prefixed with.
        let trust = if payload { "signed trust list: " } else { "" };
        // What a revocation list's problems are prefixed with.
        let revocation = if payload {
            "signed revocation list"
        } else {
            "revocation list"
        };
        let signed = Signed(list);
        match self {
            ListProblem::TooLarge { len, limit } => match (layer, list) {
                (ListLayer::File, _) => write!(
                    f,
                    "{} is {len} bytes, larger than the {limit}-byte limit",
                    ListName(file, list)
                ),
                (ListLayer::Envelope, Some(kind)) => write!(
                    f,
                    "the {} is {len} bytes, larger than the {limit}-byte limit",
                    kind.describe()
                ),
                (ListLayer::Envelope, None) => write!(
                    f,
                    "signed list is {len} bytes, larger than the {limit}-byte limit"
                ),
                (_, Some(ListKind::Revocation)) => write!(
                    f,
                    "{revocation} is {len} bytes, larger than the {limit}-byte limit"
                ),
                _ => write!(f, "{trust}{len} bytes, larger than the {limit}-byte limit"),
            },
            ListProblem::NotJson { detail } => match (layer, list) {
                (ListLayer::Envelope, _) => {
                    write!(f, "signed list: {detail}")
                }
                (_, Some(ListKind::Revocation)) => write!(f, "{revocation}: {detail}"),
                _ => write!(f, "{trust}not a trust list: {detail}"),
            },
            ListProblem::NoKeys => {
                write!(f, "{trust}it holds no keys; a verifier needs at least one")
            }
            ListProblem::TooManyKeys { count, limit } => {
                write!(f, "{trust}{count} keys, at most {limit} allowed")
            }
            ListProblem::InvertedWindow { kid, label } => write!(
                f,
                "{trust}key {kid} ({label}) has not_before after not_after"
            ),
            ListProblem::DuplicateKey { kid } => write!(f, "{trust}key {kid} is listed twice"),
            ListProblem::BadKey { kid, problem } => write!(f, "{trust}key {kid}: {problem}"),
            ListProblem::TooManyRevokedKeys { limit } => {
                write!(f, "{revocation}: at most {limit} key ids allowed")
            }
            ListProblem::TooManyRevokedCredentials { limit } => {
                write!(
                    f,
                    "{revocation}: at most {limit} device credential ids allowed"
                )
            }
            ListProblem::TooManyRevokedInsured { limit } => write!(
                f,
                "{revocation}: at most {limit} insured identifiers allowed"
            ),
            ListProblem::UnknownFormat { found, expected } => {
                write!(f, "signed list: format {found:?}, expected {expected:?}")
            }
            ListProblem::UnknownKind { found } => {
                write!(f, "signed list: unknown kind {found:?}")
            }
            ListProblem::BadTime { field, text } => {
                write!(f, "signed list: {field} {text:?} is not an RFC 3339 time")
            }
            ListProblem::BadRootKid { found } => write!(
                f,
                "signed list: root_kid {found:?} is not 8 lower-case hex digits"
            ),
            ListProblem::PayloadTooLarge { limit } => match list {
                Some(kind) => write!(
                    f,
                    "signed list: the {} payload is larger than the {limit}-byte limit",
                    kind.describe()
                ),
                None => write!(
                    f,
                    "signed list: the payload is larger than the {limit}-byte limit"
                ),
            },
            ListProblem::NotBase64 { field } => write!(f, "signed list: {field} is not base64"),
            ListProblem::SignatureLength { len, expected } => write!(
                f,
                "signed list: the signature is {len} bytes, an Ed25519 signature is {expected}"
            ),
            ListProblem::ZeroSequence => f.write_str("signed list: sequence numbers start at 1"),
            ListProblem::NextUpdateNotAfterIssued {
                issued_at,
                next_update,
            } => write!(
                f,
                "{signed}: next_update {next_update} is not after issued_at {issued_at}"
            ),
            ListProblem::WrongRoot { expected, found } => write!(
                f,
                "{signed}: signed by root key {found}, but the pinned root key is {expected}"
            ),
            ListProblem::BadSignature { root } => write!(
                f,
                "{signed}: the signature does not verify under the pinned root key {root}"
            ),
            ListProblem::WrongKind { expected, found } => write!(
                f,
                "a signed {} was given where a signed {} is expected",
                found.describe(),
                expected.describe()
            ),
            ListProblem::NoRootKey if layer == ListLayer::File => {
                let kind = list.unwrap_or(ListKind::Trust);
                let also = match kind {
                    ListKind::Trust => "",
                    ListKind::Revocation => ", with a signed trust list",
                };
                write!(
                    f,
                    "{} is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it{also}",
                    ListName(file, Some(kind))
                )
            }
            ListProblem::NoRootKey => write!(
                f,
                "cannot install a {signed}: this verifier pins no root key (build it with Verifier::from_signed)"
            ),
            ListProblem::NotSigned => {
                let kind = list.unwrap_or(ListKind::Trust);
                let how = match kind {
                    ListKind::Trust => "`medcode trust sign`",
                    ListKind::Revocation => "`medcode trust sign --kind revocation`",
                };
                write!(
                    f,
                    "{} is not a signed list, but a root key is pinned: sign it with {how}",
                    ListName(file, Some(kind))
                )
            }
            ListProblem::Rollback {
                installed,
                offered,
                state_file: None,
            } => write!(
                f,
                "{signed}: sequence {offered} is older than sequence {installed} held by this verifier (rollback refused)"
            ),
            ListProblem::Rollback {
                installed,
                offered,
                state_file: Some(state),
            } => write!(
                f,
                "{signed} sequence {offered} is older than sequence {installed} this till already used ({}): rollback refused",
                state.display()
            ),
            ListProblem::SameSequence { sequence } => write!(
                f,
                "{signed}: sequence {sequence} is already held with other content"
            ),
            ListProblem::PreviousNotSigned => f.write_str("the previous list is not a signed list"),
            ListProblem::PreviousForeign { why } => write!(
                f,
                "the previous list is not a {signed} of this root ({why})"
            ),
            ListProblem::SequenceNotAbove {
                previous,
                requested,
            } => write!(
                f,
                "{signed}: sequence {requested} does not go above the previous list's {previous}: verifiers would refuse it"
            ),
            ListProblem::SequenceExhausted => {
                write!(f, "{signed}: the sequence number is exhausted")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::error::Error;

    fn text(
        list: Option<ListKind>,
        layer: ListLayer,
        file: Option<&str>,
        p: ListProblem,
    ) -> String {
        Error::InvalidList {
            list,
            layer,
            file: file.map(PathBuf::from),
            problem: p,
        }
        .to_string()
    }

    #[test]
    fn each_layer_words_a_problem_as_before() {
        let big = || ListProblem::TooLarge { len: 9, limit: 8 };
        let rev = Some(ListKind::Revocation);
        let trust = Some(ListKind::Trust);
        for (list, layer, file, want) in [
            (
                None,
                ListLayer::File,
                Some("l.json"),
                "l.json is 9 bytes, larger than the 8-byte limit",
            ),
            (
                trust,
                ListLayer::Bare,
                None,
                "9 bytes, larger than the 8-byte limit",
            ),
            (
                trust,
                ListLayer::Payload,
                None,
                "signed trust list: 9 bytes, larger than the 8-byte limit",
            ),
            (
                rev,
                ListLayer::Bare,
                Some("r.json"),
                "r.json: revocation list is 9 bytes, larger than the 8-byte limit",
            ),
            (
                rev,
                ListLayer::Payload,
                None,
                "signed revocation list is 9 bytes, larger than the 8-byte limit",
            ),
            (
                None,
                ListLayer::Envelope,
                None,
                "signed list is 9 bytes, larger than the 8-byte limit",
            ),
            (
                rev,
                ListLayer::Envelope,
                None,
                "the revocation list is 9 bytes, larger than the 8-byte limit",
            ),
        ] {
            let prefix = if list == rev {
                "invalid revocation list"
            } else {
                "invalid trust list"
            };
            assert_eq!(text(list, layer, file, big()), format!("{prefix}: {want}"));
        }
        assert_eq!(
            text(
                trust,
                ListLayer::Payload,
                None,
                ListProblem::BadKey {
                    kid: "0a0b0c0d".into(),
                    problem: KeyProblem::NotBase64
                }
            ),
            "invalid trust list: signed trust list: key 0a0b0c0d: public_key is not base64"
        );
        assert_eq!(
            text(
                rev,
                ListLayer::Envelope,
                Some("rev.signed.json"),
                ListProblem::Rollback {
                    installed: 3,
                    offered: 2,
                    state_file: Some(PathBuf::from("till.state"))
                }
            ),
            "invalid revocation list: rev.signed.json: signed revocation list sequence 2 is older than sequence 3 this till already used (till.state): rollback refused"
        );
    }

    #[test]
    fn a_file_is_named_once() {
        let e = Error::invalid_list(Some(ListKind::Trust), ListLayer::Bare, ListProblem::NoKeys)
            .in_list_file(Path::new("a.json"))
            .in_list_file(Path::new("b.json"));
        assert_eq!(
            e.to_string(),
            "invalid trust list: a.json: it holds no keys; a verifier needs at least one"
        );
        assert_eq!(e.reason(), crate::Reason::InvalidTrustList);
    }
}
