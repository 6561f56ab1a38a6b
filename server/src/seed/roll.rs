//! The demo's schools and who is on their rolls: year groups, forms, pupils and their contacts.
//! Everything here is drawn from one random stream per school, so the same seed makes the same
//! pupils with the same names and UPNs.

use std::collections::{BTreeMap, HashMap};

use app::domain::upn::Upn;
use chrono::{Days, NaiveDate, NaiveTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::{calendar::SchoolYear, derive_seed, names};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Primary,
    Secondary,
}

impl Phase {
    /// The name in `schools.phase`.
    pub fn key(self) -> &'static str {
        match self {
            Phase::Primary => "primary",
            Phase::Secondary => "secondary",
        }
    }

    /// The national curriculum years the school teaches; 0 is Reception.
    fn nc_years(self) -> std::ops::RangeInclusive<i32> {
        match self {
            Phase::Primary => 0..=6,
            Phase::Secondary => 7..=11,
        }
    }

    pub fn default_pupils(self) -> usize {
        match self {
            Phase::Primary => 300,
            Phase::Secondary => 900,
        }
    }
}

/// Names of the demo's schools and the part of their email addresses that names them.
const SECONDARIES: &[(&str, &str)] = &[
    ("Oakfield Academy", "oakfield"),
    ("Kingsmead School", "kingsmead"),
    ("Hartley Park Academy", "hartleypark"),
    ("St Aidan's Church of England Academy", "staidans"),
    ("Meadowbank High School", "meadowbank"),
    ("Thornbury Academy", "thornbury"),
    ("Ashcombe School", "ashcombe"),
    ("Castle Hill High School", "castlehill"),
    ("Netherton Academy", "netherton"),
    ("Bishop Langley Catholic School", "bishoplangley"),
];
const PRIMARIES: &[(&str, &str)] = &[
    ("Brookside Primary School", "brookside"),
    ("Willow Lane Primary Academy", "willowlane"),
    ("Hollybank Primary School", "hollybank"),
    ("St Mary's Catholic Primary School", "stmarys"),
    ("Fernhill Primary School", "fernhill"),
    ("Millbrook Community Primary School", "millbrook"),
    ("Upper Ashby Church of England Primary School", "upperashby"),
    ("Rowan Tree Primary Academy", "rowantree"),
    ("Greenacres Primary School", "greenacres"),
    ("Eastfield Primary School", "eastfield"),
];

/// The most schools the demo has names for: a secondary and a primary in turn.
pub const MOST_SCHOOLS: usize = SECONDARIES.len() + PRIMARIES.len();

/// Primary schools name their classes; these are the names, in the order classes take them.
const CLASS_NAMES: &[&str] = &[
    "Ash", "Beech", "Birch", "Cedar", "Cherry", "Chestnut", "Elm", "Hawthorn", "Hazel", "Holly",
    "Juniper", "Larch", "Lime", "Maple", "Oak", "Pine", "Poplar", "Rowan", "Spruce", "Sycamore",
    "Willow", "Yew", "Alder", "Aspen", "Hornbeam", "Walnut",
];

/// Pupils in a tutor group or class, at most.
const FORM_SIZE: usize = 30;

/// The local authority the trust's schools are in, and neighbours that some pupils' UPNs come
/// from because they started school there.
const LA_CODE: &str = "821";
const NEIGHBOURING_LAS: &[u16] = &[822, 823, 825, 826, 873, 874, 881];

pub struct School {
    pub id: Uuid,
    pub name: &'static str,
    /// The part of its staff's email addresses after the @ and before ".example".
    pub slug: &'static str,
    pub phase: Phase,
    pub urn: String,
    pub la_code: &'static str,
    pub am_register_opens: NaiveTime,
    pub pm_register_opens: NaiveTime,
    pub register_open_minutes: i32,
    pub year_groups: Vec<YearGroup>,
    pub forms: Vec<Form>,
    pub pupils: Vec<Pupil>,
    pub contacts: Vec<Contact>,
}

pub struct YearGroup {
    pub id: Uuid,
    pub nc_year: i32,
    pub name: String,
}

pub struct Form {
    pub id: Uuid,
    pub year_group_id: Uuid,
    pub name: String,
    pub tutor_id: Option<Uuid>,
    /// Days the form is out on a trip (marked V), one in the autumn and one in the summer.
    pub trip_days: Vec<NaiveDate>,
}

