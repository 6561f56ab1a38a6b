-- Data protection: every view of a safeguarding record is logged, and the retention job may
-- remove old entries from the otherwise append-only audit log (docs/retention.md).

-- Who saw which safeguarding record of which pupil, and when. `record` says what was open: a
-- case's safeguarding notes, a visit's concern, the pupil's child-protection status, the first-day
-- calling list with its flags, the DSL's alerts, an evidence pack, a ten-day notice or a subject
-- access export. Rows are only ever added, except by the retention job with the pupil's record.
create table safeguarding_views (
    school_id uuid not null,
    id bigint generated always as identity,
    pupil_id uuid not null,
    staff_id uuid not null references staff (id),
    record text not null check (record in (
        'case', 'home_visit', 'pupil_record', 'calling_list', 'concern_alerts', 'evidence_pack',
        'ten_day_notice', 'subject_access_export')),
    record_id uuid,
    viewed_at timestamptz not null default now(),
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id)
);
create index safeguarding_views_pupil on safeguarding_views (school_id, pupil_id, viewed_at);

-- The retention job alone may delete, inside a transaction that sets rollcall.retention.
create or replace function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and current_setting('rollcall.retention', true) = 'on' then
        return old;
    end if;
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op;
end $$;

create trigger safeguarding_views_append_only before update or delete on safeguarding_views
    for each row execute function audit_log_is_append_only();
