-- Ten-day notices to the local authority (children missing education): one per run of unexplained
-- absence, named by the run's first school day, with when it was sent and by whom.
create table ten_day_notices (
    school_id uuid not null,
    pupil_id uuid not null,
    run_from date not null,
    run_days integer not null check (run_days > 0),
    sent_on date not null,
    sent_by uuid not null references staff (id),
    sent_at timestamptz not null default now(),
    primary key (school_id, pupil_id, run_from),
    foreign key (school_id, pupil_id) references pupils (school_id, id)
);
