-- One row per term and locality, and per term and phase: SENDIASS enquiries about
-- the area's register schools, of them complaints, and the rate per 100 pupils on
-- SEN support over the schools whose return counts them (as the funnel plot takes
-- each school's), so areas of different sizes can be set side by side.
with school_rates as (
    select * from {{ ref('fct_school_enquiry_rates') }}
),

school_areas as (
    -- each school-term twice: once in its locality, once in its phase
    select
        academic_year,
        term,
        'locality' as area_type,
        locality as area,
        enquiries,
        complaints,
        sen_support_pupils,
        enquiries_per_100
    from school_rates
    union all
    select
        academic_year,
        term,
        'phase' as area_type,
        phase as area,
        enquiries,
        complaints,
        sen_support_pupils,
        enquiries_per_100
    from school_rates
),

areas as (
    select
        academic_year,
        term,
        area_type,
        area,
        count(*) as schools,
        sum(enquiries) as enquiries,
        sum(complaints) as complaints,
        sum(enquiries) filter (where enquiries_per_100 is not null) as enquiries_rated,
        sum(sen_support_pupils) filter (where enquiries_per_100 is not null) as sen_support_pupils
    from school_areas
    group by academic_year, term, area_type, area
)

select
    academic_year,
    term,
    area_type,
    area,
    schools,
    cast(enquiries as bigint) as enquiries,
    cast(complaints as bigint) as complaints,
    sen_support_pupils,
    100 * enquiries_rated / nullif(sen_support_pupils, 0) as enquiries_per_100,
    {{ as_published('sen_support_pupils', "''", is_small_count('sen_support_pupils')) }}
        as published_sen_support_pupils,
    {{ as_published(
        '100 * enquiries_rated / nullif(sen_support_pupils, 0)', "''",
        is_small_count('sen_support_pupils')
    ) }} as published_enquiries_per_100
from areas
