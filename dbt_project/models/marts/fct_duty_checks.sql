-- One row per register school, academic year, term and check (duties-v1 "Result
-- of a check"): the status, the numbers behind it, the bands it was judged
-- against, the paragraph of the Code and a sentence an officer can read out.
with statuses as (
    select * from {{ ref('int_check_statuses') }}
),

duty_checks as (
    select * from {{ ref('stg_reference__duty_checks') }}
)

select
    statuses.urn,
    statuses.academic_year,
    statuses.term,
    statuses.check_id,
    statuses.status,
    statuses.value,
    statuses.numerator,
    statuses.denominator,
    statuses.amber_at,
    statuses.red_at,
    duty_checks.paragraph,
    duty_checks.strength,
    case
        when statuses.status = 'no_return' then 'No valid return was received for this term.'
        when statuses.status = 'not_applicable' and duty_checks.not_applicable_text is not null
            then
                'Nothing to judge: ' || lower(duty_checks.not_applicable_text[1])
                || duty_checks.not_applicable_text[2:]
        when statuses.status = 'low_numbers'
            then
                'Fewer than {{ var("low_numbers_below") }} pupils are counted, so no rate is '
                || 'shown: ' || cast(statuses.numerator as bigint) || ' of '
                || cast(statuses.denominator as bigint) || '.'
        else {{ render_evidence('duty_checks.evidence_template', 'statuses.numerator',
            'statuses.denominator', 'statuses.value', 'statuses.detail') }}
    end as evidence
from statuses
inner join duty_checks
    on statuses.check_id = duty_checks.check_id
