//! `rollcall seed demo`: a made-up trust to show Rollcall with and to build against. Its
//! schools, pupils, contacts, staff and marks should look real to an attendance officer, and the
//! same options with the same seed always make the same pupils, UPNs and marks.
//!
//! Everything is written in one transaction, so a failure leaves the database as it was.

mod calendar;
mod copy;
mod marks;
mod names;
mod roll;
mod staff;

use std::{fmt, sync::Arc};

use anyhow::{Context, bail};
use app::{audit, auth::password::hash_password};
use chrono::{NaiveDate, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use calendar::SchoolYear;
use copy::{CopyText, copy};
use marks::Registers;
use roll::{School, Years};
use staff::Member;

pub use staff::DemoAccount;

/// The password of every demo account. The demo is for showing and developing only.
pub const DEMO_PASSWORD: &str = "rollcall-demo";

const TRUST_NAME: &str = "Riverside Learning Trust";

/// Held for the seeding transaction, so two seeders cannot both find the database empty.
const SEED_LOCK: i64 = 7_461_002;

/// Pupils per school, at most: beyond this the UPN serial numbers and form names run short.
const MOST_PUPILS: usize = 3000;

/// Marks are sent to PostgreSQL in chunks of about this many bytes.
const CHUNK: usize = 4 << 20;

/// What demo to make.
#[derive(Clone, Debug, clap::Args)]
pub struct DemoOptions {
    /// How many schools: a secondary and a primary in turn, the secondary first.
    #[arg(long, default_value_t = 2)]
    pub schools: usize,
    /// Pupils per school [default: 900 at a secondary, 300 at a primary].
    #[arg(long)]
    pub pupils: Option<usize>,
    /// The same seed with the same options makes the same pupils, UPNs and marks.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Make marks up to and including this day, as YYYY-MM-DD, for the academic year it falls in
    /// [default: today in England].
    #[arg(long)]
    pub through: Option<NaiveDate>,
    /// Do nothing, successfully, when the database already has a trust.
    #[arg(long)]
    pub if_empty: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            schools: 2,
            pupils: None,
            seed: 2026,
            through: None,
            if_empty: false,
        }
    }
}

/// What `seed_demo` did.
#[derive(Debug)]
pub enum DemoSummary {
    /// `--if-empty` found a trust already there, so nothing was written.
    AlreadySeeded {
        trust: String,
    },
    Seeded(SeededTrust),
}

#[derive(Debug)]
pub struct SeededTrust {
    pub trust: String,
    pub academic_year: String,
    pub through: NaiveDate,
    pub schools: Vec<SeededSchool>,
    pub staff: usize,
    /// The accounts to sign in as, one per role per school and the trust administrator.
    pub accounts: Vec<DemoAccount>,
}

#[derive(Debug)]
pub struct SeededSchool {
    pub name: String,
    pub phase: &'static str,
    pub urn: String,
    pub forms: usize,
    pub pupils: usize,
    pub contacts: usize,
    pub marks: u64,
}

