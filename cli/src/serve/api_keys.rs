//! The service's API keys: a file of one `ORG_ID SHA256HEX [ROLE]` line per
//! key (written by `medcode api-key new`), and the check of a presented key,
//! hashed then compared with every entry in constant time. The role is
//! `till` (verify codes; the default, also of the older two-column lines)
//! or `issuer` (the platform: also read usage records, `GET /v1/usage`).
//! The service re-reads the file on SIGHUP ([`KeyFile::reload`]): keys are
//! added and withdrawn without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use subtle::ConstantTimeEq;

use medcode::Error;

/// Largest API key file read.
const MAX_FILE_LEN: u64 = 1024 * 1024;

/// Longest key accepted in an `Authorization` header.
const MAX_KEY_LEN: usize = 256;

/// The prefix of every key `medcode api-key new` makes.
pub(crate) const KEY_PREFIX: &str = "mck_";

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Verify codes (and pay): a till, a kiosk, a registration desk.
    Till,
    /// The issuer's platform: also read personal usage records.
    Issuer,
}

impl Role {
    /// The role's name in the key file and on the command line.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Till => "till",
            Role::Issuer => "issuer",
        }
    }

    /// The role of a name, if it is one.
    pub(crate) fn parse(text: &str) -> Option<Role> {
        match text {
            "till" => Some(Role::Till),
            "issuer" => Some(Role::Issuer),
            _ => None,
        }
    }
}

/// One key: the organisation it speaks for, the SHA-256 of the key and its role.
#[derive(Clone)]
struct Entry {
    org: String,
    digest: [u8; 32],
    role: Role,
}

/// The keys of an `--api-keys` file.
#[derive(Clone)]
pub(crate) struct ApiKeys {
    entries: Vec<Entry>,
}

/// The SHA-256 of a key's text.
pub(crate) fn digest(key: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Checks an organisation id: 1-64 letters, digits, '-', '_' or '.'.
pub(crate) fn check_org(org: &str) -> Result<(), String> {
    let ok = !org.is_empty()
        && org.len() <= 64
        && org
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{}\" is not an organisation id: use 1-64 letters, digits, '-', '_' or '.'",
            crate::output::escape::shown(&org)
        ))
    }
}

/// Checks the text of an API key file as the service reads it.
pub(crate) fn check_key_file(bytes: &[u8]) -> Result<(), String> {
    ApiKeys::parse(bytes).map(drop)
}

impl ApiKeys {
    /// Reads the key file at `path`.
    pub(crate) fn read(path: &Path) -> Result<Self, Error> {
        let bytes = medcode::files::read_bounded(path, MAX_FILE_LEN, "API key file")?;
        let refuse = |why: String| Error::InvalidArgument {
            what: "--api-keys",
            why: format!("{}: {why}", path.display()),
        };
        let keys = Self::parse(&bytes).map_err(refuse)?;
        if keys.entries.is_empty() {
            return Err(refuse(
                "holds no key: every request would be refused (add one with medcode api-key new)"
                    .to_owned(),
            ));
        }
        Ok(keys)
    }

    /// Parses the lines of a key file; blank lines are skipped.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |why: String| format!("line {}: {why}", n + 1);
            let mut fields = line.split_ascii_whitespace();
            let (Some(org), Some(hex_digest), role, None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad(
                    "expected an organisation id, the SHA-256 of its key (64 hex digits) and optionally a role (till or issuer)"
                        .to_owned(),
                ));
            };
            let role = match role {
                None => Role::Till,
                Some(r) => Role::parse(r).ok_or_else(|| {
                    bad(format!(
                        "\"{}\" is not a role: till or issuer",
                        crate::output::escape::shown(&r)
                    ))
                })?,
            };
            check_org(org).map_err(bad)?;
            let mut digest = [0u8; 32];
            let is_lower_hex = hex_digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !is_lower_hex || hex::decode_to_slice(hex_digest, &mut digest).is_err() {
                return Err(bad(
                    "the key's SHA-256 must be 64 lower-case hex digits".to_owned()
                ));
            }
            entries.push(Entry {
                org: org.to_owned(),
                digest,
                role,
            });
        }
        Ok(ApiKeys { entries })
    }

    /// The organisation of the key in an `Authorization: Bearer KEY`
    /// header value, or `None` for a missing, malformed or unknown key.
    #[cfg(test)]
    pub(crate) fn org_of(&self, authorization: Option<&[u8]>) -> Option<&str> {
        self.caller_of(authorization).map(|(org, _)| org)
    }

    /// The organisation and role of the key in an `Authorization: Bearer
    /// KEY` header value, or `None` for a missing, malformed or unknown key.
    /// Every entry is compared, in constant time, whatever matches.
    pub(crate) fn caller_of(&self, authorization: Option<&[u8]>) -> Option<(&str, Role)> {
        let value = std::str::from_utf8(authorization?).ok()?;
        let key = value.strip_prefix("Bearer ")?.trim();
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return None;
        }
        let presented = digest(key);
        let mut found = None;
        for entry in &self.entries {
            if bool::from(presented.ct_eq(&entry.digest)) {
                found = Some((entry.org.as_str(), entry.role));
            }
        }
        found
    }

    /// How many keys the file holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The keys of the `--api-keys` file in force, and the file to re-read.
