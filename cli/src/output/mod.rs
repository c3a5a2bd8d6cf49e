//! What the commands print and how they end: standard output lines (a
//! closed pipe is a quiet end), warnings and notes on standard error, the
//! one printer of refusals, the exit status, and the escaping and wording
//! shared by several commands.

pub(crate) mod escape;
pub(crate) mod screen;
pub(crate) mod screen_fit;
pub(crate) mod usage;
pub(crate) mod verdict;

use std::io::Write;
use std::process::ExitCode;

use medcode::Error;

/// How a command ended.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A presented code or a request was refused: exit 1.
    Refused,
    /// Usage, file or setup error: exit 2, message printed by [`exit_code`].
    Error(Error),
    /// The reader of our output went away: exit 0 quietly.
    ClosedPipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

pub(crate) type CmdResult = std::result::Result<(), Failure>;

/// A failed write to standard output: a closed pipe is a quiet end, any
/// other error an I/O error (exit 2).
pub(crate) fn write_failure(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::ClosedPipe
    } else {
        Failure::Error(Error::io("standard output", "write", e))
    }
}

/// Writes a line to stdout, treating a closed pipe as a quiet end.
pub(crate) fn out(line: &str) -> CmdResult {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    writeln!(lock, "{line}")
        .and_then(|()| lock.flush())
        .map_err(write_failure)
}

/// Writes a warning line to stderr.
pub(crate) fn warn(line: &str) {
    let _ = writeln!(std::io::stderr(), "medcode: warning: {line}");
}

/// Writes a line to standard error as it is (a status line, a QR code
/// drawn beside the token text on stdout).
pub(crate) fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Reports a loaded private key's file problem: the one-line note for a
/// published demo key (whatever its file mode), else the mode warning.
pub(crate) fn key_loaded(path: &std::path::Path, loaded: &medcode::keys::LoadedKey) {
    if let Some(name) = crate::demo_keys::published_demo_key(&loaded.key) {
        note(&crate::demo_keys::demo_key_note(path, name));
    } else if let Some(w) = &loaded.warning {
        warn(w);
    }
}

/// The line a refusal prints on standard error; each command keeps the
/// one its users and scripts know.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RefusalLine {
    /// `medcode: <reason>: <detail>`: the registry, family accounts,
    /// issuing and showing codes, the phone's codes.
    Medcode,
    /// `refused: <reason>: <detail>`: the wallet.
    Refused,
}

/// The one refusal printer: turns a library error into the command's
/// ending. A refusal by a rule (a rejection reason) prints its one line in
/// the command's form and exits 1; anything else is left for
/// [`exit_code`] (exit 2).
pub(crate) fn refusal(line: RefusalLine) -> impl Fn(Error) -> Failure {
    move |e: Error| {
        if !e.reason().is_rejection() {
            return Failure::Error(e);
        }
        let text = escape::shown(&e);
        // The reason as the till side names it, then what broke the rule.
        let reason = e.reason().as_str();
        let detail = text
            .strip_prefix(reason)
            .and_then(|t| t.strip_prefix(": "))
            .unwrap_or(&text);
        match line {
            RefusalLine::Medcode => note(&format!("medcode: {reason}: {detail}")),
            RefusalLine::Refused => note(&format!("refused: {reason}: {detail}")),
        }
        Failure::Refused
    }
}

/// The process exit status of a command's ending, its error printed as
/// one line on stderr: 0 success or a closed stdout, 1 refused, 2 error.
pub(crate) fn exit_code(result: CmdResult) -> ExitCode {
    match result {
        Ok(()) | Err(Failure::ClosedPipe) => ExitCode::SUCCESS,
        Err(Failure::Refused) => ExitCode::from(1),
        Err(Failure::Error(e)) => {
            note(&format!("medcode: error: {}", escape::shown(&e)));
            ExitCode::from(2)
        }
    }
}

/// Turns clap's rendered error into one line: its message and tips (a
/// similar argument, a similar subcommand) kept, its usage block dropped,
/// and a pointer at the help of the (sub)command given.
pub(crate) fn parse_error_line(rendered: &str, help: &str) -> String {
    let parts = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(|l| l.trim_start_matches("error: "));
    let mut text = String::new();
    for part in parts {
        if !text.is_empty() {
            text.push_str(if text.ends_with(':') { " " } else { "; " });
        }
        text.push_str(part);
    }
    if text.is_empty() {
        text.push_str("invalid arguments");
    }
    format!("medcode: {text} (see {help} --help)")
}
