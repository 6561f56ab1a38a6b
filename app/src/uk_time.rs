//! Instants as people in a school read them. Every school Rollcall serves is in England and
//! keeps UK time (GMT, or BST in summer). Instants are stored in UTC and shown through here, on
//! the server and in the browser alike, so a call made at 09:15 in June reads 09:15, not 08:15.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::{Europe::London, Tz};

pub fn local(at: DateTime<Utc>) -> DateTime<Tz> {
    at.with_timezone(&London)
}

/// Today in England.
pub fn today() -> NaiveDate {
    local(Utc::now()).date_naive()
}

/// "08:52".
pub fn time(at: DateTime<Utc>) -> String {
    local(at).format("%H:%M").to_string()
}

/// "1 Dec 2026".
pub fn date(at: DateTime<Utc>) -> String {
    local(at).format("%-d %b %Y").to_string()
}

/// "1 Dec 2026 08:52".
pub fn date_time(at: DateTime<Utc>) -> String {
    local(at).format("%-d %b %Y %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summer_instants_read_in_british_summer_time_and_winter_ones_in_gmt() {
        let june: DateTime<Utc> = "2027-06-14T08:15:00Z".parse().unwrap();
        assert_eq!(time(june), "09:15");
        assert_eq!(date_time(june), "14 Jun 2027 09:15");
        let december: DateTime<Utc> = "2026-12-01T08:15:00Z".parse().unwrap();
        assert_eq!(date_time(december), "1 Dec 2026 08:15");
        // Half past midnight in summer is already the next day in England.
        let late: DateTime<Utc> = "2027-06-14T23:30:00Z".parse().unwrap();
        assert_eq!(date(late), "15 Jun 2027");
    }
}