/// Makes the demo trust, or refuses if the database already has a trust (and with `if_empty`,
/// does nothing instead).
pub async fn seed_demo(pool: &PgPool, options: &DemoOptions) -> anyhow::Result<DemoSummary> {
    if !(1..=roll::MOST_SCHOOLS).contains(&options.schools) {
        bail!(
            "--schools must be between 1 and {}, not {}",
            roll::MOST_SCHOOLS,
            options.schools
        );
    }
    if let Some(pupils) = options.pupils
        && !(1..=MOST_PUPILS).contains(&pupils)
    {
        bail!("--pupils must be between 1 and {MOST_PUPILS} per school, not {pupils}");
    }
    let through = options.through.unwrap_or_else(today_in_england);

    let mut tx = pool
        .begin()
        .await
        .context("starting the transaction to seed the demo")?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(SEED_LOCK)
        .execute(&mut *tx)
        .await?;
    let existing: Option<String> =
        sqlx::query_scalar("select name from trusts order by created_at, name limit 1")
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(trust) = existing {
        if options.if_empty {
            return Ok(DemoSummary::AlreadySeeded { trust });
        }
        bail!(
            "the database already has a trust ({trust}), so no demo was made and nothing was \
             written: the demo goes only into an empty database. Seed a fresh database, or pass \
             --if-empty to skip quietly when a trust is there"
        );
    }

    // One hash for every account: hashing is slow on purpose, and they share the password.
    let password_hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD))
        .await
        .context("hashing the demo password")?;
    let years = Years::new(SchoolYear::containing(through));
    let mut schools = roll::schools(
        options.seed,
        options.schools,
        options.pupils,
        &years,
        through,
    );
    let staff = staff::staff(options.seed, &mut schools);

    write_roll(
        &mut tx,
        options.seed,
        &years.current,
        &schools,
        &staff,
        &password_hash,
    )
    .await
    .context("writing the demo's schools, pupils and staff")?;
    let schools = Arc::new(schools);
    let marks = write_marks(
        &mut tx,
        options.seed,
        years.current.clone(),
        through,
        schools.clone(),
    )
    .await
    .context("writing the demo's marks")?;
    for school in schools.iter() {
        app::attendance::queries::rebuild_school_totals(&mut tx, school.id)
            .await
            .context("adding up the demo's attendance figures")?;
    }
    tx.commit().await.context("committing the demo trust")?;
    // Fresh statistics and visibility for the bulk load, so the figures are read from the
    // running totals' index alone from the first request.
    sqlx::query(
        "vacuum analyze marks, attendance_totals, attendance_months, attendance_school_days",
    )
    .execute(pool)
    .await
    .context("analysing the demo's marks")?;
    // The case engine's first run, so the demo opens with a caseload.
    for school in schools.iter() {
        app::cases::queries::evaluate_school(pool, school.id, through)
            .await
            .context("opening the demo's cases")?;
    }

    Ok(DemoSummary::Seeded(SeededTrust {
        trust: TRUST_NAME.to_string(),
        academic_year: years.current.name(),
        through,
        schools: schools
            .iter()
            .zip(marks)
            .map(|(school, marks)| SeededSchool {
                name: school.name.to_string(),
                phase: school.phase.key(),
                urn: school.urn.clone(),
                forms: school.forms.len(),
                pupils: school.pupils.len(),
                contacts: school.contacts.len(),
                marks,
            })
            .collect(),
        staff: staff.len(),
        accounts: staff
            .into_iter()
            .filter_map(|member| member.demo_account)
            .collect(),
    }))
}

/// Today's date in England, where the schools are, whatever the server's own time zone.
fn today_in_england() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

/// A seed for one random stream of the demo, so that each school's roll and each pupil's marks
/// come out the same however many other schools and pupils there are.
fn derive_seed(seed: u64, stream: u64, index: u64) -> u64 {
    fn splitmix(mut x: u64) -> u64 {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }
    splitmix(splitmix(splitmix(seed) ^ stream) ^ index)
}

