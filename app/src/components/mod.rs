//! Pieces of screen shared by every page.

pub mod layout;
pub mod network;
