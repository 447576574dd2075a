-- One row per register school, academic year, term and check (duties-v1 "Result
-- of a check"): the status, the numbers behind it, the bands it was judged
-- against, the paragraph of the Code and a sentence an officer can read out; and the
-- same figures and sentence as published outside the LA, small numbers withheld.

with statuses as (
    select * from {{ ref('int_check_statuses') }}
),

disclosure as (
    select
        *,
        -- DfE's disclosure control: a count of people from 1 to 4 is withheld, and so
        -- is its complement within the same total (else subtraction gives it back),
        -- and every share or ratio made from them
        coalesce(
            counts_people
            and (
                {{ is_small_count('numerator') }}
                or {{ is_small_count('denominator - numerator') }}
            ),
            false
        ) as counts_withheld,
        coalesce(counts_people and {{ is_small_count('denominator') }}, false)
            as denominator_withheld
    from statuses
),

published as (
    select
        *,
        {{ as_published('numerator', 'status', 'counts_withheld or denominator_withheld') }}
            as published_numerator,
        {{ as_published('denominator', 'status', 'denominator_withheld') }}
            as published_denominator,
        case
            when
                counts_people and value > 0 and round(value, 4) = 0
                and not (counts_withheld or denominator_withheld)
                then 'low'
            else {{ as_published('value', 'status', 'counts_withheld or denominator_withheld') }}
        end as published_value
    from disclosure
)

select
    urn,
    academic_year,
    term,
    check_id,
    status,
    value,
    numerator,
    denominator,
    amber_at,
    red_at,
    paragraph,
    strength,
    {{ evidence_sentence() }} as evidence,
    counts_withheld or denominator_withheld as figures_withheld,
    published_value,
    published_numerator,
    published_denominator,
    {{ evidence_sentence({
        'counts': '(counts_withheld or denominator_withheld)',
        'all': 'denominator_withheld',
    }) }} as published_evidence
from published
