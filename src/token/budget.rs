//! The size budget of a token: the insured identifier and the masked name
//! share [`MAX_ID_AND_NAME_BYTES`], so that every self code fits QR version 6
//! at level M and every delegate code version 7 (see docs/FORMAT.md for the
//! arithmetic). The issuer checks it for each code, the registry for each
//! person it adds.

use crate::InsuredId;
use crate::MaskedName;
use crate::error::{Error, Result};
use crate::token::packed_id_len;

/// Largest packed identifier plus masked name the issuer accepts, so that
/// every self code fits QR version 6 at level M and every delegate code
/// version 7 (see docs/FORMAT.md for the arithmetic).
pub const MAX_ID_AND_NAME_BYTES: usize = 15;

/// Bytes the identifier (packed) and the masked name take in a token: at
/// most [`MAX_ID_AND_NAME_BYTES`] fit a code.
pub fn id_and_name_len(id: &InsuredId, name: Option<&MaskedName>) -> usize {
    packed_id_len(id.is_numeric(), id.as_str().len()) + name.map_or(0, |n| n.as_str().len())
}

/// Refuses an identifier and masked name over the budget with
/// `invalid_claims` on the masked name, `why` saying it for the bytes used.
pub(crate) fn check(
    id: &InsuredId,
    name: Option<&MaskedName>,
    why: impl FnOnce(usize) -> String,
) -> Result<()> {
    let used = id_and_name_len(id, name);
    if used > MAX_ID_AND_NAME_BYTES {
        return Err(Error::claims("masked name", why(used)));
    }
    Ok(())
}
