//! `medcode till`: a long-running till. Reads one scanned token per line
//! from standard input (as a keyboard-style scanner types them) and prints
//! one verdict line per token, flushed at once; exits 0 at end of input.
//!
//! One verifier and one replay guard serve the whole run, so a code is
//! accepted once: in this process's memory by default, in a replay store file
//! with `--replay file:PATH`, or across every till sharing one Redis with
//! `--replay redis://HOST:PORT[/DB]`.

use std::io::{BufRead, IsTerminal, Read};

use clap::Args;

use crate::args::AtArg;
use crate::args::VerifierArgs;
use crate::output::verdict;
use crate::output::{CmdResult, out};
use medcode::Error;
use medcode::limits::MAX_TEXT_LEN;
use medcode::verify::{ReplaySpec, TillContext};

#[derive(Args, Debug)]
#[command(
    after_help = "One use per code: without --replay, this process's memory records accepted codes, so a code is accepted once per run (a restart forgets; use --replay file:PATH or redis://... to remember). --replay none turns the guard off and prints a warning on standard error."
)]
pub(crate) struct TillArgs {
    #[command(flatten)]
    verifier: VerifierArgs,
    /// Print one JSON object per line instead of words.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    usage: crate::args::RecordArg,
    #[command(flatten)]
    at: AtArg,
}

/// Longest line read; a longer one is refused as `malformed` without being
/// held in memory.
const MAX_LINE: usize = MAX_TEXT_LEN * 2;

pub(crate) fn run(args: &TillArgs) -> CmdResult {
    // Setup errors (bad --at, trust list, --replay) end the run before any
    // line is read.
    // Without --replay, this process's memory guards the run.
    let verifier = args
        .verifier
        .build(args.at.now()?, || Ok(ReplaySpec::Memory))?;
    // A till records nothing unless told where (`off` says so explicitly).
    let recorder = args.usage.recorder()?;
    let verifier = crate::usage_store::observed(verifier, recorder.as_ref());
    let result = serve_lines(args, &verifier);
    if let Some(recorder) = &recorder {
        crate::usage_store::flush(recorder);
    }
    result
}

fn serve_lines(args: &TillArgs, verifier: &medcode::Verifier) -> CmdResult {
    let context = TillContext::new();

    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        crate::output::note(
            "medcode: till ready: scan or paste one code per line, a verdict follows each; Ctrl-D ends",
        );
    }
    let mut input = stdin.lock().take(0);
    let mut line = Vec::new();
    loop {
        line.clear();
        input.set_limit(u64::try_from(MAX_LINE + 1).unwrap_or(u64::MAX));
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io("standard input", "read", e))?;
        if n == 0 {
            return Ok(());
        }
        let overlong = line.len() > MAX_LINE && line.last() != Some(&b'\n');
        if overlong {
            skip_rest_of_line(&mut input)?;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let now = args.at.now()?;
        let verdict = if overlong {
            verifier.refuse_unread(Error::Malformed("longer than any token"), &context, now)
        } else {
            verifier.check(text, &context, now)
        };
        let result = verdict.result();
        if args.json {
            out(&verdict::to_json(result).to_string())?;
        } else {
            out(&verdict::to_lines(result).join("; "))?;
        }
    }
}

/// Discards input up to and including the next line break.
fn skip_rest_of_line(input: &mut std::io::Take<std::io::StdinLock<'_>>) -> Result<(), Error> {
    let mut sink = Vec::new();
    loop {
        sink.clear();
        input.set_limit(64 * 1024);
        let n = input
            .read_until(b'\n', &mut sink)
            .map_err(|e| Error::io("standard input", "read", e))?;
        if n == 0 || sink.last() == Some(&b'\n') {
            return Ok(());
        }
    }
}
