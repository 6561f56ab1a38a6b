-- The entries of a session that no longer stand (amended or taken back), found by the session:
-- what stood when a late arrival met a register that already said otherwise is the latest entry
-- made before it, current or not. The current entry has `marks_current`; without this, the older
-- ones were a scan of every mark. Few marks are ever replaced, so the index is small.
create index marks_history on marks (school_id, pupil_id, session_date, session)
    where not is_current;
