-- Every check for every register school and term: its status against the bands
-- of the check catalogue (duties-v1), and the bands it was judged against.
with school_terms as (
    select * from {{ ref('int_school_terms') }}
),

duty_checks as (
    select * from {{ ref('stg_reference__duty_checks') }}
),

measures as (
    select * from {{ ref('int_check_measures') }}
),

judged as (
    select
        school_terms.urn,
        school_terms.academic_year,
        school_terms.term,
        duty_checks.check_id,
        measures.value,
        measures.numerator,
        measures.denominator,
        measures.detail,
        duty_checks.measure,
        duty_checks.direction,
        -- a two-sided check records the side of the bands it was judged on
        case
            when duty_checks.direction = 'two_sided' and measures.value > 1
                then duty_checks.amber_high_at
            else duty_checks.amber_at
        end as amber_at,
        case
            when duty_checks.direction = 'two_sided' and measures.value > 1
                then duty_checks.red_high_at
            else duty_checks.red_at
        end as red_at,
        case
            when
                school_terms.submission_in_force is null
                and duty_checks.check_id != 'return_received'
                then 'no_return'
            when measures.forced_status is not null then measures.forced_status
            when duty_checks.measure = 'rate' and coalesce(measures.denominator, 0) = 0
                then 'not_applicable'
            when
                duty_checks.measure = 'rate'
                and measures.denominator < {{ var('low_numbers_below') }}
                then 'low_numbers'
            when measures.value is null then 'not_applicable'
            when duty_checks.direction = 'lower_is_worse'
                then
                    case
                        when measures.value < duty_checks.red_at then 'red'
                        when measures.value < duty_checks.amber_at then 'amber'
                        else 'green'
                    end
            when duty_checks.direction = 'higher_is_worse'
                then
                    case
                        when measures.value >= duty_checks.red_at then 'red'
                        when measures.value >= duty_checks.amber_at then 'amber'
                        else 'green'
                    end
            when
                measures.value < duty_checks.red_at or measures.value > duty_checks.red_high_at
                then 'red'
            when
                measures.value < duty_checks.amber_at
                or measures.value > duty_checks.amber_high_at
                then 'amber'
            else 'green'
        end as status
    from school_terms
    cross join duty_checks
    left join measures
        on
            school_terms.urn = measures.urn
            and school_terms.academic_year = measures.academic_year
            and school_terms.term = measures.term
            and duty_checks.check_id = measures.check_id
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
    detail
from judged
