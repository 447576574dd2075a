with source_statuses as (
    select * from {{ ref('statuses') }}
)

select
    cast(status as varchar) as status,
    cast(severity as integer) as severity,
    cast(symbol as varchar) as symbol,
    cast(label as varchar) as status_label,
    cast(colour as varchar) as colour,
    cast(coalesce(fill_pattern, '') as varchar) as fill_pattern,
    cast(meaning as varchar) as meaning
from source_statuses
