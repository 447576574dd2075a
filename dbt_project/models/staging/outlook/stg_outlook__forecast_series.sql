with source_forecast_series as (
    select * from {{ source('outlook', 'outlook_forecast_series') }}
)

select
    series_id,
    source,
    measure,
    category,
    series_label,
    season_length,
    points,
    status,
    message,
    model_mape,
    baseline_mape,
    model_beats_baseline,
    run_id,
    fitted_at
from source_forecast_series
