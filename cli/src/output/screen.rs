//! The holder's screen in a terminal, as `medcode show` and `medcode
//! device show` draw it: full screen (alternate screen, cursor hidden)
//! restored whichever way the command ends, the line about the person and
//! the clock time of a code's expiry.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::output::escape::shown;
use crate::output::{Failure, write_failure};
use medcode::Claims;
use medcode::Error;
use medcode::UnixTime;

/// Escape sequences: alternate screen on/off, cursor hidden/shown, cursor
/// home, clear to the end of the screen.
const ENTER: &str = "\x1b[?1049h\x1b[?25l";
const LEAVE: &str = "\x1b[?25h\x1b[?1049l";
const HOME: &str = "\x1b[H";
const CLEAR_BELOW: &str = "\x1b[J";

/// A flag that Ctrl-C sets: the screen loops of `show` and `device show`
/// stop when it is up.
pub(crate) fn stop_on_ctrl_c() -> Result<Arc<AtomicBool>, Error> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(|e| {
        Error::InvalidArgument {
            what: "signal handler",
            why: e.to_string(),
        }
    })?;
    Ok(stop)
}

/// Puts the terminal into full-screen mode and restores it when dropped,
/// whichever way the command ends.
pub(crate) struct Screen<W: Write> {
    out: W,
}

impl<W: Write> Screen<W> {
    pub(crate) fn enter(mut out: W) -> Result<Self, Error> {
        out.write_all(ENTER.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("standard output", "write", e))?;
        Ok(Screen { out })
    }

    pub(crate) fn draw(&mut self, frame: &str) -> Result<(), Failure> {
        let text = format!("{HOME}{}{CLEAR_BELOW}", frame.replace('\n', "\x1b[K\r\n"));
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(write_failure)
    }
}

impl<W: Write> Drop for Screen<W> {
    fn drop(&mut self) {
        let _ = self.out.write_all(LEAVE.as_bytes());
        let _ = self.out.flush();
    }
}

/// One line about the person shown, names and identifiers escaped
/// ([`crate::output::escape`]).
pub(crate) fn describe(claims: &Claims) -> String {
    let name = claims
        .name
        .as_ref()
        .map(|n| format!("{} · ", shown(n)))
        .unwrap_or_default();
    format!(
        "{name}{} · region {} · {} scheme · {}",
        shown(&claims.insured),
        claims.region,
        claims.scheme,
        claims.status
    )
}

/// `HH:MM:SS UTC` of an instant.
pub(crate) fn clock_time(t: UnixTime) -> String {
    let full = t.to_rfc3339();
    match full.get(11..19) {
        Some(hms) => format!("{hms} UTC"),
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screen_is_restored_when_dropped() {
        let mut buf = Vec::new();
        {
            let mut screen = Screen::enter(&mut buf).unwrap();
            screen.draw("a\nb").unwrap();
        }
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "\x1b[?1049h\x1b[?25l\x1b[Ha\x1b[K\r\nb\x1b[J\x1b[?25h\x1b[?1049l"
        );
    }

    #[test]
    fn clock_time_is_hours_minutes_seconds() {
        // 2026-11-23T08:01:02Z
        assert_eq!(
            clock_time(UnixTime::from_secs(1_795_420_862)),
            "08:01:02 UTC"
        );
    }
}
