with source_specialists as (
    select * from {{ ref('specialists') }}
)

select
    cast(specialist as varchar) as specialist,
    cast(specialist_label as varchar) as specialist_label
from source_specialists
