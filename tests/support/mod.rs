//! Helpers shared by the library's tests: the replay guards' common
//! contract, a real redis-server, and the rule for
//! external tools.
#![allow(dead_code)]

#[cfg(feature = "redis")]
pub mod redis_cluster;
#[cfg(feature = "redis")]
pub mod redis_server;
pub mod replay_contract;
pub mod tools;