pub struct Pupil {
    pub id: Uuid,
    pub upn: Upn,
    pub legal_first_name: &'static str,
    pub legal_last_name: &'static str,
    pub preferred_first_name: Option<&'static str>,
    pub preferred_last_name: Option<&'static str>,
    pub date_of_birth: NaiveDate,
    pub sex: &'static str,
    pub nc_year: i32,
    pub year_group_id: Uuid,
    /// Index into the school's forms.
    pub form: usize,
    pub admitted_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub sen_status: &'static str,
    pub free_school_meals: bool,
    pub pupil_premium: bool,
    pub eal: bool,
    pub ethnicity: &'static str,
    pub safeguarding_status: &'static str,
}

pub struct Contact {
    pub pupil_id: Uuid,
    pub priority: i32,
    pub title: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub relationship: &'static str,
    pub parental_responsibility: bool,
    pub mobile_phone: String,
    pub home_phone: String,
    pub work_phone: String,
    pub email: String,
    pub address: String,
    pub postcode: String,
    pub preferred_contact: &'static str,
}

/// The school days of this year and the years before it, for admission dates: pupils joined on
/// a school day of the year they joined.
pub struct Years {
    pub current: SchoolYear,
    days: BTreeMap<i32, Vec<NaiveDate>>,
}

impl Years {
    pub fn new(current: SchoolYear) -> Self {
        let days = (current.start_year - 7..=current.start_year)
            .map(|year| (year, SchoolYear::starting(year).school_days()))
            .collect();
        Self { current, days }
    }

    /// The school days of the year starting in September of `year`.
    pub fn school_days(&self, year: i32) -> &[NaiveDate] {
        &self.days[&year]
    }
}

/// The trust's schools, each with its roll. `through` is the last day marks are made for, so
/// pupils who joined this year joined by then and leavers left before it.
pub fn schools(
    seed: u64,
    count: usize,
    pupils: Option<usize>,
    years: &Years,
    through: NaiveDate,
) -> Vec<School> {
    let mut trust_rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, 1, 0));
    let mut urns = Vec::new();
    let mut establishments = Vec::new();
    (0..count)
        .map(|index| {
            let phase = if index % 2 == 0 {
                Phase::Secondary
            } else {
                Phase::Primary
            };
            let (name, slug) = match phase {
                Phase::Secondary => SECONDARIES[index / 2],
                Phase::Primary => PRIMARIES[index / 2],
            };
            let urn = distinct(&mut trust_rng, &mut urns, 136_000..145_000);
            // Secondary establishment numbers start with 4, primary with 2 or 3.
            let establishment = match phase {
                Phase::Secondary => distinct(&mut trust_rng, &mut establishments, 4000..4800),
                Phase::Primary => distinct(&mut trust_rng, &mut establishments, 2000..3800),
            };
            let rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, 2, index as u64));
            let pupils = pupils.unwrap_or(phase.default_pupils());
            School::new(
                SchoolFacts {
                    name,
                    slug,
                    phase,
                    urn: urn.to_string(),
                    establishment: establishment as u16,
                },
                rng,
                pupils,
                years,
                through,
            )
        })
        .collect()
}

/// A number from `range` not drawn before.
fn distinct(rng: &mut impl Rng, taken: &mut Vec<u32>, range: std::ops::Range<u32>) -> u32 {
    loop {
        let value = rng.random_range(range.clone());
        if !taken.contains(&value) {
            taken.push(value);
            return value;
        }
    }
}

struct SchoolFacts {
    name: &'static str,
    slug: &'static str,
    phase: Phase,
    urn: String,
    /// The DfE establishment number: with the LA code, what the school's own UPNs start with.
    establishment: u16,
}

