-- One row per demand series: forecast a year ahead, or found too short to be, with
-- the back-tested error of the model and of the baseline (same as last year).
with forecast_series as (
    select * from {{ ref('stg_outlook__forecast_series') }}
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
from forecast_series
