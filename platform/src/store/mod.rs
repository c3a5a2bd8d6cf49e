//! What the registry, the wallet and the usage records share about their
//! databases: one way to open an SQLite file ([`sqlite`]), one PostgreSQL
//! client ([`postgres`]), and one migration runner ([`migrate`]) with a
//! schema version table per store.

pub(crate) mod migrate;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod sqlite;
