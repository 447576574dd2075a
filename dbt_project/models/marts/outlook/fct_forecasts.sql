-- One row per forecast series and step a year ahead, with its 80% interval where
-- the fit had points to spare.
with forecasts as (
    select * from {{ ref('stg_outlook__forecasts') }}
),

forecast_series as (
    select * from {{ ref('stg_outlook__forecast_series') }}
),

described as (
    select
        forecasts.*,
        forecast_series.series_label,
        forecast_series.source,
        forecast_series.measure,
        forecast_series.category
    from forecasts
    left join forecast_series on forecasts.series_id = forecast_series.series_id
)

select
    series_id,
    series_label,
    source,
    measure,
    category,
    step,
    period_label,
    prediction,
    lower_80,
    upper_80,
    run_id,
    fitted_at
from described
