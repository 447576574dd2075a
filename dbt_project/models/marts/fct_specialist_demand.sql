-- One row per term, specialist and locality (and each specialist's LA total,
-- locality 'All'): pupils in the returns in force with that specialist involved,
-- and how many of them with their parents' agreement (6.58-6.62): a planning view
-- of demand for each service. Outside the LA small counts are withheld (c), with
-- the next smallest locality where one alone would be, and a share is withheld
-- where either side of it is small.
with pupils as (
    select * from {{ ref('int_pupil_term_facts') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

specialists as (
    select * from {{ ref('stg_reference__specialists') }}
),

pupil_specialists as (
    -- one row per pupil and specialist named in the pupil's return
    select
        pupils.academic_year,
        pupils.term,
        pupils.specialist_was_agreed,
        schools.locality,
        unnest(pupils.specialists) as specialist
    from pupils
    inner join schools
        on pupils.urn = schools.urn
    where pupils.has_specialist
),

pupils_by_cell as (
    select
        academic_year,
        term,
        specialist,
        locality,
        false as is_specialist_total,
        count(*) as pupils_involved,
        count(*) filter (where specialist_was_agreed) as pupils_agreed
    from pupil_specialists
    group by academic_year, term, specialist, locality
),

specialist_totals as (
    select
        academic_year,
        term,
        specialist,
        'All' as locality,
        true as is_specialist_total,
        cast(sum(pupils_involved) as bigint) as pupils_involved,
        cast(sum(pupils_agreed) as bigint) as pupils_agreed
    from pupils_by_cell
    group by academic_year, term, specialist
),

pupils_by_specialist as (
    select * from pupils_by_cell
    union all
    select * from specialist_totals
),

with_disclosure as (
    select
        *,
        pupils_agreed / pupils_involved as share_agreed,
        {{ is_withheld_in_total(
            'pupils_involved', ['academic_year', 'term', 'specialist'],
            'is_specialist_total', ['locality']
        ) }} as pupils_involved_withheld
    from pupils_by_specialist
)

select
    with_disclosure.academic_year,
    with_disclosure.term,
    with_disclosure.specialist,
    with_disclosure.locality,
    with_disclosure.is_specialist_total,
    with_disclosure.pupils_involved,
    with_disclosure.pupils_agreed,
    with_disclosure.share_agreed,
    coalesce(specialists.specialist_label, with_disclosure.specialist) as specialist_label,
    {{ as_published('pupils_involved', "''", 'pupils_involved_withheld') }}
        as published_pupils_involved,
    {{ as_published(
        'share_agreed', "''",
        'pupils_involved_withheld or ' ~ is_small_count('pupils_agreed')
        ~ ' or ' ~ is_small_count('pupils_involved - pupils_agreed')
    ) }} as published_share_agreed
from with_disclosure
left join specialists
    on with_disclosure.specialist = specialists.specialist
