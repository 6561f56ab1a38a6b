-- First-day calling: the school's deadlines for escalating a pupil nobody has reached, and
-- every attempt to reach a pupil's contacts (calls, texts, emails, visits) with its outcome.

alter table schools
    -- Minutes after the AM register closes: a pupil with no successful contact by then is
    -- flagged for the designated safeguarding lead.
    add column calling_dsl_alert_minutes integer not null default 60
        check (calling_dsl_alert_minutes between 5 and 480),
    -- Minutes after the AM register closes: a home visit is proposed.
    add column calling_home_visit_minutes integer not null default 120
        check (calling_home_visit_minutes between 5 and 600);

-- One attempt to reach a pupil's family about a session's absence. Kept general (any method,
-- any outcome) so the case workflow can put every attempt on a case's timeline. The contact's
-- name is copied so the attempt still reads right if the contact is later changed or removed.
create table contact_attempts (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    session_date date not null,
    session text not null check (session in ('AM', 'PM')),
    contact_id uuid,
    contact_name text not null default '',
    method text not null check (method in ('call', 'text', 'email', 'visit')),
    outcome text not null check (outcome in (
        'reached', 'no_answer', 'voicemail', 'wrong_number', 'message_sent', 'no_one_home')),
    note text not null default '',
    -- When the family gave a reason: the code recorded and the AM mark it set.
    reason_code text,
    mark_id bigint,
    recorded_by uuid references staff (id),
    recorded_at timestamptz not null default now(),
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
);
create index contact_attempts_day on contact_attempts (school_id, session_date, pupil_id);
create index contact_attempts_pupil on contact_attempts (school_id, pupil_id, recorded_at);
