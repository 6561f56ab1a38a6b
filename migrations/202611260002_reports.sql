-- Reports (issue 9): the national figures a school's attendance is compared with, kept as
-- reference data with where each comes from, so a newer release is a new row, not a code change.
-- Not school-scoped: the same for every school.

create table national_figures (
    -- What is measured, for the reports to find it: absence_all, absence_primary,
    -- absence_secondary, absence_special, pa_all, absence_fsm, pa_fsm, absence_not_fsm,
    -- pa_not_fsm, absence_ehcp, pa_ehcp.
    measure text not null,
    label text not null,
    percent numeric(5, 2) not null check (percent between 0 and 100),
    source text not null,
    -- The period the figure covers, as published.
    period text not null,
    -- The day the figure was entered here from its source (the rules document quotes no
    -- publication date, so none is made up).
    recorded_on date not null,
    primary key (measure, recorded_on)
);

-- From ../shared/docs/attendance-rules.md section 3: the DfE's "Pupil absence in schools in
-- England", autumn term 2024/25. Persistent absence is given there as "about 19%".
insert into national_figures (measure, label, percent, source, period, recorded_on) values
    ('absence_all', 'Overall absence, all schools', 6.38,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('absence_primary', 'Overall absence, primary schools', 5.07,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('absence_secondary', 'Overall absence, secondary schools', 7.66,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('absence_special', 'Overall absence, special schools', 12.55,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('pa_all', 'Persistent absence (about), all schools', 19.00,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('absence_fsm', 'Overall absence, pupils eligible for free school meals', 10.00,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('pa_fsm', 'Persistent absence, pupils eligible for free school meals', 31.70,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('absence_not_fsm', 'Overall absence, pupils not eligible for free school meals', 5.20,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('pa_not_fsm', 'Persistent absence, pupils not eligible for free school meals', 14.40,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('absence_ehcp', 'Overall absence, pupils with an EHC plan', 13.10,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23'),
    ('pa_ehcp', 'Persistent absence, pupils with an EHC plan', 35.10,
        'DfE, Pupil absence in schools in England', 'Autumn term 2024/25', '2026-11-23');