/// The trust, its schools and calendars, staff, forms, pupils and contacts.
async fn write_roll(
    conn: &mut PgConnection,
    seed: u64,
    year: &SchoolYear,
    schools: &[School],
    staff: &[Member],
    password_hash: &str,
) -> anyhow::Result<()> {
    let trust_id = Uuid::new_v4();
    sqlx::query("insert into trusts (id, name) values ($1, $2)")
        .bind(trust_id)
        .bind(TRUST_NAME)
        .execute(&mut *conn)
        .await?;
    // So anyone reading the log later knows these pupils are made up.
    audit::record(
        &mut *conn,
        None,
        None,
        "demo_seeded",
        &format!("trust:{trust_id}"),
        serde_json::json!({
            "trust": TRUST_NAME,
            "seed": seed,
            "schools": schools.len(),
            "pupils": schools.iter().map(|school| school.pupils.len()).sum::<usize>(),
            "academic_year": year.name(),
        }),
    )
    .await?;

    let mut rows = CopyText::default();
    for school in schools {
        rows.plain(school.id)
            .plain(trust_id)
            .text(&school.urn)
            .text(school.name)
            .text(school.phase.key())
            .plain(school.am_register_opens)
            .plain(school.pm_register_opens)
            .plain(school.register_open_minutes)
            .text(school.la_code)
            .end_row();
    }
    copy(
        conn,
        "COPY schools (id, trust_id, urn, name, phase, am_register_opens, pm_register_opens, \
         register_open_minutes, la_code) FROM STDIN",
        rows,
    )
    .await?;

    let mut academic_years = CopyText::default();
    let mut terms = CopyText::default();
    let mut closures = CopyText::default();
    let mut year_groups = CopyText::default();
    for school in schools {
        let year_id = Uuid::new_v4();
        academic_years
            .plain(school.id)
            .plain(year_id)
            .text(&year.name())
            .plain(year.starts_on())
            .plain(year.ends_on())
            .end_row();
        for term in &year.terms {
            terms
                .plain(school.id)
                .plain(year_id)
                .text(term.name)
                .plain(term.starts_on)
                .plain(term.ends_on)
                .end_row();
        }
        for closure in &year.closures {
            closures
                .plain(school.id)
                .plain(closure.closed_on)
                .text(closure.kind.key())
                .text(closure.note)
                .end_row();
        }
        for year_group in &school.year_groups {
            year_groups
                .plain(school.id)
                .plain(year_group.id)
                .plain(year_group.nc_year)
                .text(&year_group.name)
                .end_row();
        }
    }
    let statements = [
        "COPY academic_years (school_id, id, name, starts_on, ends_on) FROM STDIN",
        "COPY terms (school_id, academic_year_id, name, starts_on, ends_on) FROM STDIN",
        "COPY calendar_closures (school_id, closed_on, kind, note) FROM STDIN",
        "COPY year_groups (school_id, id, nc_year, name) FROM STDIN",
    ];
    for (statement, rows) in
        statements
            .into_iter()
            .zip([academic_years, terms, closures, year_groups])
    {
        copy(conn, statement, rows).await?;
    }

    let (mut members, mut grants) = (CopyText::default(), CopyText::default());
    for (n, member) in staff.iter().enumerate() {
        // A work mobile from Ofcom's range for drama (07700 900000 to 900999), so the office's
        // overdue check-out alert has a number to call in the demo.
        let phone = format!("07700 900{:03}", n % 1000);
        members
            .plain(member.id)
            .plain(trust_id)
            .text(&member.email)
            .text(&member.display_name)
            .text(&phone)
            .text(password_hash)
            .end_row();
        for (role, school_id) in &member.grants {
            grants
                .plain(member.id)
                .plain(trust_id)
                .optional(*school_id)
                .text(role.key())
                .end_row();
        }
    }
    copy(
        conn,
        "COPY staff (id, trust_id, email, display_name, phone, password_hash) FROM STDIN",
        members,
    )
    .await?;
    copy(
        conn,
        "COPY role_grants (staff_id, trust_id, school_id, role) FROM STDIN",
        grants,
    )
    .await?;

    let mut forms = CopyText::default();
    let mut pupils = CopyText::default();
    let mut contacts = CopyText::default();
    for school in schools {
        for form in &school.forms {
            forms
                .plain(school.id)
                .plain(form.id)
                .plain(form.year_group_id)
                .text(&form.name)
                .optional(form.tutor_id)
                .end_row();
        }
        for pupil in &school.pupils {
            pupils
                .plain(school.id)
                .plain(pupil.id)
                .text(pupil.upn.as_str())
                .text(pupil.legal_first_name)
                .text(pupil.legal_last_name)
                .optional_text(pupil.preferred_first_name)
                .optional_text(pupil.preferred_last_name)
                .plain(pupil.date_of_birth)
                .text(pupil.sex)
                .plain(pupil.year_group_id)
                .plain(school.forms[pupil.form].id)
                .plain(pupil.admitted_on)
                .optional(pupil.left_on)
                .text(pupil.sen_status)
                .flag(pupil.free_school_meals)
                .flag(pupil.pupil_premium)
                .flag(pupil.eal)
                .text(pupil.ethnicity)
                .text(pupil.safeguarding_status)
                .end_row();
        }
        for contact in &school.contacts {
            contacts
                .plain(school.id)
                .plain(contact.pupil_id)
                .plain(contact.priority)
                .text(contact.title)
                .text(contact.first_name)
                .text(contact.last_name)
                .text(contact.relationship)
                .flag(contact.parental_responsibility)
                .text(&contact.mobile_phone)
                .text(&contact.home_phone)
                .text(&contact.work_phone)
                .text(&contact.email)
                .text(&contact.address)
                .text(&contact.postcode)
                .text(contact.preferred_contact)
                .end_row();
        }
    }
    let statements = [
        "COPY forms (school_id, id, year_group_id, name, tutor_id) FROM STDIN",
        "COPY pupils (school_id, id, upn, legal_first_name, legal_last_name, \
         preferred_first_name, preferred_last_name, date_of_birth, sex, year_group_id, form_id, \
         admitted_on, left_on, sen_status, free_school_meals, pupil_premium, eal, ethnicity, \
         safeguarding_status) FROM STDIN",
        "COPY contacts (school_id, pupil_id, priority, title, first_name, last_name, \
         relationship, parental_responsibility, mobile_phone, home_phone, work_phone, email, \
         address, postcode, preferred_contact) FROM STDIN",
    ];
    for (statement, rows) in statements.into_iter().zip([forms, pupils, contacts]) {
        copy(conn, statement, rows).await?;
    }
    Ok(())
}

