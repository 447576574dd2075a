-- The real DfE SEN2 figures for the LA and England that the dashboard sets the
-- returns beside (EHC needs assessment requests, refusals, plans, timeliness).
with la_context as (
    select * from {{ ref('stg_reference__la_context') }}
)

select
    area,
    measure,
    figure_year,
    measured_value,
    period,
    source_publication
from la_context
