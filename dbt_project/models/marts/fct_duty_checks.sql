-- One row per register school, academic year, term and check (duties-v1 "Result
-- of a check"): the status, the numbers behind it, the bands it was judged
-- against, the paragraph of the Code and a sentence an officer can read out.
with statuses as (
    select * from {{ ref('int_check_statuses') }}
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
    case
        when status = 'no_return' then 'No valid return was received for this term.'
        when status = 'not_applicable' and not_applicable_text is not null
            then
                'Nothing to judge: ' || lower(not_applicable_text[1])
                || not_applicable_text[2:]
        when status = 'low_numbers'
            then
                'Fewer than {{ var("low_numbers_below") }} pupils are counted, so no rate is '
                || 'shown: ' || cast(numerator as bigint) || ' of '
                || cast(denominator as bigint) || '.'
        else {{ render_evidence('evidence_template', 'numerator',
            'denominator', 'value', 'detail') }}
    end as evidence
from statuses
