-- The case workflow (issue 7): each school's case policy, cases with one open per pupil, and
-- each case's timeline. See app/src/domain/triggers.rs for the rules.

-- Thresholds in hundredths of a percent (9500 = 95.00%), compared in whole sessions.
alter table schools
    add column case_letter_below integer not null default 9500,
    add column case_meeting_below integer not null default 9200,
    add column case_plan_below integer not null default 9000,
    add column case_referral_at_or_below integer not null default 5000,
    add column case_penalty_sessions integer not null default 10
        check (case_penalty_sessions between 1 and 100),
    add column case_penalty_school_weeks integer not null default 10
        check (case_penalty_school_weeks between 1 and 39),
    add column case_cme_days integer not null default 10 check (case_cme_days between 1 and 60),
    add constraint case_ladder_goes_down check (
        case_letter_below <= 10000 and case_letter_below > case_meeting_below
        and case_meeting_below > case_plan_below and case_plan_below > case_referral_at_or_below
        and case_referral_at_or_below >= 1);

-- A pupil of concern. At most one open case per pupil.
create table cases (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    -- The most serious step reached (domain::triggers::Step keys).
    stage text not null,
    owner_id uuid references staff (id),
    opened_at timestamptz not null default now(),
    closed_at timestamptz,
    closed_reason text,
    -- The figures at the engine's last look: attendance in hundredths of a percent and why.
    latest_attendance integer,
    latest_why text not null default '',
    evaluated_on date,
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    check ((closed_at is null) = (closed_reason is null))
);
create unique index cases_one_open on cases (school_id, pupil_id) where closed_at is null;

-- The timeline of a case: everything that happened, in order. General on purpose: calls,
-- letters, meetings and visits add their own kinds, with their details as JSON and links to
-- their own rows in `links`. A safeguarding note is seen only by those who may see safeguarding.
create table case_events (
    school_id uuid not null,
    id bigint generated always as identity,
    case_id uuid not null,
    kind text not null,
    at timestamptz not null default now(),
    by_staff_id uuid references staff (id),
    summary text not null,
    detail jsonb not null default '{}',
    links jsonb not null default '{}',
    safeguarding boolean not null default false,
    -- The proposal this event accepts or overrides.
    answers_id bigint,
    primary key (school_id, id),
    foreign key (school_id, case_id) references cases (school_id, id),
    foreign key (school_id, answers_id) references case_events (school_id, id)
);
create index case_events_case on case_events (school_id, case_id, at);
create unique index case_events_one_answer on case_events (school_id, answers_id)
    where answers_id is not null;
