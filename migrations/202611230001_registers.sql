-- Registers: who took which register when, the running totals the figures are read from,
-- and imports.

-- A register taken for a form and a session. The marks are in `marks`; this row says when it
-- was first taken and last saved, so the office can see which registers are still not taken.
create table registers_taken (
    school_id uuid not null,
    form_id uuid not null,
    session_date date not null,
    session text not null check (session in ('AM', 'PM')),
    first_taken_at timestamptz not null default now(),
    first_taken_by uuid references staff (id),
    last_saved_at timestamptz not null default now(),
    last_saved_by uuid references staff (id),
    primary key (school_id, session_date, session, form_id),
    foreign key (school_id, form_id) references forms (school_id, id)
);

-- Each pupil's totals of every session up to and including a school day, one row per pupil
-- per day with a mark. The figures for any period are the difference of two rows per pupil
-- (the last day in the period, the last day before it), so a whole school's year is read in
-- two index probes per pupil instead of a scan of every mark. Every write of marks refreshes
-- the rows from the first day it changed (app/src/attendance/queries.rs, `refresh_totals`).
create table attendance_totals (
    school_id uuid not null,
    pupil_id uuid not null,
    session_date date not null,
    present integer not null,
    aea integer not null,
    authorised integer not null,
    unauthorised integer not null,
    late_before_close integer not null,
    late_after_close integer not null,
    primary key (school_id, pupil_id, session_date),
    foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
) with (fillfactor = 90);

-- Files imported from a management information system. The digest makes a second import of
-- the same file a no-op that says so.
create table imports (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    kind text not null check (kind in ('pupils', 'marks')),
    file_name text not null,
    sha256 text not null,
    rows integer not null,
    created integer not null default 0,
    changed integer not null default 0,
    unchanged integer not null default 0,
    imported_by uuid references staff (id),
    imported_at timestamptz not null default now(),
    primary key (school_id, id)
);
create index imports_digest on imports (school_id, kind, sha256);
