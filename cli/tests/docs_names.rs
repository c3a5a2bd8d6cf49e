//! The names README.md and docs/*.md give exist: each reason code, each
//! metric and each command-line flag. How a name is recognised:
//!
//! - **Reasons**: a `reason="NAME"` label selector; a backticked name in
//!   a table column headed `reason` or `String`; a backticked name in the
//!   other cells of a table row whose first cell is a metric with a
//!   `reason` label (`...{reason}`, the alert table); and a backticked name
//!   right after `refused`, `refuses`, `rejected` or `reason` (optionally
//!   followed by `as` or `with`), such as "refused as `replayed`". NAME is
//!   lowercase letters, digits and `_`, starting with a letter. It must be
//!   a string of `medcode::Reason::ALL`,
//!   `medcode::error::RegistryRefusal::ALL` or
//!   `medcode::error::WalletRefusal::ALL`, or `accepted` (the
//!   `medcode_verdicts_total` label of an accepted code).
//! - **Metrics**: every `medcode_[a-z0-9_]+` that is not a name declared in
//!   include/medcode.h (the C ABI's functions and macros, or the start of
//!   one, as in `medcode_verifier_update_*`) nor in [`NOT_METRICS`]. It
//!   must be a metric family of a started `medcode serve`'s `/metrics`,
//!   or such a family with the sample suffix `_total`, `_sum`, `_count`
//!   or `_bucket`.
//! - **Flags**: every `--name` (lowercase letters, digits, `-`) in prose,
//!   in an inline code span that is a flag or starts with `medcode`, and in
//!   the `medcode` commands of `sh` and unlabelled code blocks (a command
//!   is a pipeline segment; after `cargo run ... --`, the rest is
//!   medcode's). Inline spans and commands of other programs (`cargo
//!   test -p x --test y`, `curl --cacert`) are theirs and not checked;
//!   `c`, `python`, `rust` and `text` blocks are not read. Each flag must
//!   be in the `--help` of `medcode` or one of its subcommands (all of
//!   them, walked), or in [`OTHER_FLAGS`].

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;

use support::service::{Service, args, get, post_json};
use support::{root, run};

/// `medcode_` names that are neither metrics nor C ABI names: the Rust
/// crates' names as written in code (`medcode_platform::wallet`).
const NOT_METRICS: [&str; 2] = ["medcode_capi", "medcode_platform"];

/// Reason strings that are not `medcode::Reason`s, with the reason: the
/// C ABI's own codes (`MedcodeReason` in capi/src), listed in
/// docs/EMBEDDING.md's table of `medcode_reason_str`.
const C_ABI_REASONS: [&str; 2] = [
    "ok",       // 0: success
    "internal", // 1000: a bug caught at the boundary
];

/// Flags of other programs named in prose, where no command shows whose
/// they are: each with the reason.
const OTHER_FLAGS: [(&str, &str); 1] = [(
    "--features",
    "cargo's: docs/PERFORMANCE.md names the build `--features peers` alone",
)];

/// The pages read.
fn pages() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root().join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// A page split into its prose lines and its code blocks (language, lines).
struct Page {
    prose: Vec<(usize, String)>,
    blocks: Vec<(String, Vec<(usize, String)>)>,
}

impl Page {
    /// The prose in paragraphs (runs of lines that are neither blank nor
    /// table rows), each with its first line's number: a code span may go
    /// on over a line break.
    fn paragraphs(&self) -> Vec<(usize, String)> {
        let mut out: Vec<(usize, String)> = Vec::new();
        // The line the open paragraph ended on, if one is open.
        let mut open: Option<usize> = None;
        for (n, line) in &self.prose {
            let t = line.trim();
            if t.is_empty() || t.starts_with('|') {
                open = None;
                if t.starts_with('|') {
                    // A table row is a paragraph of its own.
                    out.push((*n, line.clone()));
                }
                continue;
            }
            match (open, out.last_mut()) {
                (Some(last), Some((_, text))) if *n == last + 1 => {
                    text.push('\n');
                    text.push_str(line);
                }
                _ => out.push((*n, line.clone())),
            }
            open = Some(*n);
        }
        out
    }
}

