with source_forecasts as (
    select * from {{ source('outlook', 'outlook_forecasts') }}
)

select
    series_id,
    step,
    period_label,
    prediction,
    lower_80,
    upper_80,
    run_id,
    fitted_at
from source_forecasts