impl School {
    fn new(
        facts: SchoolFacts,
        mut rng: ChaCha8Rng,
        pupil_count: usize,
        years: &Years,
        through: NaiveDate,
    ) -> Self {
        let SchoolFacts {
            name,
            slug,
            phase,
            urn,
            establishment,
        } = facts;
        let (am, pm, open_minutes) = match phase {
            Phase::Secondary => ((8, 40), (13, 15), 30),
            Phase::Primary => ((8, 45), (13, 0), 15),
        };
        let time = |(hour, minute)| NaiveTime::from_hms_opt(hour, minute, 0).expect("a time");
        let mut school = School {
            id: Uuid::new_v4(),
            name,
            slug,
            phase,
            urn,
            la_code: LA_CODE,
            am_register_opens: time(am),
            pm_register_opens: time(pm),
            register_open_minutes: open_minutes,
            year_groups: Vec::new(),
            forms: Vec::new(),
            pupils: Vec::new(),
            contacts: Vec::new(),
        };

        let nc_years: Vec<i32> = phase.nc_years().collect();
        // The feeder primaries whose UPNs a secondary's pupils arrive with.
        let feeders: Vec<u16> = (0..12).map(|_| rng.random_range(2000..3800)).collect();
        let mut upns = UpnBook::default();
        let this_year = years.school_days(years.current.start_year);
        for (position, &nc_year) in nc_years.iter().enumerate() {
            let year_group = YearGroup {
                id: Uuid::new_v4(),
                nc_year,
                name: if nc_year == 0 {
                    "Reception".to_string()
                } else {
                    format!("Year {nc_year}")
                },
            };
            // The remainder goes to the youngest years, as a growing school's would.
            let in_year =
                pupil_count / nc_years.len() + usize::from(position < pupil_count % nc_years.len());
            // At most 26 forms a year (7A to 7Z); past that the forms grow instead.
            let form_count = in_year.div_ceil(FORM_SIZE).clamp(1, CLASS_NAMES.len());
            let first_form = school.forms.len();
            for letter in 0..form_count {
                let name = match phase {
                    Phase::Secondary => format!("{nc_year}{}", (b'A' + letter as u8) as char),
                    Phase::Primary => class_name(first_form + letter),
                };
                let trip_days = trip_days(&mut rng, this_year);
                school.forms.push(Form {
                    id: Uuid::new_v4(),
                    year_group_id: year_group.id,
                    name,
                    tutor_id: None,
                    trip_days,
                });
            }
            for number in 0..in_year {
                let context = PupilContext {
                    school: &school,
                    establishment,
                    feeders: &feeders,
                    years,
                    through,
                    nc_year,
                    year_group_id: year_group.id,
                    form: first_form + number % form_count,
                };
                let (pupil, heritage) = pupil(&mut rng, &context, &mut upns);
                let contacts = contacts(&mut rng, &pupil, heritage);
                school.pupils.push(pupil);
                school.contacts.extend(contacts);
            }
            school.year_groups.push(year_group);
        }
        school
    }
}

/// A form's trip days: one school day of the year, and for half the forms a second.
fn trip_days(rng: &mut impl Rng, year: &[NaiveDate]) -> Vec<NaiveDate> {
    let trips = if rng.random_bool(0.5) { 2 } else { 1 };
    (0..trips).map(|_| names::pick(rng, year)).collect()
}

/// A primary class's name: a tree, and a number too once the trees run out.
fn class_name(index: usize) -> String {
    let tree = CLASS_NAMES[index % CLASS_NAMES.len()];
    match index / CLASS_NAMES.len() {
        0 => tree.to_string(),
        round => format!("{tree} {}", round + 1),
    }
}

struct PupilContext<'a> {
    school: &'a School,
    establishment: u16,
    feeders: &'a [u16],
    years: &'a Years,
    through: NaiveDate,
    nc_year: i32,
    year_group_id: Uuid,
    form: usize,
}

/// Hands out UPNs in the order a local authority would: a serial number per school and year
/// of allocation, so no two pupils of a school share one.
#[derive(Default)]
struct UpnBook {
    next_serial: HashMap<(u16, u16, u16), u16>,
}

impl UpnBook {
    fn allocate(&mut self, la: u16, mut establishment: u16, year: u16) -> Upn {
        loop {
            let serial = self
                .next_serial
                .entry((la, establishment, year))
                .or_insert(1);
            if *serial < 1000 {
                let upn = Upn::from_parts(la, establishment, year, *serial);
                *serial += 1;
                return upn;
            }
            establishment = establishment % 9999 + 1;
        }
    }
}

