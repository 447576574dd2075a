-- One row per register school and term: the overall status is the worst must or
-- should status; signals are counted beside it, never folded in (duties-v1).
with checks as (
    select * from {{ ref('fct_duty_checks') }}
),

ranked as (
    select
        *,
        case status
            when 'red' then 4
            when 'amber' then 3
            when 'no_return' then 2
            when 'green' then 1
            else 0
        end as severity
    from checks
)

select
    urn,
    academic_year,
    term,
    case max(severity) filter (where strength in ('must', 'should'))
        when 4 then 'red'
        when 3 then 'amber'
        when 2 then 'no_return'
        when 1 then 'green'
        else 'not_applicable'
    end as overall_status,
    count(*) filter (where strength = 'must' and status = 'red') as must_red,
    count(*) filter (where strength in ('must', 'should') and status = 'red') as duties_red,
    count(*) filter (where strength in ('must', 'should') and status = 'amber') as duties_amber,
    count(*) filter (where strength = 'signal' and status in ('red', 'amber')) as signals_raised,
    string_agg(check_id, ', ' order by check_id) filter (
        where strength = 'signal' and status in ('red', 'amber')
    ) as signal_checks
from ranked
group by urn, academic_year, term
