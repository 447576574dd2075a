-- One row per register school and term: SENDIASS enquiries about the school per 100
-- pupils on SEN support, against the LA's rate that term, with the funnel plot's 95%
-- and 99.8% control limits for a school of its size. Counts are taken as Poisson and
-- the limits by the normal approximation (Spiegelhalter, 2005), the standard way to
-- compare rates between schools of very different sizes without ranking noise.
with schools as (
    select * from {{ ref('fct_school_term_status') }}
),

enquiries as (
    select * from {{ ref('fct_enquiries') }}
),

school_term_enquiries as (
    select
        urn,
        academic_year,
        term,
        count(*) as enquiries,
        count(*) filter (where is_complaint = 'Y') as complaints
    from enquiries
    where urn is not null and academic_year is not null
    group by urn, academic_year, term
),

counted as (
    select
        schools.urn,
        schools.school_name,
        schools.phase,
        schools.locality,
        schools.academic_year,
        schools.term,
        schools.sen_support_pupils,
        schools.sen_support_withheld,
        coalesce(school_term_enquiries.enquiries, 0) as enquiries,
        coalesce(school_term_enquiries.complaints, 0) as complaints
    from schools
    left join school_term_enquiries
        on
            schools.urn = school_term_enquiries.urn
            and schools.academic_year = school_term_enquiries.academic_year
            and schools.term = school_term_enquiries.term
),

la_rates as (
    -- enquiries per pupil on SEN support over the schools whose rate is taken
    select
        academic_year,
        term,
        sum(enquiries) filter (where {{ is_rated('sen_support_pupils') }})
        / nullif(sum(sen_support_pupils) filter (where {{ is_rated('sen_support_pupils') }}), 0)
            as la_rate
    from counted
    group by academic_year, term
),

with_limits as (
    select
        counted.*,
        la_rates.la_rate,
        case
            when {{ is_rated('counted.sen_support_pupils') }}
                then counted.enquiries / counted.sen_support_pupils
        end as school_rate,
        sqrt(la_rates.la_rate / nullif(counted.sen_support_pupils, 0)) as standard_error
    from counted
    inner join la_rates
        on
            counted.academic_year = la_rates.academic_year
            and counted.term = la_rates.term
)

select
    urn,
    school_name,
    phase,
    locality,
    academic_year,
    term,
    sen_support_pupils,
    enquiries,
    complaints,
    100 * school_rate as enquiries_per_100,
    100 * la_rate as la_enquiries_per_100,
    100 * greatest(la_rate - {{ var('z_95') }} * standard_error, 0) as lower_95,
    100 * (la_rate + {{ var('z_95') }} * standard_error) as upper_95,
    100 * greatest(la_rate - {{ var('z_998') }} * standard_error, 0) as lower_998,
    100 * (la_rate + {{ var('z_998') }} * standard_error) as upper_998,
    case
        when school_rate is null or la_rate is null then 'not_applicable'
        when school_rate > la_rate + {{ var('z_998') }} * standard_error then 'above_998'
        when school_rate > la_rate + {{ var('z_95') }} * standard_error then 'above_95'
        when school_rate < la_rate - {{ var('z_998') }} * standard_error then 'below_998'
        when school_rate < la_rate - {{ var('z_95') }} * standard_error then 'below_95'
        else 'within'
    end as funnel_position,
    sen_support_withheld,
    -- outside the LA a school's small count of pupils is withheld, and with it the
    -- rate that would give it back (the enquiries are SENDIASS's own records)
    {{ as_published('sen_support_pupils', "''", 'sen_support_withheld') }}
        as published_sen_support_pupils,
    {{ as_published('100 * school_rate', "''", 'sen_support_withheld') }}
        as published_enquiries_per_100
from with_limits
