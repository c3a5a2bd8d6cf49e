//! Helpers shared by the platform's tests: a real PostgreSQL server.
#![allow(dead_code)]

pub mod postgres_server;

use postgres_server::{PostgresServer, skip};

/// A PostgreSQL server for `test`, or `None` after a loud SKIPPED line when
/// the platform is built without its feature `postgres`, or PostgreSQL is
/// absent outside CI.
pub fn postgres_or_skip(test: &str) -> Option<PostgresServer> {
    if !cfg!(feature = "postgres") {
        skip(test, "built without the feature postgres");
        return None;
    }
    PostgresServer::start(test)
}
