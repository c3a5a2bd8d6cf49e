//! The user's state directory, where `medcode verify` keeps its default
//! replay file, `medcode serve` its default usage records, and a
//! local-fallback Redis guard its default fallback file
//! (one per server and key prefix): `$XDG_STATE_HOME/medcode/` when XDG_STATE_HOME is an
//! absolute path, else `$HOME/.local/state/medcode/`. The CLI reads the
//! environment; the library is given the path.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use medcode::Error;

/// File name of the default replay file in the state directory.
const REPLAY_FILE: &str = "replay.store";

/// File name of the service's default usage records in the state directory.
const USAGE_FILE: &str = "usage.sqlite";

/// What names a guard instead, in the messages.
const NAME_ONE: &str = "name a guard with --replay file:PATH (or --replay memory, or --replay none to accept a code again)";

/// The default replay file, its folder created (mode 0700) if missing.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `--replay` when neither variable gives
/// an absolute directory or the folder cannot be created.
pub(crate) fn default_replay_file() -> Result<PathBuf, Error> {
    in_state_dir(REPLAY_FILE, "default replay file", NAME_ONE)
}

/// The service's default usage records, `usage.sqlite` in the state
/// directory beside the default replay file, the folder created (mode 0700)
/// if missing.
///
/// # Errors
///
/// As [`default_replay_file`], naming `--usage-db`.
pub(crate) fn default_usage_file() -> Result<PathBuf, Error> {
    in_state_dir(
        USAGE_FILE,
        "default usage records",
        "name them with --usage-db sqlite:PATH (or postgres://...), or --usage-db off",
    )
}

/// The default fallback file of a local-fallback Redis guard, `name` in
/// the state directory, its folder created (mode 0700) if missing.
///
/// # Errors
///
/// As [`default_replay_file`], naming `--replay-fallback-file`.
pub(crate) fn default_fallback_file(name: &str) -> Result<PathBuf, Error> {
    in_state_dir(
        name,
        "default replay fallback file",
        "name one with --replay-fallback-file PATH",
    )
}

fn in_state_dir(name: &str, what: &'static str, name_one: &str) -> Result<PathBuf, Error> {
    let dir = state_dir(
        std::env::var_os("XDG_STATE_HOME"),
        std::env::var_os("HOME"),
    )
    .ok_or_else(|| Error::InvalidArgument {
        what,
        why: format!(
            "no state directory: neither XDG_STATE_HOME nor HOME is set to an absolute path; {name_one}"
        ),
    })?;
    create_private_dir(&dir).map_err(|e| Error::InvalidArgument {
        what,
        why: format!(
            "cannot create the state directory {}: {e}; {name_one}",
            dir.display()
        ),
    })?;
    Ok(dir.join(name))
}

/// `XDG_STATE_HOME/medcode` if that is absolute, else
/// `HOME/.local/state/medcode` if HOME is absolute, else nothing.
fn state_dir(xdg_state_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(base) = absolute(xdg_state_home) {
        return Some(base.join("medcode"));
    }
    absolute(home).map(|home| home.join(".local/state/medcode"))
}

/// Creates `dir` and any missing parents with mode 0700 on Unix; an
/// existing directory is left as it is.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
        state_dir(xdg.map(OsString::from), home.map(OsString::from))
    }

    #[test]
    fn xdg_state_home_first_then_home_and_only_absolute_paths() {
        assert_eq!(
            dir(Some("/x/state"), Some("/home/a")),
            Some(PathBuf::from("/x/state/medcode"))
        );
        assert_eq!(
            dir(Some("relative"), Some("/home/a")),
            Some(PathBuf::from("/home/a/.local/state/medcode"))
        );
        assert_eq!(
            dir(Some(""), Some("/home/a")),
            Some(PathBuf::from("/home/a/.local/state/medcode"))
        );
        assert_eq!(
            dir(None, Some("/home/a")),
            Some(PathBuf::from("/home/a/.local/state/medcode"))
        );
        assert_eq!(dir(None, Some("home")), None);
        assert_eq!(dir(Some(""), Some("")), None);
        assert_eq!(dir(None, None), None);
    }
}
