-- One row per term, primary need, phase and locality (and each need's LA total,
-- phase and locality 'All'): pupils on SEN support and with an EHC plan in the
-- returns in force, the demand commissioners plan services for. Outside the LA a
-- count of 1 to 4 pupils is withheld (c), and where that leaves a need's only
-- withheld cell in a term, the next smallest is withheld too, so the LA total
-- cannot give it back.
with pupils as (
    select * from {{ ref('int_pupil_term_facts') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

needs as (
    select * from {{ ref('stg_reference__primary_needs') }}
),

placed_pupils as (
    -- each pupil with the school's phase and locality; a return without a need
    -- recorded counts as no specialist assessment of need (NSA)
    select
        pupils.academic_year,
        pupils.term,
        pupils.sen_status,
        schools.phase,
        schools.locality,
        coalesce(pupils.primary_need, 'NSA') as primary_need
    from pupils
    inner join schools
        on pupils.urn = schools.urn
),

pupils_by_cell as (
    select
        academic_year,
        term,
        primary_need,
        phase,
        locality,
        false as is_need_total,
        count(*) filter (where sen_status = 'K') as sen_support_pupils,
        count(*) filter (where sen_status = 'E') as ehc_plan_pupils
    from placed_pupils
    group by academic_year, term, primary_need, phase, locality
),

need_totals as (
    select
        academic_year,
        term,
        primary_need,
        'All' as phase,
        'All' as locality,
        true as is_need_total,
        cast(sum(sen_support_pupils) as bigint) as sen_support_pupils,
        cast(sum(ehc_plan_pupils) as bigint) as ehc_plan_pupils
    from pupils_by_cell
    group by academic_year, term, primary_need
),

pupils_by_need as (
    select * from pupils_by_cell
    union all
    select * from need_totals
),

with_disclosure as (
    select
        *,
        {{ is_withheld_in_total(
            'sen_support_pupils', ['academic_year', 'term', 'primary_need'],
            'is_need_total', ['phase', 'locality']
        ) }} as sen_support_pupils_withheld,
        {{ is_withheld_in_total(
            'ehc_plan_pupils', ['academic_year', 'term', 'primary_need'],
            'is_need_total', ['phase', 'locality']
        ) }} as ehc_plan_pupils_withheld
    from pupils_by_need
)

select
    with_disclosure.academic_year,
    with_disclosure.term,
    with_disclosure.primary_need,
    with_disclosure.phase,
    with_disclosure.locality,
    with_disclosure.is_need_total,
    with_disclosure.sen_support_pupils,
    with_disclosure.ehc_plan_pupils,
    coalesce(needs.need_label, with_disclosure.primary_need) as need_label,
    {{ as_published('sen_support_pupils', "''", 'sen_support_pupils_withheld') }}
        as published_sen_support_pupils,
    {{ as_published('ehc_plan_pupils', "''", 'ehc_plan_pupils_withheld') }}
        as published_ehc_plan_pupils
from with_disclosure
left join needs
    on with_disclosure.primary_need = needs.primary_need
