//! Usage records in words and JSON, as `medcode family ... usage` prints
//! them.

use serde_json::json;

use crate::output::escape::shown;
use medcode_platform::usage::UsageRecord;

fn or_dash(v: Option<&str>) -> String {
    v.map_or_else(|| "-".to_owned(), |s| shown(&s))
}

/// One record as a line: time, verdict reason, whose code, who showed it,
/// where.
pub(crate) fn line(r: &UsageRecord) -> String {
    let insured = or_dash(r.insured.as_ref().map(|i| i.as_str()));
    let kind = r.kind.map_or("code", |k| match k.as_str() {
        "self" => "self code",
        "delegate" => "delegate code",
        other => other,
    });
    let shown_by = match (&r.presenter, r.relation) {
        (Some(p), Some(rel)) => format!(" shown by {} ({rel})", shown(&p.as_str())),
        (Some(p), None) => format!(" shown by {}", shown(&p.as_str())),
        _ => String::new(),
    };
    format!(
        "{} {} {insured} {kind}{shown_by}; token {}, org {}, business {}, operator {}, office {}",
        r.at,
        r.reason.map_or("accepted", medcode::Reason::as_str),
        or_dash(r.token_id.map(|id| id.to_string()).as_deref()),
        or_dash(r.context.org_id.as_deref()),
        or_dash(r.context.business_type.as_deref()),
        or_dash(r.context.operator_id.as_deref()),
        or_dash(r.context.office_id.as_deref()),
    )
}

/// The records as JSON values.
pub(crate) fn to_json(records: &[UsageRecord]) -> serde_json::Value {
    json!(records)
}
