-- The real DfE SEN2 figures for the LA and England that the dashboard sets the
-- returns beside (EHC needs assessment requests, refusals, plans, timeliness).
with la_context as (
    select * from {{ ref('stg_reference__la_context') }}
),

measures as (
    select * from {{ ref('stg_reference__sen2_measures') }}
)

select
    la_context.area,
    la_context.measure,
    measures.unit,
    measures.meaning,
    la_context.figure_year,
    la_context.measured_value,
    la_context.period,
    la_context.source_publication,
    coalesce(measures.measure_label, la_context.measure) as measure_label
from la_context
left join measures
    on la_context.measure = measures.measure
