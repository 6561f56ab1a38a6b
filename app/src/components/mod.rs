//! Pieces of screen shared by every page.

pub mod actions;
pub mod errors;
pub mod layout;
pub mod network;
pub mod signed_in;
