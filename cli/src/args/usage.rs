//! `--usage-db URL` of the till-side commands (`verify`, `till`, `wallet
//! pay`).

use std::sync::Arc;

use clap::Args;

use crate::usage_store::recorder;
use medcode::Error;
use medcode_platform::usage::UsageRecorder;

/// `--usage-db URL` of a till-side command: its verdicts recorded there,
/// nothing recorded without it.
#[derive(Args, Debug)]
pub(crate) struct RecordArg {
    /// Record every verdict in these usage records (sqlite:PATH, a file
    /// path or postgres://...; off by default at a till, as `off`): written
    /// in the background, never slowing a verdict, the backlog written at
    /// the end.
    #[arg(long, value_name = "URL")]
    usage_db: Option<String>,
}

impl RecordArg {
    /// The recorder of `--usage-db`, if one is named (`off` names none).
    pub(crate) fn recorder(&self) -> Result<Option<Arc<UsageRecorder>>, Error> {
        self.usage_db
            .as_deref()
            .filter(|url| *url != "off")
            .map(|url| recorder(url).map(Arc::new))
            .transpose()
    }
}
