//! The state directory, where `medcode verify` keeps its default replay
//! file, `medcode serve` its default usage records, and a local-fallback
//! Redis guard its default fallback file (one per server and key prefix).
//! The first of these that names an absolute path:
//!
//! 1. `--state-dir DIR`, used as it is (created, mode 0700, if missing;
//!    its parent must exist);
//! 2. `STATE_DIRECTORY`, which systemd sets for a unit with
//!    `StateDirectory=` (the first path when it holds several, separated by
//!    `:`), used as it is;
//! 3. `$XDG_STATE_HOME/medcode/`;
//! 4. `$HOME/.local/state/medcode/`, only when HOME is an existing
//!    directory: a system user's home (`/nonexistent`) is refused, never
//!    created.
//!
//! Nothing else is a state directory: a command that needs one and finds
//! none exits 2 with [`NoStateDir`]'s words. The CLI reads the
//! environment; the library is given the path.

use std::ffi::OsString;
use std::fmt;
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
/// [`Error::InvalidArgument`] naming the default replay file when no state
/// directory is found ([`NoStateDir`]) or it cannot be created.
pub(crate) fn default_replay_file(flag: Option<&Path>) -> Result<PathBuf, Error> {
    in_state_dir(flag, REPLAY_FILE, "default replay file", NAME_ONE)
}

/// The service's default usage records, `usage.sqlite` in the state
/// directory beside the default replay file, the folder created (mode 0700)
/// if missing.
///
/// # Errors
///
/// As [`default_replay_file`], naming `--usage-db`.
pub(crate) fn default_usage_file(flag: Option<&Path>) -> Result<PathBuf, Error> {
    in_state_dir(
        flag,
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
pub(crate) fn default_fallback_file(flag: Option<&Path>, name: &str) -> Result<PathBuf, Error> {
    in_state_dir(
        flag,
        name,
        "default replay fallback file",
        "name one with --replay-fallback-file PATH",
    )
}

/// Why there is no state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoStateDir {
    /// No flag, and no variable holds an absolute path.
    Unset,
    /// Only HOME is given, and it is not an existing directory (a system
    /// user's home such as `/nonexistent`).
    HomeMissing(PathBuf),
}

impl fmt::Display for NoStateDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoStateDir::Unset => f.write_str(
                "no state directory: give --state-dir DIR, or set STATE_DIRECTORY (systemd's StateDirectory=), XDG_STATE_HOME or HOME to an absolute path",
            ),
            NoStateDir::HomeMissing(home) => write!(
                f,
                "no state directory: HOME is {}, which is not a directory (a system user's home?), and neither --state-dir DIR, STATE_DIRECTORY (systemd's StateDirectory=) nor XDG_STATE_HOME is given",
                home.display()
            ),
        }
    }
}

/// A state directory found, and how to create it.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    dir: PathBuf,
    /// Create missing parents too (under XDG_STATE_HOME or HOME); a
    /// directory given as it is (`--state-dir`, `STATE_DIRECTORY`) is
    /// created alone, its parent must exist.
    with_parents: bool,
}

/// The environment variables that name a state directory.
struct Env {
    state_directory: Option<OsString>,
    xdg_state_home: Option<OsString>,
    home: Option<OsString>,
}

impl Env {
    fn read() -> Env {
        Env {
            state_directory: std::env::var_os("STATE_DIRECTORY"),
            xdg_state_home: std::env::var_os("XDG_STATE_HOME"),
            home: std::env::var_os("HOME"),
        }
    }
}

fn in_state_dir(
    flag: Option<&Path>,
    name: &str,
    what: &'static str,
    name_one: &str,
) -> Result<PathBuf, Error> {
    let found = state_dir(flag, Env::read()).map_err(|e| Error::InvalidArgument {
        what,
        why: format!("{e}; {name_one}"),
    })?;
    create_private_dir(&found.dir, found.with_parents).map_err(|e| Error::InvalidArgument {
        what,
        why: format!(
            "cannot create the state directory {}: {e}; {name_one}",
            found.dir.display()
        ),
    })?;
    Ok(found.dir.join(name))
}

