-- Letters (issue 7): each school's templates per stage of the case ladder, the letters generated
-- from them (the text as it was sent, never re-merged) and each letter's email deliveries.

-- The school's postal address, for the letterhead and {{school.address}}.
alter table schools add column address text not null default '';

-- One template per stage (domain::triggers::Step keys). `version` goes up on every save, and a
-- letter keeps the version it came from.
create table letter_templates (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    step text not null,
    subject text not null check (length(trim(subject)) > 0),
    body text not null check (length(trim(body)) > 0),
    version integer not null default 1,
    updated_at timestamptz not null default now(),
    updated_by uuid references staff (id),
    primary key (school_id, id),
    unique (school_id, step)
);

create table letters (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    case_id uuid not null,
    template_id uuid not null,
    template_version integer not null,
    step text not null,
    subject text not null,
    body text not null,
    -- Merge fields that had no value when the letter was generated.
    missing text[] not null default '{}',
    recipient_name text not null default '',
    recipient_email text not null default '',
    created_at timestamptz not null default now(),
    created_by uuid references staff (id),
    primary key (school_id, id),
    foreign key (school_id, case_id) references cases (school_id, id),
    foreign key (school_id, template_id) references letter_templates (school_id, id)
);
create index letters_case on letters (school_id, case_id, created_at);
create index letters_recent on letters (school_id, created_at desc);

-- Every attempt to email a letter: queued before the SMTP conversation, then sent or failed
-- with the server's answer.
create table letter_deliveries (
    school_id uuid not null,
    id bigint generated always as identity,
    letter_id uuid not null,
    to_address text not null,
    status text not null check (status in ('queued', 'sent', 'failed')),
    error text,
    queued_at timestamptz not null default now(),
    finished_at timestamptz,
    by_staff_id uuid references staff (id),
    primary key (school_id, id),
    foreign key (school_id, letter_id) references letters (school_id, id)
);
create index letter_deliveries_letter on letter_deliveries (school_id, letter_id, queued_at);
