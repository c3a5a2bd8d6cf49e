//! The flags that say whose code to sign and with which key, shared by
//! `medcode issue` and `medcode show`.

use std::path::PathBuf;

use clap::Args;

use crate::args::insured_arg;
use crate::args::key_path;
use crate::output::key_loaded;
use medcode::Claims;
use medcode::Error;
use medcode::InsuredId;
use medcode::Issuer;
use medcode::MaskedName;
use medcode::Region;
use medcode::Scheme;
use medcode::Status;
use medcode::keys::{PermissionPolicy, read_private_key};
use medcode::limits::DEFAULT_MAX_VALIDITY_SECS;
use medcode_platform::registry::Registry;

/// The issuer's key.
#[derive(Args, Debug)]
pub(crate) struct SignerArgs {
    /// Folder holding KID.pk8.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Name of the key to sign with (DIR/KID.pk8).
    #[arg(long, value_name = "KID")]
    kid: String,
    /// Refuse a key file that others can read (instead of warning).
    #[arg(long)]
    strict: bool,
    /// The longest validity (--ttl) signed, in seconds (1-65535): the maximum
    /// your tills accept. Tills refuse codes above their own maximum
    /// (validity_too_long; 300 s unless raised there), so raise this only
    /// together with theirs.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_MAX_VALIDITY_SECS, value_parser = clap::value_parser!(u32).range(1..=65535))]
    max_validity: u32,
}

impl SignerArgs {
    /// Loads the key (warning about loose file modes, or refusing them with
    /// --strict) and makes an issuer of codes valid for `ttl` seconds.
    /// A `ttl` above `--max-validity` is a usage error, before the key is read.
    pub(crate) fn issuer(&self, ttl: u16) -> Result<Issuer, Error> {
        if u32::from(ttl) > self.max_validity {
            let max = self.max_validity;
            let why = if max == DEFAULT_MAX_VALIDITY_SECS {
                format!(
                    "{ttl} s is above {max} s, the longest validity tills accept by default (every till would refuse the code as validity_too_long); use at most {max}, or --max-validity SECONDS if your tills accept longer codes"
                )
            } else {
                format!(
                    "{ttl} s is above --max-validity {max} s (tills with that maximum would refuse the code as validity_too_long); use at most {max}"
                )
            };
            return Err(Error::InvalidArgument { what: "--ttl", why });
        }
        let policy = if self.strict {
            PermissionPolicy::Refuse
        } else {
            PermissionPolicy::Warn
        };
        let path = key_path(&self.dir, &self.kid)?;
        let loaded = read_private_key(&path, policy)?;
        key_loaded(&path, &loaded);
        Ok(Issuer::new(loaded.key)
            .with_validity(ttl)
            .with_max_validity(self.max_validity))
    }
}

/// Whose code: the claims given as flags, or looked up in the registry.
#[derive(Args, Debug)]
pub(crate) struct ClaimsArgs {
    /// The insured person's platform identifier (1-20 of 0-9, A-Z).
    #[arg(long, value_name = "ID")]
    insured: String,
    /// Region of enrolment, a 6-digit administrative division code (not with --db).
    #[arg(
        long,
        value_name = "CODE",
        required_unless_present = "db",
        conflicts_with = "db"
    )]
    region: Option<String>,
    /// Masked display name, e.g. "张*" (not with --db).
    #[arg(long, value_name = "MASKED", conflicts_with = "db")]
    name: Option<String>,
    /// Insurance status [default: normal] (not with --db).
    #[arg(long, value_parser = ["normal", "lapsed"], conflicts_with = "db")]
    status: Option<String>,
    /// Insurance scheme [default: employee] (not with --db).
    #[arg(long, value_parser = ["employee", "resident"], conflicts_with = "db")]
    scheme: Option<String>,
    /// Take region, status, scheme, masked name and the cross-province switch
    /// from this family-account registry; unknown or unactivated persons are refused.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Issue a delegate code: this bound owner shows the --insured member's code.
    #[arg(long, value_name = "OWNER", requires = "db")]
    presenter: Option<String>,
}

impl ClaimsArgs {
    /// True when the claims come from a registry (and may change over time).
    pub(crate) fn uses_registry(&self) -> bool {
        self.db.is_some()
    }

    /// The claims from the flags, or from the registry with `--db` (read
    /// anew on every call: an unbinding stops the next delegate code).
    /// Registry refusals come back unprinted: pass them through
    /// [`refusal`](crate::output::refusal) to end with exit 1.
    pub(crate) fn claims(&self) -> Result<Claims, Error> {
        let insured = InsuredId::new(&self.insured)?;
        if let Some(db) = &self.db {
            let registry = Registry::open_existing(db)?;
            let claims = match &self.presenter {
                Some(owner) => {
                    registry.delegate_claims(&insured_arg(owner, "--presenter")?, &insured)
                }
                None => registry.self_claims(&insured),
            };
            return claims;
        }
        if self.presenter.is_some() {
            return Err(Error::InvalidArgument {
                what: "--presenter",
                why: "a delegate code comes from the family-account registry: give --db FILE"
                    .into(),
            });
        }
        let region = self
            .region
            .as_deref()
            .ok_or_else(|| Error::InvalidArgument {
                what: "--region",
                why: "required unless --db gives the registry".into(),
            })?;
        let mut claims = Claims::new(insured, Region::new(region)?);
        claims.name = self.name.as_deref().map(MaskedName::new).transpose()?;
        claims.status = self
            .status
            .as_deref()
            .unwrap_or("normal")
            .parse::<Status>()?;
        claims.scheme = self
            .scheme
            .as_deref()
            .unwrap_or("employee")
            .parse::<Scheme>()?;
        Ok(claims)
    }
}
