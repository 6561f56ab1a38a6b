-- The tasks of a case: something someone must do by a date ("ring mum after the review",
-- "ask the school nurse for the medical letter"). Done tasks stay, with who and when.
create table case_tasks (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    case_id uuid not null,
    title text not null check (length(trim(title)) between 1 and 200),
    due_on date not null,
    assigned_to uuid not null references staff (id),
    created_by uuid not null references staff (id),
    created_at timestamptz not null default now(),
    done_at timestamptz,
    done_by uuid references staff (id),
    primary key (school_id, id),
    foreign key (school_id, case_id) references cases (school_id, id),
    check ((done_at is null) = (done_by is null))
);
create index case_tasks_open on case_tasks (school_id, case_id, due_on) where done_at is null;
