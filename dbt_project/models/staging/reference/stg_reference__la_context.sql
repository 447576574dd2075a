with source_la_context as (
    select * from {{ ref('la_context_sen2') }}
)

select
    cast(area as varchar) as area,
    cast(measure as varchar) as measure,
    cast(year as integer) as figure_year,
    cast(value as double) as measured_value,
    cast(period as varchar) as period,
    cast(source as varchar) as source_publication
from source_la_context
