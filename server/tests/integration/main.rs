//! Rollcall's database and HTTP tests, one module per part of the product, linked into one test
//! binary: a binary per file would link the whole application a dozen times over, which costs
//! minutes and gigabytes on a fresh machine.

mod common;

mod arrangements;
mod auth;
mod backup;
mod calling;
mod cases;
mod certificates;
mod data_protection;
mod evidence;
mod faults;
mod foundation;
mod hostile;
mod import;
mod late_arrivals;
mod leave;
mod letters;
mod meetings;
mod penalty_notices;
mod registers;
mod reports;
mod roll;
mod seed;
mod setup;
mod sync;
mod tenancy;
mod visits;
