//! `medcode device show`: the holder's phone screen made offline. Every
//! `--refresh` seconds a new code with the next counter (reserved in the
//! state file first), drawn full screen on a terminal, or one text per
//! line when standard output is not one, until Ctrl-C (exit 0). The end
//! of the credential or its quota ends the show with that reason (exit 1).

use std::io::IsTerminal;
use std::sync::atomic::Ordering;

use clap::Args;

use super::{PhoneArgs, next_code};
use crate::clock::system_now;
use crate::clock::wait_for_next_second;
use crate::output::screen::{Screen, clock_time, describe, stop_on_ctrl_c};
use crate::output::screen_fit;
use crate::output::{CmdResult, Failure, RefusalLine, note, out, refusal};
use medcode::Error;
use medcode::qr::{Ecc, Qr};

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    phone: PhoneArgs,
    /// Seconds between codes: shorter than the codes' validity.
    #[arg(long, value_name = "S", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    refresh: u64,
    /// QR error-correction level.
    #[arg(long, default_value = "M", value_parser = ["L", "M", "Q", "H"])]
    ecc: String,
}

pub(crate) fn run(args: &ShowArgs) -> CmdResult {
    let ecc = args.ecc.parse::<Ecc>()?;
    let mut phone = args.phone.load()?;
    let credential = phone.credential().clone();
    if args.refresh >= u64::from(credential.max_code_validity()) {
        return Err(Error::InvalidArgument {
            what: "--refresh",
            why: format!(
                "{} s: it must be shorter than the codes' validity ({} s)",
                args.refresh,
                credential.max_code_validity()
            ),
        }
        .into());
    }
    let stop = stop_on_ctrl_c()?;
    let person = describe(credential.claims());
    let terminal = std::io::stdout().is_terminal();
    let mut screen = if terminal {
        Some(Screen::enter(std::io::stdout().lock())?)
    } else {
        None
    };
    let mut shown: Option<(medcode::IssuedToken, String)> = None;
    let mut next_at = system_now();
    let result: CmdResult = (|| {
        while !stop.load(Ordering::SeqCst) {
            let now = system_now();
            if now >= next_at {
                let code = next_code(&args.phone.credential, &mut phone, now)?;
                let picture = Qr::encode(code.text(), ecc)?.to_terminal();
                if screen.is_none() {
                    note(&status(&code, &credential));
                    out(code.text())?;
                }
                shown = Some((code, picture));
                next_at = now.plus(args.refresh);
            }
            if let (Some(screen), Some((code, picture))) = (screen.as_mut(), &shown) {
                let size = terminal_size::terminal_size().map(|(w, h)| (w.0, h.0));
                match screen_fit::check(screen_fit::needed(picture, 2), size) {
                    Ok(()) => screen.draw(&format!(
                        "{picture}\n{person}\n{} · next code in {} s · Ctrl-C to stop",
                        status(code, &credential),
                        next_at.as_secs().saturating_sub(now.as_secs())
                    ))?,
                    Err(why) => screen.draw(&why)?,
                }
            }
            wait_for_next_second(now, &stop);
        }
        Ok(())
    })();
    drop(screen);
    match result {
        Err(Failure::Error(e)) if e.reason().is_rejection() => {
            Err(refusal(RefusalLine::Medcode)(e))
        }
        other => other,
    }
}

/// Token id, validity and what the credential has left.
fn status(code: &medcode::IssuedToken, credential: &medcode::DeviceCredential) -> String {
    format!(
        "offline code {}, valid until {}; credential {} until {}",
        code.token_id(),
        clock_time(code.expires_at()),
        credential.id(),
        credential.not_after()
    )
}
