//! Helpers shared by the platform's tests: a real PostgreSQL server.
#![allow(dead_code)]

pub mod postgres_server;
