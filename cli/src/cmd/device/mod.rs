//! `medcode device`: codes made offline on the phone.
//!
//! - `keygen`: the phone's key pair, `DIR/device.pk8` (0600) and
//!   `DIR/device.pub` (one line: algorithm and the public key in hex);
//! - `enroll`: the issuer certifies a device public key, writing the
//!   credential file (its bytes, issuer signature included);
//! - `code`: one code's text, from the next counter of the state file
//!   beside the credential (`CRED.counter`), reserved before the code is
//!   made, so a counter is never shown twice, even across crashes;
//! - `show`: the holder's refreshing screen, offline, as `medcode show`.

mod counter;
mod show;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::args::ClaimsArgs;
use crate::args::{AtArg, key_path};
use crate::output::{CmdResult, RefusalLine, key_loaded, out, refusal};
use medcode::DeviceEnrolment;
use medcode::Error;
use medcode::Issuer;
use medcode::files::read_bounded;
use medcode::keys::{
    Algorithm, PermissionPolicy, PublicKey, SigningKey, read_private_key, write_private_key,
};
use medcode::limits::MAX_CREDENTIAL_LEN;
use medcode::{DeviceCredential, DeviceHolder};

#[derive(Args, Debug)]
pub(crate) struct DeviceArgs {
    #[command(subcommand)]
    command: DeviceCommand,
}

#[derive(Subcommand, Debug)]
enum DeviceCommand {
    /// The phone's key pair: DIR/device.pk8 (mode 0600) and DIR/device.pub.
    Keygen(KeygenArgs),
    /// The issuer certifies a device key: writes the credential file.
    #[command(
        override_usage = "medcode device enroll [OPTIONS] --dir <DIR> --kid <KID> --device-key <FILE.pub> --insured <ID> <--region <CODE>|--db <FILE>> --out <CRED>"
    )]
    Enroll(Box<EnrollArgs>),
    /// Print one code made offline, taking the next counter (CRED.counter beside the credential).
    Code(CodeArgs),
    /// The holder's refreshing screen, offline, until Ctrl-C (as `medcode show`).
    Show(show::ShowArgs),
}

pub(crate) fn run(args: &DeviceArgs) -> CmdResult {
    match &args.command {
        DeviceCommand::Keygen(a) => keygen(a),
        DeviceCommand::Enroll(a) => enroll(a),
        DeviceCommand::Code(a) => code(a),
        DeviceCommand::Show(a) => show::run(a),
    }
}

#[derive(Args, Debug)]
struct KeygenArgs {
    /// Folder for device.pk8 and device.pub (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Key algorithm: p256 is what phones' secure hardware (Secure Enclave, StrongBox) holds.
    #[arg(long, value_name = "ALG", default_value = "ed25519", value_parser = ["ed25519", "p256"])]
    alg: String,
}

/// The public key file's first word, then the key in hex.
fn public_key_line(key: &PublicKey) -> String {
    format!("{} {}\n", key.algorithm(), hex::encode(key.as_bytes()))
}

fn keygen(args: &KeygenArgs) -> CmdResult {
    let alg: Algorithm = args.alg.parse()?;
    if args.out.exists() && !args.out.is_dir() {
        return Err(Error::InvalidArgument {
            what: "--out",
            why: format!("{} is not a folder", args.out.display()),
        }
        .into());
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, "create folder", e))?;
    let key_file = args.out.join("device.pk8");
    let pub_file = args.out.join("device.pub");
    if pub_file.exists() {
        return Err(Error::InvalidArgument {
            what: "--out",
            why: format!(
                "{} exists; refusing to overwrite a device key",
                pub_file.display()
            ),
        }
        .into());
    }
    let key = SigningKey::generate(alg)?;
    write_private_key(&key_file, &key)?;
    medcode::files::write_replace(&pub_file, public_key_line(key.public_key()).as_bytes())?;
    out(&format!(
        "device key {} ({alg}): private key {} (mode 0600, never leaves the phone), public key {}",
        key.key_id(),
        key_file.display(),
        pub_file.display()
    ))
}

