-- Home visits: planned from a case (by the engine's proposal or an officer) or added ad hoc,
-- risk assessed before they start, checked in and out for lone-working safety, and recorded.
-- The phone captures most of this offline and sends it through the sync protocol.

create table home_visits (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    case_id uuid,
    -- The officer or home visitor who goes.
    officer_id uuid not null references staff (id),
    planned_on date not null,
    reason text not null check (length(trim(reason)) > 0),
    source text not null check (source in ('proposed', 'planned', 'ad_hoc')),
    status text not null default 'planned'
        check (status in ('planned', 'under_way', 'done', 'cancelled')),
    created_by uuid references staff (id),
    created_at timestamptz not null default now(),

    -- The risk assessment, required before the visit starts.
    risks_known text,
    second_person_needed boolean,
    first_visit boolean,
    risk_assessed_by uuid references staff (id),
    risk_assessed_at timestamptz,

    -- Lone working: in, the time the officer expects to be out by, and out.
    checked_in_at timestamptz,
    expected_finish timestamptz,
    companion text not null default '',
    checked_out_at timestamptz,

    -- The record of the visit. Facts and professional opinion are kept apart on purpose.
    child_seen boolean,
    safe_and_well_checked boolean,
    spoke_with text not null default '',
    no_answer_card_left boolean not null default false,
    what_was_said text not null default '',
    facts text not null default '',
    opinion text not null default '',
    agreed_actions text not null default '',
    next_step text not null default '',
    recorded_by uuid references staff (id),
    recorded_at timestamptz,
    -- Every saved edit of the record adds one; an edit based on an older one is a conflict.
    revision integer not null default 0,

    -- A safeguarding concern: from then on the notes are for safeguarding staff only.
    concern_raised_at timestamptz,
    concern_raised_by uuid references staff (id),
    concern text not null default '',
    concern_seen_at timestamptz,
    concern_seen_by uuid references staff (id),
    concern_emailed_at timestamptz,
    concern_email_error text,

    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    foreign key (school_id, case_id) references cases (school_id, id),
    check (checked_out_at is null or checked_in_at is not null),
    check (checked_in_at is null or risk_assessed_at is not null)
);
create index home_visits_officer on home_visits (school_id, officer_id, planned_on);
create index home_visits_pupil on home_visits (school_id, pupil_id);
-- The office's watch: visits checked in and not out.
create index home_visits_out on home_visits (school_id, expected_finish)
    where checked_in_at is not null and checked_out_at is null;
create index home_visits_concerns on home_visits (school_id, concern_raised_at)
    where concern_raised_at is not null;

-- A visit record edited in two places at once: the second save, based on a revision that was no
-- longer current, is kept here instead of overwriting the first, for a person to resolve.
create table home_visit_conflicts (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    visit_id uuid not null,
    -- The revision the edit was based on, and the one it found.
    base_revision integer not null,
    found_revision integer not null,
    -- The record as it stood (saved first, usually in the office) and the edit that came second
    -- (usually from the phone), as JSON of the same shape.
    kept jsonb not null,
    edit jsonb not null,
    edit_by uuid references staff (id),
    raised_at timestamptz not null default now(),
    resolved_at timestamptz,
    resolved_by uuid references staff (id),
    -- 'kept' (the record as it stood) or 'edit' (the second save replaced it).
    resolution text check (resolution in ('kept', 'edit')),
    primary key (school_id, id),
    foreign key (school_id, visit_id) references home_visits (school_id, id),
    check ((resolved_at is null) = (resolution is null))
);
create index home_visit_conflicts_open on home_visit_conflicts (school_id, raised_at)
    where resolved_at is null;
