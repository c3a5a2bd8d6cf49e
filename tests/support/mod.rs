//! Helpers shared by the library's replay-guard tests: a real redis-server.
#![allow(dead_code)]

#[cfg(feature = "redis")]
pub mod redis_server;
