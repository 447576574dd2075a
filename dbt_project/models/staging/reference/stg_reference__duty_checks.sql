with source_duty_checks as (
    select * from {{ ref('duty_checks') }}
)

select
    cast(check_id as varchar) as check_id,
    cast(title as varchar) as title,
    cast(paragraph as varchar) as paragraph,
    cast(strength as varchar) as strength,
    cast(measure as varchar) as measure,
    cast(direction as varchar) as direction,
    cast(amber_at as double) as amber_at,
    cast(red_at as double) as red_at,
    cast(amber_high_at as double) as amber_high_at,
    cast(red_high_at as double) as red_high_at,
    cast(counts_people as boolean) as counts_people,
    cast(evidence_template as varchar) as evidence_template,
    cast(not_applicable_text as varchar) as not_applicable_text
from source_duty_checks
