//! Pure rules of the school's world: no Leptos, no database, no I/O. The server and the browser
//! use the same functions, so a tablet offline decides exactly as the server would.

pub mod codes;
pub mod figures;
pub mod lateness;
pub mod leave;
pub mod meetings;
pub mod penalty;
pub mod retention;
pub mod roles;
pub mod roll;
pub mod triggers;
pub mod upn;
