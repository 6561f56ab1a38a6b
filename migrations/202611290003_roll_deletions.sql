-- Pupils taken off the roll, with the regulation's ground (`app::domain::roll`). The enrolment's
-- left_on becomes the day before `deleted_on`; a deletion not yet in force can be cancelled (the
-- family changed their mind during a home-education cooling-off period), which keeps the row with
-- who cancelled it and why. The deletion return to the local authority is marked when it is sent.
create table roll_deletions (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    ground text not null check (ground in (
        'home_education', 'another_school', 'moved_away', 'not_returned_after_leave',
        'continuous_absence', 'medically_unfit', 'custody', 'permanently_excluded',
        'left_compulsory_education', 'died')),
    -- The first day off the roll; never before the day it was recorded.
    deleted_on date not null,
    notice_on date,
    cooling_off_until date,
    note text not null check (length(trim(note)) between 1 and 2000),
    recorded_by uuid not null references staff (id),
    recorded_at timestamptz not null default now(),
    return_sent_on date,
    return_sent_by uuid references staff (id),
    cancelled_at timestamptz,
    cancelled_by uuid references staff (id),
    cancel_reason text,
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    check (ground = 'home_education' or (notice_on is null and cooling_off_until is null)),
    check ((cancelled_at is null) = (cancelled_by is null)),
    check ((return_sent_on is null) = (return_sent_by is null))
);
-- One deletion in force (or waiting to be) per enrolment.
create unique index roll_deletions_one_live on roll_deletions (school_id, pupil_id)
    where cancelled_at is null;
