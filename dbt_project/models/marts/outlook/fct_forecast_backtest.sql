-- One row per series and back-test origin: fitted on the points up to the origin,
-- the model's prediction a year on beside the baseline's (same as last year) and
-- what happened.
with forecast_backtest as (
    select * from {{ ref('stg_outlook__forecast_backtest') }}
),

forecast_series as (
    select * from {{ ref('stg_outlook__forecast_series') }}
),

described as (
    select
        forecast_backtest.*,
        forecast_series.series_label
    from forecast_backtest
    left join forecast_series on forecast_backtest.series_id = forecast_series.series_id
)

select
    series_id,
    series_label,
    origin_period_order,
    target_period_order,
    target_label,
    actual,
    model_prediction,
    baseline_prediction,
    model_abs_pct_error,
    baseline_abs_pct_error,
    run_id,
    fitted_at
from described