/// The state directory by the rules of the module documentation.
fn state_dir(flag: Option<&Path>, env: Env) -> Result<Found, NoStateDir> {
    let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(dir) = flag {
        return Ok(Found {
            dir: dir.to_owned(),
            with_parents: false,
        });
    }
    // systemd joins several StateDirectory= paths with ':'.
    let first = env.state_directory.and_then(|v| {
        v.to_str()
            .and_then(|s| s.split(':').next())
            .map(OsString::from)
    });
    if let Some(dir) = absolute(first) {
        return Ok(Found {
            dir,
            with_parents: false,
        });
    }
    if let Some(base) = absolute(env.xdg_state_home) {
        return Ok(Found {
            dir: base.join("medcode"),
            with_parents: true,
        });
    }
    match absolute(env.home) {
        Some(home) if home.is_dir() => Ok(Found {
            dir: home.join(".local/state/medcode"),
            with_parents: true,
        }),
        Some(home) => Err(NoStateDir::HomeMissing(home)),
        None => Err(NoStateDir::Unset),
    }
}

/// Creates `dir` (and, `with_parents`, any missing parents) with mode 0700
/// on Unix; an existing directory is left as it is.
fn create_private_dir(dir: &Path, with_parents: bool) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(with_parents);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(
        flag: Option<&str>,
        state_directory: Option<&str>,
        xdg: Option<&str>,
        home: Option<&str>,
    ) -> Result<Found, NoStateDir> {
        state_dir(
            flag.map(Path::new),
            Env {
                state_directory: state_directory.map(OsString::from),
                xdg_state_home: xdg.map(OsString::from),
                home: home.map(OsString::from),
            },
        )
    }

    fn exact(p: &str) -> Result<Found, NoStateDir> {
        Ok(Found {
            dir: PathBuf::from(p),
            with_parents: false,
        })
    }

    fn under(p: &str) -> Result<Found, NoStateDir> {
        Ok(Found {
            dir: PathBuf::from(p),
            with_parents: true,
        })
    }

    #[test]
    fn xdg_state_home_first_then_home_and_only_absolute_paths() {
        // "/" stands for a HOME that exists.
        assert_eq!(
            dir(None, None, Some("/x/state"), Some("/")),
            under("/x/state/medcode")
        );
        assert_eq!(
            dir(None, None, Some("relative"), Some("/")),
            under("/.local/state/medcode")
        );
        assert_eq!(
            dir(None, None, Some(""), Some("/")),
            under("/.local/state/medcode")
        );
        assert_eq!(
            dir(None, None, None, Some("/")),
            under("/.local/state/medcode")
        );
        assert_eq!(dir(None, None, None, Some("home")), Err(NoStateDir::Unset));
        assert_eq!(dir(None, None, Some(""), Some("")), Err(NoStateDir::Unset));
        assert_eq!(dir(None, None, None, None), Err(NoStateDir::Unset));
    }

    #[test]
    fn the_flag_then_state_directory_come_before_xdg_and_home() {
        assert_eq!(
            dir(Some("rel/dir"), Some("/var/lib/a"), Some("/x"), Some("/")),
            exact("rel/dir")
        );
        assert_eq!(
            dir(None, Some("/var/lib/a"), Some("/x"), Some("/")),
            exact("/var/lib/a")
        );
        // Several StateDirectory= paths: the first.
        assert_eq!(
            dir(None, Some("/var/lib/a:/var/lib/b"), None, None),
            exact("/var/lib/a")
        );
        // A relative STATE_DIRECTORY counts as unset, as a relative XDG_STATE_HOME.
        assert_eq!(
            dir(None, Some("lib/a"), Some("/x"), None),
            under("/x/medcode")
        );
        assert_eq!(dir(None, Some(""), None, None), Err(NoStateDir::Unset));
    }

    #[test]
    fn a_home_that_does_not_exist_is_refused() {
        let missing = "/nonexistent-medcode-state-dir-test";
        assert!(!Path::new(missing).exists());
        assert_eq!(
            dir(None, None, None, Some(missing)),
            Err(NoStateDir::HomeMissing(PathBuf::from(missing)))
        );
        // Any other source wins over the missing HOME.
        assert_eq!(
            dir(None, Some("/var/lib/medcode"), None, Some(missing)),
            exact("/var/lib/medcode")
        );
        assert_eq!(
            NoStateDir::HomeMissing(PathBuf::from("/nonexistent")).to_string(),
            "no state directory: HOME is /nonexistent, which is not a directory (a system user's home?), and neither --state-dir DIR, STATE_DIRECTORY (systemd's StateDirectory=) nor XDG_STATE_HOME is given"
        );
    }
}
