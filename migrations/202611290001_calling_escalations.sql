-- First-day calling's escalations, raised by the server when nobody has reached a family by the
-- school's deadlines: first an alert to the DSL, then a home visit proposed. One of each per
-- pupil per day, so the check can run every few minutes and never raises anything twice.
create table calling_escalations (
    school_id uuid not null,
    pupil_id uuid not null,
    session_date date not null,
    kind text not null check (kind in ('dsl_alert', 'home_visit')),
    raised_at timestamptz not null default now(),
    -- The visit proposed; null when the school has nobody who makes home visits.
    visit_id uuid,
    -- The DSL has read the alert: it leaves their list.
    seen_at timestamptz,
    seen_by uuid references staff (id),
    primary key (school_id, pupil_id, session_date, kind),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    foreign key (school_id, visit_id) references home_visits (school_id, id),
    check (kind = 'home_visit' or visit_id is null)
);
create index calling_escalations_unseen on calling_escalations (school_id, raised_at)
    where kind = 'dsl_alert' and seen_at is null;
