//! One usage record: what a verifier said about one code, where and when.

use serde::Serialize;

use medcode::InsuredId;
use medcode::Relation;
use medcode::error::{Error, Result};
use medcode::time::UnixTime;
use medcode::verify::{CodeKind, TillContext, Verdict};
use medcode::{Reason, TokenId};

medcode::text_enum!(
    /// The verdict a record keeps.
    UsageVerdict, "verdict", Error::argument {
        /// The code was accepted.
        Accepted => "accepted",
        /// The code was refused; the record's reason says why.
        Refused => "refused",
    }
);

/// The till's context of a verification: who asked, for what.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UsageContext {
    /// The institution (with API keys: the key's organisation).
    pub org_id: Option<String>,
    /// The business type (01101 registration, 02121 pharmacy purchase, ...).
    pub business_type: Option<String>,
    /// The operator at the till.
    pub operator_id: Option<String>,
    /// The office of the till.
    pub office_id: Option<String>,
}

impl From<&TillContext> for UsageContext {
    /// The fields of a till context a record keeps (the till region is
    /// not one of them).
    fn from(context: &TillContext) -> Self {
        UsageContext {
            org_id: context.org_id().map(str::to_owned),
            business_type: context.business_type().map(str::to_owned),
            operator_id: context.operator_id().map(str::to_owned),
            office_id: context.office_id().map(str::to_owned),
        }
    }
}

/// One verdict, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsageRecord {
    /// Unique id of the record; the [`super::UsageRecorder`] assigns one.
    /// A store keeps one record per id.
    #[serde(skip)]
    pub id: String,
    /// When the verdict was given.
    pub at: UnixTime,
    /// Accepted or refused.
    pub verdict: UsageVerdict,
    /// `None` when accepted, else the refusal's reason (`replayed`,
    /// `expired`, ...); written `accepted` or the reason's code.
    #[serde(serialize_with = "reason_text")]
    pub reason: Option<Reason>,
    /// The token id in hex; `None` for a code that did not parse.
    #[serde(serialize_with = "token_id_text")]
    pub token_id: Option<TokenId>,
    /// The insured person whose code it is; `None` when the code did not
    /// parse or its signature did not hold.
    pub insured: Option<InsuredId>,
    /// Who showed a delegate code on the insured person's behalf.
    pub presenter: Option<InsuredId>,
    /// The presenter's relation to the insured person.
    pub relation: Option<Relation>,
    /// The kind of code; `None` when unknown (as `insured`).
    pub kind: Option<CodeKind>,
    /// The till's context.
    #[serde(flatten)]
    pub context: UsageContext,
    /// How many verdicts this record stands for: 1, except for a count of
    /// junk (refusals before any signature held, which name nobody) of
    /// one caller and reason in one minute, whose `at` is the minute's
    /// start. Written only when it is not 1.
    #[serde(skip_serializing_if = "is_one")]
    pub count: u64,
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

impl UsageRecord {
    /// The record of `verdict`, given at `now` in `context`. An accepted
    /// code gives its verified claims; a refused one its claims only when
    /// the verifier refused it after its signature held (see
    /// [`Verdict::signed_claims`]), else just the reason (and the token id,
    /// for a code that parsed). The id is left empty.
    pub fn from_verdict(verdict: &Verdict, context: &UsageContext, now: UnixTime) -> UsageRecord {
        let reason = verdict.reason();
        let verdict_kind = match reason {
            None => UsageVerdict::Accepted,
            Some(_) => UsageVerdict::Refused,
        };
        let claims = verdict.signed_claims();
        UsageRecord {
            id: String::new(),
            at: now,
            verdict: verdict_kind,
            reason,
            token_id: verdict.token_id(),
            insured: claims.map(|c| c.insured.clone()),
            presenter: claims.and_then(|c| c.presenter.as_ref().map(|p| p.insured.clone())),
            relation: claims.and_then(|c| c.presenter.as_ref().map(|p| p.relation)),
            kind: verdict.kind(),
            context: context.clone(),
            count: 1,
        }
    }

