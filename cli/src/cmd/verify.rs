//! `medcode verify`: check a token text.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;

use crate::args::AtArg;
use crate::args::VerifierArgs;
use crate::output::verdict;
use crate::output::{CmdResult, Failure, out};
use medcode::Error;
use medcode::limits::MAX_TEXT_LEN;
use medcode::verify::{ReplaySpec, TillContext};

#[derive(Args, Debug)]
#[command(after_help = VERIFY_REPLAY_HELP)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    verifier: VerifierArgs,
    /// Print one JSON object instead of words.
    #[arg(long)]
    json: bool,
    /// Read the code from a PNG or JPEG image (a photo or screenshot) instead.
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    image: Option<PathBuf>,
    #[command(flatten)]
    usage: crate::args::RecordArg,
    #[command(flatten)]
    at: AtArg,
    /// The token text, or - (the default) to read it from standard input.
    #[arg(value_name = "TOKEN")]
    token: Option<String>,
}

/// The replay default, at the end of `medcode verify --help`.
const VERIFY_REPLAY_HELP: &str = "\
One use per code: without --replay, every accepted code is recorded in the replay file \
$XDG_STATE_HOME/medcode/replay.store (~/.local/state/medcode/replay.store when XDG_STATE_HOME \
is not an absolute path), so verifying the same code again, in this or a later run, is \
refused as `replayed` (exit 1). --state-dir DIR, or STATE_DIRECTORY (set by systemd's \
StateDirectory=), puts it in DIR/replay.store instead. The folder is created with mode 0700 \
and the file with mode 0600 on first use. When no state directory is found (a HOME that \
does not exist counts as none), verify exits 2 and asks for --replay or --state-dir. --replay none turns the guard off and prints a \
warning on standard error: the same code is then accepted again until it expires.";

/// Reads one token from stdin: the whole input, without its final line
/// break. Reads at most a little more than the longest token.
fn read_stdin_token() -> Result<String, Error> {
    if std::io::stdin().is_terminal() {
        crate::output::note(
            "medcode: reading one code from standard input: paste or scan it, then Ctrl-D (or give it as an argument)",
        );
    }
    let mut buf = Vec::new();
    let limit = u64::try_from(MAX_TEXT_LEN * 2).unwrap_or(u64::MAX);
    std::io::stdin()
        .take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("standard input", "read", e))?;
    let text = String::from_utf8_lossy(&buf);
    // The library trims ASCII whitespace around the text; more than one
    // line here is more than one code.
    let token = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if token.is_empty() {
        return Err(Error::InvalidArgument {
            what: "token",
            why: "standard input is empty; give the token as an argument or pipe it in".into(),
        });
    }
    if token.contains(['\n', '\r']) {
        return Err(Error::InvalidArgument {
            what: "token",
            why: "standard input holds more than one line: verify checks one code; \
                  `medcode till` checks one code per line"
                .into(),
        });
    }
    Ok(token.to_owned())
}

pub(crate) fn run(args: &VerifyArgs) -> CmdResult {
    match check(args) {
        // With --json, an error (exit 2) is a JSON object on stdout too, so
        // that an integration parses one format; stderr has the message.
        Err(Failure::Error(e)) if args.json => {
            let object = serde_json::json!({
                "error": e.to_string(),
                "reason": e.reason().as_str(),
            });
            out(&object.to_string())?;
            Err(Failure::Error(e))
        }
        other => other,
    }
}

fn check(args: &VerifyArgs) -> CmdResult {
    let now = args.at.now()?;
    // Without --replay, one use per code across runs: the replay file in
    // the user's state directory.
    let verifier = args.verifier.build(now, || {
        Ok(ReplaySpec::File(crate::state_dir::default_replay_file(
            args.verifier.state_dir(),
        )?))
    })?;
    let recorder = args.usage.recorder()?;
    let verifier = crate::usage_store::observed(verifier, recorder.as_ref());
    let context = TillContext::new();
    let verdict = if let Some(path) = &args.image {
        // A missing or oversized file is a usage error (exit 2); an image
        // without one readable code is a refusal (`unreadable`, exit 1).
        let bytes = medcode::qr::read_image_file(path)?;
        match medcode::qr::decode_image(&bytes) {
            Ok(text) => verifier.check(&text, &context, now),
            Err(e) => verifier.refuse_unread(e, &context, now),
        }
    } else {
        let text = match args.token.as_deref() {
            None | Some("-") => read_stdin_token()?,
            Some(t) => t.to_owned(),
        };
        verifier.check(&text, &context, now)
    };
    if let Some(recorder) = &recorder {
        crate::usage_store::flush(recorder);
    }
    let result = verdict.into_result();
    if args.json {
        out(&verdict::to_json(&result).to_string())?;
    } else {
        for line in verdict::to_lines(&result) {
            out(&line)?;
        }
    }
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.reason().is_rejection() => Err(Failure::Refused),
        Err(e) => Err(Failure::Error(e)),
    }
}
