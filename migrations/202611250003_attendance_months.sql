-- Each pupil's sessions counted by calendar month, beside the running totals: a period made of
-- whole months of marks (this academic year to date, above all) is added up from a dozen rows per
-- pupil read in one range of this index, rather than two probes of the running totals per pupil.
-- `first_date` and `last_date` are the first and last days of the month with a current mark, so
-- a period that cuts through a month's marks can tell, and fall back to the running totals.
-- Kept by `refresh_totals` in the same transaction as the marks and running totals.
create table attendance_months (
    school_id uuid not null,
    -- The first day of the calendar month.
    month date not null,
    pupil_id uuid not null,
    first_date date not null,
    last_date date not null,
    present integer not null,
    aea integer not null,
    authorised integer not null,
    unauthorised integer not null,
    late_before_close integer not null,
    late_after_close integer not null,
    primary key (school_id, month, pupil_id)
        include (first_date, last_date, present, aea, authorised, unauthorised,
                 late_before_close, late_after_close),
    foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
);
-- A pupil's months, for refreshing them after a write and for the foreign key.
create index attendance_months_pupil on attendance_months (school_id, pupil_id, month);

-- The months of the marks already written, from the running totals: a month's counts are its
-- last running total less the one before it.
insert into attendance_months (school_id, month, pupil_id, first_date, last_date, present, aea,
    authorised, unauthorised, late_before_close, late_after_close)
select school_id, month, pupil_id, first_date, last_date,
    present - coalesce(lag(present) over w, 0),
    aea - coalesce(lag(aea) over w, 0),
    authorised - coalesce(lag(authorised) over w, 0),
    unauthorised - coalesce(lag(unauthorised) over w, 0),
    late_before_close - coalesce(lag(late_before_close) over w, 0),
    late_after_close - coalesce(lag(late_after_close) over w, 0)
from (
    select distinct on (school_id, pupil_id, date_trunc('month', session_date))
        school_id, pupil_id, date_trunc('month', session_date)::date as month,
        min(session_date) over (partition by school_id, pupil_id, date_trunc('month', session_date))
            as first_date,
        session_date as last_date,
        present, aea, authorised, unauthorised, late_before_close, late_after_close
    from attendance_totals
    order by school_id, pupil_id, date_trunc('month', session_date), session_date desc
) ends
window w as (partition by school_id, pupil_id order by month);
