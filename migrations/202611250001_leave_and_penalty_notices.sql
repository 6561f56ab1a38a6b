-- Leave of absence requests and penalty notices (issue 7). The rules are pure functions in
-- app/src/domain/leave.rs and app/src/domain/penalty.rs.

-- Approved leave and refused leave taken write marks through write_marks, as 'leave'.
alter table marks drop constraint marks_source_check,
    add constraint marks_source_check
        check (source in ('register', 'late_door', 'import', 'demo', 'calling', 'leave'));

-- A parent's request for leave, from its first session to its last, and the school's decision.
create table leave_requests (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    -- The parent who asked, as named on the request (contacts may be re-imported).
    contact_id uuid,
    parent_name text not null,
    first_date date not null,
    first_session text not null check (first_session in ('AM', 'PM')),
    last_date date not null,
    last_session text not null check (last_session in ('AM', 'PM')),
    -- domain::leave::Ground keys: the regulation's code, or 'none' (a holiday, say).
    ground text not null check (ground in ('C1', 'J1', 'S', 'C2', 'C', 'none')),
    parent_reason text not null check (parent_reason <> ''),
    received_on date not null,
    recorded_by uuid references staff (id),
    recorded_at timestamptz not null default now(),
    decision text not null default 'pending'
        check (decision in ('pending', 'approved', 'refused')),
    decided_by uuid references staff (id),
    decided_at timestamptz,
    decision_reason text,
    -- Sessions coded when approved, or turned into G when refused leave was taken.
    sessions_coded integer not null default 0,
    taken_recorded_by uuid references staff (id),
    taken_recorded_at timestamptz,
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    check ((first_date, first_session) <= (last_date, last_session)),
    check ((decision = 'pending') = (decided_at is null)),
    check (decision = 'pending' or decision_reason <> ''),
    check (decision <> 'approved' or ground <> 'none'),
    check (taken_recorded_at is null or decision = 'refused')
);
create index leave_requests_pupil on leave_requests (school_id, pupil_id, first_date);
create index leave_requests_recent on leave_requests (school_id, recorded_at);

-- A Notice to Improve: the warning before a penalty notice, with its improvement period.
create table notices_to_improve (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    contact_id uuid,
    parent_name text not null,
    issued_on date not null,
    improvement_ends_on date not null check (improvement_ends_on > issued_on),
    support_offered text not null default '',
    -- The figures that met the threshold, in words, when it was issued.
    why text not null,
    issued_by uuid references staff (id),
    created_at timestamptz not null default now(),
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id)
);
create index notices_to_improve_pupil on notices_to_improve (school_id, pupil_id, issued_on);

-- A penalty notice, per parent per child. Its amount follows from its sequence (the first or
-- second within 3 years) and the day it is paid; unpaid is worked out from the issue date.
create table penalty_notices (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    contact_id uuid,
    parent_name text not null,
    issued_on date not null,
    sequence integer not null check (sequence in (1, 2)),
    why text not null,
    notice_to_improve_id uuid,
    issued_by uuid references staff (id),
    created_at timestamptz not null default now(),
    paid_on date,
    amount_paid_pence integer check (amount_paid_pence in (8000, 16000)),
    payment_recorded_by uuid references staff (id),
    withdrawn_on date,
    withdrawn_reason text,
    withdrawn_by uuid references staff (id),
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    foreign key (school_id, notice_to_improve_id) references notices_to_improve (school_id, id),
    check ((paid_on is null) = (amount_paid_pence is null)),
    check ((withdrawn_on is null) = (withdrawn_reason is null)),
    check (withdrawn_reason is null or withdrawn_reason <> ''),
    check (paid_on is null or withdrawn_on is null),
    check (paid_on is null or paid_on >= issued_on)
);
create index penalty_notices_pupil on penalty_notices (school_id, pupil_id, issued_on);
