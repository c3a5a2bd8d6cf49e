//! `medcode show`: the holder's phone screen in a terminal. Redraws a fresh
//! code every few seconds with a countdown until Ctrl-C, then restores the
//! terminal and exits 0.
//!
//! On a terminal the QR code is drawn full screen (alternate screen, cursor
//! hidden). When standard output is not a terminal (a pipe, a file), each
//! new code's token text is written as one line instead, so
//! a pipeline (a simulated till, a test) can consume it, and the status
//! line of each new code goes to standard error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;

use super::{CmdResult, Failure, key_path, out, system_now, warn};
use crate::claims::{Claims, InsuredId, MaskedName, Region, Scheme, Status};
use crate::error::Error;
use crate::holder::Holder;
use crate::issuer::Issuer;
use crate::keyfile::{PermissionPolicy, read_private_key};
use crate::qr::{Ecc, Qr};
use crate::time::UnixTime;

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// Folder holding KID.pk8.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Name of the key to sign with (DIR/KID.pk8).
    #[arg(long, value_name = "KID")]
    kid: String,
    /// The insured person's platform identifier (1-20 of 0-9, A-Z).
    #[arg(long, value_name = "ID")]
    insured: String,
    /// Region of enrolment, a 6-digit administrative division code.
    #[arg(long, value_name = "CODE")]
    region: String,
    /// Masked display name, e.g. "张*".
    #[arg(long, value_name = "MASKED")]
    name: Option<String>,
    /// Insurance status.
    #[arg(long, default_value = "normal", value_parser = ["normal", "lapsed"])]
    status: String,
    /// Insurance scheme.
    #[arg(long, default_value = "employee", value_parser = ["employee", "resident"])]
    scheme: String,
    /// Validity of each code in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u16).range(2..))]
    ttl: u16,
    /// Seconds between codes (default: a third of the validity); must be shorter than --ttl.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    refresh: Option<u64>,
    /// QR error-correction level.
    #[arg(long, default_value = "M", value_parser = ["L", "M", "Q", "H"])]
    ecc: String,
    /// Refuse a key file that others can read (instead of warning).
    #[arg(long)]
    strict: bool,
}

/// Escape sequences: alternate screen on/off, cursor hidden/shown, cursor
/// home, clear to the end of the screen.
const ENTER: &str = "\x1b[?1049h\x1b[?25l";
const LEAVE: &str = "\x1b[?25h\x1b[?1049l";
const HOME: &str = "\x1b[H";
const CLEAR_BELOW: &str = "\x1b[J";

/// Puts the terminal into full-screen mode and restores it when dropped,
/// whichever way the command ends.
struct Screen<W: Write> {
    out: W,
}

impl<W: Write> Screen<W> {
    fn enter(mut out: W) -> Result<Self, Error> {
        out.write_all(ENTER.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("standard output", "write", e))?;
        Ok(Screen { out })
    }

    fn draw(&mut self, frame: &str) -> Result<(), Failure> {
        let text = format!("{HOME}{}{CLEAR_BELOW}", frame.replace('\n', "\x1b[K\r\n"));
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ClosedPipe),
            Err(e) => Err(Failure::Error(Error::io("standard output", "write", e))),
        }
    }
}

impl<W: Write> Drop for Screen<W> {
    fn drop(&mut self) {
        let _ = self.out.write_all(LEAVE.as_bytes());
        let _ = self.out.flush();
    }
}

pub(crate) fn run(args: &ShowArgs) -> CmdResult {
    let mut claims = Claims::new(InsuredId::new(&args.insured)?, Region::new(&args.region)?);
    claims.name = args.name.as_deref().map(MaskedName::new).transpose()?;
    claims.status = args.status.parse::<Status>()?;
    claims.scheme = args.scheme.parse::<Scheme>()?;
    let ecc = args.ecc.parse::<Ecc>()?;
    let policy = if args.strict {
        PermissionPolicy::Refuse
    } else {
        PermissionPolicy::Warn
    };
    let loaded = read_private_key(&key_path(&args.dir, &args.kid)?, policy)?;
    if let Some(w) = &loaded.warning {
        warn(w);
    }
    let issuer = Issuer::new(loaded.key).with_validity(args.ttl);
    let mut holder = Holder::new(issuer, claims)?;
    if let Some(secs) = args.refresh {
        holder = holder
            .with_refresh(secs)
            .map_err(|_| Error::InvalidArgument {
                what: "--refresh",
                why: format!(
                    "{secs} s: it must be shorter than the code's validity (--ttl {} s)",
                    args.ttl
                ),
            })?;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(|e| {
        Error::InvalidArgument {
            what: "signal handler",
            why: e.to_string(),
        }
    })?;

    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        let mut screen = Screen::enter(stdout.lock())?;
        let mut picture = String::new();
        show_loop(&mut holder, &stop, |frame| {
            if frame.is_new {
                picture = Qr::encode(frame.text, ecc)?.to_terminal();
            }
            screen.draw(&format!("{picture}\n{}\n{}", frame.person, frame.status))
        })
    } else {
        // Not a terminal: one token text per new code on stdout, its status
        // line on stderr.
        show_loop(&mut holder, &stop, |frame| {
            if frame.is_new {
                note(&frame.status);
                out(frame.text)?;
            }
            Ok(())
        })
    }
}

/// What one redraw shows.
struct Frame<'a> {
    /// The token text (what the QR holds).
    text: &'a str,
    /// True on the first frame of a code.
    is_new: bool,
    /// One line about the person.
    person: String,
    /// Token id, countdown, validity.
    status: String,
}

/// Calls `draw` every second (and at once after each refresh) until `stop`
/// is set.
fn show_loop(
    holder: &mut Holder,
    stop: &AtomicBool,
    mut draw: impl FnMut(&Frame<'_>) -> CmdResult,
) -> CmdResult {
    let mut last: Option<String> = None;
    while !stop.load(Ordering::SeqCst) {
        let now = system_now();
        let token = holder.current(now)?;
        let text = token.text().to_owned();
        let status_head = format!(
            "code {}, valid until {}",
            token.token_id(),
            clock_time(token.expires_at())
        );
        let next = holder.next_refresh().unwrap_or(now);
        let frame = Frame {
            text: &text,
            is_new: last.as_deref() != Some(text.as_str()),
            person: describe(holder.claims()),
            status: format!(
                "{status_head}: next code in {} s · Ctrl-C to stop",
                next.as_secs().saturating_sub(now.as_secs())
            ),
        };
        draw(&frame)?;
        last = Some(text);
        wait_for_next_second(now, stop);
    }
    Ok(())
}

/// Writes a line to standard error.
fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// One line about the person shown.
fn describe(claims: &Claims) -> String {
    let name = claims
        .name
        .as_ref()
        .map(|n| format!("{n} · "))
        .unwrap_or_default();
    format!(
        "{name}{} · region {} · {} scheme · {}",
        claims.insured, claims.region, claims.scheme, claims.status
    )
}

/// `HH:MM:SS UTC` of an instant.
fn clock_time(t: UnixTime) -> String {
    let full = t.to_rfc3339();
    match full.get(11..19) {
        Some(hms) => format!("{hms} UTC"),
        None => full,
    }
}

/// Sleeps in short steps until the system clock passes `now` or `stop` is set.
fn wait_for_next_second(now: UnixTime, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) && system_now() <= now {
        std::thread::sleep(Duration::from_millis(50));
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
