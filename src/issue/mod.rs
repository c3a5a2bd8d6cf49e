//! The issuing side: the issuer that signs codes and the holder's refreshing
//! screen.

mod holder;
mod issuer;

pub use holder::Holder;
pub use issuer::{IssuedToken, Issuer};
