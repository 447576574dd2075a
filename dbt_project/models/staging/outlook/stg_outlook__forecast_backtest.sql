with source_forecast_backtest as (
    select * from {{ source('outlook', 'outlook_forecast_backtest') }}
)

select
    series_id,
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
from source_forecast_backtest