/// The line of byte `at` of a paragraph that starts on line `first`.
fn line_at(first: usize, text: &str, at: usize) -> usize {
    first + text[..at].matches('\n').count()
}

fn split(text: &str) -> Page {
    let mut page = Page {
        prose: Vec::new(),
        blocks: Vec::new(),
    };
    let mut block: Option<(String, Vec<(usize, String)>)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let fence = line.trim_start().strip_prefix("```");
        match (&mut block, fence) {
            (None, Some(lang)) => block = Some((lang.trim().to_owned(), Vec::new())),
            (Some(_), Some(_)) => page.blocks.push(block.take().unwrap()),
            (Some((_, lines)), None) => lines.push((n, line.to_owned())),
            (None, None) => page.prose.push((n, line.to_owned())),
        }
    }
    page
}

/// The backticked spans of a line.
fn spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Every reason string the library knows, and `accepted`.
fn known_reasons() -> BTreeSet<String> {
    let mut known: BTreeSet<String> = medcode::Reason::ALL
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    known.extend(
        medcode::error::RegistryRefusal::ALL
            .iter()
            .map(|r| r.as_str().to_owned()),
    );
    known.extend(
        medcode::error::WalletRefusal::ALL
            .iter()
            .map(|r| r.as_str().to_owned()),
    );
    known.insert("accepted".to_owned());
    known.extend(C_ABI_REASONS.iter().map(|r| (*r).to_owned()));
    known
}

/// The cells of a table row, without the outer pipes.
fn cells(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    let inner = t.strip_prefix('|')?.strip_suffix('|')?;
    // `\|` inside a cell is not a separator.
    Some(
        inner
            .replace("\\|", "\u{0}")
            .split('|')
            .map(|c| c.replace('\u{0}', "|").trim().to_owned())
            .collect(),
    )
}

/// The reason names of one page by the rules above: (line, name).
fn reason_names(page: &Page) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    // reason="NAME", in prose and code alike.
    let all_lines = page
        .prose
        .iter()
        .chain(page.blocks.iter().flat_map(|(_, l)| l.iter()));
    for (n, line) in all_lines {
        for part in line.split("reason=\"").skip(1) {
            let name = part.split('"').next().unwrap();
            found.push((*n, name.to_owned()));
        }
    }
    // Tables: a column headed reason/String; a row of a {reason} metric.
    let mut column: Option<usize> = None;
    for (i, (n, line)) in page.prose.iter().enumerate() {
        let Some(row) = cells(line) else {
            column = None;
            continue;
        };
        let next_is_rule = page
            .prose
            .get(i + 1)
            .and_then(|(_, l)| cells(l))
            .is_some_and(|c| {
                c.iter()
                    .all(|c| !c.is_empty() && c.trim_matches(['-', ':']).is_empty())
            });
        if next_is_rule {
            column = row
                .iter()
                .position(|c| c.eq_ignore_ascii_case("reason") || c.eq_ignore_ascii_case("string"));
            continue;
        }
        if let Some(col) = column
            && let Some(cell) = row.get(col)
        {
            for s in spans(cell) {
                if is_name(s) {
                    found.push((*n, s.to_owned()));
                }
            }
        }
        if row[0].starts_with("`medcode_") && row[0].contains("{reason}") {
            for cell in &row[1..] {
                for s in spans(cell) {
                    if is_name(s) {
                        found.push((*n, s.to_owned()));
                    }
                }
            }
        }
    }
    // Prose: "refused as `NAME`" and the like, also over a line break.
    for (n, text) in page.paragraphs() {
        let line = text.replace('\n', " ");
        for word in ["refused", "refuses", "rejected", "reason"] {
            for (at, _) in line.match_indices(word) {
                let part = &line[at + word.len()..];
                let n = line_at(n, &text, at);
                let rest = part
                    .strip_prefix(" as ")
                    .or_else(|| part.strip_prefix(" with "))
                    .or_else(|| part.strip_prefix(' '));
                let Some(rest) = rest.and_then(|r| r.strip_prefix('`')) else {
                    continue;
                };
                let name = rest.split('`').next().unwrap();
                if is_name(name) {
                    found.push((n, name.to_owned()));
                }
            }
        }
    }
    found
}

