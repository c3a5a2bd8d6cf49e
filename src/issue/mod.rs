//! The issuing side: the issuer that signs codes and certifies device keys,
//! the holder's refreshing screen, and the phone that makes codes offline.

pub(crate) mod device_holder;
pub(crate) mod enrol;
pub(crate) mod holder;
pub(crate) mod issuer;
