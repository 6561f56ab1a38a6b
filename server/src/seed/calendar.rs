//! The school year in England, computed from the year it starts so the demo works for any year:
//! six half terms, the bank holidays that fall inside them, and INSET days that bring the year to
//! the 190 days (380 sessions) a school must open for.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Days the pupils are expected in a year; teachers work five more (the INSET days).
const PUPIL_DAYS: usize = 190;

/// One half term: a run of dates whose weekdays are school days unless closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub name: &'static str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Why a weekday inside a term is not a school day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClosureKind {
    Inset,
    BankHoliday,
}

impl ClosureKind {
    /// The name in `calendar_closures.kind`.
    pub fn key(self) -> &'static str {
        match self {
            ClosureKind::Inset => "inset",
            ClosureKind::BankHoliday => "bank_holiday",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closure {
    pub closed_on: NaiveDate,
    pub kind: ClosureKind,
    pub note: &'static str,
}

/// An academic year: 1 September to 31 August.
#[derive(Clone, Debug)]
pub struct SchoolYear {
    /// The calendar year of the September it starts in.
    pub start_year: i32,
    pub terms: Vec<Term>,
    pub closures: Vec<Closure>,
}

/// A school day is a weekday inside a term that is not closed. Everything that makes marks asks
/// this, so no mark lands on a weekend, in a holiday or on an INSET day.
pub fn is_school_day(date: NaiveDate, terms: &[Term], closures: &[Closure]) -> bool {
    is_weekday(date)
        && terms
            .iter()
            .any(|term| term.starts_on <= date && date <= term.ends_on)
        && !closures.iter().any(|closure| closure.closed_on == date)
}

impl SchoolYear {
    /// The academic year a date falls in.
    pub fn containing(date: NaiveDate) -> Self {
        let start_year = if date.month() >= 9 {
            date.year()
        } else {
            date.year() - 1
        };
        Self::starting(start_year)
    }

    /// The year starting in September of `year`, with dates of the kind a local authority in
    /// England publishes: half terms in the last week of October, mid-February and the week of
    /// the late-May bank holiday, two weeks at Christmas and at Easter.
    pub fn starting(year: i32) -> Self {
        let next = year + 1;
        let autumn_start = first_weekday_from(date(year, 9, 1));
        let october_half_term = last_weekday_of_month(year, 10, Weekday::Mon);
        let autumn_end = weekday_on_or_before(date(year, 12, 20), Weekday::Fri);
        let spring_start = spring_term_start(next);
        let february_half_term = weekday_on_or_after(date(next, 2, 12), Weekday::Mon);
        let easter = easter_sunday(next);
        // An early Easter starts the break on Easter Monday; a later one takes the week either
        // side of Easter Sunday.
        let (spring_end, summer_start) = if easter <= date(next, 3, 31) {
            (easter - Days::new(2), easter + Days::new(15))
        } else {
            (easter - Days::new(9), easter + Days::new(8))
        };
        let may_half_term = last_weekday_of_month(next, 5, Weekday::Mon);
        // 21 July, or the Friday before when it falls at a weekend.
        let july_21 = date(next, 7, 21);
        let summer_end = if is_weekday(july_21) {
            july_21
        } else {
            weekday_on_or_before(july_21, Weekday::Fri)
        };
        let before = |monday: NaiveDate| monday - Days::new(3);
        let after = |monday: NaiveDate| monday + Days::new(7);
        let terms = vec![
            term("Autumn 1", autumn_start, before(october_half_term)),
            term("Autumn 2", after(october_half_term), autumn_end),
            term("Spring 1", spring_start, before(february_half_term)),
            term("Spring 2", after(february_half_term), spring_end),
            term("Summer 1", summer_start, before(may_half_term)),
            term("Summer 2", after(may_half_term), summer_end),
        ];

        let bank_holidays = [
            (easter - Days::new(2), "Good Friday"),
            (easter + Days::new(1), "Easter Monday"),
            (
                weekday_on_or_after(date(next, 5, 1), Weekday::Mon),
                "Early May bank holiday",
            ),
        ];
        let mut closures: Vec<Closure> = bank_holidays
            .into_iter()
            .filter(|(day, _)| is_school_day(*day, &terms, &[]))
            .map(|(closed_on, note)| Closure {
                closed_on,
                kind: ClosureKind::BankHoliday,
                note,
            })
            .collect();

        // INSET days, in the order schools usually place them, until the year has 190 days.
        let inset_candidates = [
            terms[0].starts_on,
            terms[2].starts_on,
            terms[0].ends_on,
            terms[4].starts_on,
            terms[5].ends_on,
        ];
        for day in inset_candidates {
            let year_so_far = Self {
                start_year: year,
                terms: terms.clone(),
                closures: closures.clone(),
            };
            if year_so_far.school_days().len() <= PUPIL_DAYS {
                break;
            }
            if is_school_day(day, &terms, &closures) {
                closures.push(Closure {
                    closed_on: day,
                    kind: ClosureKind::Inset,
                    note: "INSET day",
                });
            }
        }
        closures.sort_by_key(|closure| closure.closed_on);
        Self {
            start_year: year,
            terms,
            closures,
        }
    }

    /// The name schools write, such as "2026/27".
    pub fn name(&self) -> String {
        format!("{}/{:02}", self.start_year, (self.start_year + 1) % 100)
    }

    pub fn starts_on(&self) -> NaiveDate {
        date(self.start_year, 9, 1)
    }

    pub fn ends_on(&self) -> NaiveDate {
        date(self.start_year + 1, 8, 31)
    }

    pub fn is_school_day(&self, date: NaiveDate) -> bool {
        is_school_day(date, &self.terms, &self.closures)
    }

    /// Every school day of the year, in order.
    pub fn school_days(&self) -> Vec<NaiveDate> {
        self.starts_on()
            .iter_days()
            .take_while(|day| *day <= self.ends_on())
            .filter(|day| self.is_school_day(*day))
            .collect()
    }
}

fn term(name: &'static str, starts_on: NaiveDate, ends_on: NaiveDate) -> Term {
    Term {
        name,
        starts_on,
        ends_on,
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a real calendar date")
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn first_weekday_from(date: NaiveDate) -> NaiveDate {
    date.iter_days()
        .find(|day| is_weekday(*day))
        .expect("a weekday within three days")
}

fn weekday_on_or_after(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    date.iter_days()
        .find(|day| day.weekday() == weekday)
        .expect("every weekday comes within a week")
}

fn weekday_on_or_before(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    date - Days::new(u64::from(back))
}

fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let first_of_next = if month == 12 {
        date(year + 1, 1, 1)
    } else {
        date(year, month + 1, 1)
    };
    weekday_on_or_before(first_of_next - Days::new(1), weekday)
}

/// Back after Christmas on the first Monday from 2 January, or midweek when New Year's Day is
/// itself early in the week and waiting for Monday would make the break three weeks.
fn spring_term_start(year: i32) -> NaiveDate {
    let monday = weekday_on_or_after(date(year, 1, 2), Weekday::Mon);
    if monday.day() <= 6 {
        monday
    } else {
        first_weekday_from(date(year, 1, 3))
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous algorithm, also known as Meeus's).
fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_falls_on_the_published_sundays() {
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2027), date(2027, 3, 28));
    }

    #[test]
    fn the_2026_27_year_has_the_published_terms() {
        let year = SchoolYear::starting(2026);
        assert_eq!(year.name(), "2026/27");
        let dates: Vec<_> = year
            .terms
            .iter()
            .map(|term| (term.starts_on, term.ends_on))
            .collect();
        assert_eq!(
            dates,
            [
                (date(2026, 9, 1), date(2026, 10, 23)),
                (date(2026, 11, 2), date(2026, 12, 18)),
                (date(2027, 1, 4), date(2027, 2, 12)),
                (date(2027, 2, 22), date(2027, 3, 26)),
                (date(2027, 4, 12), date(2027, 5, 28)),
                (date(2027, 6, 7), date(2027, 7, 21)),
            ]
        );
        assert!(!year.is_school_day(date(2026, 9, 1)), "INSET");
        assert!(year.is_school_day(date(2026, 9, 2)));
        assert!(!year.is_school_day(date(2026, 10, 28)), "half term");
        assert!(!year.is_school_day(date(2027, 3, 26)), "Good Friday");
        assert!(!year.is_school_day(date(2027, 5, 3)), "bank holiday");
        assert!(!year.is_school_day(date(2026, 9, 5)), "Saturday");
        assert_eq!(year.school_days().len(), 190);
    }

    #[test]
    fn every_year_has_six_half_terms_in_order_and_about_190_days() {
        for start in 2015..2045 {
            let year = SchoolYear::starting(start);
            for pair in year.terms.windows(2) {
                assert!(pair[0].ends_on < pair[1].starts_on, "{start}: {pair:?}");
            }
            for term in &year.terms {
                assert!(term.starts_on <= term.ends_on, "{start}: {term:?}");
                assert!(is_weekday(term.starts_on) && is_weekday(term.ends_on));
            }
            let days = year.school_days().len();
            assert!((185..=192).contains(&days), "{start}: {days} days");
            let insets = year
                .closures
                .iter()
                .filter(|closure| closure.kind == ClosureKind::Inset)
                .count();
            assert!(insets <= 5, "{start}: {insets} INSET days");
        }
    }

    #[test]
    fn a_date_belongs_to_the_year_whose_september_came_before_it() {
        assert_eq!(SchoolYear::containing(date(2026, 11, 20)).start_year, 2026);
        assert_eq!(SchoolYear::containing(date(2027, 7, 21)).start_year, 2026);
        assert_eq!(SchoolYear::containing(date(2027, 8, 31)).start_year, 2026);
        assert_eq!(SchoolYear::containing(date(2027, 9, 1)).start_year, 2027);
    }
}
