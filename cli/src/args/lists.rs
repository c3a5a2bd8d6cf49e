//! The list options of `medcode verify`, `medcode till` and `medcode trust
//! status`: an unsigned trust list, or signed trust and revocation lists
//! checked against a pinned root key, with an optional state file that
//! refuses a rollback across runs. The rules (signed or not, size limits,
//! the state file's format) are the library's till setup,
//! `medcode::TillConfig`; this module only maps the flags to it.

use std::path::PathBuf;

use clap::Args;

use medcode::Error;
use medcode::ListKind;
use medcode::TillConfig;
use medcode::error::ListProblem;

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Trust list: unsigned JSON, or a signed list (then --root-key is required).
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// Pinned root public key (ROOT.pub) that signs the trust and revocation lists.
    #[arg(long, value_name = "ROOT.pub")]
    root_key: Option<PathBuf>,
    /// Revocation list: signed when --root-key is given, unsigned JSON otherwise.
    #[arg(long, value_name = "FILE")]
    revocations: Option<PathBuf>,
    /// Keeps the highest list sequence numbers seen, each with its list's digest; refuses an
    /// older list, or another list of a sequence seen, on later runs.
    #[arg(long, value_name = "FILE", requires = "root_key")]
    state: Option<PathBuf>,
}

impl ListArgs {
    /// `e` in the words of these flags: a signed list given without
    /// `--root-key` (the library's [`ListProblem::NoRootKey`]) names the
    /// flag that pins one.
    pub(crate) fn in_flags(&self, e: Error) -> Error {
        match e {
            Error::InvalidList {
                list,
                file,
                problem: ListProblem::NoRootKey,
                ..
            } if self.root_key.is_none() => {
                let kind = list.unwrap_or(ListKind::Trust);
                let name = file.map_or_else(
                    || format!("the {}", kind.describe()),
                    |path| path.display().to_string(),
                );
                let also = match kind {
                    ListKind::Trust => "",
                    ListKind::Revocation => ", with a signed trust list",
                };
                Error::InvalidArgument {
                    what: "list",
                    why: format!(
                        "{name} is a signed list: give --root-key ROOT.pub, the root public key that signed it{also}"
                    ),
                }
            }
            other => other,
        }
    }

    /// The till setup these flags describe (lists only).
    pub(crate) fn config(&self) -> TillConfig {
        let mut config = TillConfig::trust_file(&self.trust);
        if let Some(path) = &self.root_key {
            config = config.root_key_file(path);
        }
        if let Some(path) = &self.revocations {
            config = config.revocations_file(path);
        }
        if let Some(path) = &self.state {
            config = config.state_file(path);
        }
        config
    }
}