/// Every pupil's marks, streamed to one COPY while a blocking thread makes the next chunk, so
/// making marks and storing them overlap. Returns how many marks each school got.
async fn write_marks(
    conn: &mut PgConnection,
    seed: u64,
    year: SchoolYear,
    through: NaiveDate,
    schools: Arc<Vec<School>>,
) -> anyhow::Result<Vec<u64>> {
    let (chunks, mut received) = tokio::sync::mpsc::channel::<String>(4);
    // When the COPY fails the receiver goes, the send fails, and the maker stops early.
    let maker = tokio::task::spawn_blocking(move || {
        make_marks(seed, &year, through, &schools, |chunk| {
            chunks.blocking_send(chunk).is_ok()
        })
    });
    let mut copy = conn
        .copy_in_raw(
            "COPY marks (school_id, pupil_id, session_date, session, code, minutes_late, source) \
             FROM STDIN",
        )
        .await?;
    while let Some(chunk) = received.recv().await {
        copy.send(chunk.into_bytes()).await?;
    }
    let counts = maker.await.context("making the marks")?;
    copy.finish().await?;
    Ok(counts)
}

/// Makes every pupil's marks from the start of the year (or their admission) to `through` (or
/// their leaving) as COPY rows, handing them to `send` in chunks until it returns false.
/// Returns how many marks each school got.
fn make_marks(
    seed: u64,
    year: &SchoolYear,
    through: NaiveDate,
    schools: &[School],
    mut send: impl FnMut(String) -> bool,
) -> Vec<u64> {
    let days: Vec<NaiveDate> = year
        .school_days()
        .into_iter()
        .take_while(|day| *day <= through)
        .collect();
    // Each date's text, by days since the year started, so a year of marks formats 190 dates.
    let dates: Vec<String> = year
        .starts_on()
        .iter_days()
        .take_while(|day| *day <= year.ends_on())
        .map(|day| day.to_string())
        .collect();
    let date_text = |day: NaiveDate| &dates[(day - year.starts_on()).num_days() as usize];

    // Sent in order of school and pupil id, the order of the marks_current index, so the index
    // grows at its end instead of being rewritten all over: several times faster to load.
    let mut school_order: Vec<usize> = (0..schools.len()).collect();
    school_order.sort_by_key(|&index| schools[index].id);
    let mut rows = CopyText::default();
    let mut counts = vec![0; schools.len()];
    for school_index in school_order {
        let school = &schools[school_index];
        let registers = Registers {
            days: &days,
            pending: &days[days.len().saturating_sub(5)..],
            phase: school.phase,
            register_open_minutes: school.register_open_minutes,
        };
        let school_id = school.id.to_string();
        let missing = marks::missing_pupil(&school.pupils, &registers);
        let mut pupil_order: Vec<usize> = (0..school.pupils.len()).collect();
        pupil_order.sort_by_key(|&index| school.pupils[index].id);
        for pupil_index in pupil_order {
            let pupil = &school.pupils[pupil_index];
            let stream = (school_index as u64) << 32 | pupil_index as u64;
            let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, 4, stream));
            let pupil_id = pupil.id.to_string();
            let trip_days = &school.forms[pupil.form].trip_days;
            let mut pupil_marks = marks::pupil_marks(&mut rng, &registers, pupil, trip_days);
            if missing == Some(pupil_index) {
                marks::gone_missing(&mut pupil_marks, &registers);
            }
            for (day, pair) in pupil_marks {
                for (session, mark) in ["AM", "PM"].into_iter().zip(pair) {
                    rows.text(&school_id)
                        .text(&pupil_id)
                        .text(date_text(day))
                        .text(session)
                        .text(mark.code)
                        .optional(mark.minutes_late)
                        .text("demo")
                        .end_row();
                    counts[school_index] += 1;
                }
            }
            if rows.waiting() >= CHUNK && !send(rows.take()) {
                return counts;
            }
        }
    }
    send(rows.take());
    counts
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoSummary::AlreadySeeded { trust } => write!(
                f,
                "The database already has a trust ({trust}), so no demo was made."
            ),
            DemoSummary::Seeded(trust) => trust.fmt(f),
        }
    }
}

