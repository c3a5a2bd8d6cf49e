//! The phone's counter state: `CRED.counter` beside the credential holds the
//! next counter in decimal. A code's counter is reserved (the file replaced
//! with the next value and synced, its folder synced too) before the code is
//! made, under the file's lock: two commands at once take two counters, and
//! a crash after the reservation loses a counter, never reuses one.

use std::path::{Path, PathBuf};

use medcode::{DeviceCredential, Error};

/// The state file of a credential file.
pub(crate) fn state_path(credential: &Path) -> PathBuf {
    let mut name = credential.as_os_str().to_owned();
    name.push(".counter");
    PathBuf::from(name)
}

/// Reserves the next counter of `credential` and returns it.
pub(crate) fn reserve(credential_path: &Path, credential: &DeviceCredential) -> Result<u32, Error> {
    let state = state_path(credential_path);
    let _lock = crate::lock::lock(&state)?;
    let next = read(&state)?;
    let quota = credential.quota();
    if next >= u32::from(quota) {
        return Err(Error::QuotaExceeded {
            counter: next,
            quota,
        });
    }
    medcode::files::write_replace(&state, format!("{}\n", next + 1).as_bytes())?;
    let dir = state
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, "sync folder", e))?;
    Ok(next)
}

/// The next counter the state file holds (0 when there is none yet).
fn read(state: &Path) -> Result<u32, Error> {
    let text = match std::fs::read_to_string(state) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(state, "read", e)),
    };
    text.trim().parse::<u32>().map_err(|_| Error::InvalidArgument {
        what: "counter state",
        why: format!(
            "{} does not hold a counter (a decimal number); refusing to guess one, which could show a counter twice",
            state.display()
        ),
    })
}
