-- The foundations: trusts and their schools, the school calendar, year groups and forms, pupils
-- and their contacts, staff and their roles, sign-in sessions and API tokens, and the audit log.
-- Every school-scoped table carries school_id and leads its keys with it.

create table trusts (
    id uuid primary key default gen_random_uuid(),
    name text not null check (length(trim(name)) > 0),
    created_at timestamptz not null default now()
);

create table schools (
    id uuid primary key default gen_random_uuid(),
    trust_id uuid not null references trusts (id),
    -- The DfE's unique reference number: six digits.
    urn text not null unique check (urn ~ '^[0-9]{6}$'),
    name text not null check (length(trim(name)) > 0),
    phase text not null check (phase in ('primary', 'secondary', 'all_through', 'special', 'alternative_provision')),
    -- Schools in England keep Europe/London; stored so sessions are converted at the edge.
    time_zone text not null default 'Europe/London',
    am_register_opens time not null default '08:40',
    pm_register_opens time not null default '13:15',
    -- How long the register stays open after it opens: the same every session, at most 30 minutes.
    register_open_minutes integer not null default 30 check (register_open_minutes between 1 and 30),
    -- The local authority's three-digit number, the start of the school's UPNs.
    la_code text not null default '000' check (la_code ~ '^[0-9]{3}$'),
    created_at timestamptz not null default now()
);
create index schools_trust on schools (trust_id);

create table academic_years (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    name text not null,
    starts_on date not null,
    ends_on date not null check (ends_on > starts_on),
    primary key (school_id, id),
    unique (school_id, name)
);

create table terms (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    academic_year_id uuid not null,
    name text not null,
    starts_on date not null,
    ends_on date not null check (ends_on >= starts_on),
    primary key (school_id, id),
    foreign key (school_id, academic_year_id) references academic_years (school_id, id) on delete cascade
);
create index terms_dates on terms (school_id, starts_on);

-- Weekdays inside a term are school days unless a row here says otherwise.
create table calendar_closures (
    school_id uuid not null references schools (id),
    closed_on date not null,
    kind text not null check (kind in ('inset', 'planned_closure', 'bank_holiday')),
    note text not null default '',
    primary key (school_id, closed_on)
);

create table year_groups (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    -- National curriculum year: 0 is Reception, -1 Nursery.
    nc_year integer not null check (nc_year between -1 and 14),
    name text not null,
    primary key (school_id, id),
    unique (school_id, nc_year)
);

create table staff (
    id uuid primary key default gen_random_uuid(),
    trust_id uuid not null references trusts (id),
    email text not null,
    display_name text not null check (length(trim(display_name)) > 0),
    phone text not null default '',
    -- argon2id in PHC form; null until a password is set.
    password_hash text,
    failed_sign_ins integer not null default 0,
    locked_until timestamptz,
    disabled_at timestamptz,
    created_at timestamptz not null default now()
);
create unique index staff_email on staff (lower(email));

create table forms (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    year_group_id uuid not null,
    name text not null,
    tutor_id uuid references staff (id),
    primary key (school_id, id),
    unique (school_id, name),
    foreign key (school_id, year_group_id) references year_groups (school_id, id)
);

-- A pupil row is one enrolment: a pupil who moves school has a row at each.
create table pupils (
    school_id uuid not null references schools (id),
    id uuid not null default gen_random_uuid(),
    upn text not null check (upn ~ '^[A-Z][0-9]{11}[0-9A-Z]$'),
    legal_first_name text not null,
    legal_last_name text not null,
    preferred_first_name text,
    preferred_last_name text,
    date_of_birth date not null,
    sex text not null check (sex in ('F', 'M')),
    year_group_id uuid not null,
    form_id uuid,
    admitted_on date not null,
    left_on date check (left_on is null or left_on >= admitted_on),
    -- N: no special educational need; K: SEN support; E: education, health and care plan.
    sen_status text not null default 'N' check (sen_status in ('N', 'K', 'E')),
    free_school_meals boolean not null default false,
    pupil_premium boolean not null default false,
    eal boolean not null default false,
    -- The DfE's ethnicity code, for example WBRI.
    ethnicity text not null default 'NOBT',
    -- Only safeguarding staff may see this.
    safeguarding_status text not null default 'none'
        check (safeguarding_status in ('none', 'child_in_need', 'child_protection_plan')),
    created_at timestamptz not null default now(),
    primary key (school_id, id),
    unique (school_id, upn),
    foreign key (school_id, year_group_id) references year_groups (school_id, id),
    foreign key (school_id, form_id) references forms (school_id, id)
);
create index pupils_names on pupils (school_id, lower(legal_last_name), lower(legal_first_name));
create index pupils_form on pupils (school_id, form_id);

