-- Reading the figures without touching the table: each pupil's two running-total lookups are
-- answered from the primary key's index alone once it carries the counts.
alter table attendance_totals drop constraint attendance_totals_pkey;
alter table attendance_totals add primary key (school_id, pupil_id, session_date)
    include (present, aea, authorised, unauthorised, late_before_close, late_after_close);

-- A pupil's amendments, for their attendance page, without reading the school's marks.
create index marks_amendments on marks (school_id, pupil_id, id) where replaces_id is not null;
