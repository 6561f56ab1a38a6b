//! The Rollcall server as a library, so the binary and the tests build the same thing.

pub mod cases;
pub mod config;
pub mod db;
pub mod http;
pub mod retention;
pub mod seed;
pub mod setup;