#[test]
fn every_reason_named_in_the_docs_exists() {
    let known = known_reasons();
    let mut wrong = Vec::new();
    let mut seen = 0;
    for (name, text) in pages() {
        for (n, reason) in reason_names(&split(&text)) {
            seen += 1;
            if !known.contains(&reason) {
                wrong.push(format!("{name}:{n}: `{reason}` is no reason code"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The rules find the names they are meant to find.
    assert!(seen > 40, "only {seen} reason names recognised");
}

/// The names include/medcode.h declares (functions, macros, types).
fn header_names() -> BTreeSet<String> {
    let header = std::fs::read_to_string(root().join("include/medcode.h")).unwrap();
    let mut names = BTreeSet::new();
    for part in header.split("medcode_").skip(1) {
        let tail: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        names.insert(format!("medcode_{tail}"));
    }
    names
}

/// The metric families of a `/metrics` text, each with its sample names.
fn families(text: &str) -> BTreeSet<String> {
    let mut served = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let family = rest.split(' ').next().unwrap();
            for suffix in ["", "_total", "_sum", "_count", "_bucket"] {
                served.insert(format!("{family}{suffix}"));
            }
        }
    }
    served
}

/// Every `medcode_...` name in the pages: (page, line, name).
fn medcode_names() -> Vec<(String, usize, String)> {
    let mut found = Vec::new();
    for (page, text) in pages() {
        for (i, line) in text.lines().enumerate() {
            for part in line.split("medcode_").skip(1) {
                let tail: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                found.push((page.clone(), i + 1, format!("medcode_{tail}")));
            }
        }
    }
    found
}

#[test]
fn every_metric_named_in_the_docs_is_served() {
    // Signed lists, so that the list metrics exist; a family with labels
    // is listed once it has a sample: a verdict, a request, a reload.
    let svc = Service::start(&args(&[
        "--trust",
        "keys/trust.signed.json",
        "--root-key",
        "keys/demo-root.pub",
        "--listen",
        "127.0.0.1:0",
        "--usage-db",
        "off",
    ]));
    let (status, _) = post_json(&svc, "/v1/verify", &json!({"code": "MC1"}));
    assert_eq!(status, 200);
    svc.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(30);
    let served = loop {
        let (status, text) = get(&svc, "/metrics");
        assert_eq!(status, 200, "{text}");
        let served = families(&text);
        if served.contains("medcode_list_reloads_total") {
            break served;
        }
        assert!(Instant::now() < deadline, "no reload counted:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    for name in [
        "medcode_verdicts_total",
        "medcode_http_requests_total",
        "medcode_list_seconds_until_stale",
    ] {
        assert!(served.contains(name), "{name} not in {served:?}");
    }
    let header = header_names();
    let mut wrong = Vec::new();
    let mut metrics = 0;
    for (page, n, name) in medcode_names() {
        let c_abi = header.iter().any(|h| h.starts_with(&name));
        if c_abi || NOT_METRICS.contains(&name.as_str()) {
            continue;
        }
        metrics += 1;
        if !served.contains(&name) {
            wrong.push(format!("{page}:{n}: `{name}` is not in /metrics"));
        }
    }
    assert_eq!(svc.stop(), 0);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(metrics > 10, "only {metrics} metric names recognised");
}

/// Every flag of `medcode` and of each of its subcommands, from `--help`.
fn cli_flags() -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let mut argv: Vec<&str> = path.iter().map(String::as_str).collect();
        argv.push("--help");
        let r = run(&argv);
        assert_eq!(r.code, 0, "{argv:?}: {}", r.stderr);
        flags.extend(flags_in(&r.stdout));
        let mut in_commands = false;
        for line in r.stdout.lines() {
            if line == "Commands:" {
                in_commands = true;
                continue;
            }
            if in_commands {
                let Some(name) = line
                    .strip_prefix("  ")
                    .and_then(|l| l.split_whitespace().next())
                else {
                    break;
                };
                if name != "help" {
                    let mut sub = path.clone();
                    sub.push(name.to_owned());
                    todo.push(sub);
                }
            }
        }
    }
    flags
}

/// The `--flags` in a text.
fn flags_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("--") {
        let start = i + at;
        let before = start.checked_sub(1).map(|b| bytes[b]);
        let name: String = text[start + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        i = start + 2 + name.len();
        // `--x` at a word start, its name starting with a letter.
        let at_word_start = before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'-'));
        if at_word_start && name.starts_with(|c: char| c.is_ascii_lowercase()) {
            found.push(format!("--{}", name.trim_end_matches('-')));
        }
    }
    found
}

