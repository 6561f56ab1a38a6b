//! A year of register marks for one pupil, shaped like England's figures: most pupils attend
//! 95% or more, about one in five is persistently absent (10% or more of sessions missed) and
//! one or two in a hundred severely absent (50% or more); pupils on free school meals are about
//! twice as likely to be persistently absent. Absence comes in runs of days: illness first,
//! then unexplained absence, appointments, and holidays taken next to a half term.

use std::ops::Range;

use chrono::{Datelike, NaiveDate, Weekday};
use rand::Rng;

use super::{
    names::pick,
    roll::{Phase, Pupil},
};

/// One session's mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    pub code: &'static str,
    pub minutes_late: Option<i32>,
}

impl Mark {
    const fn code(code: &'static str) -> Self {
        Self {
            code,
            minutes_late: None,
        }
    }
}

const PRESENT_AM: Mark = Mark::code("/");
const PRESENT_PM: Mark = Mark::code("\\");

/// A school's registers so far: what every pupil's marks are made against.
pub struct Registers<'a> {
    /// The school days of the year up to and including the last day marked.
    pub days: &'a [NaiveDate],
    /// The last five school days, oldest first: an absence on one of them may still have no
    /// reason (N), which the school has five school days to find. The more recent, the likelier.
    pub pending: &'a [NaiveDate],
    pub phase: Phase,
    pub register_open_minutes: i32,
}

impl Registers<'_> {
    /// The chance that an absence on `day` still has no reason, by how recent it is.
    fn unknown_chance(&self, day: NaiveDate) -> f64 {
        const BY_AGE: [f64; 5] = [0.6, 0.35, 0.2, 0.1, 0.05];
        match self
            .pending
            .iter()
            .rev()
            .position(|pending| *pending == day)
        {
            Some(age) => BY_AGE[age.min(BY_AGE.len() - 1)],
            None => 0.0,
        }
    }

    /// The school days the pupil was on roll: from admission to leaving, both included.
    pub fn on_roll(&self, pupil: &Pupil) -> Range<usize> {
        let start = self.days.partition_point(|day| *day < pupil.admitted_on);
        let end = match pupil.left_on {
            Some(left_on) => self.days.partition_point(|day| *day <= left_on),
            None => self.days.len(),
        };
        start..end.max(start)
    }
}

/// How far a pupil's attendance falls short, in the DfE's bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Band {
    /// Absent less than 5% of sessions: the 95% that schools reward.
    Good,
    /// 5% to 10%: at risk of persistent absence.
    AtRisk,
    /// 10% to 50%.
    Persistent,
    /// 50% or more.
    Severe,
}

/// Draws the share of sessions a pupil will miss. The chance of persistent absence rises with
/// free school meals, special educational needs, a social worker and the last years of
/// secondary school, as the national figures do.
fn absence_rate(rng: &mut impl Rng, registers: &Registers, pupil: &Pupil) -> (f64, Band) {
    let mut persistent: f64 = match registers.phase {
        Phase::Primary => 0.11,
        Phase::Secondary if pupil.nc_year >= 10 => 0.19,
        Phase::Secondary => 0.16,
    };
    if pupil.free_school_meals {
        persistent *= 2.1;
    }
    persistent *= match pupil.sen_status {
        "E" => 1.9,
        "K" => 1.35,
        _ => 1.0,
    };
    if pupil.safeguarding_status != "none" {
        persistent *= 1.5;
    }
    let persistent = persistent.min(0.7);
    let severe = persistent * 0.08;
    let at_risk = 0.22;
    let draw: f64 = rng.random();
    let spread: f64 = rng.random();
    if draw < severe {
        (0.5 + 0.3 * spread, Band::Severe)
    } else if draw < persistent {
        // Most persistent absentees miss 10% to 20%; a tail misses far more.
        (0.105 + 0.3 * spread.powi(3), Band::Persistent)
    } else if draw < persistent + at_risk {
        (0.05 + 0.05 * spread, Band::AtRisk)
    } else {
        (0.05 * spread * spread, Band::Good)
    }
}

