//! The issuing side: the issuer that signs codes and certifies device keys,
//! the holder's refreshing screen, and the phone that makes codes offline.

mod device_holder;
mod enrol;
mod holder;
mod issuer;

pub use device_holder::DeviceHolder;
pub use enrol::DeviceEnrolment;
pub use holder::Holder;
pub use issuer::{IssuedToken, Issuer};