/// The first word of a command segment, past `VAR=value` and `sudo`.
fn program(segment: &str) -> Option<&str> {
    segment.split_whitespace().find(|w| {
        let assignment = w.contains('=') && !w.starts_with('-');
        !assignment && !matches!(*w, "sudo" | "exec")
    })
}

/// The part of a command segment that is medcode's, if any.
fn medcode_part(segment: &str) -> Option<&str> {
    let prog = program(segment)?;
    let name = prog.rsplit('/').next().unwrap();
    if name == "medcode" {
        return Some(segment);
    }
    if name == "cargo" && segment.contains(" run ") {
        return segment.split_once(" -- ").map(|(_, rest)| rest);
    }
    None
}

/// The flags a page names as medcode's: (line, flag).
fn doc_flags(page: &Page) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (first, text) in page.paragraphs() {
        let mut at = 0;
        for (i, part) in text.split('`').enumerate() {
            let n = line_at(first, &text, at);
            at += part.len() + 1;
            let flags = if i % 2 == 0 {
                // Outside code spans.
                flags_in(part)
            } else if part.trim_start().starts_with("--") {
                flags_in(part)
            } else if let Some(tail) = medcode_part(&part.replace('\n', " ")) {
                flags_in(tail)
            } else {
                Vec::new()
            };
            found.extend(flags.into_iter().map(|f| (n, f)));
        }
    }
    for (lang, lines) in &page.blocks {
        if !(lang == "sh" || lang.is_empty()) {
            continue;
        }
        // Continuation lines joined, comments dropped.
        let mut command = String::new();
        let mut first = 0;
        for (n, line) in lines {
            if command.is_empty() {
                first = *n;
            }
            let code = line.split(" #").next().unwrap();
            if code.trim_start().starts_with('#') {
                continue;
            }
            if let Some(head) = code.trim_end().strip_suffix('\\') {
                command.push_str(head);
                command.push(' ');
                continue;
            }
            command.push_str(code);
            for segment in command
                .split(['|', ';', '(', ')'])
                .flat_map(|s| s.split("&&"))
            {
                if let Some(tail) = medcode_part(segment) {
                    found.extend(flags_in(tail).into_iter().map(|f| (first, f)));
                }
            }
            command.clear();
        }
    }
    found
}

#[test]
fn every_flag_named_in_the_docs_is_accepted() {
    let known = cli_flags();
    assert!(known.contains("--replay-unavailable"), "{known:?}");
    let mut wrong = Vec::new();
    let mut seen = 0;
    for (name, text) in pages() {
        for (n, flag) in doc_flags(&split(&text)) {
            seen += 1;
            let other = OTHER_FLAGS.iter().any(|(f, _)| *f == flag);
            if !known.contains(&flag) && !other {
                wrong.push(format!("{name}:{n}: {flag} is no flag of medcode"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(seen > 100, "only {seen} flags recognised");
}
