//! `medcode till`: a long-running till. Reads one scanned token per line
//! from standard input (as a keyboard-style scanner types them) and prints
//! one verdict line per token, flushed at once; exits 0 at end of input.
//!
//! One verifier and one replay guard serve the whole run, so a code is
//! accepted once: in this process's memory by default, in an SQLite file
//! with `--replay file:PATH`, or across every till sharing one Redis with
//! `--replay redis://HOST:PORT[/DB]`.

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::replay_arg::ReplayArgs;
use super::{AtArg, CmdResult, out};
use crate::claims::Region;
use crate::error::Error;
use crate::replay::MemoryReplayGuard;
use crate::text::MAX_TEXT_LEN;
use crate::trust::TrustList;
use crate::verdict;
use crate::verifier::Verifier;

#[derive(Args, Debug)]
pub(crate) struct TillArgs {
    /// Trust list file (JSON).
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// Clock leeway in seconds, applied to issued-at and expiry.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::verifier::DEFAULT_LEEWAY_SECS, value_parser = clap::value_parser!(u32).range(0..=3600))]
    leeway: u32,
    /// Print one JSON object per line instead of words.
    #[arg(long)]
    json: bool,
    /// This till's region (6 digits); enables the holder's cross-province switch.
    #[arg(long, value_name = "CODE")]
    till_region: Option<String>,
    #[command(flatten)]
    replay: ReplayArgs,
    #[command(flatten)]
    at: AtArg,
}

/// Longest line read; a longer one is refused as `malformed` without being
/// held in memory.
const MAX_LINE: usize = MAX_TEXT_LEN * 2;

pub(crate) fn run(args: &TillArgs) -> CmdResult {
    // Setup errors (bad --at, trust list, --replay) end the run before any
    // line is read.
    args.at.now()?;
    let trust = TrustList::from_file(&args.trust)?;
    let mut verifier = Verifier::new(trust).with_leeway(args.leeway);
    if let Some(code) = &args.till_region {
        verifier =
            verifier.with_till_region(Region::new(code).map_err(|e| Error::InvalidArgument {
                what: "--till-region",
                why: e.to_string(),
            })?);
    }
    let guard = match args.replay.guard()? {
        Some(guard) => guard,
        None => Arc::new(MemoryReplayGuard::new()),
    };
    let verifier = verifier.with_replay_guard(guard);

    let stdin = std::io::stdin();
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
        let result = if overlong {
            Err(Error::Malformed("longer than any token"))
        } else {
            verifier.verify(text, args.at.now()?)
        };
        if args.json {
            out(&verdict::to_json(&result).to_string())?;
        } else {
            out(&verdict::to_lines(&result).join("; "))?;
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
