-- The whole school's counts of each day: every current mark of every pupil, whether or not the
-- pupil was on roll that day (the readers take out those who were not). The weekly chart of a
-- year reads about 190 days' rows instead of every pupil's running totals.
--
-- A day's counts are the sum of its rows. `refresh_totals` adds a row of what each write
-- changed, never updating one, so two registers saved at once neither wait for each other nor
-- overwrite each other's counts; the engine folds each day's rows into one every hour.
create table attendance_school_days (
    school_id uuid not null references schools (id) on delete cascade,
    session_date date not null,
    present integer not null,
    aea integer not null,
    authorised integer not null,
    unauthorised integer not null,
    late_before_close integer not null,
    late_after_close integer not null
);
create index attendance_school_days_by_day on attendance_school_days (school_id, session_date)
    include (present, aea, authorised, unauthorised, late_before_close, late_after_close);

-- The days of the marks already written, from the running totals: a pupil's day is its
-- running total less the one before it.
insert into attendance_school_days (school_id, session_date, present, aea, authorised,
    unauthorised, late_before_close, late_after_close)
select school_id, session_date, sum(present), sum(aea), sum(authorised), sum(unauthorised),
    sum(late_before_close), sum(late_after_close)
from (
    select school_id, session_date,
        present - coalesce(lag(present) over w, 0) as present,
        aea - coalesce(lag(aea) over w, 0) as aea,
        authorised - coalesce(lag(authorised) over w, 0) as authorised,
        unauthorised - coalesce(lag(unauthorised) over w, 0) as unauthorised,
        late_before_close - coalesce(lag(late_before_close) over w, 0) as late_before_close,
        late_after_close - coalesce(lag(late_after_close) over w, 0) as late_after_close
    from attendance_totals
    window w as (partition by school_id, pupil_id order by session_date)
) days
group by school_id, session_date;
