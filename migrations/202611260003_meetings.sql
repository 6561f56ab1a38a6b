-- Meetings and attendance plans on a case (issue 7): attendance meetings, panels and pre-legal
-- meetings, arranged ahead and recorded afterwards; a plan agreed at a meeting with a target and
-- a review date, which the case engine checks on that date. See app/src/meetings.

create table meetings (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    case_id uuid not null,
    -- domain::meetings::MeetingKind keys.
    kind text not null check (kind in ('attendance_meeting', 'panel', 'pre_legal')),
    starts_at timestamptz not null,
    place text not null default '',
    -- Who was asked to come, as the school writes it.
    invited text not null default '',
    arranged_by uuid references staff (id),
    arranged_at timestamptz not null default now(),
    -- Recorded once the meeting has taken place.
    recorded_at timestamptz,
    recorded_by uuid references staff (id),
    attendees text,
    minutes text,
    actions text,
    primary key (school_id, id),
    foreign key (school_id, case_id) references cases (school_id, id),
    check ((recorded_at is null) = (minutes is null))
);
create index meetings_case on meetings (school_id, case_id, starts_at);

-- A plan agreed at a meeting: what the school and family will do, the attendance the pupil is to
-- reach between the meeting and the review date, in hundredths of a percent.
create table attendance_plans (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    case_id uuid not null,
    meeting_id uuid not null,
    target integer not null check (target between 1 and 10000),
    starts_on date not null,
    review_on date not null,
    support text not null,
    agreed_by uuid references staff (id),
    agreed_at timestamptz not null default now(),
    -- Filled by the engine on the review date: the attendance over the plan and whether it met
    -- the target.
    reviewed_on date,
    reviewed_attendance integer,
    target_met boolean,
    primary key (school_id, id),
    foreign key (school_id, case_id) references cases (school_id, id),
    foreign key (school_id, meeting_id) references meetings (school_id, id),
    check (review_on > starts_on),
    check ((reviewed_on is null) = (target_met is null))
);
-- One plan under way per case at a time.
create unique index attendance_plans_one_open on attendance_plans (school_id, case_id)
    where reviewed_on is null;
create index attendance_plans_due on attendance_plans (school_id, review_on)
    where reviewed_on is null;
