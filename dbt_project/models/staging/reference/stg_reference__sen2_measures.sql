with source_sen2_measures as (
    select * from {{ ref('sen2_measures') }}
)

select
    cast(measure as varchar) as measure,
    cast(measure_label as varchar) as measure_label,
    cast(unit as varchar) as unit,
    cast(meaning as varchar) as meaning
from source_sen2_measures
