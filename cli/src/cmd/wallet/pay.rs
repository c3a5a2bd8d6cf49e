//! `medcode wallet pay`: a till's payment with the code. The code is
//! verified by the till setup of `medcode verify` (the same flags, and by
//! default the same replay file in the state directory, so a code that paid
//! is `replayed` at the next scan), then the wallet pays.

use clap::Args;

use super::{amount_arg, print};
use crate::args::AtArg;
use crate::args::VerifierArgs;
use crate::output::{CmdResult, RefusalLine, out, refusal};
use medcode::verify::{ReplaySpec, TillContext};
use medcode_platform::wallet::{PayRequest, Wallet};

#[derive(Args, Debug)]
pub(crate) struct PayArgs {
    #[command(flatten)]
    verifier: VerifierArgs,
    /// The scanned code's token text.
    #[arg(long, value_name = "TEXT")]
    code: String,
    /// Yuan, at most two decimals.
    #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
    amount: String,
    /// The institution paid (orgId).
    #[arg(long, value_name = "ORG")]
    org: String,
    /// Makes the request idempotent: the same id again returns the first payment.
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    #[command(flatten)]
    usage: crate::args::RecordArg,
    /// Print one JSON object (amounts in fen).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    at: AtArg,
}

pub(crate) fn run(wallet: &Wallet, a: &PayArgs) -> CmdResult {
    let now = a.at.now()?;
    let verifier = a.verifier.build(now, || {
        Ok(ReplaySpec::File(crate::state_dir::default_replay_file(
            a.verifier.state_dir(),
        )?))
    })?;
    let recorder = a.usage.recorder()?;
    let verifier = crate::usage_store::observed(verifier, recorder.as_ref());
    // The payee names the till's institution. A --org the wallet refuses
    // is refused before the code is checked, so no verdict needs it.
    let context = TillContext::new().with_org_id(&a.org).unwrap_or_default();
    let req = PayRequest {
        code: a.code.trim().to_owned(),
        amount: amount_arg(&a.amount)?,
        org: a.org.clone(),
        request_id: a.request_id.clone(),
    };
    let paid = wallet.pay(&verifier, &req, &context, now);
    if let Some(recorder) = &recorder {
        crate::usage_store::flush(recorder);
    }
    let p = paid.map_err(refusal(RefusalLine::Refused))?;
    if a.json {
        return out(&print::json(&p)?);
    }
    let by = p
        .presenter
        .as_ref()
        .map(|id| format!(", code shown by {id}"))
        .unwrap_or_default();
    out(&format!(
        "paid {} yuan to {} from {}'s money: {} from the wallet, {} from the personal account (token {}{by})",
        p.amount, p.org, p.insured, p.from_wallet, p.from_personal, p.token_id
    ))
}
