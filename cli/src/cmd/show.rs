//! `medcode show`: the holder's phone screen in a terminal. Redraws a fresh
//! code every few seconds with a countdown until Ctrl-C, then restores the
//! terminal and exits 0.
//!
//! On a terminal the QR code is drawn full screen (alternate screen, cursor
//! hidden). When standard output is not a terminal (a pipe, a file), each
//! new code's token text is written as one line instead, so
//! a pipeline (a simulated till, a test) can consume it, and the status
//! line of each new code goes to standard error.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;

use crate::args::{ClaimsArgs, SignerArgs};
use crate::clock::{system_now, wait_for_next_second};
use crate::output::screen::{Screen, clock_time, describe, stop_on_ctrl_c};
use crate::output::screen_fit;
use crate::output::{CmdResult, Failure, RefusalLine, note, out, refusal};
use medcode::Error;
use medcode::Holder;
use medcode::qr::{Ecc, Qr};

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    signer: SignerArgs,
    #[command(flatten)]
    who: ClaimsArgs,
    /// Validity of each code in seconds: 2 to --max-validity (300, the tills'
    /// default maximum, unless raised).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u16).range(2..))]
    ttl: u16,
    /// Seconds between codes (default: a third of the validity); must be shorter than --ttl.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    refresh: Option<u64>,
    /// QR error-correction level.
    #[arg(long, default_value = "M", value_parser = ["L", "M", "Q", "H"])]
    ecc: String,
}

pub(crate) fn run(args: &ShowArgs) -> CmdResult {
    let claims = args.who.claims().map_err(refusal(RefusalLine::Medcode))?;
    let ecc = args.ecc.parse::<Ecc>()?;
    let issuer = args.signer.issuer(args.ttl)?;
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

    let stop = stop_on_ctrl_c()?;

    let stdout = std::io::stdout();
    let result = if stdout.is_terminal() {
        let mut screen = Screen::enter(stdout.lock())?;
        let mut picture = String::new();
        show_loop(&mut holder, &args.who, &stop, |frame| {
            if frame.is_new {
                picture = Qr::encode(frame.text, ecc)?.to_terminal();
            }
            // Checked at every redraw (once a second), so a resized window
            // shows the code as soon as it fits.
            let size = terminal_size::terminal_size().map(|(w, h)| (w.0, h.0));
            match screen_fit::check(screen_fit::needed(&picture, 2), size) {
                Ok(()) => screen.draw(&format!("{picture}\n{}\n{}", frame.person, frame.status)),
                Err(why) => screen.draw(&why),
            }
        })
        // The screen is restored here, before any message is printed.
    } else {
        // Not a terminal: one token text per new code on stdout, its status
        // line on stderr.
        show_loop(&mut holder, &args.who, &stop, |frame| {
            if frame.is_new {
                note(&frame.status);
                out(frame.text)?;
            }
            Ok(())
        })
    };
    match result {
        // A registry refusal (e.g. the owner was unbound while showing a
        // delegate code) ends the show with exit 1 and its reason.
        Err(Failure::Error(e)) if e.reason().is_rejection() => {
            Err(refusal(RefusalLine::Medcode)(e))
        }
        other => other,
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
/// is set. Errors are returned unprinted, so that the caller can restore
/// the terminal first.
fn show_loop(
    holder: &mut Holder,
    who: &ClaimsArgs,
    stop: &AtomicBool,
    mut draw: impl FnMut(&Frame<'_>) -> CmdResult,
) -> CmdResult {
    let mut last: Option<String> = None;
    while !stop.load(Ordering::SeqCst) {
        let now = system_now();
        // Registry claims are read again before each new code, so a change
        // (status, an unbinding, a mutual-aid filing) shows in the next one.
        if who.uses_registry() && holder.next_refresh().is_some_and(|t| now >= t) {
            holder.set_claims(who.claims()?)?;
        }
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
