//! `medcode bench`: the output's shape (never its numbers: the machine is
//! shared and timing assertions would be noise), progress on stderr, and
//! usage errors.

mod support;
use support::run;

/// The value after a fixed-width label, e.g. `codes/s total      95123`.
fn field<'a>(stdout: &'a str, label: &str) -> &'a str {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{stdout}"));
    line[label.len()..].trim()
}

fn number(text: &str) -> f64 {
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a number: {text:?}"))
}

#[test]
fn one_second_prints_every_figure_and_progress() {
    for (alg, threads) in [("ed25519", "2"), ("p256", "1"), ("sm2", "1")] {
        let r = run(&[
            "bench",
            "--seconds",
            "1",
            "--threads",
            threads,
            "--alg",
            alg,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let labels = [
            "algorithm",
            "backend",
            "threads",
            "seconds",
            "codes verified",
            "codes/s total",
            "codes/s 1 thread",
            "latency p50",
            "latency p99",
            "verify (1 thread)",
            "bare signature",
            "verify / bare",
        ];
        assert_eq!(r.stdout.lines().count(), labels.len(), "{}", r.stdout);
        for (line, label) in r.stdout.lines().zip(labels) {
            assert!(
                line.starts_with(label),
                "{line:?} should start with {label:?}"
            );
        }
        assert_eq!(field(&r.stdout, "algorithm"), alg);
        let backend = field(&r.stdout, "backend");
        if alg == "p256" {
            assert_eq!(backend, "ring");
        } else if alg == "sm2" {
            assert_eq!(backend, "sm2 (RustCrypto)");
        } else {
            assert!(["ring", "curve25519-dalek"].contains(&backend), "{backend}");
        }
        assert!(field(&r.stdout, "threads").starts_with(&format!("{threads} (")));
        assert!(number(field(&r.stdout, "seconds")) >= 1.0);
        assert!(number(field(&r.stdout, "codes verified")) >= 1.0);
        for label in ["codes/s total", "codes/s 1 thread", "verify / bare"] {
            assert!(number(field(&r.stdout, label)) > 0.0, "{label}");
        }
        for label in [
            "latency p50",
            "latency p99",
            "verify (1 thread)",
            "bare signature",
        ] {
            let value = field(&r.stdout, label);
            assert!(value.ends_with(" µs"), "{label}: {value}");
            assert!(number(value) > 0.0, "{label}: {value}");
        }
        assert!(number(field(&r.stdout, "latency p99")) >= number(field(&r.stdout, "latency p50")));
        // Progress went to stderr while it ran.
        assert!(
            r.stderr.contains("medcode bench: issuing 4096 codes"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("codes verified"), "{}", r.stderr);
    }
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    for args in [
        &["bench", "--seconds", "0"][..],
        &["bench", "--seconds", "abc"],
        &["bench", "--threads", "0"],
        &["bench", "--alg", "rsa"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stdout.is_empty(), "{args:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("medcode: "), "{}", r.stderr);
    }
}
