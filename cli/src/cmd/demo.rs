//! `medcode demo`: the whole job on embedded defaults, in plain words.

use clap::Args;

use crate::clock::system_now;
use crate::output::verdict;
use crate::output::{CmdResult, out};
use medcode::Claims;
use medcode::Error;
use medcode::InsuredId;
use medcode::Issuer;
use medcode::ListKind;
use medcode::MaskedName;
use medcode::Region;
use medcode::RevocationList;
use medcode::RootKey;
use medcode::SignedList;
use medcode::Status;
use medcode::TrustList;
use medcode::TrustedKey;
use medcode::Verifier;
use medcode::keys::{Algorithm, SigningKey};
use medcode::keys::{PermissionPolicy, read_private_key, write_private_key};
use medcode::lists::ListInfo;

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Signature algorithm of the demo key.
    #[arg(long, default_value = "ed25519", value_parser = ["ed25519", "p256", "sm2"])]
    alg: String,
    /// Write the demo code's QR image to this PNG file (default: a new
    /// file medcode-demo-*.png in the temporary folder, kept after the demo).
    #[arg(long, value_name = "FILE")]
    png: Option<std::path::PathBuf>,
}

pub(crate) fn run(args: &DemoArgs) -> CmdResult {
    let alg: Algorithm = args.alg.parse()?;
    let now = system_now();
    let dir = tempfile::Builder::new()
        .prefix("medcode-demo-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), "create a temporary folder in", e))?;

    // 1. The issuer's key and the till's trust list.
    let key_file = dir.path().join("demo-issuer.pk8");
    let trust_file = dir.path().join("trust.json");
    let key = SigningKey::generate(alg)?;
    write_private_key(&key_file, &key)?;
    let trusted = TrustedKey {
        key: key.public_key().clone(),
        label: "demo-issuer".into(),
        authority: "medcode demo issuer (NOT FOR PRODUCTION)".into(),
        not_before: now.minus(3600),
        not_after: now.plus(365 * 86_400),
    };
    TrustList::new(vec![trusted])?.save(&trust_file)?;
    out(&format!(
        "1. Made a demo issuer key ({alg}, key id {}) in {} (mode 0600) and a trust list for the till.",
        key.key_id(),
        key_file.display()
    ))?;
    drop(key);

    // 2. Issue a code, as the national platform would for the holder's phone.
    let issuer = Issuer::new(read_private_key(&key_file, PermissionPolicy::Refuse)?.key);
    let mut claims = Claims::new(
        InsuredId::new("12345678901234567890")?,
        Region::new("110000")?,
    );
    claims.name = Some(MaskedName::new("张*")?);
    let token = issuer.issue(&claims, now)?;
    out(&format!(
        "2. Issued a code for insured 12345678901234567890 (张*, Beijing 110000), valid {} s from {}:",
        issuer.validity(),
        now
    ))?;
    out(&format!("   {}", token.text()))?;
    out(&format!(
        "   {} characters of text, {} bytes of binary token; this text is exactly what the QR code holds.",
        token.text().len(),
        token.binary_len()
    ))?;
    let qr = medcode::qr::Qr::encode(token.text(), medcode::qr::Ecc::M)?;
    out(&format!(
        "   In a QR code: version {} at level M, {} x {} modules.",
        qr.version(),
        qr.modules(),
        qr.modules()
    ))?;
    let png = qr.to_png(medcode::limits::DEFAULT_MODULE_PX)?;
    let png_path = match &args.png {
        Some(path) => {
            medcode::files::write_replace(path, &png)?;
            path.clone()
        }
        None => keep_png(&png)?,
    };
    // The image outlives the demo's folder: its trust list goes beside it,
    // so that it can be checked again (as of when it was made: the code
    // itself lapses in 60 s).
    let kept_trust = png_path.with_extension("trust.json");
    TrustList::from_file(&trust_file)?.save(&kept_trust)?;
    out(&format!(
        "   Wrote the QR image to {} (kept after the demo, with its trust list: `medcode verify --trust {} --image {} --at {}` checks it again as of when it was made).",
        png_path.display(),
        kept_trust.display(),
        png_path.display(),
        now.to_rfc3339()
    ))?;

    // 3. A till anywhere in the country checks it offline.
    let verifier = Verifier::new(TrustList::from_file(&trust_file)?);
    out("3. A till (any region: the code is recognised nationally) scans it at once:")?;
    for line in verdict::to_lines(&verifier.verify(token.text(), now.plus(2))) {
        out(&format!("   {line}"))?;
    }

    // 4. The replay guard: one use per code.
    out(
        "4. The same code scanned again 10 s later, while still valid (a second till, or a screenshot passed on at once):",
    )?;
    for line in verdict::to_lines(&verifier.verify(token.text(), now.plus(10))) {
        out(&format!("   {line}"))?;
    }

    // 5. A screenshot presented later is stale.
    let late = token
        .expires_at()
        .plus(u64::from(verifier.policy().leeway_secs) + 1);
    out(&format!(
        "5. Someone shows a screenshot of the same code at {late} (validity plus {} s leeway, plus 1 s):",
        verifier.policy().leeway_secs
    ))?;
    for line in verdict::to_lines(&verifier.verify(token.text(), late)) {
        out(&format!("   {line}"))?;
    }

    // 6. A lapsed person still uses the code, without benefits.
    let mut lapsed = claims.clone();
    lapsed.status = Status::Lapsed;
    let lapsed_token = issuer.issue(&lapsed, now)?;
    out(
        "6. A person whose contributions lapsed shows their code: it is accepted, and the till is told.",
    )?;
    for line in verdict::to_lines(&verifier.verify(lapsed_token.text(), now.plus(2))) {
        out(&format!("   {line}"))?;
    }

    // 7. A forged edit is caught.
    let mut forged = token.text().to_owned();
    let last = forged.pop().unwrap_or('0');
    forged.push(if last == '1' { '2' } else { '1' });
    out("7. The same code with its last digit changed:")?;
    for line in verdict::to_lines(&verifier.verify(&forged, now.plus(2))) {
        out(&format!("   {line}"))?;
    }

    // 8. Signed lists: the till pins an offline root key.
    let root = SigningKey::generate(Algorithm::Ed25519)?;
    let root_pub = RootKey::of(&root)?;
    let trust_bytes = std::fs::read(&trust_file).map_err(|e| Error::io(&trust_file, "read", e))?;
    let week = 7 * 86_400;
    let sign_trust = |sequence: u64| {
        SignedList::sign(
            &root,
            ListInfo {
                kind: ListKind::Trust,
                sequence,
                issued_at: now,
                next_update: now.plus(week),
            },
            trust_bytes.clone(),
        )
    };
    let signed = Verifier::from_signed(root_pub.clone(), &sign_trust(2)?)?;
    out(&format!(
        "8. The till pins an offline root key (key id {}) and holds the trust list it signed: sequence 2, next update {}.",
        root_pub.key_id(),
        now.plus(week)
    ))?;
    for line in verdict::to_lines(&signed.verify(token.text(), now.plus(2))) {
        out(&format!("   {line}"))?;
    }
    if let Err(e) = signed.update_trust_list(&sign_trust(1)?) {
        out(&format!(
            "   Someone feeds it the older sequence 1: refused: {e}"
        ))?;
    }
    let stale_at = now.plus(week + 3600);
    let late_code = issuer.issue(&claims, stale_at)?;
    out(
        "   Nobody re-signs the list in time; an hour after its next update the till still sells, and says so:",
    )?;
    for line in verdict::to_lines(&signed.verify(late_code.text(), stale_at)) {
        out(&format!("   {line}"))?;
    }
    let refused_at = now.plus(week + 72 * 3600);
    let later_code = issuer.issue(&claims, refused_at)?;
    out("   72 hours after the next update, it refuses:")?;
    for line in verdict::to_lines(&signed.verify(later_code.text(), refused_at)) {
        out(&format!("   {line}"))?;
    }

    // 9. Revocation: a stolen phone.
    let mut revocations = RevocationList::new();
    revocations.revoke_insured(&claims.insured, now.plus(1))?;
    let signed_revocations = SignedList::sign(
        &root,
        ListInfo {
            kind: ListKind::Revocation,
            sequence: 1,
            issued_at: now.plus(1),
            next_update: now.plus(week),
        },
        revocations.to_json().into_bytes(),
    )?;
    signed.update_revocations(&signed_revocations)?;
    let after_theft = issuer.issue(&claims, now.plus(1))?;
    out(&format!(
        "9. The holder reports the phone stolen; the root signs a revocation list naming them from {}. A code issued since:",
        now.plus(1)
    ))?;
    for line in verdict::to_lines(&signed.verify(after_theft.text(), now.plus(3))) {
        out(&format!("   {line}"))?;
    }
    out("Done: the temporary keys are deleted now.")
}

/// Writes the demo's PNG to a new file in the temporary folder and keeps it.
fn keep_png(png: &[u8]) -> Result<std::path::PathBuf, Error> {
    use std::io::Write;
    let tmp = std::env::temp_dir();
    let mut file = tempfile::Builder::new()
        .prefix("medcode-demo-")
        .suffix(".png")
        .tempfile()
        .map_err(|e| Error::io(&tmp, "create a file in", e))?;
    file.write_all(png)
        .map_err(|e| Error::io(file.path(), "write", e))?;
    let (_, path) = file
        .keep()
        .map_err(|e| Error::io(&tmp, "keep a file in", e.error))?;
    Ok(path)
}
