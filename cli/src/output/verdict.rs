//! A verification result in plain words, one line per fact, as `medcode
//! verify` and `medcode till` print it. Everything taken from the token or
//! a list (names, identifiers, notices, the refusal's detail) is escaped
//! ([`crate::output::escape`]): no control or format character reaches the till's
//! terminal raw.

use medcode::{Error, Status, VerifiedToken};

use crate::output::escape::shown;

/// Plain words for a verification result, one line per fact; the first line
/// starts with `accepted:` or `rejected (<reason>):`.
pub fn to_lines(result: &Result<VerifiedToken, Error>) -> Vec<String> {
    match result {
        Err(e) => vec![format!("rejected ({}): {}", e.reason(), shown(e))],
        Ok(t) => {
            let name = t
                .name()
                .map(|n| format!(" ({})", shown(n)))
                .unwrap_or_default();
            let mut lines = vec![format!(
                "accepted: insured {}{name}, region {}, {} scheme, status {}; valid until {} (key {}, token {})",
                shown(t.insured()),
                t.region(),
                t.scheme(),
                t.status(),
                t.expires_at(),
                t.key_id(),
                t.token_id()
            )];
            if t.status() == Status::Lapsed {
                lines.push(
                    "insurance lapsed (断缴): the code is valid, but the person receives no insurance benefits for the lapsed period".to_owned(),
                );
            }
            if let Some(p) = t.presenter() {
                lines.push(format!(
                    "shown by {} ({}) on behalf of the insured; personal-account mutual aid: {}",
                    shown(&p.insured),
                    p.relation,
                    if p.mutual_aid { "filed" } else { "not filed" }
                ));
            }
            if let Some(d) = t.device() {
                lines.push(format!(
                    "made offline on the phone: credential {}, code {} of {}, credential valid until {}",
                    d.credential_id,
                    u32::from(d.counter) + 1,
                    d.quota,
                    d.credential_expires_at
                ));
            }
            for n in t.notices() {
                lines.push(format!("note: {}", shown(n)));
            }
            lines
        }
    }
}

pub(crate) use medcode::verify::to_json;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_line_escapes_invisible_characters() {
        let e = Error::InvalidArgument {
            what: "token",
            why: "\u{202e}*\u{1b}[2J".to_owned(),
        };
        let lines = to_lines(&Err(e));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("\\u{202e}*\\u{1b}[2J"), "{}", lines[0]);
        assert!(!lines[0].contains('\u{202e}') && !lines[0].contains('\u{1b}'));
    }
}
