-- A pupil's temporary arrangements: a reduced timetable (C2 for the sessions not attended), which
-- must be time-limited, reviewed on set dates and notified to the local authority; or a place in
-- alternative provision, coded K when the local authority arranged it and B when the school did.
create table pupil_arrangements (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    kind text not null check (kind in ('reduced_timetable', 'alternative_provision')),
    starts_on date not null,
    ends_on date not null check (ends_on >= starts_on),
    -- The next review; a reduced timetable always has one.
    review_on date,
    -- The hours agreed, or the provider and its address.
    detail text not null check (length(trim(detail)) between 1 and 2000),
    -- Alternative provision: 'la' (K) or 'school' (B).
    arranged_by text check (arranged_by in ('la', 'school')),
    la_notified_on date,
    recorded_by uuid not null references staff (id),
    recorded_at timestamptz not null default now(),
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    check (kind <> 'reduced_timetable' or review_on is not null),
    check ((kind = 'alternative_provision') = (arranged_by is not null))
);
create index pupil_arrangements_current on pupil_arrangements (school_id, ends_on);

-- Each review of an arrangement: when, by whom, what was decided and the next date.
create table arrangement_reviews (
    school_id uuid not null,
    arrangement_id uuid not null,
    reviewed_on date not null,
    note text not null check (length(trim(note)) between 1 and 2000),
    next_review_on date,
    reviewed_by uuid not null references staff (id),
    reviewed_at timestamptz not null default now(),
    foreign key (school_id, arrangement_id) references pupil_arrangements (school_id, id)
);