impl fmt::Display for SeededTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Made the demo trust {} for {}, with marks up to {}:",
            self.trust,
            self.academic_year,
            self.through.format("%A %-d %B %Y")
        )?;
        for school in &self.schools {
            writeln!(
                f,
                "  {} ({}, URN {}): {} pupils in {} forms, {} contacts, {} marks",
                school.name,
                school.phase,
                school.urn,
                thousands(school.pupils as u64),
                school.forms,
                thousands(school.contacts as u64),
                thousands(school.marks)
            )?;
        }
        let total =
            |count: fn(&SeededSchool) -> u64| -> u64 { self.schools.iter().map(count).sum() };
        writeln!(
            f,
            "In all: {} schools, {} pupils, {} contacts, {} staff and {} marks.",
            self.schools.len(),
            thousands(total(|s| s.pupils as u64)),
            thousands(total(|s| s.contacts as u64)),
            thousands(self.staff as u64),
            thousands(total(|s| s.marks)),
        )?;
        writeln!(f)?;
        writeln!(f, "Sign in with the password {DEMO_PASSWORD} as:")?;
        let width = self
            .accounts
            .iter()
            .map(|account| account.email.len())
            .max()
            .unwrap_or(0);
        for account in &self.accounts {
            let place = match account.school {
                Some(school) => format!(" at {school}"),
                None => String::new(),
            };
            writeln!(
                f,
                "  {:width$}  {}{place}",
                account.email,
                account.role.label()
            )?;
        }
        write!(
            f,
            "Every form tutor can sign in with the same password too."
        )
    }
}

/// A count as people write it: 4,560,000.
fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}
