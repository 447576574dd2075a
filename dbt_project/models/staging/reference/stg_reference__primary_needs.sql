with source_primary_needs as (
    select * from {{ ref('primary_needs') }}
)

select
    cast(primary_need as varchar) as primary_need,
    cast(need_label as varchar) as need_label
from source_primary_needs
