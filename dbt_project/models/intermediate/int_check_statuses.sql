-- Every check for every register school and term: its status against the bands
-- of the check catalogue (duties-v1), and the bands it was judged against.
with measures as (
    select * from {{ ref('int_check_measures') }}
),

judged as (
    select
        *,
        -- a two-sided check records the side of the bands it was judged on
        case
            when direction = 'two_sided' and value > 1 then amber_high_at else amber_at
        end as judged_amber_at,
        case
            when direction = 'two_sided' and value > 1 then red_high_at else red_at
        end as judged_red_at,
        case
            when not has_return and check_id != 'return_received' then 'no_return'
            when forced_status is not null then forced_status
            when measure = 'rate' and coalesce(denominator, 0) = 0 then 'not_applicable'
            when measure = 'rate' and denominator < {{ var('low_numbers_below') }}
                then 'low_numbers'
            when value is null then 'not_applicable'
            when direction = 'lower_is_worse'
                then
                    case
                        when value < red_at then 'red'
                        when value < amber_at then 'amber'
                        else 'green'
                    end
            when direction = 'higher_is_worse'
                then
                    case
                        when value >= red_at then 'red'
                        when value >= amber_at then 'amber'
                        else 'green'
                    end
            when value < red_at or value > red_high_at then 'red'
            when value < amber_at or value > amber_high_at then 'amber'
            else 'green'
        end as status
    from measures
)

select
    urn,
    academic_year,
    term,
    check_id,
    strength,
    paragraph,
    status,
    value,
    numerator,
    denominator,
    judged_amber_at as amber_at,
    judged_red_at as red_at,
    detail,
    counts_people,
    evidence_template,
    not_applicable_text
from judged
