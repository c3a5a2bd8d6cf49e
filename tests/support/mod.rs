//! Helpers shared by the library's replay-guard tests: the guards' common
//! contract and a real redis-server.
#![allow(dead_code)]

#[cfg(feature = "redis")]
pub mod redis_cluster;
#[cfg(feature = "redis")]
pub mod redis_server;
pub mod replay_contract;