/// One pupil's marks, AM and PM, for every school day they were on roll up to the last day
/// marked.
pub fn pupil_marks(
    rng: &mut impl Rng,
    registers: &Registers,
    pupil: &Pupil,
    trip_days: &[NaiveDate],
) -> Vec<(NaiveDate, [Mark; 2])> {
    let days = &registers.days[registers.on_roll(pupil)];
    let sessions = days.len() * 2;
    let (rate, band) = absence_rate(rng, registers, pupil);
    // Rounded so that the pupil stays inside the band drawn, however few sessions there are.
    let absent = match band {
        Band::Good | Band::AtRisk => (rate * sessions as f64).floor(),
        Band::Persistent | Band::Severe => (rate * sessions as f64).ceil(),
    } as usize;

    let mut register = Register {
        days,
        slots: vec![[None; 2]; days.len()],
        left: absent.min(sessions),
    };
    let late_prone = rng.random_bool(match band {
        Band::Good => 0.07,
        Band::AtRisk => 0.12,
        Band::Persistent | Band::Severe => 0.2,
    });
    // Arriving after the register closes (U) counts as absence, so it comes out of the same
    // allowance.
    let after_close = if late_prone && register.left >= 4 {
        rng.random_range(0..=register.left / 4)
    } else {
        0
    };
    register.left -= after_close;

    // An unauthorised holiday of one to two weeks, taken next to a half term or holiday.
    let holiday_chance = match band {
        Band::Good => 0.0,
        Band::AtRisk => 0.2,
        Band::Persistent => 0.2,
        Band::Severe => 0.05,
    };
    if register.left >= 10 && rng.random_bool(holiday_chance) {
        let length = rng.random_range(5..=10).min(register.left / 2);
        if let Some(start) = register.next_to_a_break(rng, length) {
            register.run(start, length, "G", false);
        }
    }
    if register.left >= 2 && rng.random_bool(0.05) {
        let day = register.free_day(rng);
        register.run(day, 1, "R", false);
    }
    if register.left >= 2 && rng.random_bool(0.02) {
        let day = register.free_day(rng);
        let length = rng.random_range(1..=3);
        register.run(day, length, "C", false);
    }

    let open = registers.register_open_minutes;
    let mut placed_late = 0;
    while placed_late < after_close {
        let Some(day) = register.free_morning(rng, trip_days) else {
            break;
        };
        register.slots[day][0] = Some(Mark {
            code: "U",
            minutes_late: Some(rng.random_range(open + 1..=60)),
        });
        placed_late += 1;
    }
    register.left += after_close - placed_late;

    let unauthorised = (match band {
        Band::Good => 0.1_f64,
        Band::AtRisk => 0.18,
        Band::Persistent => 0.32,
        Band::Severe => 0.55,
    } * rng.random_range(0.5..1.5)
        + if pupil.free_school_meals { 0.06 } else { 0.0 })
    .min(0.9);
    let stretch = match band {
        Band::Severe => rng.random_range(2..=5),
        Band::Persistent if rate > 0.25 => 2,
        _ => 1,
    };
    while register.left > 0 {
        let draw: f64 = rng.random();
        if draw < unauthorised {
            let length = pick(rng, &[1, 1, 1, 2, 2, 3, 4, 5]) * stretch;
            let day = if length == 1 {
                register.free_day_preferring(rng, &[Weekday::Mon, Weekday::Fri])
            } else {
                register.free_day(rng)
            };
            register.run(day, length, "O", false);
        } else if draw < unauthorised + (1.0 - unauthorised) * 0.78 {
            let length = pick(rng, &[1, 1, 1, 2, 2, 2, 3, 3, 4, 5]) * stretch;
            // Some illness starts at lunchtime: sent home after the morning.
            let sent_home = rng.random_bool(0.15);
            let day = register.free_day(rng);
            register.run(day, length, "I", sent_home);
        } else {
            // An appointment takes one session.
            let day = register.free_day(rng);
            register.single(day, rng.random_bool(0.4), "M");
        }
    }

    let sporty = rng.random_bool(0.06);
    let (am_late, pm_late) = if late_prone {
        (rng.random_range(0.06..0.25), 0.02)
    } else {
        (0.004, 0.0)
    };
    let mut marks = Vec::with_capacity(days.len());
    for (index, &day) in days.iter().enumerate() {
        let [am, pm] = register.slots[index];
        // Unexplained absence is N until five school days have passed; illness and holiday
        // are N until a parent says why.
        let chance = registers.unknown_chance(day);
        let reason_unknown = chance > 0.0 && rng.random_bool(chance);
        let unknown = |mark: Mark| match mark.code {
            "O" if chance > 0.0 => Mark::code("N"),
            "I" | "G" if reason_unknown => Mark::code("N"),
            _ => mark,
        };
        let (am, pm) = match (am, pm) {
            (None, None) if trip_days.contains(&day) => (Mark::code("V"), Mark::code("V")),
            _ => (
                am.map(unknown).unwrap_or_else(|| {
                    if rng.random_bool(am_late) {
                        late(rng, 1..open)
                    } else {
                        PRESENT_AM
                    }
                }),
                pm.map(unknown).unwrap_or_else(|| {
                    if rng.random_bool(pm_late) {
                        late(rng, 1..open.min(11))
                    } else if sporty && rng.random_bool(0.03) {
                        Mark::code("P")
                    } else {
                        PRESENT_PM
                    }
                }),
            ),
        };
        marks.push((day, [am, pm]));
    }
    marks
}

/// School days the demo's missing pupil has been away without a word.
pub const MISSING_DAYS: usize = 12;

