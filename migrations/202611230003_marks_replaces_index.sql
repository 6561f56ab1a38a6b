-- The amendment that replaced a mark, found without a scan: the foreign key from an amendment to
-- the mark it replaced is checked whenever marks are deleted (the retention job), and a mark's
-- history walks these links.
create index marks_replaces on marks (school_id, replaces_id) where replaces_id is not null;
