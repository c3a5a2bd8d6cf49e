//! The service's log: one line per event on standard error, each written
//! in one `write`.

use std::io::Write;

/// Writes one line of the service's log to stderr in one `write` (stderr
/// is unbuffered: `writeln!` would make a system call per formatted piece,
/// a tenth of a loaded service's time, and let the lines of concurrent
/// requests interleave).
pub(crate) fn log_line(line: std::fmt::Arguments<'_>) {
    let mut buf = std::fmt::format(line);
    buf.push('\n');
    let _ = std::io::stderr().write_all(buf.as_bytes());
}

/// One `medcode: ...` line of the service's log.
pub(crate) fn log(line: &str) {
    log_line(format_args!("medcode: {line}"));
}