/// The pupil of each school whose family has not been heard from for the last `MISSING_DAYS`
/// school days, so the demo has a child missing education to follow up: the oldest year's
/// last pupil who has been on roll all along, if the year is that far in.
pub fn missing_pupil(pupils: &[Pupil], registers: &Registers) -> Option<usize> {
    if registers.days.len() < MISSING_DAYS {
        return None;
    }
    let window_start = registers.days[registers.days.len() - MISSING_DAYS];
    pupils
        .iter()
        .enumerate()
        .filter(|(_, pupil)| pupil.left_on.is_none() && pupil.admitted_on < window_start)
        // By UPN, not id: ids are random, and the same seed must pick the same pupil.
        .max_by_key(|(_, pupil)| (pupil.nc_year, &pupil.upn))
        .map(|(index, _)| index)
}

/// Every session of the last `MISSING_DAYS` school days absent: N while the school still has
/// five school days to find a reason, O before that.
pub fn gone_missing(marks: &mut [(NaiveDate, [Mark; 2])], registers: &Registers) {
    let from = marks.len().saturating_sub(MISSING_DAYS);
    for (day, pair) in &mut marks[from..] {
        let code = if registers.pending.contains(day) {
            "N"
        } else {
            "O"
        };
        *pair = [Mark::code(code), Mark::code(code)];
    }
}

/// Late, but before the register closed: mostly a few minutes.
fn late(rng: &mut impl Rng, minutes: Range<i32>) -> Mark {
    let spread: f64 = rng.random();
    let span = f64::from(minutes.end - minutes.start);
    Mark {
        code: "L",
        minutes_late: Some(minutes.start + (span * spread * spread) as i32),
    }
}

/// A pupil's sessions while absences are placed: None is a session not yet decided.
struct Register<'a> {
    days: &'a [NaiveDate],
    slots: Vec<[Option<Mark>; 2]>,
    /// Absent sessions still to place.
    left: usize,
}

impl Register<'_> {
    fn is_free(&self, day: usize) -> bool {
        self.slots[day] == [None, None]
    }

    /// A day with both sessions undecided, or failing that any day with one.
    fn free_day(&self, rng: &mut impl Rng) -> usize {
        for _ in 0..30 {
            let day = rng.random_range(0..self.days.len());
            if self.is_free(day) {
                return day;
            }
        }
        let from = rng.random_range(0..self.days.len());
        (from..self.days.len())
            .chain(0..from)
            .find(|&day| self.slots[day].contains(&None))
            .expect("a session is left whenever absences are left to place")
    }

    /// A free day, on one of the given weekdays if one comes up quickly.
    fn free_day_preferring(&self, rng: &mut impl Rng, weekdays: &[Weekday]) -> usize {
        for _ in 0..6 {
            let day = self.free_day(rng);
            if weekdays.contains(&self.days[day].weekday()) {
                return day;
            }
        }
        self.free_day(rng)
    }

    /// A day whose morning is free and that is not a trip day, for a late arrival.
    fn free_morning(&self, rng: &mut impl Rng, trip_days: &[NaiveDate]) -> Option<usize> {
        let usable =
            |day: usize| self.slots[day][0].is_none() && !trip_days.contains(&self.days[day]);
        (0..30)
            .map(|_| rng.random_range(0..self.days.len()))
            .find(|&day| usable(day))
            .or_else(|| (0..self.days.len()).find(|&day| usable(day)))
    }

    /// The first day of a run of `length` days that ends just before a holiday or starts just
    /// after one.
    fn next_to_a_break(&self, rng: &mut impl Rng, length: usize) -> Option<usize> {
        let gap = |day: usize| (self.days[day + 1] - self.days[day]).num_days() > 4;
        let edges: Vec<usize> = (0..self.days.len().saturating_sub(1))
            .filter(|&day| gap(day))
            .flat_map(|day| [(day + 1).saturating_sub(length), day + 1])
            .filter(|&start| start + length <= self.days.len())
            .collect();
        (!edges.is_empty()).then(|| edges[rng.random_range(0..edges.len())])
    }

    /// Marks whole days absent from `start`, stopping at a session already decided (after the
    /// first one placed), at the end of the register or when the absences run out.
    /// `from_afternoon` starts with the PM when it is free.
    fn run(&mut self, start: usize, length: usize, code: &'static str, from_afternoon: bool) {
        let mut placed = false;
        for day in start..(start + length).min(self.days.len()) {
            let first_session =
                usize::from(day == start && from_afternoon && self.slots[day][1].is_none());
            for session in first_session..2 {
                if self.left == 0 {
                    return;
                }
                if self.slots[day][session].is_some() {
                    if placed {
                        return;
                    }
                    continue;
                }
                self.slots[day][session] = Some(Mark::code(code));
                self.left -= 1;
                placed = true;
            }
        }
    }

    /// Marks one session absent: the afternoon if asked and free, else whichever is.
    fn single(&mut self, day: usize, afternoon: bool, code: &'static str) {
        let order = if afternoon { [1, 0] } else { [0, 1] };
        if let Some(session) = order.into_iter().find(|&s| self.slots[day][s].is_none()) {
            self.slots[day][session] = Some(Mark::code(code));
            self.left -= 1;
        }
    }
}
