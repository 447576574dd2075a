-- One row per term, locality and primary need (and each need's LA total, locality
-- 'All'): pupils on SEN support whose provision costs more than a school is
-- expected to fund from its notional SEN budget (6.99, var high_cost_gbp), and how
-- many of them have had no EHC needs assessment requested. Outside the LA small
-- counts are withheld (c), with the next smallest locality where one alone would be.
with pupils as (
    select * from {{ ref('int_pupil_term_facts') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

needs as (
    select * from {{ ref('stg_reference__primary_needs') }}
),

high_cost_pupils as (
    select
        pupils.academic_year,
        pupils.term,
        pupils.has_ehc_request,
        schools.locality,
        coalesce(pupils.primary_need, 'NSA') as primary_need
    from pupils
    inner join schools
        on pupils.urn = schools.urn
    where pupils.is_sen_support and pupils.is_high_cost
),

pupils_by_cell as (
    select
        academic_year,
        term,
        primary_need,
        locality,
        false as is_need_total,
        count(*) as high_cost_pupils,
        count(*) filter (where not has_ehc_request) as without_ehc_request
    from high_cost_pupils
    group by academic_year, term, primary_need, locality
),

need_totals as (
    select
        academic_year,
        term,
        primary_need,
        'All' as locality,
        true as is_need_total,
        cast(sum(high_cost_pupils) as bigint) as high_cost_pupils,
        cast(sum(without_ehc_request) as bigint) as without_ehc_request
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
            'high_cost_pupils', ['academic_year', 'term', 'primary_need'],
            'is_need_total', ['locality']
        ) }} as high_cost_pupils_withheld,
        {{ is_withheld_in_total(
            'without_ehc_request', ['academic_year', 'term', 'primary_need'],
            'is_need_total', ['locality']
        ) }} as without_ehc_request_withheld
    from pupils_by_need
)

select
    with_disclosure.academic_year,
    with_disclosure.term,
    with_disclosure.primary_need,
    with_disclosure.locality,
    with_disclosure.is_need_total,
    with_disclosure.high_cost_pupils,
    with_disclosure.without_ehc_request,
    coalesce(needs.need_label, with_disclosure.primary_need) as need_label,
    {{ as_published('high_cost_pupils', "''", 'high_cost_pupils_withheld') }}
        as published_high_cost_pupils,
    {{ as_published(
        'without_ehc_request', "''",
        'without_ehc_request_withheld or high_cost_pupils_withheld'
        ~ ' or ' ~ is_small_count('high_cost_pupils - without_ehc_request')
    ) }} as published_without_ehc_request
from with_disclosure
left join needs
    on with_disclosure.primary_need = needs.primary_need