/// A pupil, and the heritage their family's names come from.
fn pupil(
    rng: &mut ChaCha8Rng,
    context: &PupilContext,
    upns: &mut UpnBook,
) -> (Pupil, &'static names::Heritage) {
    let years = context.years;
    let start_year = years.current.start_year;
    let nc_year = context.nc_year;
    let girl = rng.random_bool(0.5);
    let heritage = names::heritage(rng);
    let legal_first_name = if girl {
        names::pick(rng, heritage.girls)
    } else {
        names::pick(rng, heritage.boys)
    };
    let legal_last_name = names::pick(rng, heritage.surnames);
    let short = names::SHORT_NAMES
        .iter()
        .find(|(full, _)| *full == legal_first_name)
        .map(|(_, short)| *short);
    let preferred_first_name = match short {
        Some(short) if rng.random_bool(0.35) => Some(short),
        _ if heritage.ethnicity == "CHNE" && rng.random_bool(0.3) => Some(if girl {
            names::pick(rng, names::CHOSEN_GIRLS)
        } else {
            names::pick(rng, names::CHOSEN_BOYS)
        }),
        _ => None,
    };
    // A few pupils go by a step-parent's surname at school.
    let preferred_last_name = rng
        .random_bool(0.01)
        .then(|| names::pick(rng, heritage.surnames))
        .filter(|name| *name != legal_last_name);

    // Aged nc_year + 4 on 31 August before the year starts: born September to August.
    let born_from = NaiveDate::from_ymd_opt(start_year - nc_year - 5, 9, 1).expect("a date");
    let born_by = NaiveDate::from_ymd_opt(start_year - nc_year - 4, 9, 1).expect("a date");
    let date_of_birth =
        born_from + Days::new(rng.random_range(0..(born_by - born_from).num_days()) as u64);

    let sen_status = {
        let (ehcp, support) = if girl { (0.025, 0.10) } else { (0.055, 0.16) };
        let draw: f64 = rng.random();
        if draw < ehcp {
            "E"
        } else if draw < ehcp + support {
            "K"
        } else {
            "N"
        }
    };
    let free_school_meals = rng.random_bool(0.25);
    let pupil_premium = free_school_meals || rng.random_bool(0.06);
    let eal = rng.random_range(0..100) < heritage.eal_percent;
    let safeguarding_status = {
        let (protection, in_need) = if free_school_meals {
            (0.02, 0.06)
        } else {
            (0.0067, 0.02)
        };
        let draw: f64 = rng.random();
        if draw < protection {
            "child_protection_plan"
        } else if draw < protection + in_need {
            "child_in_need"
        } else {
            "none"
        }
    };

    // Most joined at the start of the school's first year; some later, a few this year.
    let first_nc = *context.school.phase.nc_years().start();
    let entry_year = start_year - (nc_year - first_nc);
    let this_year = years.school_days(start_year);
    let so_far = this_year.partition_point(|day| *day <= context.through);
    let draw: f64 = rng.random();
    let admitted_on = if draw < 0.03 && so_far > 10 {
        this_year[rng.random_range(5..so_far)]
    } else if draw < 0.11 && entry_year < start_year {
        let year = rng.random_range(entry_year..start_year);
        let days = years.school_days(year);
        days[rng.random_range(1..days.len())]
    } else {
        years.school_days(entry_year)[0]
    };
    let on_roll_since = this_year.partition_point(|day| *day <= admitted_on);
    let left_on = (rng.random_bool(0.015) && so_far > on_roll_since + 1)
        .then(|| this_year[rng.random_range(on_roll_since..so_far - 1)]);

    // A UPN is given when a child first starts school, in Reception, by that school.
    let allocated = (start_year - nc_year).rem_euclid(100) as u16;
    let home_la: u16 = LA_CODE.parse().expect("a three-digit LA code");
    let (la, establishment) = if rng.random_bool(0.1) {
        (
            names::pick(rng, NEIGHBOURING_LAS),
            rng.random_range(2000..3800),
        )
    } else if context.school.phase == Phase::Primary
        && admitted_on == years.school_days(entry_year)[0]
    {
        (home_la, context.establishment)
    } else {
        (home_la, names::pick(rng, context.feeders))
    };
    let upn = upns.allocate(la, establishment, allocated);

    let pupil = Pupil {
        id: Uuid::new_v4(),
        upn,
        legal_first_name,
        legal_last_name,
        preferred_first_name,
        preferred_last_name,
        date_of_birth,
        sex: if girl { "F" } else { "M" },
        nc_year,
        year_group_id: context.year_group_id,
        form: context.form,
        admitted_on,
        left_on,
        sen_status,
        free_school_meals,
        pupil_premium,
        eal,
        ethnicity: heritage.ethnicity,
        safeguarding_status,
    };
    (pupil, heritage)
}