create table contacts (
    school_id uuid not null,
    id uuid not null default gen_random_uuid(),
    pupil_id uuid not null,
    -- 1 is called first.
    priority integer not null check (priority >= 1),
    title text not null default '',
    first_name text not null,
    last_name text not null,
    relationship text not null,
    parental_responsibility boolean not null default true,
    mobile_phone text not null default '',
    home_phone text not null default '',
    work_phone text not null default '',
    email text not null default '',
    address text not null default '',
    postcode text not null default '',
    preferred_contact text not null default 'phone'
        check (preferred_contact in ('phone', 'text', 'email', 'letter')),
    primary key (school_id, id),
    unique (school_id, pupil_id, priority),
    foreign key (school_id, pupil_id) references pupils (school_id, id) on delete cascade
);

-- A grant of one role. school_id is null for a trust-wide grant (trust admin, trust leadership).
create table role_grants (
    id uuid primary key default gen_random_uuid(),
    staff_id uuid not null references staff (id) on delete cascade,
    trust_id uuid not null references trusts (id),
    school_id uuid references schools (id),
    role text not null check (role in (
        'trust_admin', 'school_admin', 'attendance_lead', 'attendance_officer', 'late_door',
        'home_visitor', 'dsl', 'pastoral', 'leadership')),
    check (role <> 'trust_admin' or school_id is null),
    check (school_id is not null or role in ('trust_admin', 'leadership'))
);
create unique index role_grants_unique on role_grants (staff_id, coalesce(school_id, trust_id), role);
create index role_grants_school on role_grants (school_id, staff_id);

-- Sign-in sessions. Only a hash of the cookie's token is kept, so a copy of the database cannot
-- be used to sign in.
create table sign_in_sessions (
    token_hash bytea primary key,
    staff_id uuid not null references staff (id) on delete cascade,
    csrf_token text not null,
    -- A shared tablet at the late door keeps its session for a term, not a working day.
    shared_device boolean not null default false,
    user_agent text not null default '',
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    expires_at timestamptz not null
);
create index sign_in_sessions_staff on sign_in_sessions (staff_id);

-- Tokens for other systems. Shown once when made; only the hash is kept.
create table api_tokens (
    id uuid primary key default gen_random_uuid(),
    school_id uuid not null references schools (id),
    name text not null check (length(trim(name)) > 0),
    role text not null check (role in ('attendance_officer', 'leadership')),
    token_hash bytea not null unique,
    created_by uuid not null references staff (id),
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
create index api_tokens_school on api_tokens (school_id, created_at);

-- Who changed what. Rows are only ever added.
create table audit_log (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    staff_id uuid references staff (id),
    trust_id uuid references trusts (id),
    school_id uuid references schools (id),
    action text not null,
    subject text not null default '',
    detail jsonb not null default '{}'
);
create index audit_log_school on audit_log (school_id, at);

create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the audit log is append-only: % is not allowed', tg_op;
end;
$$;
create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_is_append_only();

-- Register marks. A mark is never changed in place: an amendment adds a row that points at the
-- one it replaces, and only the newest row of a session is current.
create table marks (
    school_id uuid not null,
    id bigint generated always as identity,
    pupil_id uuid not null,
    session_date date not null,
    session text not null check (session in ('AM', 'PM')),
    code text not null check (length(code) between 1 and 2),
    minutes_late integer check (minutes_late is null or minutes_late >= 0),
    recorded_at timestamptz not null default now(),
    recorded_by uuid references staff (id),
    source text not null check (source in ('register', 'late_door', 'import', 'demo', 'calling')),
    replaces_id bigint,
    amendment_reason text,
    is_current boolean not null default true,
    primary key (school_id, id),
    foreign key (school_id, pupil_id) references pupils (school_id, id),
    foreign key (school_id, replaces_id) references marks (school_id, id),
    check ((replaces_id is null) = (amendment_reason is null))
);
create unique index marks_current on marks (school_id, pupil_id, session_date, session) where is_current;
create index marks_by_day on marks (school_id, session_date) where is_current;
