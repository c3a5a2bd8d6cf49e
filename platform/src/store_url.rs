//! Where a store lives, in the one grammar every store flag of the
//! platform takes (`--db`, `--usage-db`): `sqlite:PATH`, a bare path (an
//! SQLite file too), or `postgres://USER@HOST:PORT/DB` (`postgresql://`
//! as well).

use std::fmt;
use std::path::PathBuf;

use medcode::error::{Error, Result};

/// A parsed store location.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An SQLite file (`sqlite:PATH` or a bare path).
    Sqlite(PathBuf),
    /// A PostgreSQL server, by its URL (which may hold a password: shown
    /// redacted by `Debug` and `Display`).
    Postgres(String),
}

impl StoreUrl {
    /// Parses the value of the store flag `flag`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`, naming `flag`) for an
    /// empty value, `sqlite:` without a path, or a URL of another scheme
    /// (`mysql://...`).
    pub fn parse(flag: &'static str, text: &str) -> Result<StoreUrl> {
        const EXPECTED: &str = "expected sqlite:PATH, a file path or postgres://USER@HOST:PORT/DB";
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(text.to_owned()));
        }
        if let Some(path) = text.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(Error::argument(
                    flag,
                    format!("sqlite: names no file; {EXPECTED}"),
                ));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if text.is_empty() {
            return Err(Error::argument(flag, format!("empty; {EXPECTED}")));
        }
        if let Some((scheme, _)) = text.split_once("://")
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(Error::argument(
                flag,
                format!("{scheme}:// is not a store medcode knows; {EXPECTED}"),
            ));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(text)))
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreUrl::Sqlite(_) => "sqlite",
            StoreUrl::Postgres(_) => "postgres",
        }
    }
}

/// A PostgreSQL URL with its password, if any, replaced by `***`.
pub(crate) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Postgres(url) => f.write_str(&redacted(url)),
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_and_the_refusals() {
        let parse = |t| StoreUrl::parse("--db", t);
        assert_eq!(
            parse("sqlite:/x/u.db").unwrap(),
            StoreUrl::Sqlite("/x/u.db".into())
        );
        assert_eq!(parse("w.db").unwrap(), StoreUrl::Sqlite("w.db".into()));
        assert_eq!(
            parse("postgresql://a@h/d").unwrap(),
            StoreUrl::Postgres("postgresql://a@h/d".into())
        );
        for (text, why) in [
            (
                "",
                "empty; expected sqlite:PATH, a file path or postgres://USER@HOST:PORT/DB",
            ),
            (
                "sqlite:",
                "sqlite: names no file; expected sqlite:PATH, a file path or postgres://USER@HOST:PORT/DB",
            ),
            (
                "mysql://h/d",
                "mysql:// is not a store medcode knows; expected sqlite:PATH, a file path or postgres://USER@HOST:PORT/DB",
            ),
        ] {
            match parse(text) {
                Err(Error::InvalidArgument { what, why: got }) => {
                    assert_eq!((what, got.as_str()), ("--db", why));
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_password_is_never_shown() {
        let url =
            StoreUrl::parse("--db", "postgres://medcode:s3cret@127.0.0.1:5432/db?x=1").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://medcode:***@127.0.0.1:5432/db?x=1"
        );
        assert_eq!(
            format!("{url:?}"),
            "StoreUrl(postgres://medcode:***@127.0.0.1:5432/db?x=1)"
        );
        assert_eq!(
            redacted("postgres://medcode@h/db"),
            "postgres://medcode@h/db"
        );
    }
}