pub(crate) struct KeyFile {
    path: PathBuf,
    keys: RwLock<Arc<ApiKeys>>,
}

impl KeyFile {
    /// Reads the key file at `path` (see [`ApiKeys::read`]).
    pub(crate) fn read(path: &Path) -> Result<Self, Error> {
        Ok(KeyFile {
            path: path.to_owned(),
            keys: RwLock::new(Arc::new(ApiKeys::read(path)?)),
        })
    }

    fn current(&self) -> Arc<ApiKeys> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// As [`ApiKeys::caller_of`], with the keys in force.
    pub(crate) fn caller_of(&self, authorization: Option<&[u8]>) -> Option<(String, Role)> {
        self.current()
            .caller_of(authorization)
            .map(|(org, role)| (org.to_owned(), role))
    }

    /// How many keys are in force.
    pub(crate) fn len(&self) -> usize {
        self.current().len()
    }

    /// Re-reads the file and puts its keys in force; returns how many keys
    /// were in force before and are now. A file that cannot be read, does
    /// not parse or holds no key changes nothing: the keys in force stay.
    pub(crate) fn reload(&self) -> Result<(usize, usize), Error> {
        let fresh = Arc::new(ApiKeys::read(&self.path)?);
        let now = fresh.len();
        let before = std::mem::replace(
            &mut *self.keys.write().unwrap_or_else(PoisonError::into_inner),
            fresh,
        );
        Ok((before.len(), now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_maps_to_its_organisation_and_nothing_else_does() {
        let line = format!(
            "org-a {}\n\norg-b {}\n",
            hex::encode(digest("mck_a")),
            hex::encode(digest("mck_b"))
        );
        let keys = ApiKeys::parse(line.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.org_of(Some(b"Bearer mck_a")), Some("org-a"));
        assert_eq!(keys.org_of(Some(b"Bearer mck_b")), Some("org-b"));
        assert_eq!(keys.org_of(Some(b"Bearer mck_c")), None);
        assert_eq!(keys.org_of(Some(b"mck_a")), None);
        assert_eq!(keys.org_of(Some(b"Basic mck_a")), None);
        assert_eq!(keys.org_of(None), None);
        assert_eq!(
            keys.caller_of(Some(b"Bearer mck_a")),
            Some(("org-a", Role::Till))
        );
    }

    #[test]
    fn a_third_column_names_the_role() {
        let text = format!(
            "platform {} issuer\ntill-1 {} till\n",
            hex::encode(digest("mck_p")),
            hex::encode(digest("mck_t"))
        );
        let keys = ApiKeys::parse(text.as_bytes()).unwrap();
        assert_eq!(
            keys.caller_of(Some(b"Bearer mck_p")),
            Some(("platform", Role::Issuer))
        );
        assert_eq!(
            keys.caller_of(Some(b"Bearer mck_t")),
            Some(("till-1", Role::Till))
        );
        let bad = format!("org {} admin", hex::encode(digest("k")));
        let e = ApiKeys::parse(bad.as_bytes()).err().unwrap();
        assert!(e.starts_with("line 1: \"admin\" is not a role"), "{e}");
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        let upper = format!("org {}", hex::encode(digest("k")).to_uppercase());
        for (text, why) in [
            ("org", "line 1: expected an organisation id"),
            ("org abc", "line 1: the key's SHA-256 must be 64"),
            (upper.as_str(), "line 1: the key's SHA-256 must be 64"),
            (
                "bad/org 00",
                "line 1: \"bad/org\" is not an organisation id",
            ),
        ] {
            let e = ApiKeys::parse(text.as_bytes()).err().unwrap();
            assert!(e.starts_with(why), "{text}: {e}");
        }
    }
}