    /// Checks what a store requires of a record: an id.
    pub(crate) fn check(&self) -> Result<()> {
        if self.id.is_empty() {
            return Err(Error::argument(
                "usage record",
                "a record needs an id to be stored once (the recorder assigns one)",
            ));
        }
        Ok(())
    }
}

/// How an accepted record's reason is written.
const ACCEPTED: &str = "accepted";

/// `accepted`, or the reason's code.
fn reason_str(reason: Option<Reason>) -> &'static str {
    reason.map_or(ACCEPTED, Reason::as_str)
}

fn reason_text<S: serde::Serializer>(
    reason: &Option<Reason>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(reason_str(*reason))
}

fn token_id_text<S: serde::Serializer>(
    id: &Option<TokenId>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.collect_str(id),
        None => s.serialize_none(),
    }
}

/// The columns of a record, in the order the stores use them: the time,
/// then the text columns of [`to_row`].
pub(crate) const COLUMNS: &str = "at, id, verdict, reason, token_id, insured, presenter, relation, kind, org_id, business_type, operator_id, office_id, count";

/// One record's row as text or integers: `(id, at, [text columns])`.
pub(crate) fn to_row(r: &UsageRecord) -> Result<(i64, [Option<String>; 12], i64)> {
    Ok((
        super::to_i64(r.at.as_secs(), "time")?,
        [
            Some(r.id.clone()),
            Some(r.verdict.as_str().to_owned()),
            Some(reason_str(r.reason).to_owned()),
            r.token_id.map(|id| id.to_string()),
            r.insured.as_ref().map(|i| i.as_str().to_owned()),
            r.presenter.as_ref().map(|i| i.as_str().to_owned()),
            r.relation.map(|v| v.as_str().to_owned()),
            r.kind.map(|v| v.as_str().to_owned()),
            r.context.org_id.clone(),
            r.context.business_type.clone(),
            r.context.operator_id.clone(),
            r.context.office_id.clone(),
        ],
        super::to_i64(r.count, "count")?,
    ))
}

/// A record from a row in [`COLUMNS`] order (`at` as an integer, the rest text).
pub(crate) fn from_row(at: i64, t: [Option<String>; 12], count: i64) -> Result<UsageRecord> {
    let bad = |what: &str, e: Error| Error::Storage {
        why: format!("a stored usage record's {what}: {e}"),
    };
    let [
        id,
        verdict,
        reason,
        token_id,
        insured,
        presenter,
        relation,
        kind,
        org,
        bt,
        op,
        office,
    ] = t;
    let need = |v: Option<String>, what: &str| {
        v.ok_or_else(|| Error::Storage {
            why: format!("a stored usage record has no {what}"),
        })
    };
    let id_of = |v: Option<String>, what: &str| {
        v.map(|s| InsuredId::new(&s).map_err(|e| bad(what, e)))
            .transpose()
    };
    Ok(UsageRecord {
        id: need(id, "id")?,
        at: UnixTime::from_secs(super::to_u64(at, "time")?),
        verdict: need(verdict, "verdict")?
            .parse()
            .map_err(|e| bad("verdict", e))?,
        reason: match need(reason, "reason")?.as_str() {
            ACCEPTED => None,
            text => Some(Reason::from_code_str(text).ok_or_else(|| Error::Storage {
                why: format!("a stored usage record's reason {text:?} is not one this build knows"),
            })?),
        },
        token_id: token_id
            .map(|t| t.parse::<TokenId>().map_err(|e| bad("token id", e)))
            .transpose()?,
        insured: id_of(insured, "insured")?,
        presenter: id_of(presenter, "presenter")?,
        relation: relation
            .map(|s| s.parse::<Relation>().map_err(|e| bad("relation", e)))
            .transpose()?,
        // A kind a newer build wrote reads as unknown.
        kind: kind.and_then(|s| s.parse().ok()),
        context: UsageContext {
            org_id: org,
            business_type: bt,
            operator_id: op,
            office_id: office,
        },
        count: super::to_u64(count, "count")?,
    })
}
