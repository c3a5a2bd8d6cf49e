//! The routes' handlers, one module per part of the API. Each reads its
//! request through `request`, works on the shared `state` and answers with
//! a verdict, a record list or a `problem`.

pub(crate) mod health;
pub(crate) mod pay;
pub(crate) mod usage;
pub(crate) mod verify;