/// Reads a device public key file as `medcode device keygen` writes it.
fn read_public_key(path: &Path) -> Result<PublicKey, Error> {
    let bytes = read_bounded(path, 1024, "--device-key")?;
    let bad = |why: &str| Error::InvalidKey {
        why: format!("{} is not a device public key file: {why}", path.display()),
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8 text"))?;
    if text.contains("PRIVATE") || bytes.first() == Some(&0x30) {
        return Err(bad("it looks like a private key; give the .pub file"));
    }
    let mut words = text.split_whitespace();
    let (Some(alg), Some(hex_key), None) = (words.next(), words.next(), words.next()) else {
        return Err(bad(
            "expected one line: the algorithm and the public key in hex",
        ));
    };
    let alg: Algorithm = alg.parse().map_err(|_| bad("unknown algorithm"))?;
    if alg == Algorithm::Sm2 {
        return Err(bad("a device key is ed25519 or p256"));
    }
    let raw = hex::decode(hex_key).map_err(|_| bad("the key is not hex"))?;
    PublicKey::from_bytes(alg, &raw).map_err(|e| bad(&e.to_string()))
}

#[derive(Args, Debug)]
struct EnrollArgs {
    /// Folder holding the issuer's KID.pk8.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Name of the issuer key to certify with (DIR/KID.pk8).
    #[arg(long, value_name = "KID")]
    kid: String,
    /// The phone's public key file (device.pub from `medcode device keygen`).
    #[arg(long, value_name = "FILE.pub")]
    device_key: PathBuf,
    #[command(flatten)]
    who: ClaimsArgs,
    /// Hours the credential lasts, from --at (or now); tills accept at most 168 (7 days).
    #[arg(long, value_name = "H", default_value_t = 24, value_parser = clap::value_parser!(u16).range(1..=168))]
    valid_hours: u16,
    /// Codes the phone may make offline with this credential.
    #[arg(long, value_name = "N", default_value_t = medcode::limits::DEFAULT_QUOTA, value_parser = clap::value_parser!(u16).range(1..))]
    quota: u16,
    /// The longest validity of a code the phone makes, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = medcode::limits::DEFAULT_DEVICE_VALIDITY_SECS, value_parser = clap::value_parser!(u8).range(1..))]
    code_validity: u8,
    /// The credential file to write (refused if it exists).
    #[arg(long, value_name = "CRED")]
    out: PathBuf,
    #[command(flatten)]
    at: AtArg,
}

fn enroll(args: &EnrollArgs) -> CmdResult {
    let device_key = read_public_key(&args.device_key)?;
    let claims = args.who.claims().map_err(refusal(RefusalLine::Medcode))?;
    let now = args.at.now()?;
    if args.out.exists() {
        return Err(Error::InvalidArgument {
            what: "--out",
            why: format!(
                "{} exists; refusing to overwrite a credential (its counter state is beside it)",
                args.out.display()
            ),
        }
        .into());
    }
    let path = key_path(&args.dir, &args.kid)?;
    let loaded = read_private_key(&path, PermissionPolicy::Warn)?;
    key_loaded(&path, &loaded);
    let issuer = Issuer::new(loaded.key);
    let enrolment = DeviceEnrolment::new(claims, device_key)
        .with_lifetime_secs(u64::from(args.valid_hours) * 3600)
        .with_quota(args.quota)
        .with_max_code_validity(args.code_validity);
    let credential = issuer.enrol_device(&enrolment, now)?;
    medcode::files::write_replace(&args.out, credential.as_bytes())?;
    out(&format!(
        "credential {}: valid {} to {}, {} codes of at most {} s, written to {}",
        credential.id(),
        credential.not_before(),
        credential.not_after(),
        credential.quota(),
        credential.max_code_validity(),
        args.out.display()
    ))
}

/// The phone's key and credential flags of `code` and `show`.
#[derive(Args, Debug)]
pub(crate) struct PhoneArgs {
    /// The device's private key (device.pk8).
    #[arg(long, value_name = "FILE.pk8")]
    key: PathBuf,
    /// The credential file from `medcode device enroll`.
    #[arg(long, value_name = "CRED")]
    credential: PathBuf,
}

impl PhoneArgs {
    /// The phone: its key and credential, checked to belong together.
    pub(crate) fn load(&self) -> Result<DeviceHolder, Error> {
        let bytes = read_bounded(
            &self.credential,
            u64::try_from(MAX_CREDENTIAL_LEN).unwrap_or(u64::MAX),
            "--credential",
        )?;
        let credential =
            DeviceCredential::from_bytes(&bytes).map_err(|e| Error::InvalidArgument {
                what: "--credential",
                why: format!(
                    "{} is not a device credential ({e})",
                    self.credential.display()
                ),
            })?;
        let loaded = read_private_key(&self.key, PermissionPolicy::Warn)?;
        key_loaded(&self.key, &loaded);
        if loaded.key.public_key() != credential.device_key() {
            return Err(Error::InvalidKey {
                why: format!(
                    "{} is not the device key that {} certifies",
                    self.key.display(),
                    self.credential.display()
                ),
            });
        }
        DeviceHolder::new(loaded.key, credential, 0)
    }
}

#[derive(Args, Debug)]
struct CodeArgs {
    #[command(flatten)]
    phone: PhoneArgs,
    #[command(flatten)]
    at: AtArg,
}

fn code(args: &CodeArgs) -> CmdResult {
    let now = args.at.now()?;
    let mut phone = args.phone.load()?;
    let code = next_code(&args.phone.credential, &mut phone, now)
        .map_err(refusal(RefusalLine::Medcode))?;
    out(code.text())
}

/// Makes the next code: the counter is reserved in the state file first.
pub(crate) fn next_code(
    credential_path: &Path,
    phone: &mut DeviceHolder,
    now: medcode::UnixTime,
) -> Result<medcode::IssuedToken, Error> {
    let counter = counter::reserve(credential_path, phone.credential())?;
    phone.skip_to(counter)?;
    phone.code(now)
}