/// The people the school calls about a pupil: one to three, in the order they are called, most
/// with parental responsibility, sharing a home unless separated.
fn contacts(rng: &mut impl Rng, pupil: &Pupil, heritage: &names::Heritage) -> Vec<Contact> {
    let count = match rng.random_range(0..100) {
        0..25 => 1,
        25..85 => 2,
        _ => 3,
    };
    let first = match rng.random_range(0..100) {
        0..70 => "Mother",
        70..88 => "Father",
        88..93 => "Grandmother",
        93..97 => "Carer",
        _ => "Aunt",
    };
    let seconds = match first {
        "Mother" => [
            "Father",
            "Father",
            "Father",
            "Father",
            "Stepfather",
            "Grandmother",
        ],
        "Father" => [
            "Mother",
            "Mother",
            "Mother",
            "Stepmother",
            "Grandmother",
            "Aunt",
        ],
        _ => ["Grandfather", "Aunt", "Uncle", "Mother", "Father", "Carer"],
    };
    let mut relationships = vec![first];
    if count >= 2 {
        relationships.push(names::pick(rng, &seconds));
    }
    if count == 3 {
        relationships.push(names::pick(
            rng,
            &[
                "Grandmother",
                "Grandfather",
                "Aunt",
                "Uncle",
                "Family friend",
            ],
        ));
    }

    let home = Home::new(rng);
    let separated = rng.random_bool(0.2);
    let mut contacts = Vec::with_capacity(count);
    for (index, relationship) in relationships.into_iter().enumerate() {
        let woman = matches!(
            relationship,
            "Mother" | "Stepmother" | "Grandmother" | "Aunt"
        ) || (matches!(relationship, "Carer" | "Family friend")
            && rng.random_bool(0.7));
        let older = matches!(relationship, "Grandmother" | "Grandfather");
        let first_name = match (woman, older && heritage.ethnicity == "WBRI") {
            (true, true) => names::pick(rng, names::OLDER_WOMEN),
            (false, true) => names::pick(rng, names::OLDER_MEN),
            (true, false) => names::pick(rng, heritage.women),
            (false, false) => names::pick(rng, heritage.men),
        };
        let shares_surname = match relationship {
            "Father" | "Grandfather" | "Uncle" => rng.random_bool(0.9),
            "Mother" => rng.random_bool(0.7),
            _ => rng.random_bool(0.3),
        };
        let last_name = if shares_surname {
            pupil.legal_last_name
        } else {
            names::pick(rng, heritage.surnames)
        };
        let title = if woman {
            names::pick(rng, &["Mrs", "Mrs", "Ms", "Ms", "Miss", "Dr"])
        } else {
            names::pick(rng, &["Mr", "Mr", "Mr", "Mr", "Mr", "Dr"])
        };
        let parental_responsibility = match relationship {
            "Mother" | "Father" => true,
            "Carer" => rng.random_bool(0.6),
            "Stepmother" | "Stepfather" => rng.random_bool(0.2),
            _ => false,
        };
        // The first two live together unless the parents are separated; others elsewhere.
        let lives_with_pupil = index == 0 || (index == 1 && !separated);
        let own_home;
        let home = if lives_with_pupil {
            &home
        } else {
            own_home = Home::new(rng);
            &own_home
        };
        let email = if rng.random_bool(0.75) {
            let domain = names::pick(rng, &["example.com", "example.org"]);
            let number = rng.random_range(1..100);
            let mailbox = names::mailbox(first_name, last_name);
            if rng.random_bool(0.5) {
                format!("{mailbox}{number}@{domain}")
            } else {
                format!("{mailbox}@{domain}")
            }
        } else {
            String::new()
        };
        let preferred_contact = match rng.random_range(0..100) {
            0..40 => "phone",
            40..75 => "text",
            75..95 if !email.is_empty() => "email",
            75..95 => "phone",
            _ => "letter",
        };
        contacts.push(Contact {
            pupil_id: pupil.id,
            priority: index as i32 + 1,
            title,
            first_name,
            last_name,
            relationship,
            parental_responsibility,
            mobile_phone: if rng.random_bool(0.95) {
                names::mobile(rng)
            } else {
                String::new()
            },
            home_phone: home.phone.clone(),
            work_phone: if rng.random_bool(0.2) {
                names::landline(rng)
            } else {
                String::new()
            },
            email,
            address: home.address.clone(),
            postcode: home.postcode.clone(),
            preferred_contact,
        });
    }
    contacts
}

/// Where a contact lives.
struct Home {
    address: String,
    postcode: String,
    phone: String,
}

impl Home {
    fn new(rng: &mut impl Rng) -> Self {
        let number = rng.random_range(1..180);
        let street = names::pick(rng, names::STREETS);
        let kind = names::pick(rng, names::STREET_KINDS);
        let area = names::pick(rng, names::AREAS);
        Self {
            address: format!("{number} {street} {kind}, {area}, {}", names::TOWN),
            postcode: names::postcode(rng),
            phone: if rng.random_bool(0.4) {
                names::landline(rng)
            } else {
                String::new()
            },
        }
    }
}
